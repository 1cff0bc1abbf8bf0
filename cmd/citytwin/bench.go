package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"time"

	"citytwin/datasets"
	"citytwin/twin"
	"citytwin/twin/series"

	"github.com/paulmach/orb"
)

const benchHelp = `Usage: citytwin bench [--quick] [--json]
       citytwin bench ingest [--quick] [--json]   (durable ingest: see its --help)

Measures the engine on a synthetic metropolis, the way docs/benchmarks.md reports
it: it generates the city (1M buildings, 100k sensors, 50k vehicles), loads 1M
point entities with two properties (address points at the buildings) and 200k
building polygons, then times position updates, observation appends, k-nearest,
bbox and district polygon queries, an H3 aggregate over all points, and the heap
held per point. --quick does the same on a city ten times smaller.

Each latency is the median (and 99th percentile) of many single calls on one
goroutine; throughputs are whole batches through Store.Apply. Run it on an idle
machine: other work on the cores shows up in every figure.
`

// benchFigure is one measured figure and the target it is held against.
type benchFigure struct {
	Name   string  `json:"name"`
	Value  float64 `json:"value"`
	Unit   string  `json:"unit"`
	Target float64 `json:"target"`
	// Higher is true when a bigger value is better.
	Higher bool   `json:"higher_is_better"`
	Note   string `json:"note,omitempty"`
}

func (f benchFigure) met() bool {
	if f.Higher {
		return f.Value >= f.Target
	}
	return f.Value <= f.Target
}

func benchCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "ingest" {
		return benchIngestCmd(ctx, args[1:], stdout, stderr)
	}
	if len(args) > 0 && args[0] == "tsbs" {
		return benchTSBSCmd(ctx, args[1:], stdout, stderr)
	}
	fs := newFlags("bench", benchHelp, stderr)
	quick := fs.Bool("quick", false, "a city ten times smaller: a quick look, not the figures of record (only the generation target scales with the city)")
	asJSON := fs.Bool("json", false, "print the figures as JSON")
	seed := fs.Uint64("seed", 1, "seed of the city")
	only := fs.String("only", "", "measure only these steps, comma-separated (moves, observations, nearest, bbox, district, aggregate); the city is always generated and loaded")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the measurements to this file")
	if err := parse(fs, args); err != nil {
		return err
	}
	stop, err := startCPUProfile(*cpuProfile)
	if err != nil {
		return err
	}
	defer stop()
	scale := 1
	if *quick {
		scale = 10
	}
	b := &bencher{ctx: ctx, log: stderr, r: rand.New(rand.NewPCG(*seed, 99)), scale: scale, only: *only}
	if err := b.run(*seed); err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(b.figures)
	}
	printFigures(stdout, b.figures)
	return nil
}

// startCPUProfile writes a CPU profile to path until stop is called; an empty
// path profiles nothing.
func startCPUProfile(path string) (stop func(), err error) {
	if path == "" {
		return func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}

func human(v float64) string {
	switch {
	case v >= 1e6:
		return strconv.FormatFloat(v/1e6, 'f', 2, 64) + "M"
	case v >= 1e4:
		return strconv.FormatFloat(v/1e3, 'f', 1, 64) + "k"
	case v >= 100:
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
	return strconv.FormatFloat(v, 'f', 2, 64)
}

type bencher struct {
	ctx     context.Context
	log     io.Writer
	r       *rand.Rand
	scale   int
	only    string
	figures []benchFigure
	store   *twin.Store
	city    *datasets.City
	points  []orb.Point // where people ask from: the address points
}

func (b *bencher) add(f benchFigure) {
	b.figures = append(b.figures, f)
	fmt.Fprintf(b.log, "bench: %-44s %12s %s\n", f.Name, human(f.Value), f.Unit)
}

func (b *bencher) run(seed uint64) error {
	cfg := datasets.Metropolis()
	cfg.Seed = seed
	cfg.Buildings /= b.scale
	cfg.Sensors /= b.scale
	cfg.Vehicles /= b.scale
	cfg.Buses /= b.scale
	cfg.Routes = max(1, cfg.Routes/b.scale)
	start := time.Now()
	city, err := datasets.Generate(b.ctx, cfg, nil)
	if err != nil {
		return err
	}
	b.city = city
	b.add(benchFigure{Name: "generate the metropolis", Value: time.Since(start).Seconds(), Unit: "s", Target: 30.0 / float64(b.scale),
		Note: fmt.Sprintf("%d buildings, %d sensors, %d vehicles", len(city.Buildings), len(city.Sensors), len(city.Vehicles))})
	steps := []struct {
		name string
		run  func() error
	}{{"load", b.load}, {"moves", b.moves}, {"observations", b.observations}, {"nearest", b.nearest}, {"bbox", b.bbox}, {"district", b.district}, {"aggregate", b.aggregate}}
	for _, step := range steps {
		if err := b.ctx.Err(); err != nil {
			return err
		}
		if step.name != "load" && !slices.ContainsFunc(strings.Split(b.only, ","), func(o string) bool { return strings.Contains(step.name, o) }) {
			continue
		}
		runtime.GC() // each figure starts without the garbage of the last
		if err := step.run(); err != nil {
			return err
		}
	}
	return nil
}

// load builds the store: address points (measuring their heap), then buildings,
// sensors and vehicles.
func (b *bencher) load() error {
	tc := twin.DefaultConfig()
	tc.RefLat = b.city.Config.Center[1]
	store, err := twin.New(tc)
	if err != nil {
		return err
	}
	b.store = store
	uses := []string{"home", "office", "shop", "school"}
	n := len(b.city.Buildings)
	b.points = make([]orb.Point, n)
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	ops := make([]twin.Op, 0, 10000)
	flush := func() error {
		_, err := store.Apply(ops...)
		ops = ops[:0]
		return err
	}
	for i, bl := range b.city.Buildings {
		b.points[i] = bl.Inside
		e := &twin.Entity{ID: twin.ID("synth:address/" + strconv.Itoa(i)), Kind: "address", Geometry: bl.Inside,
			Props: twin.Properties{{Key: "floor_area", Value: twin.NumberValue(math.Round(bl.Area * float64(max(1, bl.Levels))))}, {Key: "use", Value: twin.StringValue(uses[i%len(uses)])}}}
		if ops = append(ops, twin.Op{Type: twin.OpUpsert, T: 1, Entity: e}); len(ops) == cap(ops) {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	if err := flush(); err != nil {
		return err
	}
	ops = make([]twin.Op, 0, 10000) // drop the last batch's entities before measuring
	runtime.GC()
	runtime.ReadMemStats(&after)
	b.add(benchFigure{Name: "heap per point entity with two properties", Value: float64(after.HeapAlloc-before.HeapAlloc) / float64(n), Unit: "B", Target: 250,
		Note: fmt.Sprintf("%d points, indexes included", n)})
	polygons := 0
	for i, bl := range b.city.Buildings {
		if i >= n/5 {
			break
		}
		e := &twin.Entity{ID: datasets.BuildingID(i), Kind: twin.KindBuilding, Geometry: bl.Footprint, Height: bl.Height, Levels: bl.Levels,
			Props: twin.Properties{{Key: "use", Value: twin.StringValue(bl.Use)}}}
		polygons++
		if ops = append(ops, twin.Op{Type: twin.OpUpsert, T: 1, Entity: e}); len(ops) == cap(ops) {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	for _, s := range b.city.Sensors {
		ops = append(ops, twin.Op{Type: twin.OpUpsert, T: 1, Entity: &twin.Entity{ID: s.ID, Kind: twin.KindSensor, Geometry: s.Point}})
		if len(ops) == cap(ops) {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	for _, v := range b.city.Vehicles {
		ops = append(ops, twin.Op{Type: twin.OpUpsert, T: 1, Entity: &twin.Entity{ID: v.ID, Kind: twin.KindVehicle, Geometry: v.Point}})
		if len(ops) == cap(ops) {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	if err := flush(); err != nil {
		return err
	}
	fmt.Fprintf(b.log, "bench: loaded %d entities (%d building polygons)\n", store.Len(), polygons)
	return nil
}

// moves sends batches of 10k positions, each vehicle moving about 10 m a report.
func (b *bencher) moves() error {
	vs := b.city.Vehicles
	pos := make([]orb.Point, len(vs))
	for i, v := range vs {
		pos[i] = v.Point
	}
	const batch = 10000
	total := 2_000_000 / b.scale
	ps := make([]twin.Position, batch)
	t := int64(10)
	var elapsed time.Duration
	for done := 0; done < total; done += batch {
		for j := range ps {
			k := b.r.IntN(len(vs))
			t++
			pos[k] = orb.Point{pos[k][0] + (b.r.Float64()-0.5)*2e-4, pos[k][1] + (b.r.Float64()-0.5)*1e-4}
			ps[j] = twin.Position{ID: vs[k].ID, T: t, Point: pos[k]}
		}
		start := time.Now()
		if _, err := b.store.Apply(twin.Op{Type: twin.OpMove, T: t, Positions: ps}); err != nil {
			return err
		}
		elapsed += time.Since(start)
	}
	b.add(benchFigure{Name: "position updates of moving entities, index included", Value: float64(total) / elapsed.Seconds(), Unit: "updates/s", Target: 1e6, Higher: true,
		Note: "batches of 10k"})
	return nil
}

// observations appends readings to one sensor's channel in batches of 10k.
func (b *bencher) observations() error {
	const batch = 10000
	total := 20_000_000 / b.scale
	obs := make([]twin.Observation, batch)
	id := b.city.Sensors[0].ID
	t := int64(0)
	var elapsed time.Duration
	for done := 0; done < total; done += batch {
		for i := range obs {
			t += 1e9
			obs[i] = twin.Observation{ID: id, Metric: "pm25", T: t, V: 8 + float64(i%13)*0.1}
		}
		start := time.Now()
		if _, err := b.store.Apply(twin.Op{Type: twin.OpObserve, T: t, Observations: obs}); err != nil {
			return err
		}
		elapsed += time.Since(start)
	}
	b.add(benchFigure{Name: "observation appends to a sensor's channel", Value: float64(total) / elapsed.Seconds(), Unit: "obs/s", Target: 5e6, Higher: true})
	return nil
}

// latency calls fn n times and returns the median and 99th percentile in µs.
func latency(n int, fn func() error) (p50, p99 float64, err error) {
	d := make([]time.Duration, n)
	for i := range d {
		start := time.Now()
		if err := fn(); err != nil {
			return 0, 0, err
		}
		d[i] = time.Since(start)
	}
	slices.Sort(d)
	return float64(d[n/2].Nanoseconds()) / 1e3, float64(d[n*99/100].Nanoseconds()) / 1e3, nil
}

func (b *bencher) somewhere() orb.Point { return b.points[b.r.IntN(len(b.points))] }

func (b *bencher) nearest() error {
	p50, p99, err := latency(20000, func() error {
		_, err := b.store.Nearest(b.ctx, b.somewhere(), 10, twin.Query{})
		return err
	})
	if err != nil {
		return err
	}
	b.add(benchFigure{Name: "k-nearest (k=10), median", Value: p50, Unit: "µs", Target: 10, Note: fmt.Sprintf("p99 %.0f µs", p99)})
	return nil
}

// calibrate finds the size (degrees of latitude) of a query shape that returns
// about want entities around the places people ask about.
func (b *bencher) calibrate(want float64, size float64, count func(p orb.Point, size float64) (int, error)) (float64, error) {
	for range 4 {
		total := 0
		for range 200 {
			n, err := count(b.somewhere(), size)
			if err != nil {
				return 0, err
			}
			total += n
		}
		got := float64(total) / 200
		if got == 0 {
			size *= 4
			continue
		}
		size *= math.Sqrt(want / got)
	}
	return size, nil
}

func (b *bencher) bbox() error {
	count := func(p orb.Point, size float64) (int, error) {
		return b.store.Count(b.ctx, twin.Query{BBox: []orb.Bound{datasets.BoxAround(p, size)}})
	}
	size, err := b.calibrate(100, 0.001, count)
	if err != nil {
		return err
	}
	returned := 0
	p50, p99, err := latency(20000, func() error {
		res, err := b.store.Query(b.ctx, twin.Query{BBox: []orb.Bound{datasets.BoxAround(b.somewhere(), size)}})
		returned += len(res.Entities)
		return err
	})
	if err != nil {
		return err
	}
	b.add(benchFigure{Name: "bbox query returning ~100 entities, median", Value: p50, Unit: "µs", Target: 30,
		Note: fmt.Sprintf("%.0f entities on average, p99 %.0f µs", float64(returned)/20000, p99)})
	return nil
}

func (b *bencher) district() error {
	count := func(p orb.Point, size float64) (int, error) {
		return b.store.Count(b.ctx, twin.Query{Within: datasets.District(p, size, b.r)})
	}
	size, err := b.calibrate(10000, 0.01, count)
	if err != nil {
		return err
	}
	returned := 0
	const n = 200
	p50, p99, err := latency(n, func() error {
		res, err := b.store.Query(b.ctx, twin.Query{Within: datasets.District(b.somewhere(), size, b.r)})
		returned += len(res.Entities)
		return err
	})
	if err != nil {
		return err
	}
	b.add(benchFigure{Name: "district polygon returning ~10k entities, median", Value: p50 / 1e3, Unit: "ms", Target: 5,
		Note: fmt.Sprintf("%.0f entities on average, p99 %.1f ms", float64(returned)/n, p99/1e3)})
	return nil
}

func (b *bencher) aggregate() error {
	cells := 0
	p50, p99, err := latency(30, func() error {
		res, err := b.store.AggregateCells(b.ctx, twin.Aggregate{Metric: "floor_area", Agg: series.Avg, Res: 8})
		cells = len(res)
		return err
	})
	if err != nil {
		return err
	}
	b.add(benchFigure{Name: "avg of a metric over all points per H3 cell, res 8", Value: p50 / 1e3, Unit: "ms", Target: 50,
		Note: fmt.Sprintf("%d cells, p99 %.0f ms", cells, p99/1e3)})
	return nil
}
