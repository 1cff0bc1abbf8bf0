package traffic

import (
	"context"
	"fmt"
	"math"
	"sort"
)

// Count is an observed mean flow on a link over a time window, such as a
// traffic counter's.
type Count struct {
	Link     int
	From, To float64 // seconds since the start of the run, From < To
	Flow     float64 // veh/h
}

// CalibrateOptions bound the fitting.
type CalibrateOptions struct {
	Iterations int     // at most this many model runs; 0: 20
	Tolerance  float64 // stop when every count is matched within this relative error; 0: 0.01
}

// Calibration is the result of Calibrate.
type Calibration struct {
	Scale      []float64 // per OD pair, the factor applied to its rate
	Demand     Demand    // the scaled demand
	Iterations int       // model runs made
	MaxError   float64   // the largest relative error of a count in the last run
	Flows      []float64 // the model's flows on the counted links in the last run, veh/h
}

// Calibrate scales each OD pair's rate so that the model's flows match
// observed counts, by iterative proportional fitting: run the model, then
// multiply the rate of every OD pair by the geometric mean of observed/modelled
// over the counted links on its current route (from the route tables at the
// end of the run), and repeat. Pairs whose route crosses no counted link keep
// their rate. Under light traffic the link flows are linear in the rates and a
// count shared by several pairs scales them together; with one count per pair
// the fit is exact.
func Calibrate(ctx context.Context, net *Network, dem Demand, cfg Config, counts []Count, opt CalibrateOptions) (Calibration, error) {
	if opt.Iterations <= 0 {
		opt.Iterations = 20
	}
	if opt.Tolerance <= 0 {
		opt.Tolerance = 0.01
	}
	end := 0.0
	for i, c := range counts {
		if c.Link < 0 || c.Link >= len(net.Links) || !(c.From < c.To) || c.From < 0 || !(c.Flow >= 0) || math.IsInf(c.Flow, 0) {
			return Calibration{}, fmt.Errorf("%w: count %d: link %d, [%v, %v), %v veh/h", ErrBadDemand, i, c.Link, c.From, c.To, c.Flow)
		}
		end = max(end, c.To)
	}
	res := Calibration{Scale: make([]float64, len(dem.ODs))}
	for i := range res.Scale {
		res.Scale[i] = 1
	}
	for it := 1; it <= opt.Iterations; it++ {
		res.Demand = dem.Scaled(res.Scale)
		m, err := New(net, res.Demand, cfg)
		if err != nil {
			return res, err
		}
		flows, err := m.countFlows(ctx, counts, end)
		if err != nil {
			return res, err
		}
		res.Iterations, res.Flows = it, flows
		res.MaxError = 0
		for i, c := range counts {
			res.MaxError = max(res.MaxError, math.Abs(flows[i]-c.Flow)/max(c.Flow, 1e-9))
		}
		if res.MaxError <= opt.Tolerance || it == opt.Iterations {
			break
		}
		byLink := make(map[int][]int, len(counts))
		for i, c := range counts {
			byLink[c.Link] = append(byLink[c.Link], i)
		}
		for od := range dem.ODs {
			logSum, k := 0.0, 0
			for _, l := range m.path(od) {
				for _, i := range byLink[int(l)] {
					ratio := counts[i].Flow / max(flows[i], 1e-9)
					logSum += math.Log(min(max(ratio, 0.1), 10))
					k++
				}
			}
			if k > 0 {
				res.Scale[od] *= math.Exp(logSum / float64(k))
			}
		}
	}
	return res, nil
}

// countFlows runs the model to end and returns its mean flow (veh/h) over
// each count's window.
func (m *Model) countFlows(ctx context.Context, counts []Count, end float64) ([]float64, error) {
	type mark struct {
		t     float64
		i     int
		start bool
	}
	marks := make([]mark, 0, 2*len(counts))
	for i, c := range counts {
		marks = append(marks, mark{c.From, i, true}, mark{c.To, i, false})
	}
	sort.SliceStable(marks, func(a, b int) bool { return marks[a].t < marks[b].t })
	flows := make([]float64, len(counts))
	for _, mk := range marks {
		if err := m.Run(ctx, mk.t); err != nil {
			return nil, err
		}
		c := counts[mk.i]
		if mk.start {
			flows[mk.i] = -m.cnt[c.Link]
		} else {
			flows[mk.i] = (flows[mk.i] + m.cnt[c.Link]) / (c.To - c.From) * 3600
		}
	}
	return flows, m.Run(ctx, end)
}

// path is OD pair od's current route as link indexes (empty without one).
func (m *Model) path(od int) []int32 {
	d := int(m.odDest[od])
	v, dest := m.dem.ODs[od].Origin, m.dests[d]
	var p []int32
	for v != dest && len(p) <= len(m.net.Nodes) {
		l := m.next[v*len(m.dests)+d]
		if l < 0 {
			return nil
		}
		p = append(p, l)
		v = m.net.Links[l].To
	}
	return p
}
