package twin

import (
	"math"
	"slices"
	"sort"

	"citytwin/geo"

	"github.com/paulmach/orb"
	"github.com/uber/h3-go/v4"
)

// oracle is a brute-force model of the twin: every version and every position kept
// in plain slices, every query answered by looking at everything.
type oracle struct {
	order    []ID // first-seen order, as the store's slots
	versions map[ID][]oracleVersion
	tracks   map[ID][]Position // sorted by T, quantised as the store keeps them
	obs      map[ID]map[string][]Observation
}

type oracleVersion struct {
	from    int64
	deleted bool
	e       Entity
}

func newOracle() *oracle {
	return &oracle{versions: map[ID][]oracleVersion{}, tracks: map[ID][]Position{}, obs: map[ID]map[string][]Observation{}}
}

func (o *oracle) current(id ID) (oracleVersion, bool) {
	vs := o.versions[id]
	if len(vs) == 0 {
		return oracleVersion{}, false
	}
	return vs[len(vs)-1], true
}

func (o *oracle) apply(op Op) {
	switch op.Type {
	case OpUpsert:
		e := *op.Entity
		cur, ok := o.current(e.ID)
		if !ok && o.versions[e.ID] == nil {
			o.order = append(o.order, e.ID)
		}
		from := op.T
		if ok {
			from = max(from, cur.from)
		}
		if ok && !cur.deleted && sameEntity(cur.e, e) {
			return
		}
		o.versions[e.ID] = append(o.versions[e.ID], oracleVersion{from: from, e: e})
		if p, isPt := e.Geometry.(orb.Point); isPt && o.tracks[e.ID] != nil {
			o.move(Position{ID: e.ID, T: op.T, Point: p})
		}
	case OpPatch:
		cur, _ := o.current(op.ID)
		e := cur.e
		e.Props = e.Props.Merge(op.Patch)
		o.versions[op.ID] = append(o.versions[op.ID], oracleVersion{from: max(op.T, cur.from), e: e})
	case OpDelete:
		cur, _ := o.current(op.ID)
		o.versions[op.ID] = append(o.versions[op.ID], oracleVersion{from: max(op.T, cur.from), deleted: true, e: Entity{ID: op.ID, Kind: cur.e.Kind}})
	case OpMove:
		for _, p := range op.Positions {
			o.move(p)
		}
	case OpObserve:
		for _, ob := range op.Observations {
			if o.obs[ob.ID] == nil {
				o.obs[ob.ID] = map[string][]Observation{}
			}
			o.obs[ob.ID][ob.Metric] = append(o.obs[ob.ID][ob.Metric], ob)
		}
	}
}

func (o *oracle) move(p Position) {
	p.Point = Quantise(p.Point)
	tr := o.tracks[p.ID]
	i := sort.Search(len(tr), func(i int) bool { return tr[i].T >= p.T })
	if i < len(tr) && tr[i].T == p.T {
		tr[i] = p
	} else {
		tr = slices.Insert(tr, i, p)
	}
	o.tracks[p.ID] = tr
}

// at returns the entity as of t (0 = now) and whether it existed.
func (o *oracle) at(id ID, t int64) (Entity, bool) {
	if t == 0 {
		t = math.MaxInt64 // now is after everything
	}
	return o.atInstant(id, t)
}

// atInstant is at with t taken as it is (0 is 1970).
func (o *oracle) atInstant(id ID, t int64) (Entity, bool) {
	vs := o.versions[id]
	var v *oracleVersion
	for i := len(vs) - 1; i >= 0; i-- {
		if vs[i].from <= t {
			v = &vs[i]
			break
		}
	}
	if v == nil || v.deleted {
		return Entity{}, false
	}
	e := v.e
	if tr := o.tracks[id]; tr != nil {
		e.Moving = true
		i := sort.Search(len(tr), func(i int) bool { return tr[i].T > t })
		if i > 0 {
			e.Geometry = tr[i-1].Point
		}
	}
	return e, true
}

// during answers an interval query by brute force: the ids, in first-seen order,
// of the entities that match q at some instant in [q.At, q.Until], each with an
// instant at which it is as it was when it last matched. An entity changes only
// when a version begins or a position is recorded, so it is enough to test it at
// the start of the interval and at each of those instants inside it.
func (o *oracle) during(q Query) ([]ID, []int64) {
	var (
		out  []ID
		when []int64
	)
	for _, id := range o.order {
		instants := []int64{q.At}
		for _, v := range o.versions[id] {
			if v.from > q.At && v.from <= q.Until {
				instants = append(instants, v.from)
			}
		}
		for _, p := range o.tracks[id] {
			if p.T > q.At && p.T <= q.Until {
				instants = append(instants, p.T)
			}
		}
		slices.Sort(instants)
		for i := len(instants) - 1; i >= 0; i-- {
			if e, ok := o.atInstant(id, instants[i]); ok && o.matches(q, e) {
				out, when = append(out, id), append(when, instants[i])
				break
			}
		}
	}
	return out, when
}

// query answers q by brute force: ids in first-seen order.
func (o *oracle) query(q Query) []ID {
	var out []ID
	for _, id := range o.order {
		e, ok := o.at(id, q.At)
		if !ok || !o.matches(q, e) {
			continue
		}
		out = append(out, id)
	}
	return out
}

func (o *oracle) matches(q Query, e Entity) bool {
	if len(q.Kinds) > 0 && !slices.Contains(q.Kinds, e.Kind) {
		return false
	}
	if len(q.IDs) > 0 && !slices.Contains(q.IDs, e.ID) {
		return false
	}
	for _, f := range q.Where {
		v, ok := e.Props.Get(f.Key)
		if !f.Match(v, ok) {
			return false
		}
	}
	if q.Match != nil && !q.Match(&e) {
		return false
	}
	g := e.Geometry
	if q.spatial() && g == nil {
		return false
	}
	if len(q.BBox) > 0 {
		hit := false
		for _, b := range q.BBox {
			hit = hit || geo.Intersects(g, b)
		}
		if !hit {
			return false
		}
	}
	if q.Within != nil && !geo.Within(g, q.Within) {
		return false
	}
	if q.Intersects != nil && !geo.Intersects(g, q.Intersects) {
		return false
	}
	if q.Near != nil && geo.DistanceToGeometry(q.Near.Center, g) > q.Near.Radius {
		return false
	}
	if len(q.Cells) > 0 {
		p, ok := anchor(g)
		if !ok {
			return false
		}
		hit := false
		for _, c := range q.Cells {
			// hierarchical membership: the parent of the point's finest cell
			hit = hit || h3.LatLngToCell(h3.LatLng{Lat: p[1], Lng: p[0]}, 15).Parent(c.Resolution()) == c
		}
		if !hit {
			return false
		}
	}
	return true
}

// nearest returns the k nearest ids and distances by brute force.
func (o *oracle) nearest(p orb.Point, k int, q Query) ([]ID, []float64) {
	type nd struct {
		id  ID
		pos int
		d   float64
	}
	var all []nd
	for i, id := range o.order {
		e, ok := o.at(id, q.At)
		if !ok || e.Geometry == nil || !o.matches(q, e) {
			continue
		}
		all = append(all, nd{id, i, geo.DistanceToGeometry(p, e.Geometry)})
	}
	sort.Slice(all, func(i, j int) bool {
		if all[i].d != all[j].d {
			return all[i].d < all[j].d
		}
		return all[i].pos < all[j].pos
	})
	if len(all) > k {
		all = all[:k]
	}
	ids := make([]ID, len(all))
	ds := make([]float64, len(all))
	for i, x := range all {
		ids[i], ds[i] = x.id, x.d
	}
	return ids, ds
}

// latest is the newest observation of id's metric at or before t (0 = now).
func (o *oracle) latest(id ID, metric string, t int64) (Observation, bool) {
	var best Observation
	found := false
	for _, ob := range o.obs[id][metric] {
		if (t == 0 || ob.T <= t) && (!found || ob.T >= best.T) {
			best, found = ob, true
		}
	}
	return best, found
}

func approxEqual(a, b float64) bool {
	if math.IsNaN(a) || math.IsNaN(b) {
		return math.IsNaN(a) && math.IsNaN(b)
	}
	return math.Abs(a-b) <= 1e-9*math.Max(1, math.Max(math.Abs(a), math.Abs(b)))
}

// sameEntity is the store's rule for an upsert that changes nothing.
func sameEntity(a, b Entity) bool {
	return a.Kind == b.Kind && orb.Equal(a.Geometry, b.Geometry) && slices.Equal(a.Props, b.Props) &&
		float32(a.Height) == float32(b.Height) && float32(a.MinHeight) == float32(b.MinHeight) && a.Levels == b.Levels &&
		slices.Equal(a.Links, b.Links) && len(a.Provenance) == 0 && len(b.Provenance) == 0
}
