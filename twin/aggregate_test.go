package twin

import (
	"context"
	"math"
	"slices"
	"sort"
	"testing"

	"citytwin/twin/series"

	"github.com/paulmach/orb"
	"github.com/uber/h3-go/v4"
)

// oracleSummary aggregates plain values the way series.Summary documents it.
func oracleSummary(vals []float64, agg series.Agg) float64 {
	s := series.NewSummary(true)
	for _, v := range vals {
		s.Add(v)
	}
	return s.Value(agg)
}

func TestAggregateCellsMatchesOracle(t *testing.T) {
	w := newWorld(t, 5, orb.Point{24.94, 60.17}, 0.05)
	ctx := context.Background()
	for round := range 4 {
		for range 300 {
			w.step()
		}
		for i := range 40 {
			q := w.query()
			metric := []string{"pm25", "temp", "floors"}[w.r.IntN(3)]
			agg := series.Agg(w.r.IntN(int(series.P95) + 1))
			res := 5 + w.r.IntN(6)
			if w.r.IntN(2) == 0 {
				q = Query{At: q.At}
			}
			got, err := w.s.AggregateCells(ctx, Aggregate{Query: q, Metric: metric, Agg: agg, Res: res})
			if err != nil {
				t.Fatal(err)
			}
			// The oracle: every matching entity's latest value (or property), in
			// the parent at res of its finest cell.
			vals := map[h3.Cell][]float64{}
			for _, id := range w.o.query(q) {
				e, _ := w.o.at(id, q.At)
				var v float64
				if metric == "floors" {
					pv, ok := e.Props.Get("floors")
					if !ok {
						continue
					}
					v, _ = pv.Number()
				} else {
					ob, ok := w.o.latest(id, metric, q.At)
					if !ok {
						continue
					}
					v = ob.V
				}
				p, ok := anchor(e.Geometry)
				if !ok {
					continue
				}
				c := h3.LatLngToCell(h3.LatLng{Lat: p[1], Lng: p[0]}, 15).Parent(res)
				vals[c] = append(vals[c], v)
			}
			if len(got) != len(vals) {
				t.Fatalf("round %d agg %d (%s %v res %d, %+v): %d cells, want %d", round, i, metric, agg, res, q, len(got), len(vals))
			}
			for _, cv := range got {
				want := oracleSummary(vals[cv.Cell], agg)
				if cv.Count != len(vals[cv.Cell]) || !approxEqual(cv.Value, want) {
					t.Fatalf("round %d agg %d cell %v: %v over %d, want %v over %d", round, i, cv.Cell, cv.Value, cv.Count, want, len(vals[cv.Cell]))
				}
			}
		}
	}
}

func TestBucketsAndEntitiesMatchOracle(t *testing.T) {
	w := newWorld(t, 11, orb.Point{24.94, 60.17}, 0.05)
	ctx := context.Background()
	for range 1200 {
		w.step()
	}
	first := int64(1_700_000_000_000_000_000)
	for i := range 40 {
		q := w.query()
		q.At = 0
		metric := []string{"pm25", "temp"}[w.r.IntN(2)]
		agg := series.Agg(w.r.IntN(int(series.P95) + 1))
		step := int64(1+w.r.IntN(120)) * 1e9
		from := first + int64(w.r.IntN(200))*1e9
		to := from + int64(1+w.r.IntN(600))*1e9
		a := Aggregate{Query: q, Metric: metric, Agg: agg, From: from, To: to, Step: step}
		if i%4 == 0 { // open-ended: up to now
			a.To, to = 0, math.MaxInt64
		}

		buckets := map[int64][]float64{}
		perEntity := map[ID][]float64{}
		for _, id := range w.o.query(q) {
			// the oracle's series: the later write of one instant wins
			latest := map[int64]float64{}
			for _, ob := range w.o.obs[id][metric] {
				latest[ob.T] = ob.V
			}
			for ts, v := range latest {
				if ts >= from && ts < to {
					start := ts - ((ts%step)+step)%step
					buckets[start] = append(buckets[start], v)
					perEntity[id] = append(perEntity[id], v)
				}
			}
		}
		got, err := w.s.AggregateBuckets(ctx, a)
		if err != nil {
			t.Fatal(err)
		}
		var starts []int64
		for s := range buckets {
			starts = append(starts, s)
		}
		slices.Sort(starts)
		if len(got) != len(starts) {
			t.Fatalf("query %d: %d buckets, want %d", i, len(got), len(starts))
		}
		for j, b := range got {
			want := oracleSummary(buckets[starts[j]], agg)
			if b.Start != starts[j] || b.Count != len(buckets[starts[j]]) || !approxEqual(b.Value, want) {
				t.Fatalf("query %d bucket %d: %+v, want start %d value %v count %d", i, j, b, starts[j], want, len(buckets[starts[j]]))
			}
		}
		ents, err := w.s.AggregateEntities(ctx, a)
		if err != nil {
			t.Fatal(err)
		}
		if len(ents) != len(perEntity) {
			t.Fatalf("query %d: %d entities, want %d", i, len(ents), len(perEntity))
		}
		for _, ev := range ents {
			want := oracleSummary(perEntity[ev.ID], agg)
			if ev.Count != len(perEntity[ev.ID]) || !approxEqual(ev.Value, want) {
				t.Fatalf("query %d entity %s: %v over %d, want %v over %d", i, ev.ID, ev.Value, ev.Count, want, len(perEntity[ev.ID]))
			}
		}
	}
}

func TestLatestRangeLastNMatchOracle(t *testing.T) {
	w := newWorld(t, 13, orb.Point{24.94, 60.17}, 0.05)
	ctx := context.Background()
	for range 1500 {
		w.step()
	}
	for i := range 40 {
		q := w.query()
		metric := []string{"pm25", "temp"}[w.r.IntN(2)]
		got, err := w.s.Latest(ctx, q, metric)
		if err != nil {
			t.Fatal(err)
		}
		var want []Latest
		for _, id := range w.o.query(q) {
			if ob, ok := w.o.latest(id, metric, q.At); ok {
				want = append(want, Latest{ID: id, Point: series.Point{T: ob.T, V: ob.V}})
			}
		}
		if !slices.Equal(got, want) {
			t.Fatalf("latest %d:\n got %v\nwant %v", i, got, want)
		}
	}
	for id, byMetric := range w.o.obs {
		for metric, obs := range byMetric {
			latest := map[int64]float64{}
			for _, ob := range obs {
				latest[ob.T] = ob.V
			}
			var want []series.Point
			for ts, v := range latest {
				want = append(want, series.Point{T: ts, V: v})
			}
			sort.Slice(want, func(i, j int) bool { return want[i].T < want[j].T })
			got, err := w.s.Range(id, metric, math.MinInt64, math.MaxInt64)
			if err != nil || !slices.Equal(got, want) {
				t.Fatalf("range %s %s: %v (%v), want %v", id, metric, got, err, want)
			}
			n := 1 + w.r.IntN(5)
			last, err := w.s.LastN(id, metric, n, 0)
			if err != nil || !slices.Equal(last, want[max(0, len(want)-n):]) {
				t.Fatalf("last %d of %s %s: %v (%v), want %v", n, id, metric, last, err, want[max(0, len(want)-n):])
			}
		}
	}
}
