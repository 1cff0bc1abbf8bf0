package twin_test

import (
	"context"
	"math/rand/v2"
	"slices"
	"sort"
	"sync"
	"testing"
	"time"

	"citytwin/datasets"
	"citytwin/geo"
	"citytwin/twin"
	"citytwin/twin/series"

	"github.com/paulmach/orb"
	"github.com/uber/h3-go/v4"
)

// demoCity is the synthetic demo city loaded into a store, with a few minutes of
// its live streams applied (vehicles moved, sensors read).
var demoCity = sync.OnceValues(func() (*twin.Store, error) {
	ctx := context.Background()
	city, err := datasets.Generate(ctx, datasets.Demo(), nil)
	if err != nil {
		return nil, err
	}
	cfg := twin.DefaultConfig()
	cfg.Retention = 0
	s, err := twin.New(cfg)
	if err != nil {
		return nil, err
	}
	if err := city.Load(ctx, s, nil); err != nil {
		return nil, err
	}
	sc := datasets.DefaultStreamConfig()
	stream, err := datasets.NewStream(city, sc)
	if err != nil {
		return nil, err
	}
	t := time.Date(2025, 3, 3, 7, 0, 0, 0, time.UTC)
	for range 10 {
		if _, err := s.Apply(stream.Tick(t)...); err != nil {
			return nil, err
		}
		t = t.Add(time.Minute)
	}
	return s, nil
})

func loadDemo(t *testing.T) *twin.Store {
	t.Helper()
	s, err := demoCity()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// everything is the brute-force view: every live entity, from a full scan.
func everything(t *testing.T, s *twin.Store) []twin.Entity {
	res, err := s.Query(context.Background(), twin.Query{})
	if err != nil {
		t.Fatal(err)
	}
	return res.Entities
}

func idsOf(es []twin.Entity) []twin.ID {
	out := make([]twin.ID, len(es))
	for i, e := range es {
		out[i] = e.ID
	}
	return out
}

func TestSyntheticCityQueriesMatchBruteForce(t *testing.T) {
	s := loadDemo(t)
	all := everything(t, s)
	bound := all[0].Geometry.Bound()
	for _, e := range all {
		if e.Geometry != nil {
			bound = bound.Union(e.Geometry.Bound())
		}
	}
	r := rand.New(rand.NewPCG(1, 2))
	ctx := context.Background()
	somewhere := func() orb.Point {
		return orb.Point{bound.Min[0] + r.Float64()*(bound.Max[0]-bound.Min[0]), bound.Min[1] + r.Float64()*(bound.Max[1]-bound.Min[1])}
	}
	for i := range 200 {
		c := somewhere()
		var q twin.Query
		var keep func(g orb.Geometry) bool
		switch i % 4 {
		case 0:
			b := orb.Bound{Min: c, Max: c}.Pad(0.002 * r.Float64())
			q.BBox = []orb.Bound{b}
			keep = func(g orb.Geometry) bool { return geo.Intersects(g, b) }
		case 1:
			poly := orb.Polygon{{{c[0] - 0.004, c[1] - 0.002}, {c[0] + 0.005, c[1] - 0.001}, {c[0] + 0.001, c[1] + 0.003}, {c[0] - 0.004, c[1] - 0.002}}}
			q.Within = poly
			keep = func(g orb.Geometry) bool { return geo.Within(g, poly) }
		case 2:
			rad := 50 + r.Float64()*400
			q.Near = &twin.Circle{Center: c, Radius: rad}
			keep = func(g orb.Geometry) bool { return geo.DistanceToGeometry(c, g) <= rad }
		case 3:
			cell := geo.Cell(c, 8+r.IntN(3))
			q.Cells = []h3.Cell{cell}
			keep = func(g orb.Geometry) bool {
				p := g.Bound().Center()
				if pt, ok := g.(orb.Point); ok {
					p = pt
				}
				return geo.Parent(geo.Cell(p, 15), cell.Resolution()) == cell
			}
		}
		if r.IntN(2) == 0 {
			q.Kinds = []twin.Kind{[]twin.Kind{twin.KindBuilding, twin.KindSensor, twin.KindRoad, twin.KindVehicle}[r.IntN(4)]}
		}
		var want []twin.ID
		for _, e := range all {
			if e.Geometry != nil && (len(q.Kinds) == 0 || e.Kind == q.Kinds[0]) && keep(e.Geometry) {
				want = append(want, e.ID)
			}
		}
		got, err := s.Query(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(idsOf(got.Entities), want) {
			t.Fatalf("query %d %+v:\n got %d %v\nwant %d %v", i, q, len(got.Entities), idsOf(got.Entities), len(want), want)
		}

		k := 1 + r.IntN(15)
		nn, err := s.Nearest(ctx, c, k, twin.Query{Kinds: q.Kinds})
		if err != nil {
			t.Fatal(err)
		}
		var ds []float64
		for _, e := range all {
			if e.Geometry != nil && (len(q.Kinds) == 0 || e.Kind == q.Kinds[0]) {
				ds = append(ds, geo.DistanceToGeometry(c, e.Geometry))
			}
		}
		sort.Float64s(ds)
		if len(nn) != min(k, len(ds)) {
			t.Fatalf("nearest %d: %d, want %d", i, len(nn), min(k, len(ds)))
		}
		for j, n := range nn {
			if n.Distance != ds[j] {
				t.Fatalf("nearest %d: neighbour %d at %v m, want %v m", i, j, n.Distance, ds[j])
			}
		}
	}
}

func TestSyntheticCityAggregates(t *testing.T) {
	s := loadDemo(t)
	ctx := context.Background()
	for _, metric := range []string{datasets.MetricPM25, datasets.MetricTemperature, datasets.MetricOccupancy} {
		latest, err := s.Latest(ctx, twin.Query{Kinds: []twin.Kind{twin.KindSensor}}, metric)
		if err != nil || len(latest) == 0 {
			t.Fatalf("%s: %d latest values, %v", metric, len(latest), err)
		}
		byCell := map[h3.Cell][]float64{}
		for _, l := range latest {
			e, err := s.Get(l.ID)
			if err != nil {
				t.Fatal(err)
			}
			c := geo.Parent(geo.Cell(e.Geometry.(orb.Point), 15), 7)
			byCell[c] = append(byCell[c], l.Point.V)
		}
		for _, agg := range []series.Agg{series.Count, series.Avg, series.Max, series.P95} {
			cells, err := s.AggregateCells(ctx, twin.Aggregate{Query: twin.Query{Kinds: []twin.Kind{twin.KindSensor}}, Metric: metric, Agg: agg, Res: 7})
			if err != nil {
				t.Fatal(err)
			}
			if len(cells) != len(byCell) {
				t.Fatalf("%s %v: %d cells, want %d", metric, agg, len(cells), len(byCell))
			}
			for _, cv := range cells {
				sum := series.NewSummary(true)
				for _, v := range byCell[cv.Cell] {
					sum.Add(v)
				}
				if want := sum.Value(agg); cv.Value != want && !(agg == series.Avg && abs(cv.Value-want) < 1e-9*abs(want)) {
					t.Fatalf("%s %v cell %v: %v, want %v", metric, agg, cv.Cell, cv.Value, want)
				}
			}
		}
	}
}

func abs(f float64) float64 {
	if f < 0 {
		return -f
	}
	return f
}
