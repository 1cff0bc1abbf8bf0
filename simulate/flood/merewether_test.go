package flood

import (
	"bufio"
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"citytwin/geo/crs"
	"citytwin/geo/raster"

	"github.com/paulmach/orb"
)

// The Merewether case (Australian Rainfall and Runoff Project 15, Smith &
// Wasko 2012; the June 2007 "Pasha Bulker" flood in Newcastle, NSW) as set up
// by the ANUGA validation suite (GeoscienceAustralia/anuga_core,
// validation_tests/case_studies/merewether/runMerewether.py): a constant
// inflow of 19.7 m³/s into the cells within 10 m of (382265, 6354280), run for
// 1000 s; houses raised 3 m (house030 left out, house032 and house033 as their
// union house032_033); Manning n 0.02 on the road polygon and 0.04 elsewhere;
// the south and west edges walls, the north and east edges free outflow.
// The data files list no hydrograph: these figures are that script's.
const (
	mereInflow   = 19.7 // m³/s
	mereRadius   = 10.0 // m
	mereDuration = 1000.0
	mereHouseUp  = 3.0 // m
	mereNRoad    = 0.02
	mereNOther   = 0.04
)

var mereInflowAt = orb.Point{382265, 6354280}

// datasetDir is shared/datasets/dem in the nearest directory above the test
// that has one. Without it the test is skipped, except in CI (CI=true), where
// it fails.
func datasetDir(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err == nil {
		for {
			cand := filepath.Join(dir, "shared", "datasets", "dem")
			if _, err := os.Stat(filepath.Join(cand, "merewether_topography1.asc")); err == nil {
				return cand
			}
			parent := filepath.Dir(dir)
			if parent == dir {
				break
			}
			dir = parent
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("flood: shared/datasets/dem not found above the test directory")
	}
	t.Skip("shared/datasets/dem not found; skipping the Merewether case")
	return ""
}

// readASC is a minimal ESRI ASCII grid reader for the tests (the real reader
// lives in ingest/raster, which simulate may not import).
func readASC(path string) (*raster.Grid, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	sc.Split(bufio.ScanWords)
	hdr := map[string]float64{}
	for len(hdr) < 6 && sc.Scan() {
		key := strings.ToLower(sc.Text())
		if !sc.Scan() {
			break
		}
		v, err := strconv.ParseFloat(sc.Text(), 64)
		if err != nil {
			return nil, fmt.Errorf("header %s: %w", key, err)
		}
		hdr[key] = v
	}
	w, h, cs := int(hdr["ncols"]), int(hdr["nrows"]), hdr["cellsize"]
	g, err := raster.New(w, h, cs, cs, hdr["xllcorner"], hdr["yllcorner"]+float64(h)*cs)
	if err != nil {
		return nil, err
	}
	g.NoData, g.HasNoData, g.CRS = float32(hdr["nodata_value"]), true, "EPSG:32756"
	for k := range g.Values {
		if !sc.Scan() {
			return nil, fmt.Errorf("%d values, want %d", k, w*h)
		}
		v, err := strconv.ParseFloat(sc.Text(), 32)
		if err != nil {
			return nil, err
		}
		g.Values[k] = float32(v)
	}
	return g, nil
}

func readCSV(path string) ([][]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var rows [][]string
	for i, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if i == 0 {
			continue
		}
		f := strings.Split(line, ",")
		for j := range f {
			f[j] = strings.TrimSpace(f[j])
		}
		rows = append(rows, f)
	}
	return rows, nil
}

func readHouses(path string) ([]Building, error) {
	rows, err := readCSV(path)
	if err != nil {
		return nil, err
	}
	var out []Building
	for _, r := range rows {
		x, err1 := strconv.ParseFloat(r[2], 64)
		y, err2 := strconv.ParseFloat(r[3], 64)
		if err1 != nil || err2 != nil {
			return nil, fmt.Errorf("house row %v", r)
		}
		if len(out) == 0 || out[len(out)-1].ID != r[0] {
			out = append(out, Building{ID: r[0], Footprint: orb.Polygon{{}}})
		}
		b := &out[len(out)-1]
		b.Footprint[0] = append(b.Footprint[0], orb.Point{x, y})
	}
	for i := range out {
		ring := out[i].Footprint[0]
		out[i].Footprint[0] = append(ring, ring[0])
	}
	return out, nil
}

// observation is a surveyed peak flood level of the event.
type observation struct {
	ID    string
	At    orb.Point
	Stage float64 // m AHD, ARR Report Final
	TUF   float64 // TUFLOW's peak in the ARR report
}

func readObservations(path string) ([]observation, error) {
	rows, err := readCSV(path)
	if err != nil {
		return nil, err
	}
	var out []observation
	for _, r := range rows {
		var v [6]float64
		for j := range v {
			if j == 2 {
				continue
			}
			if v[j], err = strconv.ParseFloat(r[j], 64); err != nil {
				return nil, err
			}
		}
		out = append(out, observation{ID: r[2], At: orb.Point{v[0], v[1]}, Stage: v[4], TUF: v[5]})
	}
	return out, nil
}

// merewetherConfig is the case's configuration.
func merewetherConfig(t testing.TB) (Config, []observation) {
	t.Helper()
	dir := datasetDir(t)
	dem, err := readASC(filepath.Join(dir, "merewether_topography1.asc"))
	if err != nil {
		t.Fatal(err)
	}
	houses, err := readHouses(filepath.Join(dir, "merewether_houses.csv"))
	if err != nil {
		t.Fatal(err)
	}
	obs, err := readObservations(filepath.Join(dir, "merewether_observation_points.csv"))
	if err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig()
	cfg.DEM = dem
	for _, h := range houses {
		switch h.ID {
		case "house030", "house032", "house033":
			continue
		}
		h.Height = mereHouseUp
		cfg.Buildings = append(cfg.Buildings, h)
	}
	ng, err := raster.New(dem.Width, dem.Height, dem.CellX, dem.CellY, dem.OriginX, dem.OriginY)
	if err != nil {
		t.Fatal(err)
	}
	for i := range ng.Values {
		ng.Values[i] = mereNOther
	}
	for _, k := range PolygonCells(dem, merewetherRoad()) {
		ng.Values[k] = mereNRoad
	}
	cfg.ManningGrid = ng
	cfg.Manning = mereNOther
	cfg.Inflows = []Inflow{{ID: "creek", At: mereInflowAt, Radius: mereRadius, Discharge: Constant(mereInflow)}}
	cfg.Edges = Edges{North: Edge{Kind: Free}, East: Edge{Kind: Free}, South: Edge{Kind: Closed}, West: Edge{Kind: Closed}}
	cfg.Interval = 5
	for _, o := range obs {
		cfg.Gauges = append(cfg.Gauges, Gauge{ID: o.ID, At: o.At})
	}
	return cfg, obs
}

func TestMerewether(t *testing.T) {
	if testing.Short() {
		t.Skip("full event in -short")
	}
	cfg, obs := merewetherConfig(t)
	m, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if raceEnabled {
		// The race detector needs only a few steps over every code path.
		if err := m.Run(context.Background(), 20, nil); err != nil {
			t.Fatal(err)
		}
		if e := m.Balance().RelativeError(); math.Abs(e) > 1e-12 {
			t.Errorf("mass balance relative error %.1e", e)
		}
		t.Skip("full event without -race only")
	}
	if err := m.Run(context.Background(), mereDuration, nil); err != nil {
		t.Fatal(err)
	}
	var se, seTUF float64
	for i, g := range m.Gauges() {
		o := obs[i]
		e := g.PeakStage - o.Stage
		se += e * e
		seTUF += (o.TUF - o.Stage) * (o.TUF - o.Stage)
		end := g.Samples[len(g.Samples)-1]
		t.Logf("point %s: simulated peak %.2f m AHD (depth %.2f m at %.0f s), observed %.2f, error %+.2f m (TUFLOW %+.2f m); at %.0f s %+.2f m",
			o.ID, g.PeakStage, g.PeakDepth, g.PeakTime, o.Stage, e, o.TUF-o.Stage, end.Time, end.Stage-o.Stage)
	}
	rmse := math.Sqrt(se / float64(len(obs)))
	t.Logf("RMSE %.3f m over %d points (TUFLOW in the ARR report: %.3f m); %d steps",
		rmse, len(obs), math.Sqrt(seTUF/float64(len(obs))), m.Steps())
	// Tolerance: the TUFLOW model of the ARR Project 15 report, given in the
	// same file, errs by 0.148 m RMSE (up to 0.24 m at one point), and at
	// point 2 the DEM's ground (23.58 m) is already 0.22 m above the observed
	// peak, so any model on this grid errs there by more than 0.22 m. A
	// 1 m-cell model within 0.20 m RMSE, and 0.40 m at each point, is as good
	// as the published ones; the run is deterministic, so this cannot flake.
	if rmse > 0.20 {
		t.Errorf("RMSE %.3f m, want ≤ 0.20 m", rmse)
	}
	for i, g := range m.Gauges() {
		if e := math.Abs(g.PeakStage - obs[i].Stage); e > 0.40 {
			t.Errorf("point %s: error %.2f m, want ≤ 0.40 m", obs[i].ID, e)
		}
	}
	b := m.Balance()
	t.Logf("balance: inflow %.1f m³, out %.1f m³, stored %.1f m³, relative error %.1e", b.Inflow, b.BoundaryOut, b.Stored, b.RelativeError())
	if e := math.Abs(b.RelativeError()); e > 1e-12 {
		t.Errorf("mass balance relative error %.1e", e)
	}
}

// TestMerewetherLonLat finds the observation points' cells from WGS84
// lon/lat, as a caller holding twin coordinates would.
func TestMerewetherLonLat(t *testing.T) {
	cfg, obs := merewetherConfig(t)
	cfg.Inflows = nil
	m, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := crs.For(cfg.DEM.CRS)
	if err != nil {
		t.Skipf("no PROJ: %v", err)
	}
	for _, o := range obs {
		ll, err := tr.ToLonLat(o.At)
		if err != nil {
			t.Fatal(err)
		}
		if ll[0] < 151.7 || ll[0] > 151.8 || ll[1] < -33 || ll[1] > -32.9 {
			t.Fatalf("point %s at %v is not in Merewether", o.ID, ll)
		}
		got, err := m.CellAtLonLat(ll)
		if err != nil {
			t.Fatal(err)
		}
		if want, _ := m.CellAt(o.At); got != want {
			t.Errorf("point %s: cell %v from lon/lat, %v from UTM", o.ID, got, want)
		}
	}
	if _, err := m.CellAtLonLat(orb.Point{0, 0}); err == nil {
		t.Error("CellAtLonLat(0, 0) found a cell in Merewether")
	}
}
