package fleet

import (
	"context"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"citytwin/twin"
)

// colT0 is 2016-01-01 00:00 UTC.
var colT0 = time.Date(2016, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano()

// colStore is a store of trucks with the given retention (0: keep all).
func colStore(t *testing.T, retention time.Duration, feedSize int, names ...string) *twin.Store {
	t.Helper()
	cfg := twin.DefaultConfig()
	cfg.Retention = retention
	if feedSize > 0 {
		cfg.FeedSize = feedSize
	}
	s, err := twin.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for k, name := range names {
		e := &twin.Entity{ID: twin.ID("tsbs:truck/" + name), Kind: twin.KindVehicle, Moving: true, Props: twin.Properties{
			{Key: PropDriver, Value: twin.StringValue("D-" + name)},
			{Key: PropFleet, Value: twin.StringValue([]string{"North", "South"}[k%2])},
			{Key: PropLoadCapacity, Value: twin.NumberValue(1500)},
			{Key: PropModel, Value: twin.StringValue([]string{"F-150", "H-2"}[k/2%2])},
			{Key: PropName, Value: twin.StringValue(name)},
			{Key: PropNominalFuelConsumption, Value: twin.NumberValue(float64(10 + k))},
		}}
		if _, err := s.Apply(twin.Op{Type: twin.OpUpsert, T: colT0, Entity: e}); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

// rowsOf is a readings and a diagnostics row of each truck every step in
// [from, to), one field of each blanked now and then (never both of a pair
// the package joins on), values drawn from rng. Each truck drives for twenty
// minutes of every forty, and its diagnostics lack no status for ten
// minutes of every forty, so that every query finds something.
func rowsOf(rng *rand.Rand, names []string, from, to, step int64) twin.Op {
	var obs []twin.Observation
	for t := from; t < to; t += step {
		for k, name := range names {
			id := twin.ID("tsbs:truck/" + name)
			add := func(m string, v float64) { obs = append(obs, twin.Observation{ID: id, Metric: m, T: t, V: v}) }
			regime := (t/TenMinutes + int64(k)) % 4
			blank := rng.IntN(8) // which field this row lacks, if < 3
			if blank != 0 {
				add(MetricLatitude, rng.Float64()*90)
			}
			if blank != 1 {
				v := rng.Float64() / 2
				if regime < 2 {
					v = 6 + rng.Float64()*10
				}
				add(MetricVelocity, v)
			}
			if blank != 2 {
				add(MetricFuelConsumption, rng.Float64()*30)
			}
			diag := rng.IntN(8)
			if regime == 0 {
				diag = 7
			}
			if diag != 0 {
				add(MetricFuelState, rng.Float64())
			}
			if diag != 1 {
				add(MetricStatus, float64(rng.IntN(3)*rng.IntN(2))) // mostly 0
			}
		}
	}
	return twin.Op{Type: twin.OpObserve, Observations: obs}
}

func apply(t *testing.T, s *twin.Store, ops ...twin.Op) {
	t.Helper()
	if _, err := s.Apply(ops...); err != nil {
		t.Fatal(err)
	}
}

// allColumns syncs the view of every kept channel of every truck and checks
// it against a fresh read of the store.
func checkColumns(t *testing.T, s *twin.Store) {
	t.Helper()
	ctx := context.Background()
	r, err := allTrucks(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	all := colMask(1<<nCols - 1)
	err = scanTrucks(ctx, s, r, all, nil, false, func(i int, ch *channels) error {
		var fresh channels
		readChannels(s, r.trucks[i].ID, all, &fresh)
		for k := range nCols {
			if !slices.Equal(ch[k], fresh[k]) {
				t.Errorf("%s %s: the view's %d points differ from the store's %d", r.trucks[i].Name, colMetrics[k], len(ch[k]), len(fresh[k]))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	v := &cacheOf(s).cols
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.tooBig {
		t.Fatal("the view was let go")
	}
	n := 0
	for i := range v.trucks {
		for k := range nCols {
			n += len(v.trucks[i][k].pts)
		}
	}
	if n != v.points {
		t.Errorf("the view counts %d points, holds %d", v.points, n)
	}
}

// noRereads checks that the view followed the feed alone.
func noRereads(t *testing.T, s *twin.Store) {
	t.Helper()
	v := &cacheOf(s).cols
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.rereads != 0 {
		t.Errorf("%d channels read again", v.rereads)
	}
}

// wholeDay is the queries that scan the view, with a window for the
// windowed ones.
func wholeDay(w Window) []Query {
	return []Query{
		{Type: StationaryTrucksType, Fleet: "North", Window: w},
		{Type: LongDrivingSessionsType, Window: w, MoreThan: 1},
		{Type: AvgVsProjectedFuelConsumptionType},
		{Type: AvgDailyDrivingDurationType},
		{Type: AvgDailyDrivingSessionType},
		{Type: DailyActivityType},
		{Type: BreakdownFrequencyType},
	}
}

// checkAnswers compares each query's answer from the view with its answer
// from a fresh read of the store (the view let go).
func checkAnswers(t *testing.T, s *twin.Store, qs []Query) {
	t.Helper()
	ctx := context.Background()
	var got []Answer
	for _, q := range qs {
		a, err := Exec(ctx, s, q)
		if err != nil {
			t.Fatalf("%s: %v", q.Type, err)
		}
		got = append(got, a)
	}
	defer func(n int) { maxColumnPoints = n }(maxColumnPoints)
	maxColumnPoints = 0
	for i, q := range qs {
		want, err := Exec(ctx, s, q)
		if err != nil {
			t.Fatalf("%s: %v", q.Type, err)
		}
		if diff := Compare(q.Type, got[i].Table(), want.Table()); diff != "" {
			t.Errorf("%s: %s", q.Type, diff)
		}
		if len(want.Table().Rows) == 0 && q.Type != StationaryTrucksType {
			t.Errorf("%s: no rows: the test data exercises nothing", q.Type)
		}
	}
	// Back under the bound, the view is built again.
	maxColumnPoints = 1 << 24
	if _, err := Exec(ctx, s, qs[len(qs)-1]); err != nil {
		t.Fatal(err)
	}
}

// The view equals a fresh read of the store, and answers as a fresh read
// does, after appends, late rows (new times and new values at old ones), a
// retention trim, a roster change, and a feed that dropped changes unread.
func TestColumnsFollowStore(t *testing.T) {
	names := []string{"a", "b", "c", "d"}
	const step = int64(10 * time.Second)
	hour := int64(time.Hour)
	rng := rand.New(rand.NewPCG(1, 2))
	s := colStore(t, 2*time.Hour, 0, names...)
	apply(t, s, rowsOf(rng, names, colT0, colT0+2*hour, step))
	w := Window{colT0 + hour, colT0 + hour + 4*TenMinutes}
	checkAnswers(t, s, wholeDay(w))
	checkColumns(t, s)

	t.Run("appends", func(t *testing.T) {
		apply(t, s, rowsOf(rng, names, colT0+2*hour, colT0+3*hour, step))
		checkColumns(t, s)
		noRereads(t, s)
		checkAnswers(t, s, wholeDay(w))
	})
	t.Run("late", func(t *testing.T) {
		// Rows between the old ones, in the past, out of order.
		apply(t, s,
			rowsOf(rng, names, colT0+hour+5e9, colT0+hour+30*60e9, 60e9),
			rowsOf(rng, names, colT0+5e9, colT0+10*60e9, 30e9),
			rowsOf(rng, names, colT0+2*hour+5e9, colT0+2*hour+60e9, 20e9))
		checkColumns(t, s)
		noRereads(t, s)
		// New values at times already held, twice over in one batch: the
		// later wins.
		apply(t, s, rowsOf(rng, names, colT0+hour, colT0+hour+20*60e9, step),
			rowsOf(rng, names, colT0+hour, colT0+hour+20*60e9, step))
		checkColumns(t, s)
		noRereads(t, s)
		checkAnswers(t, s, wholeDay(w))
	})
	t.Run("trim", func(t *testing.T) {
		dropped, err := s.Trim(context.Background(), colT0+3*hour+30*60e9)
		if err != nil || dropped == 0 {
			t.Fatalf("trim dropped %d, %v", dropped, err)
		}
		// A late row before the cut after the trim, and new rows.
		apply(t, s, rowsOf(rng, names, colT0+hour, colT0+hour+step, step),
			rowsOf(rng, names, colT0+3*hour, colT0+3*hour+10*60e9, step))
		checkColumns(t, s)
		if v := &cacheOf(s).cols; v.rereads == 0 {
			t.Error("the trim went unnoticed")
		}
		checkAnswers(t, s, wholeDay(Window{colT0 + 2*hour, colT0 + 2*hour + 4*TenMinutes}))
	})
	t.Run("roster", func(t *testing.T) {
		apply(t, s, twin.Op{Type: twin.OpDelete, T: colT0 + 4*hour, ID: "tsbs:truck/b"})
		apply(t, s, twin.Op{Type: twin.OpPatch, T: colT0 + 4*hour, ID: "tsbs:truck/c", Patch: twin.Properties{{Key: PropFleet, Value: twin.StringValue("North")}}})
		apply(t, s, rowsOf(rng, []string{"a", "c", "d"}, colT0+3*hour+10*60e9, colT0+3*hour+20*60e9, step))
		checkColumns(t, s)
		checkAnswers(t, s, wholeDay(Window{colT0 + 2*hour, colT0 + 2*hour + 4*TenMinutes}))
	})
}

// When the feed drops changes before the view reads them, the view reads the
// store again.
func TestColumnsAfterMissedChanges(t *testing.T) {
	names := []string{"a", "b"}
	const step = int64(10 * time.Second)
	rng := rand.New(rand.NewPCG(3, 4))
	s := colStore(t, 0, 16, names...)
	apply(t, s, rowsOf(rng, names, colT0, colT0+int64(time.Hour), step))
	w := Window{colT0, colT0 + int64(time.Hour)}
	checkColumns(t, s)
	for k := range 40 { // more ops than the feed keeps
		from := colT0 + int64(time.Hour) + int64(k)*60e9
		apply(t, s, rowsOf(rng, names, from, from+60e9, step))
	}
	checkColumns(t, s)
	checkAnswers(t, s, wholeDay(w))
}

// Queries answer while rows arrive; once they stop, the view equals the
// store. (Run with -race.)
func TestColumnsConcurrent(t *testing.T) {
	names := []string{"a", "b", "c"}
	const step = int64(10 * time.Second)
	s := colStore(t, 0, 64, names...)
	apply(t, s, rowsOf(rand.New(rand.NewPCG(5, 6)), names, colT0, colT0+int64(time.Hour), step))
	ctx := context.Background()
	var wg sync.WaitGroup
	wg.Go(func() {
		rng := rand.New(rand.NewPCG(7, 8))
		for k := range 60 {
			from := colT0 + int64(time.Hour) + int64(k)*60e9
			if k%7 == 3 {
				from -= int64(time.Hour) / 2 // late
			}
			if _, err := s.Apply(rowsOf(rng, names, from, from+60e9, step)); err != nil {
				t.Error(err)
				return
			}
		}
	})
	for range 3 {
		wg.Go(func() {
			for _, q := range wholeDay(Window{colT0, colT0 + int64(time.Hour)}) {
				for range 5 {
					if _, err := Exec(ctx, s, q); err != nil {
						t.Error(err)
						return
					}
				}
			}
		})
	}
	wg.Wait()
	checkColumns(t, s)
	checkAnswers(t, s, wholeDay(Window{colT0, colT0 + int64(time.Hour)}))
}
