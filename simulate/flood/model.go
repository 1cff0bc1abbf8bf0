package flood

import (
	"context"
	"fmt"
	"math"
	"time"
)

// blockRows is the number of rows a worker updates at a time. It is fixed, not
// derived from the number of workers, so that partial sums (and so results)
// do not depend on the number of workers.
const blockRows = 8

// wallZ is the ground given to walls: no water surface reaches it, so every
// face next to a wall has no flow depth and carries nothing.
const wallZ = 1e9

// Model is a running flood simulation. It is not safe for concurrent use;
// Step and Run start goroutines and wait for them before they return.
type Model struct {
	cfg     Config
	ter     *terrain
	rains   []rainSource
	inflows []inflowSource
	gauges  []gaugeSource
	blocks  int

	// The evolving state; see State.
	time     float64
	tick     int64 // index of the last multiple of Interval reached
	steps    int64
	lastStep float64
	h        []float64
	qx, qy   []float64 // x faces (width+1)*height, y faces width*(height+1)
	maxDepth []float64
	tMaxD    []float64
	maxSpeed []float64
	tMaxS    []float64
	first    [][]float64 // per threshold, per cell; -1 never
	passed   []uint8     // per cell, how many thresholds it has reached
	bal      Balance
	records  [][]GaugeSample

	// Scratch.
	qxT, qyT  []float64
	fac       []float64
	blockHMax []float64
	blockClip []float64
	rainDepth []float64 // per rain, in the step
	hmax      float64
	// Wet column span of each row (lo > hi when dry), now and being built.
	wetLo, wetHi, nextLo, nextHi []int32
}

// New builds a model from a validated configuration, at time 0.
func New(cfg Config) (*Model, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg.Thresholds = append([]float64(nil), cfg.Thresholds...)
	if cfg.Workers == 0 {
		cfg.Workers = 1
	}
	t := newTerrain(&cfg)
	w, h := t.w, t.h
	m := &Model{cfg: cfg, ter: t, blocks: (h + blockRows - 1) / blockRows}
	for i := range cfg.Rain {
		r, err := newRain(&cfg, t, i, m.blocks)
		if err != nil {
			return nil, err
		}
		m.rains = append(m.rains, r)
	}
	for i := range cfg.Inflows {
		f, err := newInflow(&cfg, t, i)
		if err != nil {
			return nil, err
		}
		m.inflows = append(m.inflows, f)
	}
	for i, g := range cfg.Gauges {
		c, r, ok := cfg.DEM.Cell(g.At)
		if !ok {
			return nil, fmt.Errorf("%w: gauge %d %q at %v", ErrOutside, i, g.ID, g.At)
		}
		m.gauges = append(m.gauges, gaugeSource{id: g.ID, cell: r*w + c})
	}
	n := w * h
	m.h = make([]float64, n)
	m.qx = make([]float64, (w+1)*h)
	m.qy = make([]float64, w*(h+1))
	m.qxT = make([]float64, (w+1)*h)
	m.qyT = make([]float64, w*(h+1))
	m.fac = make([]float64, n)
	m.maxDepth = make([]float64, n)
	m.tMaxD = make([]float64, n)
	m.maxSpeed = make([]float64, n)
	m.tMaxS = make([]float64, n)
	m.passed = make([]uint8, n)
	m.first = make([][]float64, len(cfg.Thresholds))
	for i := range m.first {
		m.first[i] = make([]float64, n)
	}
	m.blockHMax = make([]float64, m.blocks)
	m.blockClip = make([]float64, m.blocks)
	m.rainDepth = make([]float64, len(m.rains))
	m.wetLo, m.wetHi = make([]int32, h), make([]int32, h)
	m.nextLo, m.nextHi = make([]int32, h), make([]int32, h)
	m.records = make([][]GaugeSample, len(m.gauges))
	if d := cfg.InitialDepth; d != nil {
		for k, v := range d.Values {
			if !t.wall[k] && !d.IsNoData(v) && v > 0 {
				m.h[k] = float64(v)
			}
		}
	}
	m.resetDerived()
	m.bal.Initial = m.Stored()
	m.record()
	return m, nil
}

// resetDerived sets the maxima and first-exceedance times from the current
// depths at time 0, and the h_max of the next step.
func (m *Model) resetDerived() {
	for k, hk := range m.h {
		m.maxDepth[k] = hk
		for i, th := range m.cfg.Thresholds {
			m.first[i][k] = -1
			if hk >= th {
				m.first[i][k] = m.time
			}
		}
	}
	m.countPassed()
	m.hmax = 0
	for _, hk := range m.h {
		m.hmax = fmax(m.hmax, hk)
	}
	m.spans()
}

// countPassed sets, per cell, how many thresholds it has reached.
func (m *Model) countPassed() {
	for k := range m.passed {
		p := 0
		for p < len(m.first) && m.first[p][k] >= 0 {
			p++
		}
		m.passed[k] = uint8(p)
	}
}

// Config is the model's configuration (shared: do not modify it).
func (m *Model) Config() Config { return m.cfg }

// Time is the simulated time in seconds since the start.
func (m *Model) Time() float64 { return m.time }

// Steps is the number of steps taken.
func (m *Model) Steps() int64 { return m.steps }

// LastStep is the length of the last step (s).
func (m *Model) LastStep() float64 { return m.lastStep }

// Size is the grid's width and height in cells.
func (m *Model) Size() (w, h int) { return m.ter.w, m.ter.h }

// Progress is what Run reports at every Interval.
type Progress struct {
	Time, Until float64 // simulated seconds
	Steps       int64
	Step        float64 // last Δt
	MaxDepth    float64 // current deepest water (m)
	Wall        time.Duration
	CellUpdates float64 // per wall-clock second since Run began
}

// Step advances the model by one adaptive time step (cut at the next multiple
// of Interval).
func (m *Model) Step(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.step(math.Inf(1))
	return nil
}

// Run steps until the simulated time reaches until (s), calling progress (when
// not nil) at every multiple of Interval. Stopping at a multiple of Interval
// and continuing, with or without State and Restore, gives the same results as
// one run; stopping elsewhere cuts a step short and changes the sequence.
func (m *Model) Run(ctx context.Context, until float64, progress func(Progress)) error {
	if bad(until) {
		return fmt.Errorf("%w: run until %v", ErrConfig, until)
	}
	start := time.Now()
	steps0 := m.steps
	cells := float64(m.ter.w * m.ter.h)
	for m.time < until {
		if err := ctx.Err(); err != nil {
			return err
		}
		tick := m.tick
		m.step(until)
		if progress != nil && (m.tick != tick || m.time >= until) {
			wall := time.Since(start)
			progress(Progress{
				Time: m.time, Until: until, Steps: m.steps, Step: m.lastStep, MaxDepth: m.hmax,
				Wall: wall, CellUpdates: float64(m.steps-steps0) * cells / math.Max(wall.Seconds(), 1e-9),
			})
		}
	}
	return nil
}

// nextStep is the adaptive Δt (Bates et al. 2010, eq. 12), cut at the next
// multiple of Interval and at until.
func (m *Model) nextStep(until float64) (dt float64, landsOnTick bool) {
	c := &m.cfg
	hm := m.hmax
	for _, e := range m.edges() {
		if e.Kind == FixedDepth {
			hm = math.Max(hm, e.Depth.At(m.time))
		}
	}
	cfl := func(hm float64) float64 {
		if hm <= c.FlowDepth {
			return c.MaxStep
		}
		return math.Min(c.MaxStep, m.courant()*math.Min(m.ter.dx, m.ter.dy)/math.Sqrt(c.Gravity*hm))
	}
	dt = cfl(hm)
	// An inflow onto dry or shallow ground would otherwise pour a long step's
	// volume at once: count the depth it adds within the step.
	area := m.ter.dx * m.ter.dy
	for _, f := range m.inflows {
		if q := f.discharge.At(m.time); q > 0 {
			dt = math.Min(dt, cfl(hm+q*dt/(float64(len(f.cells))*area)))
		}
	}
	next := float64(m.tick+1) * c.Interval
	// Share what is left to the tick equally between the steps still needed,
	// rather than end with a sliver: abrupt changes of Δt upset the time
	// staggering of q and h and can feed an oscillation.
	if left := next - m.time; m.time+dt >= next-1e-9*c.Interval {
		dt, landsOnTick = left, true
	} else {
		dt = left / math.Ceil(left/dt)
	}
	if m.time+dt > until {
		dt, landsOnTick = until-m.time, false
	}
	return dt, landsOnTick
}

// courant is the α used: Config.Alpha, capped at 0.95·√(θ/2). A von Neumann
// analysis of the θ-weighted scheme without friction on a square grid puts
// the checkerboard mode (wavelength 2Δx on both axes) at its stability limit
// when (√(g·h)·Δt/Δx)² = θ/2, and it grows beyond (we saw it grow in a still
// lake with θ = 0.8 and α = 0.7). For θ = 1 every mode is neutrally stable
// up to 1/√2 and only friction damps it; the cap (0.67) keeps 5 % from it.
func (m *Model) courant() float64 {
	return math.Min(m.cfg.Alpha, 0.95*math.Sqrt(m.cfg.Theta/2))
}

func (m *Model) edges() [4]Edge {
	e := m.cfg.Edges
	return [4]Edge{e.North, e.East, e.South, e.West}
}

// step advances by one Δt.
func (m *Model) step(until float64) {
	dt, onTick := m.nextStep(until)
	t1 := m.time + dt
	if onTick {
		t1 = float64(m.tick+1) * m.cfg.Interval
	}
	m.fluxes(dt)
	m.update(dt, t1)
	m.lastStep = dt
	m.time = t1
	m.steps++
	if onTick {
		m.tick++
		m.record()
	}
}
