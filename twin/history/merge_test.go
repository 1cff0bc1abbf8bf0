package history

import (
	"context"
	"math"
	"slices"
	"testing"
	"time"

	"citytwin/twin"
	"citytwin/twin/series"

	"github.com/paulmach/orb"
)

// TestReaderMergesWithMemory runs one workload into two twins: one that keeps
// everything, and one that keeps 30 minutes and feeds the history. After the
// second is trimmed, the Reader's answers over any range (old part from the
// database, the rest from memory) must equal the first twin's.
func TestReaderMergesWithMemory(t *testing.T) {
	dsn := testDSN(t)
	ctx := context.Background()
	full, err := twin.New(twin.Config{Retention: 0, GridMetres: 250, RefLat: 60, FeedSize: 4096})
	if err != nil {
		t.Fatal(err)
	}
	const keep = 30 * time.Minute
	cfg := twin.DefaultConfig()
	cfg.Retention, cfg.RefLat = keep, 60
	d := twin.DefaultDurability(t.TempDir())
	d.SnapshotEvery = 0
	live, _, err := twin.Open(ctx, cfg, d)
	if err != nil {
		t.Fatal(err)
	}
	defer live.Close()
	sink := openSink(t, testSinkConfig(dsn), live)
	defer sink.Close()
	w := newWorkload(6)
	both := func(ops []twin.Op) uint64 {
		apply(t, full, ops)
		return apply(t, live, ops)
	}
	seq := both(w.setup(20, 10, 6))
	for range 70 {
		seq = both(w.step())
	}
	waitSink(t, sink, seq)
	now := w.t
	dropped, err := live.Trim(ctx, now)
	if err != nil || dropped == 0 {
		t.Fatalf("trim dropped %d: %v", dropped, err)
	}
	r, err := OpenReader(ReaderConfig{DSN: dsn, Conns: 2, Retention: keep, Now: func() time.Time { return twin.Time(now) }}, live)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	cut := r.Cut()
	if cut <= t0 || cut >= now {
		t.Fatalf("cut %d outside the data (%d..%d)", cut, t0, now)
	}
	ranges := [][2]int64{{math.MinInt64, math.MaxInt64}, {t0, cut}, {t0 + 600e9, cut + 600e9}, {cut - 1, cut + 1}, {cut, now}}
	for _, id := range w.sensors {
		for _, m := range []string{"pm25", "no2"} {
			for _, rg := range ranges {
				want, werr := full.Range(id, m, rg[0], rg[1])
				got, gerr := r.Range(ctx, id, m, rg[0], rg[1])
				if (werr == nil) != (gerr == nil) || !slices.Equal(got, want) {
					t.Fatalf("range %s %s %v: merged %d points (%v), full twin %d (%v)", id, m, rg, len(got), gerr, len(want), werr)
				}
			}
		}
	}
	// The trimmed twin alone does not have them: the test tests.
	if got, _ := live.Range(w.sensors[0], "pm25", math.MinInt64, math.MaxInt64); len(got) == 0 {
		t.Log("trimmed twin has no points left for the first sensor")
	}
	for _, id := range w.vehicles {
		for _, rg := range ranges {
			want, _ := full.Track(id, rg[0], rg[1])
			got, err := r.Track(ctx, id, rg[0], rg[1])
			if err != nil || !slices.Equal(got, want) {
				t.Fatalf("track %s %v: merged %d (%v), full twin %d", id, rg, len(got), err, len(want))
			}
		}
	}
	for _, agg := range []series.Agg{series.Count, series.Sum, series.Avg, series.Min, series.Max} {
		for _, rg := range ranges[1:] {
			for _, step := range []int64{60e9, 600e9, 7 * 60e9} {
				a := twin.Aggregate{Metric: "no2", Agg: agg, From: rg[0], To: rg[1], Step: step}
				want, err := full.AggregateBuckets(ctx, a)
				if err != nil {
					t.Fatal(err)
				}
				got, err := r.AggregateBuckets(ctx, a)
				if err != nil {
					t.Fatal(err)
				}
				if !sameBuckets(got, want) {
					t.Fatalf("buckets %v %v step %d:\n merged %v\n full   %v", agg, rg, step, head(got), head(want))
				}
			}
		}
	}
	// As of instants before the cut: moving entities where their (trimmed in
	// memory) tracks put them.
	box := []orb.Bound{{Min: orb.Point{24.9, 60.1}, Max: orb.Point{24.97, 60.17}}}
	for at := t0; at < now; at += 300e9 {
		for _, q := range []twin.Query{{At: at}, {At: at, BBox: box}, {At: at, Kinds: []twin.Kind{twin.KindVehicle}, BBox: box}} {
			want, err := full.Query(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			got, err := r.Query(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			if d := diffEntities(got.Entities, want.Entities); d != "" {
				t.Fatalf("as of %d (cut %d) %+v: %s", at, cut, q, d)
			}
		}
	}
}
