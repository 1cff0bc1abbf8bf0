package web

import (
	"citytwin/geo"
	"citytwin/twin"

	"github.com/paulmach/orb"
	"github.com/uber/h3-go/v4"
)

// match reports whether an entity is in the view, by the conditions of
// twin.Query: kinds, ids, property filters, and its place against the boxes
// (a point inside, or a bound that meets one; twin.Query refines the bound
// with the exact geometry, which for the moving points of the stream is the
// same) and cells (by the H3 hierarchy of its point's resolution-15 cell).
func (v *streamView) match(slot uint32, st *entState, idSlots map[uint32]struct{}) bool {
	if len(v.IDs) > 0 {
		if _, ok := idSlots[slot]; !ok {
			return false
		}
	}
	if len(v.Kinds) > 0 {
		ok := false
		for _, k := range v.Kinds {
			if k == st.kind {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	if len(v.Where) > 0 && st.ent != nil {
		for _, f := range v.Where {
			val, ok := st.ent.Props.Get(f.Key)
			if !f.Match(val, ok) {
				return false
			}
		}
	}
	if !v.spatial() {
		return true
	}
	if !st.placed {
		return false
	}
	if len(v.BBox) > 0 {
		in := false
		for _, b := range v.BBox {
			if st.point && b.Contains(st.pos) || !st.point && b.Intersects(st.bound) {
				in = true
				break
			}
		}
		if !in {
			return false
		}
	}
	if len(v.Cells) > 0 {
		return inCells(v.Cells, st.pos)
	}
	return true
}

// maxSimpleKinds is the most kinds a view kept inline may have.
const maxSimpleKinds = 4

// setSimple keeps the view inline in c when it is one box and at most
// maxSimpleKinds kinds, its names the hub's copies. Run only.
func (c *streamClient) setSimple(h *hub) {
	v := c.view
	c.simple = len(v.BBox) == 1 && len(v.Cells) == 0 && len(v.IDs) == 0 && len(v.Where) == 0 && len(v.Kinds) <= maxSimpleKinds
	c.nkinds, c.kinds = 0, [maxSimpleKinds]twin.Kind{}
	if !c.simple {
		return
	}
	c.box = v.BBox[0]
	for _, k := range v.Kinds {
		c.kinds[c.nkinds] = h.kind(k)
		c.nkinds++
	}
}

// matchSimple is match for a simple view.
func (c *streamClient) matchSimple(st *entState) bool {
	if c.nkinds > 0 {
		ok := false
		for _, k := range c.kinds[:c.nkinds] {
			if k == st.kind {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	if !st.placed {
		return false
	}
	if st.point {
		return c.box.Contains(st.pos)
	}
	return c.box.Intersects(st.bound)
}

// near reports whether a bound meets the view's boxes (or its cells' bound);
// false when the entity had no place.
func (v *streamView) near(b orb.Bound, placed bool) bool {
	if !placed {
		return false
	}
	for _, x := range v.BBox {
		if x.Intersects(b) {
			return true
		}
	}
	if len(v.Cells) > 0 {
		return v.cellBound.Intersects(b)
	}
	return false
}

// inCells reports whether p's resolution-15 cell lies in any of cells.
func inCells(cells []h3.Cell, p orb.Point) bool {
	leaf := geo.Cell(p, 15)
	if leaf == 0 {
		return false
	}
	for _, c := range cells {
		if geo.Parent(leaf, geo.CellResolution(c)) == c {
			return true
		}
	}
	return false
}

// metricIndex is the position of a metric in the view's list, -1 if absent.
func (v *streamView) metricIndex(m string) int {
	for i, x := range v.Metrics {
		if x == m {
			return i
		}
	}
	return -1
}

// entSnap is an entity's state as a client is sent it.
type entSnap struct {
	id     twin.ID
	kind   twin.Kind
	ent    *twin.Entity
	pos    orb.Point
	placed bool
	moving bool
}

func snapOf(st *entState) entSnap {
	return entSnap{id: st.id, kind: st.kind, ent: st.ent, pos: st.pos, placed: st.placed, moving: st.moving}
}

// snapOfEntity is the state of an entity read from the store.
func snapOfEntity(e *twin.Entity) entSnap {
	s := entSnap{id: e.ID, kind: e.Kind, ent: e, moving: e.Moving}
	if e.Geometry != nil {
		s.pos, s.placed = e.Geometry.Bound().Center(), true
	}
	return s
}
