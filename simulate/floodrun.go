package simulate

import (
	"fmt"
	"math"
	"sort"

	"citytwin/geo"
	"citytwin/geo/crs"
	"citytwin/geo/raster"
	"citytwin/simulate/flood"
	"citytwin/twin"

	"github.com/paulmach/orb"
)

// Depth thresholds. A building is flooded when water at its walls reaches
// floodedBuilding (a typical doorstep); a road is impassable from
// impassableRoad: Pregnolato et al. (2017, "The impact of flooding on road
// transport: a depth-disruption function", Transp. Res. D 55) find that cars
// stop at about 0.3 m of standing water.
const (
	floodedBuilding = 0.15
	impassableRoad  = 0.30
	// floodInterval is the flood model's reporting interval, seconds.
	floodInterval = 10
	// wetDepth is the least depth kept in the result's depth field.
	wetDepth = 0.01
)

// GridLoader reads an elevation grid file (the importer's readers: simulate
// does not import them, ingest is a sibling).
type GridLoader func(path string) (*raster.Grid, error)

// floodSetup is a flood model's configuration for a spec: the terrain, the
// buildings as walls, and, for the scenario, the rain and inflows.
type floodSetup struct {
	dem *raster.Grid
	tr  *crs.Transformer
}

// newFloodSetup reads the elevation model, cropped to the spec's area when
// it has one (its edges then let water leave, as the grid's own edges do).
func newFloodSetup(in *inputs, s *Spec, load GridLoader) (*floodSetup, error) {
	if load == nil {
		return nil, fmt.Errorf("%w: the server reads no elevation grids", ErrNoInputs)
	}
	dem, err := load(in.elevation.file)
	if err != nil {
		return nil, fmt.Errorf("elevation model %s: %w", in.elevation.id, err)
	}
	if dem.CRS == "" {
		dem.CRS = in.elevation.crs
	}
	tr, err := crs.For(dem.CRS)
	if err != nil {
		return nil, fmt.Errorf("elevation model %s: %w", in.elevation.id, err)
	}
	if area, ok := s.area(); ok {
		var b orb.Bound
		for i, p := range []orb.Point{area.Min, {area.Max[0], area.Min[1]}, area.Max, {area.Min[0], area.Max[1]}} {
			q, err := tr.FromLonLat(p)
			if err != nil {
				return nil, fmt.Errorf("bbox: %w", err)
			}
			if i == 0 {
				b = q.Bound()
			} else {
				b = b.Extend(q)
			}
		}
		crop, ok := dem.Crop(b)
		if !ok {
			return nil, fmt.Errorf("%w: bbox: the elevation model %s does not reach it", ErrBadSpec, in.elevation.id)
		}
		dem = crop
	}
	return &floodSetup{dem: dem, tr: tr}, nil
}

// project moves a WGS84 geometry into the DEM's CRS.
func (f *floodSetup) project(g orb.Geometry) (orb.Geometry, error) {
	var err error
	out := geo.MapPoints(g, func(p orb.Point) orb.Point {
		q, e := f.tr.FromLonLat(p)
		if e != nil && err == nil {
			err = e
		}
		return q
	})
	return out, err
}

func (f *floodSetup) config(in *inputs, s *Spec, scenario bool) (flood.Config, error) {
	cfg := flood.DefaultConfig()
	cfg.DEM = f.dem
	cfg.Interval = floodInterval
	cfg.Thresholds = make([]float64, 2)
	cfg.Thresholds[thresholdBuilding], cfg.Thresholds[thresholdRoad] = floodedBuilding, impassableRoad
	free := flood.Edge{Kind: flood.Free}
	cfg.Edges = flood.Edges{North: free, East: free, South: free, West: free}
	b := f.dem.Bounds()
	for _, bl := range in.buildings {
		g, err := f.project(bl.footprint)
		if err != nil {
			return cfg, fmt.Errorf("building %s: %w", bl.id, err)
		}
		poly := g.(orb.Polygon)
		if poly.Bound().Intersects(b) {
			cfg.Buildings = append(cfg.Buildings, flood.Building{ID: string(bl.id), Footprint: poly})
		}
	}
	if !scenario {
		return cfg, nil
	}
	for i := range s.Interventions {
		iv := &s.Interventions[i]
		from, to := iv.window(s.Horizon)
		switch iv.Type {
		case Rain:
			intensity := profileSeries(iv.MMPerH, iv.Profile, from, to)
			if iv.Area == nil {
				cfg.Rain = append(cfg.Rain, flood.Rain{Intensity: intensity})
				continue
			}
			g, err := f.project(iv.polygon())
			if err != nil {
				return cfg, fmt.Errorf("interventions[%d]: area: %w", i, err)
			}
			polys := []orb.Polygon{}
			switch p := g.(type) {
			case orb.Polygon:
				polys = append(polys, p)
			case orb.MultiPolygon:
				polys = append(polys, p...)
			}
			for _, p := range polys {
				cfg.Rain = append(cfg.Rain, flood.Rain{Area: p, Intensity: intensity})
			}
		case Inflow:
			at, err := f.tr.FromLonLat(orb.Point{iv.Point[0], iv.Point[1]})
			if err != nil {
				return cfg, fmt.Errorf("interventions[%d]: point: %w", i, err)
			}
			if _, _, ok := f.dem.Cell(at); !ok {
				return cfg, fmt.Errorf("%w: interventions[%d]: point %v is outside the elevation model", ErrBadSpec, i, iv.Point)
			}
			cfg.Inflows = append(cfg.Inflows, flood.Inflow{ID: fmt.Sprintf("inflow-%d", i), At: at,
				Discharge: profileSeries(iv.CubicMetresPerS, iv.Profile, from, to)})
		}
	}
	return cfg, nil
}

// profileSeries is a constant or a step profile (values held from each time
// to the next) as a flood series, zero outside [from, to). Steps become
// near-vertical ramps of a millisecond, as the flood series interpolates.
func profileSeries(constant float64, profile [][2]float64, from, to float64) flood.Series {
	const ramp = 1e-3
	if len(profile) == 0 {
		profile = [][2]float64{{0, constant}}
	}
	var s flood.Series
	add := func(t, v float64) {
		if n := len(s.Times); n > 0 && t <= s.Times[n-1] {
			t = s.Times[n-1] + ramp/10
		}
		s.Times = append(s.Times, t)
		s.Values = append(s.Values, v)
	}
	add(0, 0)
	for i, p := range profile {
		t0 := from + p[0]
		if t0 >= to {
			break
		}
		add(t0, valueBefore(s))
		add(t0+ramp, p[1])
		if i == len(profile)-1 || from+profile[i+1][0] >= to {
			add(to, p[1])
			add(to+ramp, 0)
		}
	}
	return s
}

func valueBefore(s flood.Series) float64 { return s.Values[len(s.Values)-1] }

// floodOutcome is what a finished flood run says of the city.
type floodOutcome struct {
	m        *flood.Model
	maxDepth *raster.Grid
	balance  flood.Balance
}

func outcomeOf(m *flood.Model) (*floodOutcome, error) {
	g, err := m.Grid(flood.MaxDepth)
	if err != nil {
		return nil, err
	}
	return &floodOutcome{m: m, maxDepth: g, balance: m.Balance()}, nil
}

// Cells of the grid that stand for an entity: the ground along a building's
// walls (within wallReach of its outer ring), the carriageway of a road
// (within roadReach of its centre line).
const (
	wallReach = 1.0
	roadReach = 3.0
)

// Threshold indexes of the flood configuration.
const (
	thresholdBuilding = 0
	thresholdRoad     = 1
)

// floodEntities are the buildings and roads on the grid, with their worst
// depth in both runs and when the scenario's water reached their threshold;
// and the roads the scenario made impassable, from when.
func floodEntities(in *inputs, f *floodSetup, base, scen *floodOutcome) ([]EntityResult, []roadClosure, error) {
	var out []EntityResult
	var closures []roadClosure
	grid := f.dem.Bounds()
	add := func(id twin.ID, kind twin.Kind, place orb.Point, line orb.LineString, reach float64, threshold int) {
		cells := flood.LineCells(f.dem, line, reach)
		if len(cells) == 0 {
			return
		}
		b, s := base.m.Exposure(cells), scen.m.Exposure(cells)
		e := EntityResult{ID: id, Kind: kind, Place: place,
			Values: []MetricPair{{Metric: "max_depth", Unit: "m", Baseline: b.MaxDepth, Scenario: s.MaxDepth}}}
		if s.Flooded(threshold) {
			at := s.First[threshold]
			e.Flooded = &at
			if kind == twin.KindRoad {
				closures = append(closures, roadClosure{road: id, from: at})
			}
		}
		out = append(out, e)
	}
	for _, bl := range in.buildings {
		g, err := f.project(bl.footprint)
		if err != nil {
			return nil, nil, err
		}
		poly := g.(orb.Polygon)
		if poly.Bound().Intersects(grid) && len(poly) > 0 {
			add(bl.id, twin.KindBuilding, bl.footprint.Bound().Center(), orb.LineString(poly[0]), wallReach, thresholdBuilding)
		}
	}
	if in.roads != nil {
		for _, r := range in.roads.Roads {
			g, err := f.project(r.Line)
			if err != nil {
				return nil, nil, err
			}
			if line := g.(orb.LineString); line.Bound().Intersects(grid) {
				add(r.ID, twin.KindRoad, midpoint(r.Line), line, roadReach, thresholdRoad)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	sort.Slice(closures, func(i, j int) bool { return closures[i].road < closures[j].road })
	return out, closures, nil
}

// floodKPIs compares the two runs.
func floodKPIs(f *floodSetup, ents []EntityResult, base, scen *floodOutcome) []KPI {
	var nb, nr [2]float64 // buildings flooded, roads impassable
	for i := range ents {
		e := &ents[i]
		v, _ := e.Value("max_depth")
		th := floodedBuilding
		if e.Kind == twin.KindRoad {
			th = impassableRoad
		}
		for k, d := range [2]float64{v.Baseline, v.Scenario} {
			if d < th {
				continue
			}
			if e.Kind == twin.KindRoad {
				nr[k]++
			} else {
				nb[k]++
			}
		}
	}
	cellArea := f.dem.CellX * f.dem.CellY
	area := func(o *floodOutcome) (wet, deepest float64) {
		for _, v := range o.maxDepth.Values {
			if v != flood.NoData && float64(v) >= floodedBuilding {
				wet += cellArea
			}
			if v != flood.NoData {
				deepest = math.Max(deepest, float64(v))
			}
		}
		return wet, deepest
	}
	bw, bmax := area(base)
	sw, smax := area(scen)
	return []KPI{
		pair("buildings_flooded", "buildings", lower, nb[0], nb[1]),
		pair("roads_impassable", "segments", lower, nr[0], nr[1]),
		pair("flooded_area", "m²", lower, bw, sw),
		pair("max_depth", "m", lower, bmax, smax),
		pair("rain_volume", "m³", neutral, base.balance.Rain, scen.balance.Rain),
		pair("inflow_volume", "m³", neutral, base.balance.Inflow, scen.balance.Inflow),
		pair("outflow_volume", "m³", neutral, base.balance.BoundaryOut, scen.balance.BoundaryOut),
		pair("mass_balance_error", "m³", neutral, base.balance.Error(), scen.balance.Error()),
	}
}

// depthField is the scenario's wet cells (max depth ≥ wetDepth) as points in
// WGS84, for H3 layers of the depth.
func depthField(f *floodSetup, base, scen *floodOutcome) ([]FieldSample, error) {
	g := scen.maxDepth
	var out []FieldSample
	for r := range g.Height {
		for c := range g.Width {
			v, ok := g.At(c, r)
			if !ok || v == flood.NoData || float64(v) < wetDepth {
				continue
			}
			p, err := f.tr.ToLonLat(g.Center(c, r))
			if err != nil {
				return nil, err
			}
			b, _ := base.maxDepth.At(c, r)
			if b == flood.NoData {
				b = 0
			}
			out = append(out, FieldSample{Place: p, Baseline: float64(b), Scenario: float64(v)})
		}
	}
	return out, nil
}
