package web

import (
	"citytwin/twin/fence"

	"github.com/prometheus/client_golang/prometheus"
)

// FenceCollector exports a geofence engine's counters, per delivery endpoint too.
func FenceCollector(stats func() fence.Stats) prometheus.Collector {
	return &fenceCollector{stats: stats}
}

type fenceCollector struct{ stats func() fence.Stats }

var (
	descFences         = prometheus.NewDesc("citytwin_geofences", "Geofences evaluated.", nil, nil)
	descFenceObjects   = prometheus.NewDesc("citytwin_geofence_objects", "Objects the geofence engine follows.", nil, nil)
	descFenceUpdates   = prometheus.NewDesc("citytwin_geofence_updates_total", "Positions evaluated against the geofences.", nil, nil)
	descFenceEvents    = prometheus.NewDesc("citytwin_geofence_events_total", "Geofence events written to the outbox since start.", nil, nil)
	descFenceHead      = prometheus.NewDesc("citytwin_geofence_event_seq", "Sequence number of the newest geofence event.", nil, nil)
	descFenceResyncs   = prometheus.NewDesc("citytwin_geofence_resyncs_total", "Times the engine rebuilt its state from the twin after missing changes.", nil, nil)
	descFenceLate      = prometheus.NewDesc("citytwin_geofence_late_positions_total", "Positions older than their object's newest, ignored.", nil, nil)
	descFenceInvalid   = prometheus.NewDesc("citytwin_geofence_invalid_total", "Geofence definitions that did not parse.", nil, nil)
	descDelivered      = prometheus.NewDesc("citytwin_geofence_delivered_total", "Events an endpoint acknowledged.", []string{"endpoint", "kind"}, nil)
	descDeliveryFailed = prometheus.NewDesc("citytwin_geofence_delivery_failures_total", "Failed delivery attempts (retried).", []string{"endpoint", "kind"}, nil)
	descDeliveryDead   = prometheus.NewDesc("citytwin_geofence_dead_lettered_total", "Events given up after a permanent failure, or removed by retention before delivery.", []string{"endpoint", "kind", "reason"}, nil)
	descDeliveryLag    = prometheus.NewDesc("citytwin_geofence_delivery_lag", "Events written and not yet acknowledged by an endpoint.", []string{"endpoint", "kind"}, nil)
)

func (c *fenceCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descFences, descFenceObjects, descFenceUpdates, descFenceEvents, descFenceHead, descFenceResyncs,
		descFenceLate, descFenceInvalid, descDelivered, descDeliveryFailed, descDeliveryDead, descDeliveryLag} {
		ch <- d
	}
}

func (c *fenceCollector) Collect(ch chan<- prometheus.Metric) {
	st := c.stats()
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	counter := func(d *prometheus.Desc, v uint64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
	}
	gauge(descFences, float64(st.Fences))
	gauge(descFenceObjects, float64(st.Objects))
	counter(descFenceUpdates, st.Updates)
	counter(descFenceEvents, st.Events)
	gauge(descFenceHead, float64(st.Head))
	counter(descFenceResyncs, st.Resyncs)
	counter(descFenceLate, st.Late)
	counter(descFenceInvalid, st.Invalid)
	for _, e := range st.Endpoints {
		counter(descDelivered, e.Delivered, e.ID, e.Kind)
		counter(descDeliveryFailed, e.Failed, e.ID, e.Kind)
		counter(descDeliveryDead, e.DeadLettered, e.ID, e.Kind, "permanent_failure")
		counter(descDeliveryDead, e.Dropped, e.ID, e.Kind, "retention")
		gauge(descDeliveryLag, float64(e.Lag), e.ID, e.Kind)
	}
}
