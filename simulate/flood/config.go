package flood

import (
	"errors"
	"fmt"
	"runtime"

	"citytwin/geo/raster"

	"github.com/paulmach/orb"
)

var (
	// ErrConfig reports a configuration that cannot be run.
	ErrConfig = errors.New("flood: bad config")
	// ErrState reports a state that does not belong to the model.
	ErrState = errors.New("flood: bad state")
	// ErrOutside reports a point or cell outside the grid.
	ErrOutside = errors.New("flood: outside the grid")
)

// EdgeKind is what happens to water at an edge of the grid.
type EdgeKind int

const (
	// Closed edges are walls: no flow.
	Closed EdgeKind = iota
	// Free edges let water leave (never enter) at the larger of the local
	// water-surface slope and Config.FreeSlope.
	Free
	// FixedDepth edges hold a ghost cell beyond the edge at Edge.Depth over the
	// edge cell's ground; water flows in or out with the slope.
	FixedDepth
)

func (k EdgeKind) String() string {
	switch k {
	case Closed:
		return "closed"
	case Free:
		return "free"
	case FixedDepth:
		return "fixed-depth"
	}
	return fmt.Sprintf("EdgeKind(%d)", int(k))
}

// Edge is the boundary condition of one side of the grid.
type Edge struct {
	Kind  EdgeKind
	Depth Series // m, for FixedDepth
}

// Edges are the four sides of the grid.
type Edges struct {
	North, East, South, West Edge
}

// Building is an obstacle: the cells whose centres lie inside Footprint (in
// the DEM's CRS) are walls when Height is 0, or have their ground raised by
// Height metres.
type Building struct {
	ID        string
	Footprint orb.Polygon
	Height    float64
}

// Rain falls at Intensity (mm/h over time) on the cells whose centres lie in
// Area (DEM CRS), or on every cell when Area is nil; Mask, when set, picks the
// cells instead (len = width × height, row-major, north row first). Rain on
// walls is not applied and not counted.
type Rain struct {
	Area      orb.Polygon
	Mask      []bool
	Intensity Series
}

// Inflow pours Discharge (m³/s over time) into the cells whose centres lie
// within Radius metres of At (DEM CRS), shared equally; with Radius 0 into the
// single cell holding At. Cells, when set, lists the cells instead.
type Inflow struct {
	ID        string
	At        orb.Point
	Radius    float64
	Cells     []Cell
	Discharge Series
}

// Gauge records depth and stage at a point (DEM CRS) at every Interval.
type Gauge struct {
	ID string
	At orb.Point
}

// Cell is a grid cell: column from the west, row from the north.
type Cell struct{ Col, Row int }

// Config is everything a run needs: terrain, forcing and numerics.
type Config struct {
	// DEM is the ground elevation (m). Required.
	DEM *raster.Grid
	// Manning is the uniform roughness n (s/m^(1/3)), used where ManningGrid
	// is nil or has no value.
	Manning float64
	// ManningGrid, when set, gives n per cell; same shape as DEM.
	ManningGrid *raster.Grid
	// InitialDepth, when set, is the water depth (m) at time 0; same shape as
	// DEM. Dry otherwise.
	InitialDepth *raster.Grid

	Buildings []Building
	Rain      []Rain
	Inflows   []Inflow
	Edges     Edges
	Gauges    []Gauge

	// Gravity g (m/s²).
	Gravity float64
	// Alpha is the CFL coefficient α of Δt = α·Δx/√(g·h_max); Bates et al.
	// (2010) recommend 0.2–0.7. The model caps it at 0.95·√(Theta/2), the
	// two-dimensional linear stability limit of the θ-weighted scheme.
	Alpha float64
	// Theta is de Almeida et al.'s (2012) weighting of the face discharge
	// with its two neighbours: 1 is Bates et al. (2010) exactly; below 1 it
	// damps the checkerboard oscillations of low friction and steep, fast
	// urban flow (0.8 by default; Merewether oscillates at 1).
	Theta float64
	// MaxStep caps Δt (s), which also sets the step while all is dry.
	MaxStep float64
	// Interval (s): steps land on every multiple of it; gauges record,
	// progress is reported and runs can stop there.
	Interval float64
	// FlowDepth (m): a face carries no flow while its flow depth h_f is below
	// this, which keeps the friction term finite on a wetting front.
	FlowDepth float64
	// SpeedDepth (m): speeds are reported only where the depth is at least
	// this (velocities of films a few mm deep mean nothing).
	SpeedDepth float64
	// FreeSlope is the least water-surface slope driving outflow at a Free
	// edge.
	FreeSlope float64
	// Thresholds (m, increasing) for which the first time each cell's depth
	// reached them is recorded (see Model.FirstExceeded).
	Thresholds []float64
	// Workers is the number of goroutines updating rows; results do not
	// depend on it.
	Workers int
}

// DefaultConfig is a configuration with the numerics of Bates et al. (2010)
// (α = 0.7) and de Almeida et al.'s (2012) θ = 0.8; set DEM and forcing
// before use. Manning's n 0.035 is a generic urban mix; set it per surface
// where known (0.02 roads, 0.04 gardens in the Merewether case).
func DefaultConfig() Config {
	return Config{
		Manning:    0.035,
		Gravity:    9.80665,
		Alpha:      0.7,
		Theta:      0.8,
		MaxStep:    10,
		Interval:   1,
		FlowDepth:  1e-3,
		SpeedDepth: 0.01,
		FreeSlope:  1e-3,
		Thresholds: []float64{0.05, 0.15, 0.3},
		Workers:    runtime.GOMAXPROCS(0),
	}
}

// Validate checks that the configuration can be run.
func (c *Config) Validate() error {
	if c.DEM == nil {
		return fmt.Errorf("%w: no DEM", ErrConfig)
	}
	if err := c.DEM.Validate(); err != nil {
		return fmt.Errorf("%w: DEM: %w", ErrConfig, err)
	}
	if c.DEM.Width < 2 && c.DEM.Height < 2 {
		return fmt.Errorf("%w: DEM has one cell", ErrConfig)
	}
	for name, g := range map[string]*raster.Grid{"ManningGrid": c.ManningGrid, "InitialDepth": c.InitialDepth} {
		if g == nil {
			continue
		}
		if err := g.Validate(); err != nil {
			return fmt.Errorf("%w: %s: %w", ErrConfig, name, err)
		}
		if g.Width != c.DEM.Width || g.Height != c.DEM.Height {
			return fmt.Errorf("%w: %s is %d × %d, DEM %d × %d", ErrConfig, name, g.Width, g.Height, c.DEM.Width, c.DEM.Height)
		}
	}
	positive := []struct {
		name string
		v    float64
	}{
		{"Gravity", c.Gravity}, {"Alpha", c.Alpha}, {"MaxStep", c.MaxStep},
		{"Interval", c.Interval}, {"FlowDepth", c.FlowDepth}, {"SpeedDepth", c.SpeedDepth},
	}
	for _, p := range positive {
		if !(p.v > 0) || bad(p.v) {
			return fmt.Errorf("%w: %s = %v, want > 0", ErrConfig, p.name, p.v)
		}
	}
	if !(c.Manning >= 0) || bad(c.Manning) {
		return fmt.Errorf("%w: Manning = %v", ErrConfig, c.Manning)
	}
	if c.Alpha > 1 {
		return fmt.Errorf("%w: Alpha = %v, want <= 1", ErrConfig, c.Alpha)
	}
	if !(c.Theta >= 0 && c.Theta <= 1) {
		return fmt.Errorf("%w: Theta = %v, want in [0, 1]", ErrConfig, c.Theta)
	}
	if !(c.FreeSlope >= 0) || bad(c.FreeSlope) {
		return fmt.Errorf("%w: FreeSlope = %v", ErrConfig, c.FreeSlope)
	}
	if len(c.Thresholds) > 255 {
		return fmt.Errorf("%w: %d thresholds, at most 255", ErrConfig, len(c.Thresholds))
	}
	for i, t := range c.Thresholds {
		if !(t > 0) || bad(t) || i > 0 && !(t > c.Thresholds[i-1]) {
			return fmt.Errorf("%w: Thresholds must be positive and increasing", ErrConfig)
		}
	}
	if c.Workers < 0 {
		return fmt.Errorf("%w: Workers = %d", ErrConfig, c.Workers)
	}
	for _, e := range []struct {
		name string
		e    Edge
	}{{"North", c.Edges.North}, {"East", c.Edges.East}, {"South", c.Edges.South}, {"West", c.Edges.West}} {
		switch e.e.Kind {
		case Closed, Free:
		case FixedDepth:
			if err := e.e.Depth.Validate(true); err != nil {
				return fmt.Errorf("%s edge depth: %w", e.name, err)
			}
		default:
			return fmt.Errorf("%w: %s edge kind %v", ErrConfig, e.name, e.e.Kind)
		}
	}
	n := c.DEM.Width * c.DEM.Height
	for i, r := range c.Rain {
		if err := r.Intensity.Validate(true); err != nil {
			return fmt.Errorf("rain %d: %w", i, err)
		}
		if r.Mask != nil && len(r.Mask) != n {
			return fmt.Errorf("%w: rain %d mask has %d cells, want %d", ErrConfig, i, len(r.Mask), n)
		}
	}
	for i, f := range c.Inflows {
		if err := f.Discharge.Validate(true); err != nil {
			return fmt.Errorf("inflow %d: %w", i, err)
		}
		if !(f.Radius >= 0) || bad(f.Radius) {
			return fmt.Errorf("%w: inflow %d radius %v", ErrConfig, i, f.Radius)
		}
		for _, cell := range f.Cells {
			if !c.DEM.In(cell.Col, cell.Row) {
				return fmt.Errorf("%w: inflow %d cell %v", ErrOutside, i, cell)
			}
		}
	}
	for i, b := range c.Buildings {
		if !(b.Height >= 0) || bad(b.Height) {
			return fmt.Errorf("%w: building %d height %v", ErrConfig, i, b.Height)
		}
	}
	return nil
}
