package twin

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"testing"

	"citytwin/geo"
	"citytwin/twin/series"

	"github.com/paulmach/orb"
)

// latestQuery is a random query for Latest: world.query's (spatial conditions,
// kinds, filters, Match, as of), sometimes with ids, sometimes over the whole
// world (where Latest walks the metric's channels) or without any spatial
// condition.
func (w *world) latestQuery() Query {
	q := w.query()
	switch w.r.IntN(6) {
	case 0:
		q.BBox, q.Within, q.Intersects, q.Near, q.Cells = nil, nil, nil, nil, nil
	case 1:
		q.BBox, q.Within, q.Intersects, q.Near, q.Cells = []orb.Bound{{Min: orb.Point{-180, -90}, Max: orb.Point{180, 90}}}, nil, nil, nil, nil
	case 2:
		for range 1 + w.r.IntN(8) {
			if len(w.o.order) > 0 {
				q.IDs = append(q.IDs, w.o.order[w.r.IntN(len(w.o.order))])
			}
		}
		q.IDs = append(q.IDs, "nobody")
	}
	return q
}

// oracleLatest is Latest by brute force.
func (w *world) oracleLatest(q Query, metric string) []Latest {
	var want []Latest
	for _, id := range w.o.query(q) {
		if ob, ok := w.o.latest(id, metric, q.At); ok {
			want = append(want, Latest{ID: id, Point: series.Point{T: ob.T, V: ob.V}})
		}
	}
	return want
}

// latestBothWays is Latest through each of its plans, whatever it would choose.
func (s *Store) latestBothWays(ctx context.Context, q Query, metric string) (walked, matched []Latest, err error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	m, ok := s.sym.lookup(metric)
	if !ok || s.metrics[m] == nil {
		return nil, nil, nil
	}
	slots, chans := s.byMetric[m].sorted()
	if walked, err = s.latestOf(ctx, &q, slots, chans, 0); err != nil {
		return nil, nil, err
	}
	matched, err = s.latestMatched(ctx, &q, s.metrics[m])
	return walked, matched, err
}

// checkMetricIndex makes sure every metric's index lists exactly its channels,
// in strictly increasing slot order.
func checkMetricIndex(t *testing.T, s *Store) {
	t.Helper()
	s.mu.RLock()
	defer s.mu.RUnlock()
	if len(s.byMetric) != len(s.metrics) {
		t.Fatalf("%d metric indexes, %d metrics", len(s.byMetric), len(s.metrics))
	}
	for m, bySlot := range s.metrics {
		slots, chans := s.byMetric[m].sorted()
		if len(slots) != len(bySlot) || len(chans) != len(slots) {
			t.Fatalf("metric %s: index of %d slots (%d channels), %d channels", s.sym.name(m), len(slots), len(chans), len(bySlot))
		}
		for i, slot := range slots {
			if i > 0 && slots[i-1] >= slot {
				t.Fatalf("metric %s: slots %d, %d out of order", s.sym.name(m), slots[i-1], slot)
			}
			if bySlot[slot] != chans[i] {
				t.Fatalf("metric %s slot %d: another channel", s.sym.name(m), slot)
			}
		}
	}
}

func TestLatestMatchesOracle(t *testing.T) {
	ctx := context.Background()
	for _, pl := range places {
		t.Run(pl.name, func(t *testing.T) {
			for _, seed := range []uint64{42, 43} {
				w := newWorld(t, seed, pl.center, pl.span)
				for round := range 5 {
					for range 300 {
						w.step()
					}
					checkMetricIndex(t, w.s)
					for i := range 40 {
						q := w.latestQuery()
						metric := []string{"pm25", "temp", "no2"}[w.r.IntN(3)]
						want := w.oracleLatest(q, metric)
						got, err := w.s.Latest(ctx, q, metric)
						if err != nil {
							t.Fatal(err)
						}
						walked, matched, err := w.s.latestBothWays(ctx, q, metric)
						if err != nil {
							t.Fatal(err)
						}
						for _, c := range []struct {
							name string
							got  []Latest
						}{{"latest", got}, {"walking the channels", walked}, {"through the indexes", matched}} {
							if !slices.Equal(c.got, want) {
								t.Fatalf("seed %d round %d query %d %+v, %s, %s:\n got %v\nwant %v", seed, round, i, q, metric, c.name, c.got, want)
							}
						}
					}
				}
			}
		})
	}
}

// TestLatestCityWideWalks makes sure a query over the whole city walks the
// metric's channels and a small one goes through the spatial indexes, and
// that both answer as the oracle does.
func TestLatestCityWideWalks(t *testing.T) {
	w := newWorld(t, 5, orb.Point{24.94, 60.17}, 0.05)
	var obs []Observation
	for i := range 3 * walkSample {
		e := Entity{ID: ID(fmt.Sprintf("sensor%d", i)), Kind: KindSensor, Geometry: w.point()}
		b := Entity{ID: ID(fmt.Sprintf("building%d", i)), Kind: KindBuilding, Geometry: w.geometry()}
		w.apply(Op{Type: OpUpsert, T: w.tick(), Entity: &e}, Op{Type: OpUpsert, T: w.tick(), Entity: &b})
		obs = append(obs, Observation{ID: e.ID, Metric: "pm25", T: w.tick(), V: float64(i)})
	}
	w.r.Shuffle(len(obs), func(i, j int) { obs[i], obs[j] = obs[j], obs[i] }) // channels made out of slot order
	w.apply(Op{Type: OpObserve, T: w.tick(), Observations: obs})
	checkMetricIndex(t, w.s)
	city := geo.BoundAround(w.center, 20_000)
	small := []orb.Bound{orb.Bound{Min: w.center, Max: w.center}.Pad(0.001)}
	for _, c := range []struct {
		name string
		q    Query
		walk bool
	}{
		{"city", Query{BBox: city, Kinds: []Kind{KindSensor}}, true},
		{"everything", Query{}, true},
		{"small box", Query{BBox: small}, false},
		{"ids", Query{IDs: []ID{"sensor1", "sensor7"}}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			w.s.mu.RLock()
			m, _ := w.s.sym.lookup("pm25")
			slots, _ := w.s.byMetric[m].sorted()
			walk, _ := w.s.walkChannels(&c.q, slots)
			w.s.mu.RUnlock()
			if walk != c.walk {
				t.Errorf("walks the channels: %v, want %v", walk, c.walk)
			}
			got, err := w.s.Latest(context.Background(), c.q, "pm25")
			if err != nil {
				t.Fatal(err)
			}
			if want := w.oracleLatest(c.q, "pm25"); !slices.Equal(got, want) {
				t.Fatalf("got %d values, want %d\n got %v\nwant %v", len(got), len(want), got, want)
			}
		})
	}
}

func TestMetricIndexKeepsSlotOrder(t *testing.T) {
	for _, seed := range []uint64{1, 2, 3} {
		r := rand.New(rand.NewPCG(seed, 9))
		var x metricIndex
		want := map[uint32]*series.Series{}
		for range 2000 {
			slot := uint32(r.IntN(5000))
			if r.IntN(2) == 0 { // mostly in order, as entities report
				slot = uint32(len(want) * 3)
			}
			if want[slot] != nil {
				continue
			}
			ch := series.New()
			want[slot] = ch
			x.add(slot, ch)
			if r.IntN(50) == 0 {
				x.sorted()
			}
		}
		slots, chans := x.sorted()
		if !slices.Equal(slots, slices.Sorted(maps.Keys(want))) {
			t.Fatalf("seed %d: slots not the sorted channels", seed)
		}
		for i, slot := range slots {
			if chans[i] != want[slot] {
				t.Fatalf("seed %d: slot %d has another channel", seed, slot)
			}
		}
	}
}

// TestLatestAfterRestore restores a snapshot and asks Latest the same questions
// of both stores.
func TestLatestAfterRestore(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t, 11, orb.Point{24.94, 60.17}, 0.05)
	for range 2500 {
		w.step()
	}
	w.s.mu.RLock()
	v := w.s.capture()
	w.s.mu.RUnlock()
	var buf bytes.Buffer
	if err := v.write(&buf); err != nil {
		t.Fatal(err)
	}
	restored, err := New(DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	if err := restored.restore(buf.Bytes()); err != nil {
		t.Fatal(err)
	}
	checkMetricIndex(t, restored)
	for i := range 100 {
		q := w.latestQuery()
		metric := []string{"pm25", "temp"}[i%2]
		before, err := w.s.Latest(ctx, q, metric)
		if err != nil {
			t.Fatal(err)
		}
		after, err := restored.Latest(ctx, q, metric)
		if err != nil {
			t.Fatal(err)
		}
		walked, matched, err := restored.latestBothWays(ctx, q, metric)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(after, before) || !slices.Equal(walked, before) || !slices.Equal(matched, before) {
			t.Fatalf("query %d %+v, %s: after restore %v (walked %v, matched %v), before %v", i, q, metric, after, walked, matched, before)
		}
	}
}

// TestLatestWhileChannelsAppear runs readers of Latest while a writer adds
// channels out of slot order, so that readers merge them concurrently (run
// with -race); every answer must hold whole batches.
func TestLatestWhileChannelsAppear(t *testing.T) {
	s, err := New(DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	const n = 2000
	ops := make([]Op, n)
	for i := range ops {
		e := Entity{ID: ID(fmt.Sprintf("s%d", i)), Kind: KindSensor, Geometry: orb.Point{24.9 + float64(i)*1e-5, 60.1}}
		ops[i] = Op{Type: OpUpsert, T: 1, Entity: &e}
	}
	if _, err := s.Apply(ops...); err != nil {
		t.Fatal(err)
	}
	order := rand.New(rand.NewPCG(1, 2)).Perm(n)
	const batch = 10
	ctx := context.Background()
	done := make(chan struct{})
	errs := make(chan error, 2)
	for range 2 {
		go func() {
			for {
				select {
				case <-done:
					errs <- nil
					return
				default:
				}
				ls, err := s.Latest(ctx, Query{Kinds: []Kind{KindSensor}}, "pm25")
				if err == nil && len(ls)%batch != 0 {
					err = fmt.Errorf("%d values: not whole batches", len(ls))
				}
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	for i := 0; i < n; i += batch {
		var obs []Observation
		for _, k := range order[i : i+batch] {
			obs = append(obs, Observation{ID: ID(fmt.Sprintf("s%d", k)), Metric: "pm25", T: 2, V: float64(k)})
		}
		if _, err := s.Apply(Op{Type: OpObserve, T: 2, Observations: obs}); err != nil {
			t.Fatal(err)
		}
	}
	close(done)
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	checkMetricIndex(t, s)
	if ls, _ := s.Latest(ctx, Query{}, "pm25"); len(ls) != n {
		t.Fatalf("%d values, want %d", len(ls), n)
	}
}
