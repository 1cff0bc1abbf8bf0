package web

import (
	"net/http"
	"sort"

	"citytwin/twin"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// WithCollectors adds Prometheus collectors (the MQTT broker's, a poller's) to
// what GET /metrics exports.
func WithCollectors(cs ...prometheus.Collector) Option {
	return func(s *Server) { s.collectors = append(s.collectors, cs...) }
}

// metricsHandler serves the Prometheus metrics of the twin, its log, the ingest
// gateway and whatever the options added, plus the Go runtime's.
func (s *Server) metricsHandler() http.Handler {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	reg.MustRegister(&twinCollector{s: s})
	reg.MustRegister(s.http.collectors()...)
	for _, c := range s.collectors {
		reg.MustRegister(c)
	}
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{ErrorLog: nil})
}

// twinCollector reads the counters at scrape time, so that nothing on the hot
// paths updates a metric.
type twinCollector struct{ s *Server }

var (
	descEntities    = prometheus.NewDesc("citytwin_entities", "Live entities in the twin, by kind.", []string{"kind"}, nil)
	descSeq         = prometheus.NewDesc("citytwin_ops_applied_total", "Ops applied to the twin since it was created (its sequence number).", nil, nil)
	descLogBytes    = prometheus.NewDesc("citytwin_wal_written_bytes_total", "Bytes written to the write-ahead log since start.", nil, nil)
	descLogRecords  = prometheus.NewDesc("citytwin_wal_records_total", "Records appended to the write-ahead log since start.", nil, nil)
	descLogFsyncs   = prometheus.NewDesc("citytwin_wal_fsyncs_total", "fsyncs of the write-ahead log since start.", nil, nil)
	descLogPending  = prometheus.NewDesc("citytwin_wal_pending_bytes", "Bytes appended to the log and not yet written; producers are slowed when it passes its bound.", nil, nil)
	descLogSegments = prometheus.NewDesc("citytwin_wal_segments", "Segment files of the write-ahead log.", nil, nil)
	descLogDisk     = prometheus.NewDesc("citytwin_wal_disk_bytes", "Size of the write-ahead log on disk.", nil, nil)
	descLogLag      = prometheus.NewDesc("citytwin_wal_unsynced_ops", "Ops acknowledged but not yet fsynced (fsync policy batch or off).", nil, nil)
	descPayloads    = prometheus.NewDesc("citytwin_ingest_payloads_total", "Payloads (MQTT messages, HTTP bodies) the ingest gateway decoded.", nil, nil)
	descRecords     = prometheus.NewDesc("citytwin_ingest_records_total", "Records the ingest gateway read, by result.", []string{"result"}, nil)
	descOverloaded  = prometheus.NewDesc("citytwin_ingest_overloaded_total", "Payloads refused with 'retry later' because the log was behind.", nil, nil)
	descDead        = prometheus.NewDesc("citytwin_deadletters_total", "Rejected inputs recorded as dead letters, by source.", []string{"source"}, nil)
)

func (c *twinCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descEntities, descSeq, descLogBytes, descLogRecords, descLogFsyncs, descLogPending,
		descLogSegments, descLogDisk, descLogLag, descPayloads, descRecords, descOverloaded, descDead} {
		ch <- d
	}
}

func (c *twinCollector) Collect(ch chan<- prometheus.Metric) {
	store := c.s.store
	counts := store.Counts()
	kinds := make([]twin.Kind, 0, len(counts))
	for k := range counts {
		kinds = append(kinds, k)
	}
	sort.Slice(kinds, func(i, j int) bool { return kinds[i] < kinds[j] })
	for _, k := range kinds {
		ch <- prometheus.MustNewConstMetric(descEntities, prometheus.GaugeValue, float64(counts[k]), string(k))
	}
	ch <- prometheus.MustNewConstMetric(descSeq, prometheus.CounterValue, float64(store.Seq()))
	ls := store.LogStats()
	ch <- prometheus.MustNewConstMetric(descLogBytes, prometheus.CounterValue, float64(ls.BytesWritten))
	ch <- prometheus.MustNewConstMetric(descLogRecords, prometheus.CounterValue, float64(ls.Appended))
	ch <- prometheus.MustNewConstMetric(descLogFsyncs, prometheus.CounterValue, float64(ls.Fsyncs))
	ch <- prometheus.MustNewConstMetric(descLogPending, prometheus.GaugeValue, float64(ls.PendingBytes))
	ch <- prometheus.MustNewConstMetric(descLogSegments, prometheus.GaugeValue, float64(ls.Segments))
	ch <- prometheus.MustNewConstMetric(descLogDisk, prometheus.GaugeValue, float64(ls.DiskBytes))
	ch <- prometheus.MustNewConstMetric(descLogLag, prometheus.GaugeValue, float64(ls.LastIndex-min(ls.LastIndex, ls.SyncedIndex)))
	if g := c.s.gateway; g != nil {
		st := g.Stats()
		ch <- prometheus.MustNewConstMetric(descPayloads, prometheus.CounterValue, float64(st.Payloads.Load()))
		ch <- prometheus.MustNewConstMetric(descRecords, prometheus.CounterValue, float64(st.Accepted.Load()), "accepted")
		ch <- prometheus.MustNewConstMetric(descRecords, prometheus.CounterValue, float64(st.Rejected.Load()), "rejected")
		ch <- prometheus.MustNewConstMetric(descOverloaded, prometheus.CounterValue, float64(st.Overloaded.Load()))
		_, by := g.DeadLetters().Total()
		srcs := make([]string, 0, len(by))
		for src := range by {
			srcs = append(srcs, src)
		}
		sort.Strings(srcs)
		for _, src := range srcs {
			ch <- prometheus.MustNewConstMetric(descDead, prometheus.CounterValue, float64(by[src]), src)
		}
	}
}
