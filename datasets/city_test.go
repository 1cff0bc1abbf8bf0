package datasets

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"math"
	"sync"
	"testing"

	"citytwin/twin"

	"github.com/paulmach/orb"
)

var (
	demoOnce sync.Once
	demoCity *City
	demoErr  error
)

// demo generates the demo city once for all tests.
func demo(t testing.TB) *City {
	t.Helper()
	demoOnce.Do(func() { demoCity, demoErr = Generate(context.Background(), Demo(), nil) })
	if demoErr != nil {
		t.Fatal(demoErr)
	}
	return demoCity
}

func TestGenerateCounts(t *testing.T) {
	c := demo(t)
	cfg := c.Config
	counts := map[twin.Kind]int{}
	for e := range c.Entities() {
		counts[e.Kind]++
	}
	want := map[twin.Kind]int{
		twin.KindBuilding: cfg.Buildings,
		twin.KindSensor:   cfg.Sensors,
		twin.KindVehicle:  cfg.Vehicles + cfg.Buses,
		twin.KindRoute:    cfg.routes(),
	}
	for k, n := range want {
		if counts[k] != n {
			t.Errorf("%s: got %d, want %d", k, counts[k], n)
		}
	}
	if counts[twin.KindRoad] < 100 || counts[twin.KindStop] < cfg.routes() {
		t.Errorf("roads %d, stops %d: too few", counts[twin.KindRoad], counts[twin.KindStop])
	}
	buses := 0
	for _, v := range c.Vehicles {
		if v.Type == "bus" {
			buses++
		}
	}
	if buses != cfg.Buses {
		t.Errorf("buses: got %d, want %d", buses, cfg.Buses)
	}
	perType := map[SensorType]int{}
	for _, s := range c.Sensors {
		perType[s.Type]++
	}
	for _, st := range SensorTypes {
		if perType[st] == 0 {
			t.Errorf("no %s sensors", st)
		}
	}
	t.Logf("counts %v, radius %.0f m, nodes %d, per sensor type %v", counts, c.Radius, len(c.Nodes), perType)
}

func TestGenerateDeterministic(t *testing.T) {
	if testing.Short() {
		t.Skip("generates several cities")
	}
	cfg := Demo()
	cfg.Buildings, cfg.Sensors = 800, 80
	digest := func(cfg CityConfig) string {
		c, err := Generate(context.Background(), cfg, nil)
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		if err := WriteGeoJSON(context.Background(), &b, c, nil); err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(b.Bytes())
		return hex.EncodeToString(sum[:])
	}
	one := cfg
	one.Workers = 1
	many := cfg
	many.Workers = 5
	a, b := digest(one), digest(many)
	if a != b {
		t.Errorf("same seed, 1 and 5 workers: digests %s and %s differ", a, b)
	}
	other := cfg
	other.Seed = 2
	if c := digest(other); c == a {
		t.Errorf("seeds 1 and 2 give the same city")
	}
}

func TestGenerateSmallAndEmpty(t *testing.T) {
	for _, cfg := range []CityConfig{
		{Center: orb.Point{-0.12, 51.5}, Buildings: 0, Sensors: 0, Vehicles: 0},
		{Center: orb.Point{151.2, -33.9}, Buildings: 10, Sensors: 3, Vehicles: 2, Buses: 1, Seed: 7},
	} {
		c, err := Generate(context.Background(), cfg, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(c.Buildings) != cfg.Buildings || len(c.Sensors) != cfg.Sensors || len(c.Vehicles) != cfg.Vehicles+cfg.Buses {
			t.Errorf("%+v: got %d buildings, %d sensors, %d vehicles", cfg, len(c.Buildings), len(c.Sensors), len(c.Vehicles))
		}
	}
}

func TestGenerateCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Generate(ctx, Demo(), nil); !errors.Is(err, context.Canceled) {
		t.Errorf("got %v, want context.Canceled", err)
	}
}

func TestGenerateProgress(t *testing.T) {
	cfg := Demo()
	cfg.Buildings = 10000
	last, calls := -1, 0
	_, err := Generate(context.Background(), cfg, func(done, total int) {
		calls++
		if done < last || done > total {
			t.Errorf("progress %d/%d after %d", done, total, last)
		}
		last = done
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := cfg.Buildings + cfg.Sensors + cfg.Vehicles + cfg.Buses; last != want || calls < 3 {
		t.Errorf("last progress %d after %d calls, want %d", last, calls, want)
	}
}

func TestConfigValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(*CityConfig)
	}{
		{"latitude", func(c *CityConfig) { c.Center[1] = 89 }},
		{"longitude", func(c *CityConfig) { c.Center[0] = math.NaN() }},
		{"buildings", func(c *CityConfig) { c.Buildings = -1 }},
		{"too many", func(c *CityConfig) { c.Buildings = MaxBuildings + 1 }},
		{"sensors", func(c *CityConfig) { c.Sensors = -3 }},
		{"routes without buses", func(c *CityConfig) { c.Buses, c.Routes = 0, 2 }},
		{"workers", func(c *CityConfig) { c.Workers = -1 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := Demo()
			tc.edit(&c)
			if err := c.Validate(); !errors.Is(err, ErrBadConfig) {
				t.Errorf("got %v, want ErrBadConfig", err)
			}
		})
	}
	for _, c := range []CityConfig{Demo(), Metropolis()} {
		if err := c.Validate(); err != nil {
			t.Errorf("%s: %v", c.Name, err)
		}
	}
}

// polygonsOf returns the polygons of a footprint.
func polygonsOf(g orb.Geometry) []orb.Polygon {
	switch g := g.(type) {
	case orb.Polygon:
		return []orb.Polygon{g}
	case orb.MultiPolygon:
		return g
	}
	return nil
}

func TestEntitiesValid(t *testing.T) {
	c := demo(t)
	ids := map[twin.ID]bool{}
	holes, multis := 0, 0
	for e := range c.Entities() {
		if err := e.Validate(); err != nil {
			t.Fatal(err)
		}
		if ids[e.ID] {
			t.Fatalf("duplicate id %s", e.ID)
		}
		ids[e.ID] = true
		if _, ok := e.Geometry.(orb.MultiPolygon); ok {
			multis++
		}
		for _, p := range polygonsOf(e.Geometry) {
			for k, r := range p {
				if len(r) < 4 || r[0] != r[len(r)-1] {
					t.Fatalf("%s ring %d: not closed or too short: %v", e.ID, k, r)
				}
				a := signedArea(r[:len(r)-1])
				if k == 0 && a <= 0 || k > 0 && a >= 0 {
					t.Fatalf("%s ring %d: area %g: want outer rings counter-clockwise, holes clockwise", e.ID, k, a)
				}
				if k > 0 {
					holes++
				}
			}
		}
		for _, l := range e.Links {
			if !ids[l.To] {
				t.Errorf("%s links to %s, which does not come before it", e.ID, l.To)
			}
		}
		if e.Kind == twin.KindBuilding {
			if e.Height <= 0 || e.Levels <= 0 {
				t.Fatalf("%s: height %v levels %d", e.ID, e.Height, e.Levels)
			}
			use, _ := e.Props.Get("use")
			if u := use.String(); u != "industrial" && u != "warehouse" {
				if per := e.Height / float64(e.Levels); per < 2.95 || per > 3.55 {
					t.Errorf("%s (%s): %.2f m per storey", e.ID, u, per)
				}
			}
		}
	}
	if holes == 0 || multis == 0 {
		t.Errorf("%d courtyards, %d multipolygons: want some of each", holes, multis)
	}
	shapes := map[string]int{}
	for _, b := range c.Buildings {
		shapes[b.Shape]++
	}
	for _, s := range []string{"rect", "l", "u", "courtyard", "tower", "parts"} {
		if shapes[s] == 0 {
			t.Errorf("no %s buildings: %v", s, shapes)
		}
	}
}

func TestRoadGraphConnected(t *testing.T) { checkConnected(t, demo(t)) }

func checkConnected(t *testing.T, c *City) {
	t.Helper()
	g := newGraph(len(c.Nodes), c.Roads)
	seen := make([]bool, len(c.Nodes))
	stack := []int{0}
	seen[0] = true
	for len(stack) > 0 {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for _, ri := range g.at(n) {
			if m := other(&c.Roads[ri], n); !seen[m] {
				seen[m] = true
				stack = append(stack, m)
			}
		}
	}
	for i, r := range c.Roads {
		if !seen[r.From] || !seen[r.To] {
			t.Fatalf("road %d (%s %s) is not connected to node 0", i, r.Class, r.Name)
		}
		if r.Line[0] != c.Nodes[r.From].Point || r.Line[len(r.Line)-1] != c.Nodes[r.To].Point {
			t.Fatalf("road %d does not run from its From node to its To node", i)
		}
		if r.From == r.To || r.Length <= 0 {
			t.Fatalf("road %d: a loop or empty: %+v", i, r)
		}
	}
	for n := range c.Nodes {
		if !seen[n] {
			t.Fatalf("node %d has no road", n)
		}
	}
	classes := map[RoadClass]int{}
	curved := 0
	for _, r := range c.Roads {
		classes[r.Class]++
		if len(r.Line) > 2 {
			curved++
		}
	}
	for _, cl := range []RoadClass{Motorway, Primary, Secondary, Residential} {
		if classes[cl] == 0 {
			t.Errorf("no %s roads: %v", cl, classes)
		}
	}
	if curved < len(c.Roads)/20 {
		t.Errorf("only %d of %d roads are curved", curved, len(c.Roads))
	}
}
