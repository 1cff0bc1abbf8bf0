package simulate_test

import (
	"encoding/csv"
	"math"
	"os"
	"strconv"
	"testing"

	"citytwin/datasets/sharedtest"
	"citytwin/geo/crs"
	"citytwin/geo/raster"
	ingestraster "citytwin/ingest/raster"
	"citytwin/simulate"
	"citytwin/twin"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
)

func loadGrid(path string) (*raster.Grid, error) { return ingestraster.ReadFile(path) }

// merewether is a twin of the Merewether benchmark block: its elevation model
// (an entity pointing at the grid file) and its 60 houses.
func merewether(t testing.TB) *twin.Store {
	t.Helper()
	dem := sharedtest.File(t, "datasets/dem/merewether_topography1.asc")
	tr, err := crs.For("EPSG:32756")
	if err != nil {
		t.Fatal(err)
	}
	toLL := func(p orb.Point) orb.Point {
		q, err := tr.ToLonLat(p)
		if err != nil {
			t.Fatal(err)
		}
		return q
	}
	g, err := ingestraster.ReadFile(dem)
	if err != nil {
		t.Fatal(err)
	}
	b := g.Bounds()
	outline := orb.Ring{toLL(b.Min), toLL(orb.Point{b.Max[0], b.Min[1]}), toLL(b.Max), toLL(orb.Point{b.Min[0], b.Max[1]}), toLL(b.Min)}
	ops := []twin.Op{{Type: twin.OpUpsert, Entity: &twin.Entity{ID: "raster:merewether", Kind: "elevation_model", Geometry: orb.Polygon{outline},
		Props: twin.Properties{{Key: "crs", Value: twin.StringValue("EPSG:32756")}, {Key: "file", Value: twin.StringValue(dem)}}}}}
	f, err := os.Open(sharedtest.File(t, "datasets/dem/merewether_houses.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	houses := map[string]orb.Ring{}
	var order []string
	for _, r := range rows[1:] {
		x, _ := strconv.ParseFloat(r[2], 64)
		y, _ := strconv.ParseFloat(r[3], 64)
		if _, ok := houses[r[0]]; !ok {
			order = append(order, r[0])
		}
		houses[r[0]] = append(houses[r[0]], toLL(orb.Point{x, y}))
	}
	for _, h := range order {
		ring := append(houses[h], houses[h][0])
		if ringArea(ring) == 0 {
			continue
		}
		if ringArea(ring) < 0 {
			for i, j := 0, len(ring)-1; i < j; i, j = i+1, j-1 {
				ring[i], ring[j] = ring[j], ring[i]
			}
		}
		ops = append(ops, twin.Op{Type: twin.OpUpsert, Entity: &twin.Entity{ID: twin.ID("merewether:" + h), Kind: twin.KindBuilding, Geometry: orb.Polygon{ring}, Height: 5}})
	}
	tc := twin.DefaultConfig()
	tc.Retention = 0
	store, err := twin.New(tc)
	if err != nil {
		t.Fatal(err)
	}
	for _, op := range ops {
		op.T = cityNow.Add(-1e9).UnixNano()
		if _, err := store.Apply(op); err != nil {
			t.Fatal(err)
		}
	}
	return store
}

func ringArea(r orb.Ring) float64 {
	a := 0.0
	for i := 1; i < len(r); i++ {
		a += r[i-1][0]*r[i][1] - r[i][0]*r[i-1][1]
	}
	return a / 2
}

// A cloudburst over the Merewether block floods houses that the dry baseline
// leaves dry, conserves the water it was given, and says when each house
// flooded.
func TestFloodScenario(t *testing.T) {
	store := merewether(t)
	m := newManager(t, store, "")
	// Thirteen minutes of a 200 mm/h cloudburst over the whole block; under
	// the race detector, which slows the model tenfold, five minutes over the
	// middle of it (the spec's bbox crops the elevation model).
	horizon := 900.0
	spec := simulate.Spec{Name: "cloudburst", Model: simulate.ModelFlood, Step: 10, Seed: 1}
	if raceEnabled {
		horizon = 420
		tr, _ := crs.For("EPSG:32756")
		lo, _ := tr.ToLonLat(orb.Point{382380, 6354380})
		hi, _ := tr.ToLonLat(orb.Point{382500, 6354560})
		spec.BBox = []float64{lo[0], lo[1], hi[0], hi[1]}
	}
	spec.Horizon = horizon
	spec.Interventions = []simulate.Intervention{{Type: simulate.Rain, MMPerH: 200, From: 60, To: horizon - 60}}
	_, res := run(t, m, spec)
	flooded := kpi(t, res, "buildings_flooded")
	if flooded.Baseline != 0 || flooded.Scenario < 1 {
		t.Fatalf("buildings flooded: %+v", flooded)
	}
	rain := kpi(t, res, "rain_volume")
	if rain.Baseline != 0 || rain.Scenario <= 0 {
		t.Fatalf("rain volume %+v", rain)
	}
	if e := kpi(t, res, "mass_balance_error"); math.Abs(e.Scenario) > 1e-6*rain.Scenario {
		t.Fatalf("water lost or made: %+v of %v m³ of rain", e, rain.Scenario)
	}
	n := 0
	for _, e := range res.Entities {
		if e.Flooded != nil {
			n++
			if *e.Flooded < 60 {
				t.Fatalf("%s flooded at %v s, before the rain began", e.ID, *e.Flooded)
			}
		}
	}
	if float64(n) < flooded.Scenario {
		t.Fatalf("%d houses have a flood time, %v are flooded", n, flooded.Scenario)
	}
	cells, ok := res.Cells("depth", 12)
	if !ok || len(cells) == 0 {
		t.Fatal("no depth field")
	}
	t.Logf("%v of %d houses flooded; %v m³ of rain; deepest %v m; %d H3 cells wet", flooded.Scenario, len(res.Entities), rain.Scenario, kpi(t, res, "max_depth").Scenario, len(cells))
}

// Rain over part of the block falls only there.
func TestFloodRainArea(t *testing.T) {
	store := merewether(t)
	m := newManager(t, store, "")
	tr, _ := crs.For("EPSG:32756")
	corner := func(x, y float64) orb.Point { p, _ := tr.ToLonLat(orb.Point{x, y}); return p }
	area := orb.Polygon{{corner(382300, 6354300), corner(382400, 6354300), corner(382400, 6354400), corner(382300, 6354400), corner(382300, 6354300)}}
	spec := simulate.Spec{Model: simulate.ModelFlood, Horizon: 600, Step: 10, Seed: 1,
		Interventions: []simulate.Intervention{{Type: simulate.Rain, MMPerH: 100, Area: geojson.NewGeometry(area)}}}
	_, res := run(t, m, spec)
	rain := kpi(t, res, "rain_volume").Scenario
	// 100 m × 100 m (less the walls) at 100 mm/h for 600 s is at most 166.7 m³.
	if want := 100 * 100 * 0.1 / 6; rain <= 0.8*want || rain > want*1.0001 {
		t.Fatalf("rain volume %v m³; want about %v (the area less its walls)", rain, want)
	}
}
