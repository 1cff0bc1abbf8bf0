package web

import (
	"citytwin/twin/alert"

	"github.com/prometheus/client_golang/prometheus"
)

// AlertCollector exports an alert engine's counters.
func AlertCollector(stats func() alert.Stats) prometheus.Collector {
	return &alertCollector{stats: stats}
}

type alertCollector struct{ stats func() alert.Stats }

var (
	descAlertRules       = prometheus.NewDesc("citytwin_alert_rules", "Alert rules, by validity.", []string{"valid"}, nil)
	descAlertsActive     = prometheus.NewDesc("citytwin_alerts_active", "Alerts active now.", nil, nil)
	descAlertsPending    = prometheus.NewDesc("citytwin_alerts_pending", "Conditions that hold and wait for their rule's duration.", nil, nil)
	descAlertEvaluations = prometheus.NewDesc("citytwin_alert_evaluations_total", "Readings evaluated against rules (one per reading and rule).", nil, nil)
	descAlertEvents      = prometheus.NewDesc("citytwin_alert_events_total", "Alerts raised and cleared.", []string{"event"}, nil)
	descAlertLate        = prometheus.NewDesc("citytwin_alert_late_readings_total", "Readings older than one already evaluated, ignored.", nil, nil)
	descAlertResyncs     = prometheus.NewDesc("citytwin_alert_resyncs_total", "Times the engine fell behind the change feed and rebuilt its state.", nil, nil)
)

func (c *alertCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descAlertRules, descAlertsActive, descAlertsPending, descAlertEvaluations, descAlertEvents, descAlertLate, descAlertResyncs} {
		ch <- d
	}
}

func (c *alertCollector) Collect(ch chan<- prometheus.Metric) {
	st := c.stats()
	ch <- prometheus.MustNewConstMetric(descAlertRules, prometheus.GaugeValue, float64(st.Rules), "true")
	ch <- prometheus.MustNewConstMetric(descAlertRules, prometheus.GaugeValue, float64(st.InvalidRules), "false")
	ch <- prometheus.MustNewConstMetric(descAlertsActive, prometheus.GaugeValue, float64(st.Active))
	ch <- prometheus.MustNewConstMetric(descAlertsPending, prometheus.GaugeValue, float64(st.Pending))
	ch <- prometheus.MustNewConstMetric(descAlertEvaluations, prometheus.CounterValue, float64(st.Evaluations))
	ch <- prometheus.MustNewConstMetric(descAlertEvents, prometheus.CounterValue, float64(st.Raised), "raised")
	ch <- prometheus.MustNewConstMetric(descAlertEvents, prometheus.CounterValue, float64(st.Cleared), "cleared")
	ch <- prometheus.MustNewConstMetric(descAlertLate, prometheus.CounterValue, float64(st.Late))
	ch <- prometheus.MustNewConstMetric(descAlertResyncs, prometheus.CounterValue, float64(st.Resyncs))
}
