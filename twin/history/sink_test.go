package history

import (
	"context"
	"log/slog"
	"math"
	"os"
	"slices"
	"testing"
	"time"

	"citytwin/twin"
	"citytwin/twin/series"

	"github.com/paulmach/orb"
)

func testLogger(t testing.TB) *slog.Logger {
	if testing.Verbose() {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

// openTwin opens a durable twin in dir that keeps everything in memory.
func openTwin(t testing.TB, dir string, feed int) *twin.Store {
	t.Helper()
	cfg := twin.DefaultConfig()
	cfg.Retention, cfg.FeedSize = 0, feed
	d := twin.DefaultDurability(dir)
	d.SnapshotEvery = 0
	store, _, err := twin.Open(context.Background(), cfg, d)
	if err != nil {
		t.Fatal(err)
	}
	return store
}

func testSinkConfig(dsn string) Config {
	cfg := DefaultConfig(dsn)
	cfg.BatchRows = 5000
	cfg.BatchWait = 20 * time.Millisecond
	cfg.RetryMin, cfg.RetryMax = 20*time.Millisecond, 200*time.Millisecond
	return cfg
}

func openSink(t testing.TB, cfg Config, store *twin.Store) *Sink {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	s, err := Open(ctx, cfg, store, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func waitSink(t testing.TB, s *Sink, seq uint64) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	if err := s.WaitFor(ctx, seq); err != nil {
		t.Fatalf("sink at %d, want %d: %v (stats %+v)", s.Position(), seq, err, s.Stats())
	}
}

func apply(t testing.TB, store *twin.Store, ops []twin.Op) uint64 {
	t.Helper()
	seq, err := store.Apply(ops...)
	if err != nil {
		t.Fatal(err)
	}
	return seq
}

// TestSinkMatchesMemory writes a mixed workload through the sink and checks
// that every answer from the database equals the twin's from memory: ranges,
// tracks, bucketed aggregates, as-of queries at many instants and versions.
func TestSinkMatchesMemory(t *testing.T) {
	dsn := testDSN(t)
	store := openTwin(t, t.TempDir(), 4096)
	defer store.Close()
	sink := openSink(t, testSinkConfig(dsn), store)
	defer sink.Close()
	w := newWorkload(1)
	seq := apply(t, store, w.setup(30, 20, 8))
	for range 60 {
		seq = apply(t, store, w.step())
	}
	waitSink(t, sink, seq)
	r, err := OpenReader(ReaderConfig{DSN: dsn, Conns: 2}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	checkSame(t, store, r, w)
	t.Logf("stats %+v", sink.Stats())
	if st := sink.Stats(); st.LagOps != 0 || st.Ops != seq || st.Errors != 0 {
		t.Errorf("stats %+v: want no lag, %d ops, no errors", st, seq)
	}
}

// checkSame compares the database's answers with memory's.
func checkSame(t *testing.T, store *twin.Store, r *Reader, w *workload) {
	t.Helper()
	ctx := context.Background()
	for _, id := range w.sensors {
		for _, m := range []string{"pm25", "no2"} {
			want, werr := store.Range(id, m, math.MinInt64, math.MaxInt64)
			got, gerr := r.RangeDB(ctx, id, m, math.MinInt64, math.MaxInt64)
			if (werr == nil) != (gerr == nil) {
				t.Fatalf("range %s %s: db err %v, memory err %v", id, m, gerr, werr)
			}
			if !slices.Equal(got, want) {
				t.Fatalf("range %s %s: db has %d points, memory %d\n db  %v\n mem %v", id, m, len(got), len(want), head(got), head(want))
			}
		}
	}
	for _, id := range w.vehicles {
		want, err := store.Track(id, math.MinInt64, math.MaxInt64)
		if err != nil {
			t.Fatal(err)
		}
		got, err := r.TrackDB(ctx, id, math.MinInt64, math.MaxInt64)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, want) {
			t.Fatalf("track %s: db %d positions, memory %d", id, len(got), len(want))
		}
	}
	for _, agg := range []series.Agg{series.Count, series.Sum, series.Avg, series.Min, series.Max, series.P50, series.P95} {
		for _, q := range []twin.Query{{}, {Kinds: []twin.Kind{twin.KindSensor}, BBox: []orb.Bound{{Min: orb.Point{24.9, 60.1}, Max: orb.Point{24.95, 60.2}}}}} {
			a := twin.Aggregate{Query: q, Metric: "pm25", Agg: agg, From: t0, To: w.t + 1, Step: 600e9}
			want, err := store.AggregateBuckets(ctx, a)
			if err != nil {
				t.Fatal(err)
			}
			got, err := r.BucketsDB(ctx, a)
			if err != nil {
				t.Fatalf("%v: %v", agg, err)
			}
			if !sameBuckets(got, want) {
				t.Fatalf("buckets %v %+v:\n db  %v\n mem %v", agg, q, got, want)
			}
			wantE, err := store.AggregateEntities(ctx, a)
			if err != nil {
				t.Fatal(err)
			}
			gotE, err := r.EntitiesDB(ctx, a)
			if err != nil {
				t.Fatal(err)
			}
			if !sameEntityValues(gotE, wantE) {
				t.Fatalf("per entity %v %+v:\n db  %v\n mem %v", agg, q, head(gotE), head(wantE))
			}
		}
	}
	// Every version of every entity.
	for id := range w.last {
		want, err := store.History(id)
		if err != nil {
			t.Fatal(err)
		}
		got, err := r.HistoryDB(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		for i := range want {
			want[i].Moving = false
		}
		if d := diffEntities(got, want); d != "" {
			t.Fatalf("history of %s: %s\n db  %v\n mem %v", id, d, got, want)
		}
	}
	// As of many instants, with and without boxes and kinds.
	boxes := []orb.Bound{{Min: orb.Point{24.9, 60.1}, Max: orb.Point{24.96, 60.16}}}
	for at := t0 - 1e9; at <= w.t+1e9; at += (w.t - t0) / 17 {
		for _, q := range []twin.Query{{At: at}, {At: at, BBox: boxes}, {At: at, Kinds: []twin.Kind{twin.KindVehicle, twin.KindSensor}, BBox: boxes}} {
			want, err := store.Query(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			got, err := r.QueryDB(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			if d := diffEntities(got.Entities, want.Entities); d != "" {
				t.Fatalf("as of %d %+v: %s", at, q, d)
			}
		}
	}
	// Now, too.
	want, _ := store.Query(ctx, twin.Query{})
	got, err := r.QueryDB(ctx, twin.Query{})
	if err != nil {
		t.Fatal(err)
	}
	if d := diffEntities(got.Entities, want.Entities); d != "" {
		t.Fatalf("now: %s", d)
	}
}

func head[T any](s []T) []T { return s[:min(len(s), 5)] }

func sameBuckets(a, b []twin.BucketValue) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Start != b[i].Start || a[i].Count != b[i].Count || !closeTo(a[i].Value, b[i].Value) {
			return false
		}
	}
	return true
}

func sameEntityValues(a, b []twin.EntityValue) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].ID != b[i].ID || a[i].Count != b[i].Count || !closeTo(a[i].Value, b[i].Value) {
			return false
		}
	}
	return true
}

// closeTo allows for sums added in another order.
func closeTo(a, b float64) bool {
	if a == b || math.IsNaN(a) && math.IsNaN(b) {
		return true
	}
	return math.Abs(a-b) <= 1e-9*math.Max(math.Abs(a), math.Abs(b))
}

func diffEntities(got, want []twin.Entity) string {
	if len(got) != len(want) {
		var g, w []twin.ID
		for _, e := range got {
			g = append(g, e.ID)
		}
		for _, e := range want {
			w = append(w, e.ID)
		}
		return fmtDiff("entities", g, w)
	}
	for i := range got {
		a, b := got[i], want[i]
		switch {
		case a.ID != b.ID:
			return fmtDiff("id", a.ID, b.ID)
		case a.Version != b.Version || !a.ValidFrom.Equal(b.ValidFrom):
			return fmtDiff(string(a.ID)+" version", [2]any{a.Version, a.ValidFrom}, [2]any{b.Version, b.ValidFrom})
		case a.Kind != b.Kind || a.Height != b.Height || a.MinHeight != b.MinHeight || a.Levels != b.Levels || a.Moving != b.Moving:
			return fmtDiff(string(a.ID)+" fields", a, b)
		case !orb.Equal(a.Geometry, b.Geometry):
			return fmtDiff(string(a.ID)+" geometry", a.Geometry, b.Geometry)
		case !slices.Equal(a.Props, b.Props):
			return fmtDiff(string(a.ID)+" props", a.Props, b.Props)
		case !slices.Equal(a.Links, b.Links) || len(a.Provenance) != len(b.Provenance):
			return fmtDiff(string(a.ID)+" links/provenance", a, b)
		}
	}
	return ""
}
