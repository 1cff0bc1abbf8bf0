package simulate

import (
	"context"
	"fmt"
	"math"

	"citytwin/geo"
	"citytwin/simulate/traffic"
	"citytwin/twin"

	"github.com/paulmach/orb"
)

// Traffic results are sampled every trafficSample seconds; routes are
// recomputed every trafficReroute seconds (and whenever a closure starts or
// ends).
const (
	trafficSample  = 300
	trafficReroute = 300
	// calibrationWindow is the simulated time of the calibration run; the
	// model's flows over its second half are compared with the counts.
	calibrationWindow = 1800
)

// count is a traffic counter's flow on a road, vehicles per hour.
type count struct {
	road   twin.ID
	sensor twin.ID
	rate   float64
}

// trafficConfig is the model configuration of a spec.
func trafficConfig(s *Spec) traffic.Config {
	cfg := traffic.DefaultConfig()
	cfg.Step = s.Step
	cfg.RerouteEvery = trafficReroute
	cfg.SampleEvery = trafficSample
	return cfg
}

// trafficDemand is the demand of a run: the zones' ODs, varied by the seed,
// scaled by calibration and the spec, and, for the scenario, changed by its
// demand interventions (each for its own window).
func trafficDemand(in *inputs, s *Spec, scale float64, scenario bool) traffic.Demand {
	ods := append([]zoneOD(nil), in.ods...)
	vary(ods, s.Seed)
	for i := range ods {
		ods[i].Rate *= scale * s.Demand
	}
	if scenario {
		for i := range s.Interventions {
			if iv := &s.Interventions[i]; iv.Type == ChangeDemand {
				from, to := iv.window(s.Horizon)
				ods = changeDemand(ods, iv.polygon(), *iv.Factor, from, to)
			}
		}
	}
	dem := traffic.Demand{ODs: make([]traffic.OD, len(ods))}
	for i := range ods {
		dem.ODs[i] = ods[i].OD
	}
	return dem
}

// changeDemand scales the streams from or to area by factor during [from,
// to): each such stream becomes up to three, as before until the window,
// scaled in it, as before after it (overlapping changes multiply).
func changeDemand(ods []zoneOD, area orb.Geometry, factor, from, to float64) []zoneOD {
	out := make([]zoneOD, 0, len(ods))
	for _, od := range ods {
		s, e := od.From, od.To
		if e == 0 {
			e = math.Inf(1)
		}
		touches := geo.PointIntersects(od.origin, area) || geo.PointIntersects(od.dest, area)
		a, b := math.Max(s, from), math.Min(e, to)
		if !touches || a >= b {
			out = append(out, od)
			continue
		}
		piece := func(s, e, rate float64) {
			if s >= e {
				return
			}
			p := od
			p.Rate, p.From, p.To = rate, s, e
			if math.IsInf(e, 1) {
				p.To = 0
			}
			out = append(out, p)
		}
		piece(s, a, od.Rate)
		piece(a, b, od.Rate*factor)
		piece(b, e, od.Rate)
	}
	return out
}

// restrictions are the scenario's changes to road capacity: closures,
// restrictions, failed or cut roads, and roads the flood made impassable.
func restrictions(in *inputs, s *Spec, flooded []roadClosure) []traffic.Restriction {
	var out []traffic.Restriction
	add := func(id twin.ID, from, to, factor float64) {
		for _, l := range in.roads.Links(id) {
			out = append(out, traffic.Restriction{Link: l, From: from, To: to, Factor: factor})
		}
	}
	for i := range s.Interventions {
		iv := &s.Interventions[i]
		from, to := iv.window(s.Horizon)
		switch iv.Type {
		case CloseRoad, Failure:
			for _, id := range iv.ids() {
				add(id, from, to, 0)
			}
		case RestrictRoad:
			for _, id := range iv.ids() {
				add(id, from, to, *iv.Factor)
			}
		case Outage:
			for _, id := range in.outages[i] {
				add(id, from, to, 0)
			}
		}
	}
	for _, c := range flooded {
		add(c.road, c.from, s.Horizon, 0)
	}
	return out
}

// roadClosure is a road made impassable from a time on.
type roadClosure struct {
	road twin.ID
	from float64
}

// newTraffic builds one traffic run.
func newTraffic(in *inputs, s *Spec, scale float64, scenario bool, flooded []roadClosure) (*traffic.Model, error) {
	m, err := traffic.New(in.roads.Net, trafficDemand(in, s, scale, scenario), trafficConfig(s))
	if err != nil {
		return nil, err
	}
	if scenario {
		for _, r := range restrictions(in, s, flooded) {
			if err := m.Restrict(r); err != nil {
				return nil, err
			}
		}
	}
	return m, nil
}

// calibrate scales the demand so that the model's flows on the counted roads
// match the counts in the least-squares sense: s = Σ o·m / Σ m², from a run
// of the baseline over calibrationWindow (flows over its second half, when the
// network has filled). It returns 1 when nothing is counted. Failed sensors
// (failure interventions) do not count.
func calibrate(ctx context.Context, in *inputs, s *Spec) (scale float64, used int, err error) {
	failed := map[twin.ID]bool{}
	for i := range s.Interventions {
		if s.Interventions[i].Type == Failure {
			for _, id := range s.Interventions[i].ids() {
				failed[id] = true
			}
		}
	}
	var counts []count
	for _, c := range in.counts {
		if !failed[c.sensor] && len(in.roads.Links(c.road)) > 0 {
			counts = append(counts, c)
		}
	}
	if len(counts) == 0 {
		return 1, 0, nil
	}
	spec := *s
	spec.Demand = 1
	m, err := newTraffic(in, &spec, 1, false, nil)
	if err != nil {
		return 0, 0, err
	}
	flows := func() []float64 {
		st := m.Links()
		out := make([]float64, len(counts))
		for i, c := range counts {
			for _, l := range in.roads.Links(c.road) {
				out[i] += st[l].Count
			}
		}
		return out
	}
	half := calibrationWindow / 2.0
	if err := m.Run(ctx, half); err != nil {
		return 0, 0, err
	}
	before := flows()
	if err := m.Run(ctx, calibrationWindow); err != nil {
		return 0, 0, err
	}
	after := flows()
	om, mm := 0.0, 0.0
	for i, c := range counts {
		rate := (after[i] - before[i]) / half * 3600
		om += c.rate * rate
		mm += rate * rate
	}
	if mm == 0 {
		return 1, len(counts), nil
	}
	return math.Min(math.Max(om/mm, 0.05), 20), len(counts), nil
}

// trafficKPIs compares the network totals of two runs.
func trafficKPIs(base, scen *traffic.Model) []KPI {
	b, s := base.KPIs(), scen.KPIs()
	return []KPI{
		pair("delay", "veh·h", lower, b.DelayHours, s.DelayHours),
		pair("vehicle_hours", "veh·h", lower, b.VehHours, s.VehHours),
		pair("vehicle_km", "veh·km", neutral, b.VehKm, s.VehKm),
		pair("mean_travel_time", "s", lower, b.MeanTravel, s.MeanTravel),
		pair("trips_completed", "veh", higher, b.Delivered, s.Delivered),
		pair("vehicles_waiting", "veh", lower, b.Waiting, s.Waiting),
		pair("vehicles_on_network", "veh", lower, b.OnNetwork, s.OnNetwork),
		pair("max_queue", "m", lower, maxQueue(base), maxQueue(scen)),
	}
}

func maxQueue(m *traffic.Model) float64 {
	q := 0.0
	for _, l := range m.Links() {
		q = math.Max(q, l.MaxQueueM)
	}
	return q
}

// trafficEntities are the per-road results of both runs: delay, vehicle-km,
// mean speed and the longest queue, summed over a road's directions (the
// speed is the vehicle-km-weighted mean).
func trafficEntities(in *inputs, base, scen *traffic.Model) []EntityResult {
	bl, sl := base.Links(), scen.Links()
	out := make([]EntityResult, 0, len(in.roads.Roads))
	for _, r := range in.roads.Roads {
		var v [2]struct{ delay, vkm, vh, queue, count float64 }
		for k, st := range [2][]traffic.LinkStats{bl, sl} {
			for _, l := range in.roads.Links(r.ID) {
				v[k].delay += st[l].DelayHours
				v[k].vkm += st[l].VehKm
				v[k].vh += st[l].VehHours
				v[k].queue = math.Max(v[k].queue, st[l].MaxQueueM)
				v[k].count += st[l].Count
			}
		}
		speed := func(k int) float64 {
			if v[k].vh == 0 {
				return in.roads.Net.Links[in.roads.Links(r.ID)[0]].FreeSpeed
			}
			return v[k].vkm * 1000 / v[k].vh / 3600
		}
		out = append(out, EntityResult{ID: r.ID, Kind: twin.KindRoad, Place: midpoint(r.Line), Values: []MetricPair{
			{Metric: "delay", Unit: "veh·h", Baseline: v[0].delay, Scenario: v[1].delay},
			{Metric: "vehicles", Unit: "veh", Baseline: v[0].count, Scenario: v[1].count},
			{Metric: "vehicle_km", Unit: "veh·km", Baseline: v[0].vkm, Scenario: v[1].vkm},
			{Metric: "speed", Unit: "m/s", Baseline: speed(0), Scenario: speed(1)},
			{Metric: "max_queue", Unit: "m", Baseline: v[0].queue, Scenario: v[1].queue},
		}})
	}
	return out
}

// trafficSeries are the sampled flows, speeds and queues of each road in both
// runs (directions summed; speed the flow-weighted mean).
func trafficSeries(in *inputs, base, scen *traffic.Model) (times []float64, series map[twin.ID][]SeriesPair) {
	bs, ss := base.Series(), scen.Series()
	times = append([]float64(nil), bs.Times...)
	n := min(len(bs.Times), len(ss.Times))
	series = make(map[twin.ID][]SeriesPair, len(in.roads.Roads))
	for _, r := range in.roads.Roads {
		links := in.roads.Links(r.ID)
		flow := SeriesPair{Metric: "flow", Unit: "veh/h", Baseline: make([]float64, n), Scenario: make([]float64, n)}
		speed := SeriesPair{Metric: "speed", Unit: "m/s", Baseline: make([]float64, n), Scenario: make([]float64, n)}
		queue := SeriesPair{Metric: "queue", Unit: "veh", Baseline: make([]float64, n), Scenario: make([]float64, n)}
		for k, s := range [2]*traffic.Series{bs, ss} {
			fl, sp, qu := pick(&flow, k), pick(&speed, k), pick(&queue, k)
			for t := range n {
				f, w := 0.0, 0.0
				for _, l := range links {
					f += float64(s.Flow[t][l])
					w += float64(s.Flow[t][l]) * float64(s.Speed[t][l])
					qu[t] += float64(s.Queue[t][l])
				}
				fl[t] = f
				if f > 0 {
					sp[t] = w / f
				} else {
					sp[t] = float64(s.Speed[t][links[0]])
				}
			}
		}
		series[r.ID] = []SeriesPair{flow, speed, queue}
	}
	return times[:n], series
}

func pick(p *SeriesPair, k int) []float64 {
	if k == 0 {
		return p.Baseline
	}
	return p.Scenario
}

// trafficCurves are the network totals over time: flows and queues summed
// over the roads, in road order.
func trafficCurves(times []float64, ents []EntityResult) []Curve {
	queue := Curve{Name: "queued_vehicles", Unit: "veh", Times: times, Baseline: make([]float64, len(times)), Scenario: make([]float64, len(times))}
	flow := Curve{Name: "network_flow", Unit: "veh/h", Times: times, Baseline: make([]float64, len(times)), Scenario: make([]float64, len(times))}
	for _, e := range ents {
		s := e.Series
		for t := range times {
			flow.Baseline[t] += s[0].Baseline[t]
			flow.Scenario[t] += s[0].Scenario[t]
			queue.Baseline[t] += s[2].Baseline[t]
			queue.Scenario[t] += s[2].Scenario[t]
		}
	}
	return []Curve{flow, queue}
}

// midpoint is the point halfway along a line (by vertex count, enough to
// place a road in an H3 cell).
func midpoint(l orb.LineString) orb.Point {
	if len(l) == 0 {
		return orb.Point{}
	}
	if len(l)%2 == 1 {
		return l[len(l)/2]
	}
	a, b := l[len(l)/2-1], l[len(l)/2]
	return orb.Point{(a[0] + b[0]) / 2, (a[1] + b[1]) / 2}
}

// checkTraffic reports the spec's roads that the network lacks.
func checkTraffic(in *inputs, s *Spec) error {
	for i := range s.Interventions {
		iv := &s.Interventions[i]
		if iv.Type != CloseRoad && iv.Type != RestrictRoad {
			continue
		}
		for _, id := range iv.ids() {
			if len(in.roads.Links(id)) == 0 {
				return fmt.Errorf("%w: interventions[%d]: %s is not a road of the network", ErrBadSpec, i, id)
			}
		}
	}
	return nil
}
