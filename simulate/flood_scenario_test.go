package simulate_test

import (
	"encoding/csv"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"citytwin/datasets"
	"citytwin/datasets/datasetstest"
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

// withTerrain adds the city's generated terrain to store as an elevation
// model entity, its grid written to a file as an import would.
func withTerrain(t testing.TB, store *twin.Store, city *datasets.City) {
	t.Helper()
	g, err := city.Terrain(10, 300)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "terrain.asc")
	if err := ingestraster.WriteASCFile(path, g); err != nil {
		t.Fatal(err)
	}
	tr, _ := crs.For(g.CRS)
	b := g.Bounds()
	var ring orb.Ring
	for _, p := range []orb.Point{b.Min, {b.Max[0], b.Min[1]}, b.Max, {b.Min[0], b.Max[1]}, b.Min} {
		q, err := tr.ToLonLat(p)
		if err != nil {
			t.Fatal(err)
		}
		ring = append(ring, q)
	}
	if _, err := store.Apply(twin.Op{Type: twin.OpUpsert, T: cityNow.Add(-time.Minute).UnixNano(), Entity: &twin.Entity{
		ID: "raster:terrain", Kind: "elevation_model", Geometry: orb.Polygon{ring},
		Props: twin.Properties{{Key: "crs", Value: twin.StringValue(g.CRS)}, {Key: "file", Value: twin.StringValue(path)}}}}); err != nil {
		t.Fatal(err)
	}
}

// A flood coupled to traffic: the rain makes roads impassable, the traffic
// run closes each from the moment its water reached 0.3 m, and no vehicle
// crosses a closed road after that.
func TestFloodClosesRoads(t *testing.T) {
	cfg := datasets.Demo()
	cfg.Buildings, cfg.Sensors, cfg.Vehicles, cfg.Buses, cfg.Routes = 600, 0, 0, 0, 0
	store, city := datasetstest.Twin(t, cfg)
	withTerrain(t, store, city)
	m := newManager(t, store, "")
	spec := simulate.Spec{Name: "storm", Model: simulate.ModelFloodTraffic, Horizon: 2400, Step: 2, Seed: 1,
		Interventions: []simulate.Intervention{{Type: simulate.Rain, MMPerH: 120, To: 1800}}}
	if raceEnabled {
		// The race detector slows the flood model a hundredfold: a shorter,
		// harder storm over the centre (the bbox crops the terrain and the
		// road network).
		c := city.Config.Center
		spec.BBox = []float64{c[0] - 0.01, c[1] - 0.005, c[0] + 0.01, c[1] + 0.005}
		spec.Horizon = 1200
		spec.Interventions[0].MMPerH, spec.Interventions[0].To = 200, 900
	}
	_, res := run(t, m, spec)
	impassable := kpi(t, res, "roads_impassable")
	if impassable.Baseline != 0 || impassable.Scenario < 1 {
		t.Fatalf("roads impassable %+v", impassable)
	}
	closed := 0
	for _, e := range res.Entities {
		if e.Kind != twin.KindRoad || e.Flooded == nil {
			continue
		}
		closed++
		flow := e.Series[0] // veh/h per 5-minute sample
		for i, end := range res.Times {
			if end-300 >= *e.Flooded+300 && flow.Scenario[i] != 0 {
				t.Fatalf("%s impassable from %.0f s carries %v veh/h in the sample ending %v s", e.ID, *e.Flooded, flow.Scenario[i], end)
			}
		}
	}
	if float64(closed) != impassable.Scenario {
		t.Fatalf("%d roads have a flood time, %v are impassable", closed, impassable.Scenario)
	}
	if tt := kpi(t, res, "mean_travel_time"); tt.Scenario <= tt.Baseline {
		t.Fatalf("closing %d flooded roads did not slow traffic: %+v", closed, tt)
	}
	t.Logf("%d roads impassable; %v buildings flooded; travel time %+v", closed, kpi(t, res, "buildings_flooded").Scenario, kpi(t, res, "mean_travel_time"))
}
