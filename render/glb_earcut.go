package render

import "math"

// Ear clipping of polygons with holes, after Mapbox's earcut (ISC licence,
// the algorithm of Held's FIST and of Eberly's "Triangulation by ear
// clipping"): holes are bridged into the outer ring at their leftmost points,
// then ears are cut; when none is left, points are filtered, local
// self-intersections cured, and finally the polygon is split along a valid
// diagonal. It never fails: degenerate input gives fewer (or no) triangles.
// No z-order hashing: footprints have tens of points, not thousands.

type earNode struct {
	i          uint32 // vertex index
	x, y       float64
	prev, next *earNode
	steiner    bool
}

// earcut triangulates; it keeps its node blocks between calls so that a city
// of footprints allocates almost nothing. Not safe for concurrent use.
type earcut struct {
	blocks [][]earNode
	bi, ni int
	queue  []*earNode
	tris   []uint32
}

func (e *earcut) node(i uint32, x, y float64) *earNode {
	if e.bi == len(e.blocks) {
		e.blocks = append(e.blocks, make([]earNode, 256))
	}
	b := e.blocks[e.bi]
	n := &b[e.ni]
	*n = earNode{i: i, x: x, y: y}
	if e.ni++; e.ni == len(b) {
		e.bi, e.ni = e.bi+1, 0
	}
	return n
}

// triangulate returns the triangles (vertex indices, three a triangle) of
// the polygon whose points are xy (x, y pairs): the outer ring first, each
// hole starting at the point index in holes. Rings are open (no repeated
// first point) and may run either way. The result is valid until the next
// call.
func (e *earcut) triangulate(xy []float64, holes []int) []uint32 {
	e.bi, e.ni = 0, 0
	e.tris = e.tris[:0]
	outerLen := len(xy)
	if len(holes) > 0 {
		outerLen = holes[0] * 2
	}
	outer := e.linkedList(xy, 0, outerLen, true)
	if outer == nil || outer.next == outer.prev {
		return e.tris
	}
	if len(holes) > 0 {
		outer = e.eliminateHoles(xy, holes, outer)
	}
	e.earcutLinked(outer, 0)
	return e.tris
}

func (e *earcut) linkedList(xy []float64, start, end int, clockwise bool) *earNode {
	var last *earNode
	if clockwise == (earRingArea(xy, start, end) > 0) {
		for i := start; i < end; i += 2 {
			last = earInsertNode(e.node(uint32(i/2), xy[i], xy[i+1]), last)
		}
	} else {
		for i := end - 2; i >= start; i -= 2 {
			last = earInsertNode(e.node(uint32(i/2), xy[i], xy[i+1]), last)
		}
	}
	if last != nil && earEquals(last, last.next) {
		earRemoveNode(last)
		last = last.next
	}
	return last
}

// ringArea is earcut's signed area: positive for a clockwise ring in a y-up
// plane.
func earRingArea(xy []float64, start, end int) float64 {
	sum := 0.0
	for i, j := start, end-2; i < end; i += 2 {
		sum += (xy[j] - xy[i]) * (xy[i+1] + xy[j+1])
		j = i
	}
	return sum
}

// filterPoints removes duplicate and collinear points between start and end.
func earFilterPoints(start, end *earNode) *earNode {
	if start == nil {
		return nil
	}
	if end == nil {
		end = start
	}
	p := start
	for {
		again := false
		if !p.steiner && (earEquals(p, p.next) || earArea(p.prev, p, p.next) == 0) {
			earRemoveNode(p)
			p = p.prev
			end = p
			if p == p.next {
				break
			}
			again = true
		} else {
			p = p.next
		}
		if !again && p == end {
			break
		}
	}
	return end
}

func (e *earcut) earcutLinked(ear *earNode, pass int) {
	if ear == nil {
		return
	}
	stop := ear
	for ear.prev != ear.next {
		prev, next := ear.prev, ear.next
		if earIsEar(ear) {
			e.tris = append(e.tris, prev.i, ear.i, next.i)
			earRemoveNode(ear)
			ear = next.next
			stop = next.next
			continue
		}
		ear = next
		if ear == stop {
			switch pass {
			case 0:
				e.earcutLinked(earFilterPoints(ear, nil), 1)
			case 1:
				ear = e.cureLocalIntersections(earFilterPoints(ear, nil))
				e.earcutLinked(ear, 2)
			case 2:
				e.splitEarcut(ear)
			}
			break
		}
	}
}

func earIsEar(ear *earNode) bool {
	a, b, c := ear.prev, ear, ear.next
	if earArea(a, b, c) >= 0 {
		return false // reflex
	}
	x0, x1 := math.Min(a.x, math.Min(b.x, c.x)), math.Max(a.x, math.Max(b.x, c.x))
	y0, y1 := math.Min(a.y, math.Min(b.y, c.y)), math.Max(a.y, math.Max(b.y, c.y))
	for p := c.next; p != a; p = p.next {
		if p.x >= x0 && p.x <= x1 && p.y >= y0 && p.y <= y1 &&
			earPointInTriangle(a.x, a.y, b.x, b.y, c.x, c.y, p.x, p.y) && earArea(p.prev, p, p.next) >= 0 {
			return false
		}
	}
	return true
}

func (e *earcut) cureLocalIntersections(start *earNode) *earNode {
	p := start
	for {
		a, b := p.prev, p.next.next
		if !earEquals(a, b) && earIntersects(a, p, p.next, b) && earLocallyInside(a, b) && earLocallyInside(b, a) {
			e.tris = append(e.tris, a.i, p.i, b.i)
			earRemoveNode(p)
			earRemoveNode(p.next)
			p, start = b, b
		}
		p = p.next
		if p == start {
			break
		}
	}
	return earFilterPoints(p, nil)
}

func (e *earcut) splitEarcut(start *earNode) {
	a := start
	for {
		for b := a.next.next; b != a.prev; b = b.next {
			if a.i != b.i && earIsValidDiagonal(a, b) {
				c := e.splitPolygon(a, b)
				a = earFilterPoints(a, a.next)
				c = earFilterPoints(c, c.next)
				e.earcutLinked(a, 0)
				e.earcutLinked(c, 0)
				return
			}
		}
		a = a.next
		if a == start {
			return
		}
	}
}

func (e *earcut) eliminateHoles(xy []float64, holes []int, outer *earNode) *earNode {
	q := e.queue[:0]
	for i, h := range holes {
		start, end := h*2, len(xy)
		if i < len(holes)-1 {
			end = holes[i+1] * 2
		}
		list := e.linkedList(xy, start, end, false)
		if list == nil {
			continue
		}
		if list == list.next {
			list.steiner = true
		}
		q = append(q, earLeftmost(list))
	}
	// Insertion sort by x, then y: few holes.
	for i := 1; i < len(q); i++ {
		for j := i; j > 0 && (q[j].x < q[j-1].x || q[j].x == q[j-1].x && q[j].y < q[j-1].y); j-- {
			q[j], q[j-1] = q[j-1], q[j]
		}
	}
	for _, h := range q {
		outer = e.eliminateHole(h, outer)
	}
	e.queue = q[:0]
	return outer
}

func (e *earcut) eliminateHole(hole, outer *earNode) *earNode {
	bridge := earFindHoleBridge(hole, outer)
	if bridge == nil {
		return outer
	}
	rev := e.splitPolygon(bridge, hole)
	earFilterPoints(rev, rev.next)
	return earFilterPoints(bridge, bridge.next)
}

// findHoleBridge finds a point of the outer ring that the hole's leftmost
// point can be joined to (David Eberly's algorithm).
func earFindHoleBridge(hole, outer *earNode) *earNode {
	p := outer
	hx, hy := hole.x, hole.y
	qx := math.Inf(-1)
	var m *earNode
	for {
		if hy <= p.y && hy >= p.next.y && p.next.y != p.y {
			x := p.x + (hy-p.y)*(p.next.x-p.x)/(p.next.y-p.y)
			if x <= hx && x > qx {
				qx = x
				if p.next.x > p.x {
					m = p
				} else {
					m = p.next
				}
				if x == hx {
					return m
				}
			}
		}
		p = p.next
		if p == outer {
			break
		}
	}
	if m == nil {
		return nil
	}
	stop := m
	mx, my := m.x, m.y
	tanMin := math.Inf(1)
	p = m
	for {
		if hx >= p.x && p.x >= mx && hx != p.x {
			ax, cx := qx, hx
			if hy < my {
				ax, cx = hx, qx
			}
			if earPointInTriangle(ax, hy, mx, my, cx, hy, p.x, p.y) {
				tan := math.Abs(hy-p.y) / (hx - p.x)
				if earLocallyInside(p, hole) && (tan < tanMin || tan == tanMin && (p.x > m.x || p.x == m.x && earSectorContainsSector(m, p))) {
					m, tanMin = p, tan
				}
			}
		}
		p = p.next
		if p == stop {
			break
		}
	}
	return m
}

func earSectorContainsSector(m, p *earNode) bool {
	return earArea(m.prev, m, p.prev) < 0 && earArea(p.next, m, m.next) < 0
}

func earLeftmost(start *earNode) *earNode {
	p, l := start, start
	for {
		if p.x < l.x || p.x == l.x && p.y < l.y {
			l = p
		}
		p = p.next
		if p == start {
			return l
		}
	}
}

func earPointInTriangle(ax, ay, bx, by, cx, cy, px, py float64) bool {
	return (cx-px)*(ay-py) >= (ax-px)*(cy-py) &&
		(ax-px)*(by-py) >= (bx-px)*(ay-py) &&
		(bx-px)*(cy-py) >= (cx-px)*(by-py)
}

func earIsValidDiagonal(a, b *earNode) bool {
	return a.next.i != b.i && a.prev.i != b.i && !earIntersectsPolygon(a, b) &&
		(earLocallyInside(a, b) && earLocallyInside(b, a) && earMiddleInside(a, b) &&
			(earArea(a.prev, a, b.prev) != 0 || earArea(a, b.prev, b) != 0) ||
			earEquals(a, b) && earArea(a.prev, a, a.next) > 0 && earArea(b.prev, b, b.next) > 0)
}

func earArea(p, q, r *earNode) float64 {
	return (q.y-p.y)*(r.x-q.x) - (q.x-p.x)*(r.y-q.y)
}

func earEquals(a, b *earNode) bool { return a.x == b.x && a.y == b.y }

func earIntersects(p1, q1, p2, q2 *earNode) bool {
	o1, o2 := earSign(earArea(p1, q1, p2)), earSign(earArea(p1, q1, q2))
	o3, o4 := earSign(earArea(p2, q2, p1)), earSign(earArea(p2, q2, q1))
	return o1 != o2 && o3 != o4 ||
		o1 == 0 && earOnSegment(p1, p2, q1) ||
		o2 == 0 && earOnSegment(p1, q2, q1) ||
		o3 == 0 && earOnSegment(p2, p1, q2) ||
		o4 == 0 && earOnSegment(p2, q1, q2)
}

func earOnSegment(p, q, r *earNode) bool {
	return q.x <= math.Max(p.x, r.x) && q.x >= math.Min(p.x, r.x) && q.y <= math.Max(p.y, r.y) && q.y >= math.Min(p.y, r.y)
}

func earSign(v float64) int {
	switch {
	case v > 0:
		return 1
	case v < 0:
		return -1
	}
	return 0
}

func earIntersectsPolygon(a, b *earNode) bool {
	p := a
	for {
		if p.i != a.i && p.next.i != a.i && p.i != b.i && p.next.i != b.i && earIntersects(p, p.next, a, b) {
			return true
		}
		p = p.next
		if p == a {
			return false
		}
	}
}

func earLocallyInside(a, b *earNode) bool {
	if earArea(a.prev, a, a.next) < 0 {
		return earArea(a, b, a.next) >= 0 && earArea(a, a.prev, b) >= 0
	}
	return earArea(a, b, a.prev) < 0 || earArea(a, a.next, b) < 0
}

func earMiddleInside(a, b *earNode) bool {
	p := a
	inside := false
	px, py := (a.x+b.x)/2, (a.y+b.y)/2
	for {
		if (p.y > py) != (p.next.y > py) && p.next.y != p.y && px < (p.next.x-p.x)*(py-p.y)/(p.next.y-p.y)+p.x {
			inside = !inside
		}
		p = p.next
		if p == a {
			return inside
		}
	}
}

func (e *earcut) splitPolygon(a, b *earNode) *earNode {
	a2, b2 := e.node(a.i, a.x, a.y), e.node(b.i, b.x, b.y)
	an, bp := a.next, b.prev
	a.next, b.prev = b, a
	a2.next, an.prev = an, a2
	b2.next, a2.prev = a2, b2
	bp.next, b2.prev = b2, bp
	return b2
}

func earInsertNode(p, last *earNode) *earNode {
	if last == nil {
		p.prev, p.next = p, p
	} else {
		p.next = last.next
		p.prev = last
		last.next.prev = p
		last.next = p
	}
	return p
}

func earRemoveNode(p *earNode) {
	p.next.prev = p.prev
	p.prev.next = p.next
}
