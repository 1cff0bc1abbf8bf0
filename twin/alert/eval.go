package alert

import (
	"encoding/binary"
	"math"
	"slices"

	"citytwin/geo"
	"citytwin/twin"
	"citytwin/twin/series"

	"github.com/paulmach/orb"
	"github.com/uber/h3-go/v4"
)

// rule is a live rule and the state of its subjects.
type rule struct {
	Rule
	n      uint32    // serial, for the keys of interned match lists
	bound  orb.Bound // of Area
	global bool      // no kinds, where or area: every entity matches
	dead   bool      // removed from the engine

	entities map[twin.ID]*state // ScopeEntity: pending and active subjects
	cells    map[h3.Cell]*cell  // ScopeCell
}

func newRule(r Rule, n uint32) *rule {
	nr := &rule{Rule: r, n: n, global: len(r.Kinds) == 0 && len(r.Where) == 0 && r.Area == nil}
	if r.Area != nil {
		nr.bound = r.Area.Bound()
	}
	if r.Scope == ScopeCell {
		nr.cells = make(map[h3.Cell]*cell)
	} else {
		nr.entities = make(map[twin.ID]*state)
	}
	return nr
}

// matches reports whether the rule watches ent.
func (r *rule) matches(ent *entity) bool {
	if len(r.Kinds) > 0 && !slices.Contains(r.Kinds, ent.kind) {
		return false
	}
	for _, f := range r.Where {
		v, ok := ent.props.Get(f.Key)
		if !f.Match(v, ok) {
			return false
		}
	}
	if r.Area != nil && (!ent.hasPt || !r.bound.Contains(ent.pt) || !geo.PointIntersects(ent.pt, r.Area)) {
		return false
	}
	return true
}

func (r *rule) cellOf(c h3.Cell) *cell {
	cd := r.cells[c]
	if cd == nil {
		cd = &cell{index: make(map[twin.ID]int32)}
		r.cells[c] = cd
	}
	return cd
}

// leave removes an entity from cell c of the rule.
func (r *rule) leave(id twin.ID, c h3.Cell) {
	if cd := r.cells[c]; cd != nil {
		cd.remove(id)
		r.tidy(c, cd)
	}
}

// tidy drops a cell that holds nothing.
func (r *rule) tidy(c h3.Cell, cd *cell) {
	if len(cd.members) == 0 && cd.st == nil {
		delete(r.cells, c)
	}
}

// forget drops the state of a subject.
func (r *rule) forget(st *state) {
	if r.Scope == ScopeCell {
		if cd := r.cells[st.cell]; cd != nil && cd.st == st {
			cd.st = nil
			r.tidy(st.cell, cd)
		}
	} else if r.entities[st.key] == st {
		delete(r.entities, st.key)
	}
}

// state is a subject whose condition holds: pending (waiting for rule.for) or
// active. Subjects with neither have no state.
type state struct {
	rule    *rule
	id      twin.ID // of the alert
	subject string
	key     twin.ID // ScopeEntity
	cell    h3.Cell // ScopeCell
	// since is when the condition began to hold (pending), or when the alert
	// was raised (active).
	since       int64
	active      bool
	value, peak float64
	entity      *twin.Entity // the alert as last written, when active
}

// cell holds the newest reading of each entity in an H3 cell, in the order
// they joined (so that sums are the same in every replay).
type cell struct {
	now     int64 // newest reading time in the cell: the cell's clock
	members []member
	index   map[twin.ID]int32
	st      *state
}

type member struct {
	id twin.ID
	t  int64
	v  float64
}

func (c *cell) put(id twin.ID, t int64, v float64) {
	if i, ok := c.index[id]; ok {
		if m := &c.members[i]; t >= m.t {
			m.t, m.v = t, v
		}
	} else {
		c.index[id] = int32(len(c.members))
		c.members = append(c.members, member{id: id, t: t, v: v})
	}
	c.now = max(c.now, t)
}

func (c *cell) remove(id twin.ID) {
	i, ok := c.index[id]
	if !ok {
		return
	}
	delete(c.index, id)
	c.members = slices.Delete(c.members, int(i), int(i)+1)
	for j := int(i); j < len(c.members); j++ {
		c.index[c.members[j].id] = int32(j)
	}
}

// aggregate computes agg over the members not older than stale (dropping the
// others, which can never count again: the clock only moves on). n is the
// number of members that count.
func (c *cell) aggregate(agg series.Agg, stale int64, scratch *[]float64) (v float64, n int) {
	lim := c.now - stale
	w := 0
	dropped := false
	sum, lo, hi := 0.0, math.Inf(1), math.Inf(-1)
	vals := (*scratch)[:0]
	for _, m := range c.members {
		if m.t < lim {
			delete(c.index, m.id)
			dropped = true
			continue
		}
		if dropped {
			c.index[m.id] = int32(w)
		}
		c.members[w] = m
		w++
		sum += m.v
		lo, hi = min(lo, m.v), max(hi, m.v)
		if agg.NeedsValues() {
			vals = append(vals, m.v)
		}
	}
	clear(c.members[w:])
	c.members = c.members[:w]
	*scratch = vals
	if w == 0 {
		return 0, 0
	}
	switch agg {
	case series.Count:
		return float64(w), w
	case series.Sum:
		return sum, w
	case series.Avg:
		return sum / float64(w), w
	case series.Min:
		return lo, w
	case series.Max:
		return hi, w
	case series.P50, series.P95:
		pct := 50
		if agg == series.P95 {
			pct = 95
		}
		slices.Sort(vals)
		rank := max(1, min((pct*w+99)/100, w)) // nearest rank, as series does
		return vals[rank-1], w
	}
	return math.NaN(), 0
}

// entity is what the engine keeps of an entity it has seen readings of.
type entity struct {
	gen     uint64 // Engine.entGen when read
	kind    twin.Kind
	props   twin.Properties
	pt      orb.Point
	hasPt   bool
	cells   [16]h3.Cell // cell of pt per resolution, 0 until needed
	metrics map[string]*watch
}

// watch is an entity's metric that rules watch.
type watch struct {
	gen    uint64  // Engine.gen of rules
	rules  []*rule // the rules that are not global and match (interned, shared)
	last   int64   // newest reading evaluated
	placed []resCell
}

// resCell is the cell an entity is a member of, for the cell rules of a
// resolution.
type resCell struct {
	res int
	c   h3.Cell
}

func (w *watch) place(res int, c h3.Cell) {
	for i := range w.placed {
		if w.placed[i].res == res {
			w.placed[i].c = c
			return
		}
	}
	w.placed = append(w.placed, resCell{res, c})
}

func (w *watch) placedAt(res int) h3.Cell {
	for _, p := range w.placed {
		if p.res == res {
			return p.c
		}
	}
	return 0
}

func (ent *entity) set(e *twin.Entity, gen uint64) {
	ent.gen, ent.kind, ent.props = gen, e.Kind, e.Props
	ent.pt, ent.hasPt = anchor(e.Geometry)
	ent.cells = [16]h3.Cell{}
	ent.stale()
}

func (ent *entity) move(p orb.Point) {
	if ent.hasPt && ent.pt == p {
		return
	}
	ent.pt, ent.hasPt = p, true
	ent.cells = [16]h3.Cell{}
	ent.stale()
}

// stale makes every watch match its rules again.
func (ent *entity) stale() {
	for _, w := range ent.metrics {
		w.gen = 0
	}
}

func (ent *entity) cell(res int) h3.Cell {
	if !ent.hasPt {
		return 0
	}
	c := ent.cells[res]
	if c == 0 {
		c = geo.Cell(ent.pt, res)
		ent.cells[res] = c
	}
	return c
}

func (ent *entity) watch(metric string) *watch {
	w := ent.metrics[metric]
	if w == nil {
		w = &watch{last: math.MinInt64}
		ent.metrics[metric] = w
	}
	return w
}

// anchor is the point of a geometry: itself for a point, the centre of the
// bounds otherwise (as the twin's H3 index does).
func anchor(g orb.Geometry) (orb.Point, bool) {
	switch g := g.(type) {
	case nil:
		return orb.Point{}, false
	case orb.Point:
		return g, true
	}
	empty := true
	switch g := g.(type) {
	case orb.MultiPoint:
		empty = len(g) == 0
	case orb.LineString:
		empty = len(g) == 0
	case orb.MultiLineString:
		empty = len(g) == 0
	case orb.Ring:
		empty = len(g) == 0
	case orb.Polygon:
		empty = len(g) == 0 || len(g[0]) == 0
	case orb.MultiPolygon:
		empty = len(g) == 0
	case orb.Collection:
		empty = len(g) == 0
	case orb.Bound:
		empty = false
	}
	if empty {
		return orb.Point{}, false
	}
	return g.Bound().Center(), true
}

// metricRules are the rules of one metric.
type metricRules struct {
	global   []*rule // match every entity
	filtered []*rule // match by kind, property or area
}

// entity returns the cached entity, reading it from the store when it is new
// or the cache was invalidated; nil when the store does not have it. Must hold
// e.mu.
func (e *Engine) entity(id twin.ID) *entity {
	ent := e.ents[id]
	if ent != nil && ent.gen == e.entGen {
		return ent
	}
	got, err := e.store.Get(id)
	if err != nil {
		return nil
	}
	if ent == nil {
		ent = &entity{metrics: make(map[string]*watch, 1)}
		e.ents[id] = ent
	}
	ent.set(&got, e.entGen)
	return ent
}

// observe evaluates one reading. Must hold e.mu.
func (e *Engine) observe(out []twin.Op, o *twin.Observation) []twin.Op {
	mr := e.byMetric[o.Metric]
	if mr == nil {
		return out
	}
	ent := e.entity(o.ID)
	if ent == nil {
		return out
	}
	w := ent.watch(o.Metric)
	if w.gen != e.gen {
		out = e.rematch(out, o.ID, ent, w, mr, o.T)
	}
	if o.T < w.last {
		e.stats.Late++
		return out
	}
	w.last = o.T
	e.clock = max(e.clock, o.T)
	// An entity that moved leaves its old cells first.
	for i, p := range w.placed {
		if c := ent.cell(p.res); c != p.c {
			for _, list := range [2][]*rule{mr.global, w.rules} {
				for _, r := range list {
					if r.Scope == ScopeCell && r.Res == p.res {
						r.leave(o.ID, p.c)
					}
				}
			}
			w.placed[i].c = c
		}
	}
	for _, list := range [2][]*rule{mr.global, w.rules} {
		for _, r := range list {
			e.stats.Evaluations++
			if r.Scope == ScopeEntity {
				out = e.observeEntity(out, r, ent, o)
			} else {
				out = e.observeCell(out, r, ent, w, o)
			}
		}
	}
	return out
}

func (e *Engine) observeEntity(out []twin.Op, r *rule, ent *entity, o *twin.Observation) []twin.Op {
	st := r.entities[o.ID]
	if st == nil {
		if !r.Violates(o.V) {
			return out
		}
		st = &state{rule: r, id: ID(r.ID, string(o.ID)), subject: string(o.ID), key: o.ID, since: o.T}
		r.entities[o.ID] = st
	}
	var place orb.Geometry
	if ent.hasPt {
		place = ent.pt
	}
	out, keep := e.step(out, st, o.T, o.V, place)
	if !keep {
		delete(r.entities, o.ID)
	}
	return out
}

func (e *Engine) observeCell(out []twin.Op, r *rule, ent *entity, w *watch, o *twin.Observation) []twin.Op {
	c := ent.cell(r.Res)
	if c == 0 {
		return out
	}
	if w.placedAt(r.Res) != c {
		w.place(r.Res, c)
	}
	cd := r.cellOf(c)
	cd.put(o.ID, o.T, o.V)
	v, n := cd.aggregate(r.Agg, int64(r.Stale), &e.scratch)
	if n == 0 {
		r.tidy(c, cd)
		return out
	}
	if cd.st == nil {
		if !r.Violates(v) {
			return out
		}
		cd.st = &state{rule: r, id: ID(r.ID, c.String()), subject: c.String(), cell: c, since: cd.now}
	}
	out, keep := e.step(out, cd.st, cd.now, v, nil)
	if !keep {
		cd.st = nil
	}
	return out
}

// step moves a subject's state on with value v at t; keep is false when the
// subject has no more state. Must hold e.mu.
func (e *Engine) step(out []twin.Op, st *state, t int64, v float64, place orb.Geometry) (_ []twin.Op, keep bool) {
	r := st.rule
	if !st.active {
		if !r.Violates(v) {
			return out, false
		}
		if t-st.since < int64(r.For) {
			return out, true
		}
		st.active, st.since, st.value, st.peak = true, t, v, v
		if r.Scope == ScopeCell {
			place = cellPlace(st.cell)
		}
		out = append(out, e.raiseOp(st, place, t))
		e.alerts[st.id] = st
		e.stats.Raised++
		return out, true
	}
	if t < st.since { // older than the raise (a restored alert and a late reading)
		return out, true
	}
	if r.Holds(v) {
		if r.Worse(v, st.peak) {
			st.peak = v
			out = append(out, e.peakOp(st, t))
		}
		return out, true
	}
	return e.clear(out, st, t, ReasonValue, v), false
}

// clear clears an active alert. Must hold e.mu.
func (e *Engine) clear(out []twin.Op, st *state, t int64, reason string, v float64) []twin.Op {
	out = append(out, e.clearOp(st, t, reason, v))
	st.active = false
	delete(e.alerts, st.id)
	e.stats.Cleared++
	return out
}

// rematch finds the rules (beyond the global ones) that watch an entity's
// metric, after the rules or the entity changed; a subject that no longer
// matches a rule leaves its cell, and its alert is cleared at t. Must hold
// e.mu.
func (e *Engine) rematch(out []twin.Op, id twin.ID, ent *entity, w *watch, mr *metricRules, t int64) []twin.Op {
	if e.listsGen != e.gen {
		clear(e.lists)
		e.listsGen = e.gen
	}
	key := e.keyBuf[:0]
	matched := e.matchBuf[:0]
	for _, r := range mr.filtered {
		if r.matches(ent) {
			key = binary.LittleEndian.AppendUint32(key, r.n)
			matched = append(matched, r)
			continue
		}
		if r.Scope == ScopeCell {
			if c := w.placedAt(r.Res); c != 0 {
				r.leave(id, c)
			}
		} else if st := r.entities[id]; st != nil {
			delete(r.entities, id)
			if st.active {
				out = e.clear(out, st, max(t, st.since), ReasonSubjectGone, 0)
			}
		}
	}
	list, ok := e.lists[string(key)]
	if !ok {
		list = slices.Clone(matched)
		e.lists[string(key)] = list
	}
	e.keyBuf, e.matchBuf = key, matched[:0]
	w.rules, w.gen = list, e.gen
	return out
}
