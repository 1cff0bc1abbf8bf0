package simulate

import (
	"context"
	"fmt"
	"math"
	"sort"
	"time"

	"citytwin/simulate/flood"
	"citytwin/simulate/traffic"
	"citytwin/twin"
)

// Phases of a run.
const (
	PhaseCalibrating = "calibrating"
	PhaseFlood       = "flood"
	PhaseTraffic     = "traffic"
	PhaseResults     = "results"
)

// chunk is the simulated time between progress reports and checkpoints; a
// multiple of the flood model's interval, so that stopping there and going on
// changes nothing.
const chunk = 300

// Progress is how far a run has come.
type Progress struct {
	Phase    string  `json:"phase"`
	SimTime  float64 `json:"sim_time_s"` // in the current phase
	Horizon  float64 `json:"horizon_s"`
	Fraction float64 `json:"fraction"` // of the whole run, 0..1
	// RealTimeFactor is simulated seconds per wall-clock second in this phase.
	RealTimeFactor float64 `json:"real_time_factor"`
	// UpdatesPerS are link updates (traffic) or cell updates (flood) per
	// wall-clock second, both runs together.
	UpdatesPerS float64 `json:"updates_per_s"`
}

// checkpoint is a run's state at a chunk boundary: enough to go on as if it
// had never stopped.
type checkpoint struct {
	Phase        string
	Scale        float64 // the calibrated demand scale
	Calibrated   int     // counters used
	FloodBase    []byte  // flood.State, binary
	FloodScen    []byte
	TrafficBase  []byte // traffic.Model.State
	TrafficScen  []byte
	TrafficStart bool
}

// runner executes one scenario's run.
type runner struct {
	spec     *Spec
	in       *inputs
	load     GridLoader
	progress func(Progress)
	// save, when set, is called with a checkpoint at every chunk boundary.
	save func(*checkpoint) error
	// stopAfter, when > 0, stops the run (with errStopped) after that many
	// chunks: tests use it to interrupt a run at a known place.
	stopAfter int
	chunks    int
	cp        *checkpoint // the state at the last chunk boundary
	last      Progress    // the last progress reported
}

var errStopped = fmt.Errorf("simulate: run stopped at a checkpoint")

// phases is the number of phases with simulated time, for Fraction.
func (r *runner) phases() float64 {
	n := 0.0
	if r.spec.Model.flood() {
		n++
	}
	if r.spec.Model.traffic() {
		n++
	}
	return n
}

// run runs the scenario from cp (a fresh run when nil) and returns its result.
func (r *runner) run(ctx context.Context, cp *checkpoint) (*Result, error) {
	s := r.spec
	if cp == nil {
		cp = &checkpoint{Scale: 1}
	}
	r.cp = cp
	res := &Result{Notes: append([]string(nil), r.in.notes...)}
	var floodRes []EntityResult
	var closures []roadClosure
	done := 0.0
	if s.Model.flood() {
		fs, err := newFloodSetup(r.in, s, r.load)
		if err != nil {
			return nil, err
		}
		base, scen, err := r.floodModels(fs, cp)
		if err != nil {
			return nil, err
		}
		cellUpdates := floodSteps(base, scen)
		if err := r.advance(ctx, PhaseFlood, done, func(t float64) (float64, error) {
			for _, m := range []*flood.Model{base, scen} {
				if err := m.Run(ctx, t, nil); err != nil {
					return 0, err
				}
			}
			return cellUpdates(), nil
		}, base.Time, func() error {
			var err error
			if cp.FloodBase, err = base.State().MarshalBinary(); err != nil {
				return err
			}
			cp.FloodScen, err = scen.State().MarshalBinary()
			cp.Phase = PhaseFlood
			return err
		}); err != nil {
			return nil, err
		}
		bo, err := outcomeOf(base)
		if err != nil {
			return nil, err
		}
		so, err := outcomeOf(scen)
		if err != nil {
			return nil, err
		}
		if floodRes, closures, err = floodEntities(r.in, fs, bo, so); err != nil {
			return nil, err
		}
		res.KPIs = append(res.KPIs, floodKPIs(fs, floodRes, bo, so)...)
		if res.Field, err = depthField(fs, bo, so); err != nil {
			return nil, err
		}
		if s.Model.traffic() {
			res.Notes = append(res.Notes, fmt.Sprintf("%d road segments were made impassable by the flood (depth ≥ %.2f m) and closed in the traffic run from then on", len(closures), impassableRoad))
		}
		done++
	}
	var trafficRes []EntityResult
	if s.Model.traffic() {
		if !cp.TrafficStart {
			r.report(Progress{Phase: PhaseCalibrating, Horizon: s.Horizon, Fraction: done / r.phases()})
			scale, used, err := calibrate(ctx, r.in, s)
			if err != nil {
				return nil, err
			}
			cp.Scale, cp.Calibrated = scale, used
		}
		if cp.Calibrated > 0 {
			res.Notes = append(res.Notes, fmt.Sprintf("demand calibrated on %d traffic counters: scale %.3f", cp.Calibrated, cp.Scale))
		} else {
			res.Notes = append(res.Notes, "no traffic counters with readings in the hour before the snapshot: demand uncalibrated (building floor areas only)")
		}
		base, err := newTraffic(r.in, s, cp.Scale, false, nil)
		if err != nil {
			return nil, err
		}
		scen, err := newTraffic(r.in, s, cp.Scale, true, closures)
		if err != nil {
			return nil, err
		}
		if cp.TrafficStart {
			if err := base.Restore(cp.TrafficBase); err != nil {
				return nil, fmt.Errorf("%w: baseline: %w", ErrBadCheckpnt, err)
			}
			if err := scen.Restore(cp.TrafficScen); err != nil {
				return nil, fmt.Errorf("%w: scenario: %w", ErrBadCheckpnt, err)
			}
		}
		cp.TrafficStart = true
		links := float64(len(r.in.roads.Net.Links))
		if err := r.advance(ctx, PhaseTraffic, done, func(t float64) (float64, error) {
			steps := math.Round((t - base.Time()) / s.Step)
			for _, m := range []*traffic.Model{base, scen} {
				if err := m.Run(ctx, t); err != nil {
					return 0, err
				}
			}
			return 2 * links * steps, nil
		}, base.Time, func() error {
			cp.Phase = PhaseTraffic
			cp.TrafficBase, cp.TrafficScen = base.State(), scen.State()
			return nil
		}); err != nil {
			return nil, err
		}
		res.KPIs = append(res.KPIs, trafficKPIs(base, scen)...)
		trafficRes = trafficEntities(r.in, base, scen)
		var series map[twin.ID][]SeriesPair
		res.Times, series = trafficSeries(r.in, base, scen)
		for i := range trafficRes {
			trafficRes[i].Series = series[trafficRes[i].ID]
		}
		res.Curves = append(res.Curves, trafficCurves(res.Times, trafficRes)...)
	}
	if outs := outageKPIs(r.in, s); len(outs) > 0 {
		res.KPIs = append(res.KPIs, outs...)
	}
	res.Entities = mergeEntities(floodRes, trafficRes)
	// The results keep the last phase's speed figures.
	final := r.last
	final.Phase, final.SimTime, final.Horizon, final.Fraction = PhaseResults, s.Horizon, s.Horizon, 1
	r.report(final)
	return res, nil
}

// floodSteps counts cell updates of a flood chunk: the models' step counts
// before and after.
func floodSteps(base, scen *flood.Model) func() float64 {
	w, h := base.Size()
	cells := float64(w * h)
	last := base.Steps() + scen.Steps()
	return func() float64 {
		n := base.Steps() + scen.Steps()
		d := float64(n-last) * cells
		last = n
		return d
	}
}

// floodModels builds the baseline and scenario flood models, restored from cp
// when it holds them.
func (r *runner) floodModels(fs *floodSetup, cp *checkpoint) (base, scen *flood.Model, err error) {
	for k, scenario := range []bool{false, true} {
		cfg, err := fs.config(r.in, r.spec, scenario)
		if err != nil {
			return nil, nil, err
		}
		m, err := flood.New(cfg)
		if err != nil {
			return nil, nil, err
		}
		if saved := [2][]byte{cp.FloodBase, cp.FloodScen}[k]; saved != nil {
			var st flood.State
			if err := st.UnmarshalBinary(saved); err != nil {
				return nil, nil, fmt.Errorf("%w: flood: %w", ErrBadCheckpnt, err)
			}
			if err := m.Restore(&st); err != nil {
				return nil, nil, fmt.Errorf("%w: flood: %w", ErrBadCheckpnt, err)
			}
		}
		if k == 0 {
			base = m
		} else {
			scen = m
		}
	}
	return base, scen, nil
}

// advance runs a phase chunk by chunk to the horizon: step(t) runs the models
// to t and returns the updates it did, now() is the
// models' time; after every chunk it reports progress and checkpoints.
func (r *runner) advance(ctx context.Context, phase string, done float64, step func(t float64) (float64, error), now func() float64, snap func() error) error {
	s := r.spec
	start := time.Now()
	t0 := now()
	updates := 0.0
	for now() < s.Horizon-1e-9 {
		if err := ctx.Err(); err != nil {
			return err
		}
		t := math.Min(s.Horizon, (math.Floor(now()/chunk+1e-9)+1)*chunk)
		n, err := step(t)
		if err != nil {
			return err
		}
		updates += n
		wall := math.Max(time.Since(start).Seconds(), 1e-9)
		r.report(Progress{Phase: phase, SimTime: now(), Horizon: s.Horizon,
			Fraction:       (done + now()/s.Horizon) / r.phases(),
			RealTimeFactor: (now() - t0) / wall, UpdatesPerS: updates / wall})
		if now() < s.Horizon-1e-9 {
			if err := snap(); err != nil {
				return err
			}
			if r.save != nil {
				if err := r.save(r.cp); err != nil {
					return err
				}
			}
			r.chunks++
			if r.stopAfter > 0 && r.chunks >= r.stopAfter {
				return errStopped
			}
		}
	}
	return nil
}

func (r *runner) report(p Progress) {
	r.last = p
	if r.progress != nil {
		r.progress(p)
	}
}

// mergeEntities joins the flood's and the traffic's results of the same
// entity, sorted by id.
func mergeEntities(a, b []EntityResult) []EntityResult {
	merged := make(map[twin.ID]EntityResult, len(a)+len(b))
	for _, list := range [][]EntityResult{a, b} {
		for _, e := range list {
			m, ok := merged[e.ID]
			if !ok {
				e.Values = append([]MetricPair(nil), e.Values...)
				merged[e.ID] = e
				continue
			}
			m.Values = append(m.Values, e.Values...)
			m.Series = append(m.Series, e.Series...)
			if e.Flooded != nil {
				m.Flooded = e.Flooded
			}
			merged[e.ID] = m
		}
	}
	out := make([]EntityResult, 0, len(merged))
	for _, e := range merged {
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}
