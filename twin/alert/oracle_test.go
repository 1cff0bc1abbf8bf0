package alert_test

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"testing"

	"citytwin/geo"
	"citytwin/twin"
	"citytwin/twin/alert"
	"citytwin/twin/series"

	"github.com/paulmach/orb"
	"github.com/uber/h3-go/v4"
)

// event is a raise, peak or clear of one alert, as seen in the ops.
type event struct {
	Kind string
	T    int64
	V    float64
}

func (e event) String() string { return fmt.Sprintf("%s@%d=%v", e.Kind, (e.T-t0)/1e9, e.V) }

// eventsOf turns the engine's ops into events by alert id.
func eventsOf(ops []twin.Op, into map[twin.ID][]event) {
	for _, op := range ops {
		switch op.Type {
		case twin.OpUpsert:
			v, _ := op.Entity.Props.Get(alert.PropAlertValue)
			f, _ := v.Number()
			into[op.Entity.ID] = append(into[op.Entity.ID], event{"raise", op.T, f})
		case twin.OpPatch:
			if st, ok := op.Patch.Get(alert.PropAlertState); ok && st.String() == alert.StateCleared {
				v, _ := op.Patch.Get(alert.PropAlertClearValue)
				f, _ := v.Number()
				into[op.ID] = append(into[op.ID], event{"clear", op.T, f})
			} else {
				v, _ := op.Patch.Get(alert.PropAlertPeak)
				f, _ := v.Number()
				into[op.ID] = append(into[op.ID], event{"peak", op.T, f})
			}
		}
	}
}

// oracle replays observations (in time order) through every rule the slow,
// obvious way: no caches, no indexes; cells are aggregated from scratch from
// the newest reading of every entity.
type oracle struct {
	rules  []alert.Rule
	ents   map[twin.ID]*twin.Entity
	states map[twin.ID]*ostate
	latest map[twin.ID]map[twin.ID]series.Point // rule → entity → newest reading
	clocks map[twin.ID]map[h3.Cell]int64        // rule → cell → newest time
	events map[twin.ID][]event
	cells  map[twin.ID]*[16]h3.Cell // geo.Cell of each entity's point, per resolution
}

type ostate struct {
	pending, active bool
	since           int64
	peak            float64
}

func newOracle(rules []alert.Rule, ents []*twin.Entity) *oracle {
	o := &oracle{rules: rules, ents: map[twin.ID]*twin.Entity{}, states: map[twin.ID]*ostate{},
		latest: map[twin.ID]map[twin.ID]series.Point{}, clocks: map[twin.ID]map[h3.Cell]int64{}, events: map[twin.ID][]event{}}
	o.cells = map[twin.ID]*[16]h3.Cell{}
	for _, e := range ents {
		o.ents[e.ID] = e
		var cs [16]h3.Cell
		for res := range cs {
			cs[res] = geo.Cell(e.Geometry.(orb.Point), res)
		}
		o.cells[e.ID] = &cs
	}
	for _, r := range rules {
		o.latest[r.ID] = map[twin.ID]series.Point{}
		o.clocks[r.ID] = map[h3.Cell]int64{}
	}
	return o
}

func cmpOp(op alert.Operator, v, x float64) bool {
	switch op.String() {
	case ">":
		return v > x
	case ">=":
		return v >= x
	case "<":
		return v < x
	}
	return v <= x
}

func (o *oracle) match(r alert.Rule, e *twin.Entity) bool {
	if len(r.Kinds) > 0 && !slices.Contains(r.Kinds, e.Kind) {
		return false
	}
	for _, f := range r.Where {
		v, ok := e.Props.Get(f.Key)
		if !f.Match(v, ok) {
			return false
		}
	}
	return r.Area == nil || geo.PointIntersects(e.Geometry.(orb.Point), r.Area)
}

func bruteAgg(agg series.Agg, vals []float64) float64 {
	s := slices.Clone(vals)
	sort.Float64s(s)
	sum := 0.0
	for _, v := range s {
		sum += v
	}
	switch agg.String() {
	case "count":
		return float64(len(s))
	case "sum":
		return sum
	case "avg":
		return sum / float64(len(s))
	case "min":
		return s[0]
	case "max":
		return s[len(s)-1]
	case "p50":
		return s[int(math.Ceil(0.50*float64(len(s))))-1]
	}
	return s[int(math.Ceil(0.95*float64(len(s))))-1]
}

func (o *oracle) observe(ob twin.Observation) {
	e := o.ents[ob.ID]
	for _, r := range o.rules {
		if r.Metric != ob.Metric || !o.match(r, e) {
			continue
		}
		subject, t, v := string(ob.ID), ob.T, ob.V
		if r.Scope == alert.ScopeCell {
			c := o.cells[ob.ID][r.Res]
			o.latest[r.ID][ob.ID] = series.Point{T: ob.T, V: ob.V}
			o.clocks[r.ID][c] = max(o.clocks[r.ID][c], ob.T)
			now := o.clocks[r.ID][c]
			var vals []float64
			for id, p := range o.latest[r.ID] {
				if o.cells[id][r.Res] == c && now-p.T <= int64(r.Stale) {
					vals = append(vals, p.V)
				}
			}
			if len(vals) == 0 {
				continue
			}
			subject, t, v = c.String(), now, bruteAgg(r.Agg, vals)
		}
		id := alert.ID(r.ID, subject)
		s := o.states[id]
		if s == nil {
			s = &ostate{}
			o.states[id] = s
		}
		if !s.active {
			if !cmpOp(r.Op, v, r.Threshold) {
				s.pending = false
				continue
			}
			if !s.pending {
				s.pending, s.since = true, t
			}
			if t-s.since >= int64(r.For) {
				s.pending, s.active, s.peak = false, true, v
				o.events[id] = append(o.events[id], event{"raise", t, v})
			}
			continue
		}
		switch {
		case !cmpOp(r.Op, v, r.Clear):
			s.active = false
			o.events[id] = append(o.events[id], event{"clear", t, v})
		case r.Op.High() && v > s.peak || !r.Op.High() && v < s.peak:
			s.peak = v
			o.events[id] = append(o.events[id], event{"peak", t, v})
		}
	}
}

// randomRule makes a rule definition over the test area.
func randomRule(rng *rand.Rand, i int) map[string]any {
	m := map[string]any{
		"rule.metric":    []string{"pm25", "no2"}[rng.IntN(2)],
		"rule.op":        []string{">", ">=", "<", "<="}[rng.IntN(4)],
		"rule.threshold": float64(20 + rng.IntN(60)),
		"rule.for":       []float64{0, 0, 30, 120}[rng.IntN(4)],
		"rule.severity":  []string{"info", "warning", "critical"}[rng.IntN(3)],
	}
	if rng.IntN(2) == 0 {
		d := float64(rng.IntN(15))
		if m["rule.op"] == "<" || m["rule.op"] == "<=" {
			d = -d
		}
		m["rule.clear"] = m["rule.threshold"].(float64) - d
	}
	if rng.IntN(4) == 0 {
		m["rule.kinds"] = "sensor"
	}
	if rng.IntN(4) == 0 {
		m["rule.where"] = []string{"zone=a", "level>=2", "zone!=c;level<3"}[rng.IntN(3)]
	}
	if rng.IntN(3) == 0 {
		m["rule.scope"] = "cell"
		m["rule.res"] = float64(6 + rng.IntN(3))
		m["rule.agg"] = []string{"avg", "min", "max", "sum", "count", "p50", "p95"}[rng.IntN(7)]
		m["rule.stale"] = []float64{60, 300, 900}[rng.IntN(3)]
		if m["rule.agg"] == "count" {
			m["rule.threshold"] = float64(1 + rng.IntN(4))
			delete(m, "rule.clear")
		}
		if m["rule.agg"] == "sum" {
			m["rule.threshold"] = m["rule.threshold"].(float64) * 3
			delete(m, "rule.clear")
		}
	}
	return m
}

func randomArea(rng *rand.Rand) orb.Polygon {
	x, y := 24.90+rng.Float64()*0.04, 60.15+rng.Float64()*0.03
	w, h := 0.01+rng.Float64()*0.03, 0.01+rng.Float64()*0.02
	return orb.Polygon{{{x, y}, {x + w, y}, {x + w, y + h}, {x, y + h}, {x, y}}}
}

// TestAgainstOracle drives the engine with random observation streams for
// random entities and rules, and compares every raise, peak and clear with
// the oracle's.
func TestAgainstOracle(t *testing.T) {
	seeds := 30
	if testing.Short() {
		seeds = 5
	}
	for seed := range seeds {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) { checkOracle(t, uint64(seed)) })
	}
}

func checkOracle(t *testing.T, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, 42))
	ctx := context.Background()
	s := newStore(t)
	var ents []*twin.Entity
	for i := range 40 {
		e := sensor(fmt.Sprintf("sensor:%d", i), 24.90+rng.Float64()*0.06, 60.15+rng.Float64()*0.04,
			mustProps(t, map[string]any{"zone": []string{"a", "b", "c"}[rng.IntN(3)], "level": float64(rng.IntN(4))}))
		if rng.IntN(4) == 0 {
			e.Kind = twin.KindSpace
		}
		ents = append(ents, e)
	}
	apply(t, s, upsert(ents...)...)
	var rules []alert.Rule
	for i := range 12 {
		re := ruleEntity(t, fmt.Sprintf("rule:%d", i), randomRule(rng, i))
		if rng.IntN(4) == 0 {
			re.Geometry = randomArea(rng)
		}
		r, err := alert.Parse(re)
		if err != nil {
			t.Fatal(err)
		}
		rules = append(rules, r)
		apply(t, s, upsert(re)...)
	}
	e := newEngine(t, s)
	sub := s.Subscribe(s.Seq())
	orc := newOracle(rules, ents)
	got := map[twin.ID][]event{}

	last := map[string]float64{}
	tt := t0
	for range 300 {
		var batch []twin.Observation
		for range 1 + rng.IntN(20) {
			tt += int64(rng.IntN(20)) * 1e9
			ent := ents[rng.IntN(len(ents))]
			m := []string{"pm25", "no2"}[rng.IntN(2)]
			k := string(ent.ID) + m
			v, ok := last[k]
			if !ok {
				v = float64(rng.IntN(101))
			}
			v = max(0, min(100, v+float64(rng.IntN(31)-15)))
			last[k] = v
			ob := twin.Observation{ID: ent.ID, Metric: m, T: tt, V: v}
			batch = append(batch, ob)
			orc.observe(ob)
		}
		apply(t, s, observe(batch...))
		changes, missed, err := sub.Next(ctx, 1<<20)
		if err != nil || missed > 0 {
			t.Fatal(err, missed)
		}
		ops, err := e.Process(ctx, changes)
		if err != nil {
			t.Fatal(err)
		}
		eventsOf(ops, got)
		apply(t, s, ops...)
	}

	ids := map[twin.ID]bool{}
	for id := range got {
		ids[id] = true
	}
	for id := range orc.events {
		ids[id] = true
	}
	n := 0
	for id := range ids {
		n += len(orc.events[id])
		if fmt.Sprint(got[id]) != fmt.Sprint(orc.events[id]) {
			t.Errorf("%s:\n engine %v\n oracle %v", id, got[id], orc.events[id])
		}
	}
	if n == 0 {
		t.Fatal("no events: the test tests nothing")
	}
	// The twin agrees: an alert is active iff the oracle's is.
	var active []twin.ID
	for id, st := range orc.states {
		if st.active {
			active = append(active, id)
		}
	}
	slices.Sort(active)
	var have []twin.ID
	for _, a := range e.Active() {
		have = append(have, a.ID)
	}
	res, err := s.Query(ctx, twin.Query{Kinds: []twin.Kind{alert.KindAlert},
		Where: []twin.Filter{{Key: alert.PropAlertState, Op: twin.Eq, Value: twin.StringValue("active")}}})
	if err != nil {
		t.Fatal(err)
	}
	var inTwin []twin.ID
	for _, a := range res.Entities {
		inTwin = append(inTwin, a.ID)
	}
	slices.Sort(inTwin)
	if !slices.Equal(have, active) || !slices.Equal(inTwin, active) {
		t.Errorf("active:\n engine %v\n twin   %v\n oracle %v", have, inTwin, active)
	}
	t.Logf("%d events, %d alerts, %d active", n, len(ids), len(active))
}
