package history

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"citytwin/twin"

	"github.com/paulmach/orb"
)

// BenchmarkSinkObservations measures how many observations a second the sink
// writes into PostgreSQL, sustained: every iteration applies one op of 10,000
// readings (2,000 sensors × 5 metrics) to a durable twin, and the clock stops
// when the database holds them all. Run with
//
//	CITYTWIN_TEST_POSTGRES=postgres://… go test -run '^$' -bench SinkObservations -benchtime 300x ./twin/history
func BenchmarkSinkObservations(b *testing.B) {
	dsn := testDSN(b)
	ctx := context.Background()
	cfg := twin.DefaultConfig()
	cfg.Retention, cfg.FeedSize = 0, 1024
	d := twin.DefaultDurability(b.TempDir())
	d.SnapshotEvery, d.SnapshotLogBytes = 0, 0
	store, _, err := twin.Open(ctx, cfg, d)
	if err != nil {
		b.Fatal(err)
	}
	defer store.Close()
	const sensors, metrics = 2000, 5
	rng := rand.New(rand.NewPCG(1, 2))
	var setup []twin.Op
	ids := make([]twin.ID, sensors)
	for i := range ids {
		ids[i] = twin.ID(fmt.Sprintf("sensor:b%d", i))
		setup = append(setup, twin.Op{Type: twin.OpUpsert, T: t0, Entity: &twin.Entity{ID: ids[i], Kind: twin.KindSensor,
			Geometry: orb.Point{24.9 + rng.Float64()*0.1, 60.1 + rng.Float64()*0.1}}})
	}
	if _, err := store.Apply(setup...); err != nil {
		b.Fatal(err)
	}
	names := []string{"pm25", "pm10", "no2", "o3", "temperature"}
	ops := make([]twin.Op, b.N)
	for n := range ops {
		obs := make([]twin.Observation, 0, sensors*metrics)
		t := t0 + int64(n+1)*1e9
		for _, id := range ids {
			for _, m := range names[:metrics] {
				obs = append(obs, twin.Observation{ID: id, Metric: m, T: t, V: float64(rng.IntN(10000)) / 100})
			}
		}
		ops[n] = twin.Op{Type: twin.OpObserve, T: t, Observations: obs}
	}
	sc := DefaultConfig(dsn)
	sink, err := Open(ctx, sc, store, testLogger(b))
	if err != nil {
		b.Fatal(err)
	}
	defer sink.Close()
	if err := sink.WaitFor(ctx, store.Seq()); err != nil {
		b.Fatal(err)
	}
	before := sink.Stats()
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	var seq uint64
	for n := range ops {
		if seq, err = store.ApplyContext(ctx, ops[n]); err != nil {
			b.Fatal(err)
		}
	}
	if err := sink.WaitFor(ctx, seq); err != nil {
		b.Fatal(err)
	}
	took := time.Since(start)
	b.StopTimer()
	st := sink.Stats()
	written := st.Observations - before.Observations
	if written != uint64(b.N*sensors*metrics) {
		b.Fatalf("wrote %d observations, want %d", written, b.N*sensors*metrics)
	}
	b.ReportMetric(float64(written)/took.Seconds(), "obs/s")
	b.ReportMetric(float64(st.Batches-before.Batches), "batches")
	b.ReportMetric(float64(st.FromLog-before.FromLog)/float64(b.N), "log-read-frac")
}
