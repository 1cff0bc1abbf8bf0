package history

import (
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// counters are the sink's, read by Stats and the Prometheus collector.
type counters struct {
	ops, observations, moves, versions atomic.Uint64
	batches, errors, catchups          atomic.Uint64
	fromLog, lost, skipped             atomic.Uint64
	batchNanos                         atomic.Int64 // the last batch's
	hist                               prometheus.Histogram
}

func (c *counters) init() {
	c.hist = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "citytwin_history_batch_seconds",
		Help:    "Time to write one batch into PostgreSQL (partitions, rows and position, committed).",
		Buckets: prometheus.ExponentialBuckets(0.001, 2, 16),
	})
}

func (c *counters) batch(took time.Duration, b *batch, w *entityWrites) {
	c.ops.Add(uint64(b.changes))
	c.observations.Add(uint64(b.obsN))
	c.moves.Add(uint64(w.movesN))
	c.versions.Add(uint64(len(w.versions)))
	c.skipped.Add(uint64(w.skipped))
	c.batches.Add(1)
	c.batchNanos.Store(int64(took))
	c.hist.Observe(took.Seconds())
}

// Stats is what the sink has done since it was opened.
type Stats struct {
	Position     uint64        `json:"position"`      // the last op in the database
	TwinSeq      uint64        `json:"twin_seq"`      // the last op the twin applied
	LagOps       uint64        `json:"lag_ops"`       // TwinSeq - Position
	Ops          uint64        `json:"ops"`           // ops written
	Observations uint64        `json:"observations"`  // rows written, by table
	Moves        uint64        `json:"moves"`         //
	Versions     uint64        `json:"versions"`      //
	Batches      uint64        `json:"batches"`       // transactions committed
	Errors       uint64        `json:"errors"`        // failures (each followed by a reconnect)
	CatchUps     uint64        `json:"catch_ups"`     // times the sink fell behind the feed and read the log
	FromLog      uint64        `json:"from_log"`      // ops read from the log
	Lost         uint64        `json:"lost"`          // ops the sink could not read (see docs/history.md)
	Skipped      uint64        `json:"skipped"`       // ops and positions on entities the history never saw (after lost ones)
	LastBatch    time.Duration `json:"last_batch_ns"` // how long the last batch took
	Layout       string        `json:"layout"`
}

// Stats returns the sink's counters now.
func (s *Sink) Stats() Stats {
	pos, seq := s.pos.Load(), s.store.Seq()
	return Stats{
		Position: pos, TwinSeq: seq, LagOps: seq - min(pos, seq),
		Ops: s.stats.ops.Load(), Observations: s.stats.observations.Load(), Moves: s.stats.moves.Load(),
		Versions: s.stats.versions.Load(), Batches: s.stats.batches.Load(), Errors: s.stats.errors.Load(),
		CatchUps: s.stats.catchups.Load(), FromLog: s.stats.fromLog.Load(), Lost: s.stats.lost.Load(), Skipped: s.stats.skipped.Load(),
		LastBatch: time.Duration(s.stats.batchNanos.Load()), Layout: s.Layout(),
	}
}

var (
	descLag      = prometheus.NewDesc("citytwin_history_lag_ops", "Ops the twin applied that the history in PostgreSQL does not hold yet.", nil, nil)
	descPosition = prometheus.NewDesc("citytwin_history_position", "Seq of the last op the history in PostgreSQL holds.", nil, nil)
	descWritten  = prometheus.NewDesc("citytwin_history_written_total", "Rows written into PostgreSQL, by table.", []string{"table"}, nil)
	descOps      = prometheus.NewDesc("citytwin_history_ops_total", "Ops written into PostgreSQL.", nil, nil)
	descErrors   = prometheus.NewDesc("citytwin_history_errors_total", "Failures of the history sink (each followed by a reconnect).", nil, nil)
	descFromLog  = prometheus.NewDesc("citytwin_history_log_ops_total", "Ops the sink read from the twin's log because the change feed no longer held them.", nil, nil)
	descLost     = prometheus.NewDesc("citytwin_history_lost_ops_total", "Ops the sink could not read: dropped by the feed of a twin without a log, or compacted out of the log.", nil, nil)
	descSkipped  = prometheus.NewDesc("citytwin_history_skipped_total", "Ops and positions on entities the history never saw (made by lost ops).", nil, nil)
)

// Collector exports the sink's metrics for Prometheus.
func (s *Sink) Collector() prometheus.Collector { return sinkCollector{s} }

type sinkCollector struct{ s *Sink }

func (c sinkCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descLag, descPosition, descWritten, descOps, descErrors, descFromLog, descLost, descSkipped} {
		ch <- d
	}
	c.s.stats.hist.Describe(ch)
}

func (c sinkCollector) Collect(ch chan<- prometheus.Metric) {
	st := c.s.Stats()
	ch <- prometheus.MustNewConstMetric(descLag, prometheus.GaugeValue, float64(st.LagOps))
	ch <- prometheus.MustNewConstMetric(descPosition, prometheus.GaugeValue, float64(st.Position))
	ch <- prometheus.MustNewConstMetric(descWritten, prometheus.CounterValue, float64(st.Observations), "observations")
	ch <- prometheus.MustNewConstMetric(descWritten, prometheus.CounterValue, float64(st.Moves), "moves")
	ch <- prometheus.MustNewConstMetric(descWritten, prometheus.CounterValue, float64(st.Versions), "entity_versions")
	ch <- prometheus.MustNewConstMetric(descOps, prometheus.CounterValue, float64(st.Ops))
	ch <- prometheus.MustNewConstMetric(descErrors, prometheus.CounterValue, float64(st.Errors))
	ch <- prometheus.MustNewConstMetric(descFromLog, prometheus.CounterValue, float64(st.FromLog))
	ch <- prometheus.MustNewConstMetric(descLost, prometheus.CounterValue, float64(st.Lost))
	ch <- prometheus.MustNewConstMetric(descSkipped, prometheus.CounterValue, float64(st.Skipped))
	c.s.stats.hist.Collect(ch)
}
