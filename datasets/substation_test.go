package datasets

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"citytwin/geo"
	"citytwin/twin"

	"github.com/paulmach/orb"
)

// nearestByBruteForce is the oracle for the substation of each building: the
// nearest to its Inside point in the city's frame, the lower index of equals.
func nearestByBruteForce(c *City) []int {
	subs := make([]orb.Point, len(c.Substations))
	for i, s := range c.Substations {
		x, y := c.Frame.ToLocal(s.Point)
		subs[i] = orb.Point{x, y}
	}
	out := make([]int, len(c.Buildings))
	for j, b := range c.Buildings {
		x, y := c.Frame.ToLocal(b.Inside)
		p := orb.Point{x, y}
		best, bestD := -1, math.Inf(1)
		for i, s := range subs {
			if d := dist2(p, s); d < bestD {
				best, bestD = i, d
			}
		}
		out[j] = best
	}
	return out
}

// checkFed checks that every building has exactly one fed_by link, to the
// nearest substation, and that the substations' counts and ratings add up.
func checkFed(t *testing.T, c *City) {
	t.Helper()
	if len(c.Buildings) > 0 && len(c.Substations) == 0 {
		t.Fatal("buildings but no substations")
	}
	subs := map[twin.ID]twin.Entity{}
	fed := map[twin.ID]int{}
	for e := range c.Entities() {
		switch e.Kind {
		case KindSubstation:
			if _, ok := e.Geometry.(orb.Point); !ok {
				t.Fatalf("%s: geometry %T, want a point", e.ID, e.Geometry)
			}
			subs[e.ID] = e
		case twin.KindBuilding:
			var to []twin.ID
			for _, l := range e.Links {
				if l.Rel == "fed_by" {
					to = append(to, l.To)
				}
			}
			if len(to) != 1 {
				t.Fatalf("%s: fed_by %v, want exactly one", e.ID, to)
			}
			if _, ok := subs[to[0]]; !ok {
				t.Fatalf("%s: fed_by %s, which is not a substation of the city", e.ID, to[0])
			}
			fed[to[0]]++
		}
	}
	want := nearestByBruteForce(c)
	for j, b := range c.Buildings {
		if b.Substation != want[j] {
			t.Fatalf("building %d is fed by substation %d; the nearest is %d", j, b.Substation, want[j])
		}
	}
	total := 0
	for i, s := range c.Substations {
		e := subs[SubstationID(i)]
		n, _, _ := e.Props.Float("buildings")
		if s.Buildings == 0 || int(n) != s.Buildings || fed[e.ID] != s.Buildings {
			t.Errorf("%s: feeds %d buildings, says %d (%v)", e.ID, fed[e.ID], s.Buildings, n)
		}
		if name, _, _ := e.Props.Text("name"); name != s.Name || s.Name == "" {
			t.Errorf("%s: name %q", e.ID, name)
		}
		if s.PeakMW <= 0 || s.CapacityMVA < s.PeakMW/powerFactor || s.VoltageKV != 20 && s.VoltageKV != 110 {
			t.Errorf("%s: peak %v MW, capacity %v MVA, %v kV", e.ID, s.PeakMW, s.CapacityMVA, s.VoltageKV)
		}
		total += s.Buildings
	}
	if total != len(c.Buildings) {
		t.Errorf("substations feed %d buildings, the city has %d", total, len(c.Buildings))
	}
}

func TestSubstationsFeedTheNearest(t *testing.T) {
	c := demo(t)
	checkFed(t, c)
	// One to a district, less the districts at the ragged edge that have too
	// few buildings of their own.
	if n := len(c.Substations); n < 10 || n > 30 {
		t.Errorf("%d substations for %d buildings", n, len(c.Buildings))
	}
	t.Logf("%d substations, %d to %d buildings each", len(c.Substations),
		slices.MinFunc(c.Substations, bySize).Buildings, slices.MaxFunc(c.Substations, bySize).Buildings)
}

func bySize(a, b Substation) int { return a.Buildings - b.Buildings }

func TestSubstationsOfSmallCities(t *testing.T) {
	for _, tc := range []struct {
		buildings, least, most int
	}{
		{0, 0, 0},
		{1, 1, 1},
		{10, 1, 1}, // no district has enough of its own: one for the town
		{600, 4, 15},
	} {
		cfg := Demo()
		cfg.Buildings, cfg.Sensors, cfg.Vehicles, cfg.Buses, cfg.Routes = tc.buildings, 0, 0, 0, 0
		c, err := Generate(context.Background(), cfg, nil)
		if err != nil {
			t.Fatal(err)
		}
		if n := len(c.Substations); n < tc.least || n > tc.most {
			t.Errorf("%d buildings: %d substations, want %d to %d", tc.buildings, n, tc.least, tc.most)
		}
		checkFed(t, c)
	}
}

// A big district gets a substation for every 3,000 buildings or so.
func TestSubstationsOfABigCity(t *testing.T) {
	if testing.Short() {
		t.Skip("generates 60k buildings")
	}
	cfg := Demo()
	cfg.Buildings, cfg.Sensors, cfg.Vehicles, cfg.Buses, cfg.Routes = 60_000, 0, 0, 0, 0
	c, err := Generate(context.Background(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	checkFed(t, c)
	if n := len(c.Substations); n < cfg.Buildings/4500 || n > cfg.Buildings/500 {
		t.Errorf("%d substations for %d buildings", n, cfg.Buildings)
	}
	least, most := slices.MinFunc(c.Substations, bySize).Buildings, slices.MaxFunc(c.Substations, bySize).Buildings
	if most > 2*buildingsPerSubstation {
		t.Errorf("a substation feeds %d buildings", most)
	}
	t.Logf("%d substations, %d to %d buildings each", len(c.Substations), least, most)
}

// Substations stand on open ground: in no building, and off the carriageway
// of every road.
func TestSubstationsClear(t *testing.T) {
	c := demo(t)
	if !geo.Intersects(c.Buildings[0].Inside, c.Buildings[0].Footprint) {
		t.Fatal("the check misses a point inside a building")
	}
	for i, s := range c.Substations {
		for j, b := range c.Buildings {
			if geo.Intersects(s.Point, b.Footprint) {
				t.Fatalf("substation %d stands in building %d", i, j)
			}
		}
		x, y := c.Frame.ToLocal(s.Point)
		p := orb.Point{x, y}
		for j, r := range c.Roads {
			line := local(c.Frame, r.Line)
			for k := 1; k < len(line); k++ {
				if gap := pointSegDist(p, line[k-1], line[k]); gap < r.Class.halfWidth() {
					t.Fatalf("substation %d is %.1f m from the centre of road %d (%s), on its carriageway", i, gap, j, r.Class)
				}
			}
		}
	}
}

// The same seed gives the same substations on any number of workers; another
// seed gives others.
func TestSubstationsDeterministic(t *testing.T) {
	gen := func(seed uint64, workers int) *City {
		cfg := Demo()
		cfg.Buildings, cfg.Sensors, cfg.Vehicles, cfg.Buses, cfg.Routes = 5000, 0, 0, 0, 0
		cfg.Seed, cfg.Workers = seed, workers
		c, err := Generate(context.Background(), cfg, nil)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	feeds := func(c *City) []int {
		out := make([]int, len(c.Buildings))
		for i, b := range c.Buildings {
			out[i] = b.Substation
		}
		return out
	}
	a, b := gen(1, 1), gen(1, 3)
	if !slices.Equal(a.Substations, b.Substations) || !slices.Equal(feeds(a), feeds(b)) {
		t.Error("seed 1 on 1 and 3 workers: the substations differ")
	}
	if o := gen(2, 0); slices.Equal(a.Substations, o.Substations) {
		t.Error("seeds 1 and 2 give the same substations")
	}
}

// The grid's nearest point is the brute-force nearest, ties to the lower
// index, for clustered, repeated and collinear points and for queries far
// outside them.
func TestSiteGridNearest(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for n, mk := range map[string]func() []orb.Point{
		"one": func() []orb.Point { return []orb.Point{{5, 5}} },
		"uniform": func() []orb.Point {
			pts := make([]orb.Point, 300)
			for i := range pts {
				pts[i] = orb.Point{between(r, -5000, 5000), between(r, -5000, 5000)}
			}
			return pts
		},
		"clustered and repeated": func() []orb.Point {
			var pts []orb.Point
			for range 20 {
				c := orb.Point{between(r, -20000, 20000), between(r, -20000, 20000)}
				for range 10 {
					p := orb.Point{c[0] + between(r, -300, 300), c[1] + between(r, -300, 300)}
					pts = append(pts, p, p)
				}
			}
			return pts
		},
		"collinear": func() []orb.Point {
			pts := make([]orb.Point, 50)
			for i := range pts {
				pts[i] = orb.Point{float64(i) * 400, 1000}
			}
			return pts
		},
	} {
		t.Run(n, func(t *testing.T) {
			pts := mk()
			g := newSiteGrid(pts)
			for q := range 5000 {
				p := orb.Point{between(r, -30000, 30000), between(r, -30000, 30000)}
				if q%5 == 0 { // exactly between two points: a tie
					a, b := pts[r.IntN(len(pts))], pts[r.IntN(len(pts))]
					p = orb.Point{(a[0] + b[0]) / 2, (a[1] + b[1]) / 2}
				}
				want, wantD := -1, math.Inf(1)
				for i, s := range pts {
					if d := dist2(p, s); d < wantD {
						want, wantD = i, d
					}
				}
				if got := g.nearest(p); got != want {
					t.Fatalf("nearest to %v: %d at %v, want %d at %v", p, got, dist2(p, pts[got]), want, wantD)
				}
			}
		})
	}
}

func benchmarkNearest(b *testing.B, nearest func(pts []orb.Point) func(orb.Point) int) {
	r := rand.New(rand.NewPCG(1, 2))
	// The metropolis: some 450 substations over a disc 43 km across.
	pts := make([]orb.Point, 450)
	for i := range pts {
		pts[i] = orb.Point{between(r, -21000, 21000), between(r, -21000, 21000)}
	}
	qs := make([]orb.Point, 4096)
	for i := range qs {
		qs[i] = orb.Point{between(r, -21000, 21000), between(r, -21000, 21000)}
	}
	f := nearest(pts)
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		f(qs[n%len(qs)])
		n++
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "buildings/s")
}

func BenchmarkNearestSubstationGrid(b *testing.B) {
	benchmarkNearest(b, func(pts []orb.Point) func(orb.Point) int { return newSiteGrid(pts).nearest })
}

// BenchmarkNearestSubstationBruteForce is the naive baseline.
func BenchmarkNearestSubstationBruteForce(b *testing.B) {
	benchmarkNearest(b, func(pts []orb.Point) func(orb.Point) int {
		return func(p orb.Point) int {
			best, bestD := -1, math.Inf(1)
			for i, s := range pts {
				if d := dist2(p, s); d < bestD {
					best, bestD = i, d
				}
			}
			return best
		}
	})
}
