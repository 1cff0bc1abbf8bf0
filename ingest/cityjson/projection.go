package cityjson

import (
	"math"
	"slices"

	"github.com/paulmach/orb"
)

// touchTolerance is how close (file units) a vertex may come to another edge
// before the rings of rules 3 and 4 count as touching there: a micrometre,
// far below the millimetre of the vertices.
const touchTolerance = 1e-6

// projected applies rules 3 and 4 (see footprint.go) to a solid: the union of
// its upward faces, else its walls' bottom edges, each kept only if it makes
// simple, non-overlapping rings. It is empty, with ruleNone, when neither
// does.
func (sc *scratch) projected(g *Geometry, v []float64, canon []int32) (orb.MultiPolygon, int) {
	if mp, ok := sc.roofPrint(g, v, canon); ok {
		return mp, ruleRoof
	}
	if mp, ok := sc.wallBasePrint(g, v, canon); ok {
		return mp, ruleWallBase
	}
	return nil, ruleNone
}

// roofPrint is rule 3: the union of the upward faces of the exterior shells
// of g, if they tile.
func (sc *scratch) roofPrint(g *Geometry, v []float64, canon []int32) (orb.MultiPolygon, bool) {
	up := sc.surfs[:0]
	for i := range g.Surfaces {
		s := &g.Surfaces[i]
		if s.Shell != 0 {
			continue
		}
		if nz, ok := normalZ(s.Rings[0], v); ok && nz > 0.01 {
			up = append(up, s)
		}
	}
	sc.surfs = up
	if len(up) == 0 {
		return nil, false
	}
	sc.addSurfaces(up, v, canon)
	return sc.tiling(v)
}

// wallBasePrint is rule 4: the bottom edges of the walls of g, if they chain
// into simple rings.
func (sc *scratch) wallBasePrint(g *Geometry, v []float64, canon []int32) (orb.MultiPolygon, bool) {
	n := 0
	for i := range g.Surfaces {
		n += len(g.Surfaces[i].Rings[0])
	}
	t := &sc.edges
	t.reset(n)
	eachWallBase(g, v, func(a, b int) {
		if ca, cb := canon[a], canon[b]; ca != cb {
			t.add(ca, cb)
		}
	})
	if len(t.used) == 0 {
		return nil, false
	}
	return sc.tiling(v)
}

// eachWallBase calls fn with the bottom edges a -> b of the walls (vertical
// surfaces of the exterior shells) of g: the edges of the walls' exteriors
// that have the wall above them (in the ring order of an outward wall, the
// wall lies left of its edges, so such an edge runs along z × normal) and
// that no other surface of the shell shares, bar those facing down (a floor
// is what rule 4 stands in for). Edges are matched in 3D, to the millimetre,
// and an edge and its reverse cancel: that removes the joins of a wall cut
// into triangles or strips, and the foot of a wall that stands on a lower
// roof. Edges come in their ring order: counter-clockwise around the
// footprint for an outward shell.
func eachWallBase(g *Geometry, v []float64, fn func(a, b int)) {
	type p3 struct{ x, y, z int64 }
	id := map[p3]int32{}
	vid := func(i int) int32 {
		k := p3{int64(math.Round(v[3*i] * 1000)), int64(math.Round(v[3*i+1] * 1000)), int64(math.Round(v[3*i+2] * 1000))}
		c, ok := id[k]
		if !ok {
			c = int32(len(id))
			id[k] = c
		}
		return c
	}
	type e3 struct{ a, b int32 }
	net := map[e3]int{}
	for i := range g.Surfaces {
		s := &g.Surfaces[i]
		if s.Shell != 0 {
			continue
		}
		if nz, ok := normalZ(s.Rings[0], v); !ok || nz < -0.01 {
			continue
		}
		r := s.Rings[0]
		prev := vid(r[len(r)-1])
		for _, i := range r {
			a, b := prev, vid(i)
			prev = b
			if a < b {
				net[e3{a, b}]++
			} else if a > b {
				net[e3{b, a}]--
			}
		}
	}
	for i := range g.Surfaces {
		s := &g.Surfaces[i]
		if s.Shell != 0 {
			continue
		}
		n := normal(s.Rings[0], v)
		l := math.Sqrt(n[0]*n[0] + n[1]*n[1] + n[2]*n[2])
		if l == 0 || math.Abs(n[2]/l) > 0.01 {
			continue
		}
		ux, uy := -n[1]/l, n[0]/l // z × n
		r := s.Rings[0]
		prev := r[len(r)-1]
		for _, i := range r {
			a, b := prev, i
			prev = i
			if (v[3*b]-v[3*a])*ux+(v[3*b+1]-v[3*a+1])*uy <= touchTolerance {
				continue // vertical, or the wall lies below
			}
			ia, ib := vid(a), vid(b)
			if ia < ib && net[e3{ia, ib}] == 1 || ia > ib && net[e3{ib, ia}] == -1 {
				fn(a, b)
			}
		}
	}
}

// normalZ is the z of the unit normal of a ring; false for a ring of no area.
func normalZ(ring []int, v []float64) (float64, bool) {
	n := normal(ring, v)
	l := math.Sqrt(n[0]*n[0] + n[1]*n[1] + n[2]*n[2])
	if l == 0 {
		return 0, false
	}
	return n[2] / l, true
}

// tiling chains the edges in the table into polygons if they bound a region
// once: no edge is left more than once, the edges chain, the rings are simple
// and do not overlap (simpleRings). Rings that all run clockwise (a shell
// oriented inwards) are turned.
func (sc *scratch) tiling(v []float64) (orb.MultiPolygon, bool) {
	t := &sc.edges
	rem := sc.rem[:0]
	for _, k := range t.used {
		lo, hi := t.keys[k]>>32, t.keys[k]&(1<<32-1)
		switch t.net[k] {
		case 0:
		case 1:
			rem = append(rem, lo<<32|hi)
		case -1:
			rem = append(rem, hi<<32|lo)
		default: // the same edge twice: surfaces overlap
			sc.rem = rem
			return nil, false
		}
	}
	slices.Sort(rem)
	sc.rem = rem
	if len(rem) < 3 {
		return nil, false
	}
	rings, ok := chain(rem, v, sc)
	if !ok || len(rings) == 0 {
		return nil, false
	}
	total := 0.0
	for _, r := range rings {
		total += signedArea(r)
	}
	if total == 0 || math.IsNaN(total) {
		return nil, false
	}
	if total < 0 {
		for _, r := range rings {
			reverse(r)
		}
	}
	if !simpleRings(rings) {
		return nil, false
	}
	return assemble(rings), true
}

// simpleRings reports whether closed rings bound a region once: no two edges
// cross, overlap or touch except at a common end vertex (where they must not
// run along each other), and the winding number of every ring's inside, counted
// by the other rings, is 0 for an exterior (counter-clockwise: it lies in no
// other region, or in a hole) and 1 for a hole (it lies in exactly one
// exterior). Then the rings are a valid set of polygons whose area is the sum
// of their signed areas. Edges are swept in order of their least x.
func simpleRings(rings []orb.Ring) bool {
	type seg struct{ a, b orb.Point }
	var segs []seg
	for _, r := range rings {
		for i := 0; i+1 < len(r); i++ {
			if r[i] == r[i+1] {
				return false
			}
			segs = append(segs, seg{r[i], r[i+1]})
		}
	}
	minX := func(s seg) float64 { return min(s.a[0], s.b[0]) }
	slices.SortFunc(segs, func(p, q seg) int {
		switch x, y := minX(p), minX(q); {
		case x < y:
			return -1
		case x > y:
			return 1
		}
		return 0
	})
	for i, s := range segs {
		hiX := max(s.a[0], s.b[0])
		loY, hiY := min(s.a[1], s.b[1]), max(s.a[1], s.b[1])
		for _, u := range segs[i+1:] {
			if minX(u) > hiX+touchTolerance {
				break
			}
			if min(u.a[1], u.b[1]) > hiY+touchTolerance || max(u.a[1], u.b[1]) < loY-touchTolerance {
				continue
			}
			if !apart(s.a, s.b, u.a, u.b) {
				return false
			}
		}
	}
	for i, r := range rings {
		p := orb.Point{(r[0][0] + r[1][0]) / 2, (r[0][1] + r[1][1]) / 2}
		w := 0
		for j, o := range rings {
			if j == i || !inRing(p, o) {
				continue
			}
			if signedArea(o) > 0 {
				w++
			} else {
				w--
			}
		}
		if signedArea(r) > 0 && w != 0 || signedArea(r) < 0 && w != 1 {
			return false
		}
	}
	return true
}

// apart reports whether segments ab and cd meet at most in a common end
// without running along each other there.
func apart(a, b, c, d orb.Point) bool {
	switch {
	case a == c && b == d, a == d && b == c:
		return false
	case a == c:
		return !sameRay(a, b, d)
	case a == d:
		return !sameRay(a, b, c)
	case b == c:
		return !sameRay(b, a, d)
	case b == d:
		return !sameRay(b, a, c)
	}
	d1, d2 := side(a, b, c), side(a, b, d)
	d3, d4 := side(c, d, a), side(c, d, b)
	if d1*d2 < 0 && d3*d4 < 0 {
		return false // a proper crossing
	}
	return !(d1 == 0 && within(a, b, c) || d2 == 0 && within(a, b, d) ||
		d3 == 0 && within(c, d, a) || d4 == 0 && within(c, d, b))
}

// side is the side of line ab that c lies on: 1 left, -1 right, 0 within
// touchTolerance of the line.
func side(a, b, c orb.Point) int {
	cross := (b[0]-a[0])*(c[1]-a[1]) - (b[1]-a[1])*(c[0]-a[0])
	l := math.Hypot(b[0]-a[0], b[1]-a[1])
	switch {
	case cross > touchTolerance*l:
		return 1
	case cross < -touchTolerance*l:
		return -1
	}
	return 0
}

// within reports whether c, on the line ab, lies between a and b (ends
// included, with touchTolerance).
func within(a, b, c orb.Point) bool {
	return c[0] >= min(a[0], b[0])-touchTolerance && c[0] <= max(a[0], b[0])+touchTolerance &&
		c[1] >= min(a[1], b[1])-touchTolerance && c[1] <= max(a[1], b[1])+touchTolerance
}

// sameRay reports whether b and c lie on the same ray from o: edges from a
// common vertex that run along each other.
func sameRay(o, b, c orb.Point) bool {
	if side(o, b, c) != 0 {
		return false
	}
	return (b[0]-o[0])*(c[0]-o[0])+(b[1]-o[1])*(c[1]-o[1]) > 0
}
