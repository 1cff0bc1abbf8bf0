package twin_test

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"citytwin/datasets"
	"citytwin/twin"
	"citytwin/twin/series"

	"github.com/paulmach/orb"
)

// The benchmark city: 1M point entities with two properties and 200k building
// polygons over a 40 × 40 km metropolis, half of the points clustered in districts.
const (
	benchPoints    = 1_000_000
	benchBuildings = 200_000
	benchMovers    = 50_000
)

var benchCenter = orb.Point{24.94, 60.17}

var (
	benchOnce  sync.Once
	benchStore *twin.Store
)

// benchPoint draws a point of the metropolis: uniform or in one of 40 districts.
func benchPoint(r *rand.Rand) orb.Point {
	const halfLon, halfLat = 0.36, 0.18 // about 40 km × 40 km at 60° N
	if r.IntN(2) == 0 {
		return orb.Point{benchCenter[0] + (r.Float64()*2-1)*halfLon, benchCenter[1] + (r.Float64()*2-1)*halfLat}
	}
	d := r.IntN(40)
	dr := rand.New(rand.NewPCG(uint64(d), 77))
	c := orb.Point{benchCenter[0] + (dr.Float64()*2-1)*halfLon, benchCenter[1] + (dr.Float64()*2-1)*halfLat}
	return orb.Point{c[0] + r.NormFloat64()*0.01, c[1] + r.NormFloat64()*0.005}
}

func benchPointEntity(i int, r *rand.Rand) twin.Entity {
	return twin.Entity{
		ID: twin.ID(fmt.Sprintf("poi:%d", i)), Kind: twin.KindPOI, Geometry: benchPoint(r),
		Props: twin.Properties{{"floor_area", twin.NumberValue(float64(50 + r.IntN(500)))}, {"use", twin.StringValue([]string{"home", "office", "shop", "school"}[r.IntN(4)])}},
	}
}

func benchBuilding(i int, r *rand.Rand) twin.Entity {
	c := benchPoint(r)
	w, h := (10+r.Float64()*30)/111000/math.Cos(c[1]*math.Pi/180), (10+r.Float64()*30)/111000
	ring := orb.Ring{{c[0] - w, c[1] - h}, {c[0] + w, c[1] - h}, {c[0] + w, c[1] + h}, {c[0] - w, c[1] + h}, {c[0] - w, c[1] - h}}
	levels := 1 + r.IntN(12)
	return twin.Entity{ID: twin.ID(fmt.Sprintf("building:%d", i)), Kind: twin.KindBuilding, Geometry: orb.Polygon{ring},
		Levels: levels, Height: float64(levels) * 3.2, Props: twin.Properties{{"use", twin.StringValue("residential")}}}
}

// loadBench fills a store with the benchmark city; the first benchMovers points
// are vehicles.
func loadBench(tb testing.TB) *twin.Store {
	benchOnce.Do(func() {
		cfg := twin.DefaultConfig()
		cfg.RefLat = benchCenter[1]
		s, err := twin.New(cfg)
		if err != nil {
			tb.Fatal(err)
		}
		r := rand.New(rand.NewPCG(1, 2))
		ops := make([]twin.Op, 0, 10000)
		flush := func() {
			if _, err := s.Apply(ops...); err != nil {
				tb.Fatal(err)
			}
			ops = ops[:0]
		}
		for i := range benchPoints {
			e := benchPointEntity(i, r)
			if i < benchMovers {
				e.Kind, e.ID = twin.KindVehicle, twin.ID(fmt.Sprintf("vehicle:%d", i))
			}
			ops = append(ops, twin.Op{Type: twin.OpUpsert, T: 1, Entity: &e})
			if len(ops) == cap(ops) {
				flush()
			}
		}
		for i := range benchBuildings {
			e := benchBuilding(i, r)
			ops = append(ops, twin.Op{Type: twin.OpUpsert, T: 1, Entity: &e})
			if len(ops) == cap(ops) {
				flush()
			}
		}
		flush()
		// Every vehicle reports once, so that it is indexed as moving.
		var ps []twin.Position
		for i := range benchMovers {
			ps = append(ps, twin.Position{ID: twin.ID(fmt.Sprintf("vehicle:%d", i)), T: 2, Point: benchPoint(r)})
		}
		if _, err := s.Apply(twin.Op{Type: twin.OpMove, Positions: ps}); err != nil {
			tb.Fatal(err)
		}
		benchStore = s
	})
	runtime.GC() // start every benchmark without the garbage of the last
	return benchStore
}

// latencies times each call of fn and reports the median and 99th percentile.
func latencies(b *testing.B, fn func(i int)) {
	b.Helper()
	d := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		start := time.Now()
		fn(i)
		d = append(d, time.Since(start))
	}
	b.StopTimer()
	slices.Sort(d)
	b.ReportMetric(float64(d[len(d)/2].Nanoseconds())/1e3, "p50-µs")
	b.ReportMetric(float64(d[len(d)*99/100].Nanoseconds())/1e3, "p99-µs")
}

func BenchmarkMove(b *testing.B) {
	s := loadBench(b)
	r := rand.New(rand.NewPCG(3, 4))
	const batch = 10000
	ids := make([]twin.ID, benchMovers)
	pos := make([]orb.Point, benchMovers)
	for i := range ids {
		ids[i] = twin.ID(fmt.Sprintf("vehicle:%d", i))
		pos[i] = benchPoint(r)
	}
	ps := make([]twin.Position, batch)
	t := int64(1_000)
	b.ReportAllocs()
	b.ResetTimer()
	updates := 0
	for b.Loop() {
		for j := range ps {
			k := r.IntN(benchMovers)
			t++
			pos[k] = orb.Point{pos[k][0] + (r.Float64()-0.5)*2e-4, pos[k][1] + (r.Float64()-0.5)*1e-4} // ≈ 10 m
			ps[j] = twin.Position{ID: ids[k], T: t, Point: pos[k]}
		}
		if _, err := s.Apply(twin.Op{Type: twin.OpMove, T: t, Positions: ps}); err != nil {
			b.Fatal(err)
		}
		updates += batch
	}
	b.ReportMetric(float64(updates)/b.Elapsed().Seconds(), "vehicle-updates/s")
}

func BenchmarkObserve(b *testing.B) {
	s := loadBench(b)
	const batch = 10000
	obs := make([]twin.Observation, batch)
	for i := range obs {
		obs[i] = twin.Observation{ID: "poi:900000", Metric: "pm25", V: 10 + float64(i%7)}
	}
	t := int64(0)
	b.ReportAllocs()
	b.ResetTimer()
	n := 0
	for b.Loop() {
		for i := range obs {
			t += 1e9
			obs[i].T = t
		}
		if _, err := s.Apply(twin.Op{Type: twin.OpObserve, T: t, Observations: obs}); err != nil {
			b.Fatal(err)
		}
		n += batch
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "obs/s")
}

func BenchmarkNearest10(b *testing.B) {
	s := loadBench(b)
	r := rand.New(rand.NewPCG(5, 6))
	ctx := context.Background()
	latencies(b, func(int) {
		if _, err := s.Nearest(ctx, benchPoint(r), 10, twin.Query{}); err != nil {
			b.Fatal(err)
		}
	})
}

// bboxFor returns a square box around p expected to hold about n entities of the
// benchmark city at p's density: measured, then scaled.
func BenchmarkBBox100(b *testing.B) {
	s := loadBench(b)
	r := rand.New(rand.NewPCG(7, 8))
	ctx := context.Background()
	total := 0
	latencies(b, func(int) {
		p := benchPoint(r)
		res, err := s.Query(ctx, twin.Query{BBox: []orb.Bound{datasets.BoxAround(p, 0.0008)}})
		if err != nil {
			b.Fatal(err)
		}
		total += len(res.Entities)
	})
	b.ReportMetric(float64(total)/float64(b.N), "entities/query")
}

// BenchmarkBBox100Interval asks BenchmarkBBox100's question about all time: the
// past R-tree and every moving entity's track join the current indexes.
func BenchmarkBBox100Interval(b *testing.B) {
	s := loadBench(b)
	r := rand.New(rand.NewPCG(7, 8))
	ctx := context.Background()
	total := 0
	latencies(b, func(int) {
		p := benchPoint(r)
		res, err := s.Query(ctx, twin.Query{BBox: []orb.Bound{datasets.BoxAround(p, 0.0008)}, At: math.MinInt64, Until: math.MaxInt64})
		if err != nil {
			b.Fatal(err)
		}
		total += len(res.Entities)
	})
	b.ReportMetric(float64(total)/float64(b.N), "entities/query")
}

func BenchmarkDistrictPolygon(b *testing.B) {
	s := loadBench(b)
	r := rand.New(rand.NewPCG(9, 10))
	ctx := context.Background()
	total := 0
	latencies(b, func(int) {
		res, err := s.Query(ctx, twin.Query{Within: datasets.District(benchPoint(r), 0.0119, r)})
		if err != nil {
			b.Fatal(err)
		}
		total += len(res.Entities)
	})
	b.ReportMetric(float64(total)/float64(b.N), "entities/query")
}

func BenchmarkAggregateCellsRes8(b *testing.B) {
	s := loadBench(b)
	ctx := context.Background()
	latencies(b, func(int) {
		cells, err := s.AggregateCells(ctx, twin.Aggregate{Metric: "floor_area", Agg: series.Avg, Res: 8})
		if err != nil || len(cells) == 0 {
			b.Fatal(err, len(cells))
		}
	})
}

// BenchmarkMemoryPerPoint measures the heap a store holds per point entity with two
// properties (ids, state, properties, R-tree and H3 index included).
func BenchmarkMemoryPerPoint(b *testing.B) {
	const n = benchPoints
	for b.Loop() {
		r := rand.New(rand.NewPCG(11, 12))
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		s, _ := twin.New(twin.DefaultConfig())
		ops := make([]twin.Op, 0, 1000)
		for i := range n {
			e := benchPointEntity(i, r)
			ops = append(ops, twin.Op{Type: twin.OpUpsert, T: 1, Entity: &e})
			if len(ops) == cap(ops) {
				s.Apply(ops...)
				ops = ops[:0]
			}
		}
		ops = nil
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/n, "bytes/entity")
		runtime.KeepAlive(s)
	}
}
