package geo

import (
	"math"
	"slices"

	"github.com/paulmach/orb"
)

// covers reports whether every point of o lies in p (see Contains).
func (p *parts) covers(o *parts) bool {
	for _, q := range o.points {
		if !p.coversPoint(q) {
			return false
		}
	}
	if !o.segments(false, p.coversSegment) {
		return false
	}
	for _, poly := range o.polys {
		if !p.coversPolygon(poly) {
			return false
		}
	}
	return true
}

// coversSegment reports whether the closed segment s0-s1 lies in p. The
// segment is cut wherever it meets a segment or ring edge of p; each piece
// then lies wholly in or wholly out of p's areas, so its midpoint decides,
// unless the piece runs along a line or edge of p, which is decided exactly.
func (p *parts) coversSegment(s0, s1 orb.Point) bool {
	return p.coversSegmentIn(s0, s1, nil)
}

// coversSegmentIn is coversSegment for only those parts of s0-s1 that lie in
// self (when not nil). It serves the holes of a polygon, which belong to
// the polygon only where they are inside its outer ring: always, when the
// polygon is valid.
func (p *parts) coversSegmentIn(s0, s1 orb.Point, self *parts) bool {
	in := func(q orb.Point) bool { return self == nil || self.coversPoint(q) }
	if (in(s0) && !p.coversPoint(s0)) || (in(s1) && !p.coversPoint(s1)) {
		return false
	}
	if s0 == s1 {
		return true
	}
	ts := []float64{0, 1}
	cut := func(a, b orb.Point) bool {
		ts = segmentParams(s0, s1, a, b, ts)
		return true
	}
	p.segments(true, cut)
	if self != nil {
		self.segments(true, cut)
	}
	slices.Sort(ts)
	ts = slices.Compact(ts)
	for i := 1; i < len(ts); i++ {
		t0, t1 := ts[i-1], ts[i]
		m := lerp(s0, s1, (t0+t1)/2)
		if self != nil && !self.inAreas(m) && !self.alongSegments(s0, s1, t0, t1) {
			continue
		}
		if p.inAreas(m) || p.alongSegments(s0, s1, t0, t1) {
			continue
		}
		return false
	}
	return true
}

// alongSegments reports whether the piece [t0, t1] of s0-s1 lies on one
// segment or ring edge of p that is collinear with it.
func (p *parts) alongSegments(s0, s1 orb.Point, t0, t1 float64) bool {
	return !p.segments(true, func(a, b orb.Point) bool {
		return !pieceOnSegment(s0, s1, t0, t1, a, b)
	})
}

// pieceOnSegment reports whether the piece [t0, t1] of s0-s1 lies on ab.
// Collinearity is exact; the parameters are compared as computed by
// segmentParams, so the pieces it cut line up with the segments that cut them.
func pieceOnSegment(s0, s1 orb.Point, t0, t1 float64, a, b orb.Point) bool {
	if orient(s0, s1, a) != 0 || orient(s0, s1, b) != 0 {
		return false
	}
	dx, dy := s1[0]-s0[0], s1[1]-s0[1]
	ta, tb := paramAlong(s0, dx, dy, a), paramAlong(s0, dx, dy, b)
	if !inBox(s0, s1, a) {
		ta = outsideParam(s0, dx, dy, a)
	}
	if !inBox(s0, s1, b) {
		tb = outsideParam(s0, dx, dy, b)
	}
	lo, hi := math.Min(ta, tb), math.Max(ta, tb)
	return lo <= t0 && t1 <= hi
}

// outsideParam places a collinear point beyond the segment at -1 or 2, which
// is all pieceOnSegment needs to know about it.
func outsideParam(s0 orb.Point, dx, dy float64, q orb.Point) float64 {
	var d, v float64
	if math.Abs(dx) >= math.Abs(dy) {
		d, v = dx, q[0]-s0[0]
	} else {
		d, v = dy, q[1]-s0[1]
	}
	if (v < 0) == (d < 0) {
		return 2
	}
	return -1
}

func lerp(a, b orb.Point, t float64) orb.Point {
	return orb.Point{a[0] + t*(b[0]-a[0]), a[1] + t*(b[1]-a[1])}
}

// coversPolygon reports whether the area poly lies in p: its rings lie in p,
// no boundary of p's areas passes through its interior, and one interior
// point lies in p's areas. The interior is connected and, by the second
// test, not cut by p's boundary, so that one point speaks for all of it.
func (p *parts) coversPolygon(poly orb.Polygon) bool {
	if !ringEdges(poly[0], p.coversSegment) {
		return false
	}
	var self parts
	self.addPolygon(poly)
	for _, h := range poly[1:] {
		if !ringEdges(h, func(a, b orb.Point) bool { return p.coversSegmentIn(a, b, &self) }) {
			return false
		}
	}
	q, ok := interiorPoint(poly)
	if !ok {
		// No interior (all vertices collinear): the rings were all of it.
		return true
	}
	if !p.inAreas(q) {
		return false
	}
	for _, area := range p.polys {
		for _, r := range area {
			if !ringEdges(r, self.edgeOutsideInterior) {
				return false
			}
		}
	}
	return true
}

// edgeOutsideInterior reports whether the segment a-b stays out of the
// interior of the (single) polygon in p, touching its boundary at most.
func (p *parts) edgeOutsideInterior(a, b orb.Point) bool {
	if a == b {
		return locatePolygon(a, p.polys[0]) != inside
	}
	ts := []float64{0, 1}
	p.segments(true, func(c, d orb.Point) bool {
		ts = segmentParams(a, b, c, d, ts)
		return true
	})
	slices.Sort(ts)
	ts = slices.Compact(ts)
	if locatePolygon(a, p.polys[0]) == inside || locatePolygon(b, p.polys[0]) == inside {
		return false
	}
	for i := 1; i < len(ts); i++ {
		t0, t1 := ts[i-1], ts[i]
		if p.alongSegments(a, b, t0, t1) {
			continue
		}
		if locatePolygon(lerp(a, b, (t0+t1)/2), p.polys[0]) == inside {
			return false
		}
	}
	return true
}

// interiorPoint finds a point strictly inside poly (outer ring minus holes):
// on a horizontal line between vertex latitudes, the crossings of all rings
// pair up into inside spans, and the middle of the widest span is inside.
// It tries several lines, widest gaps first, and reports false when the
// polygon has no interior (or none that float64 can resolve).
func interiorPoint(poly orb.Polygon) (orb.Point, bool) {
	var ys []float64
	for _, r := range poly {
		for _, q := range r {
			ys = append(ys, q[1])
		}
	}
	slices.Sort(ys)
	ys = slices.Compact(ys)
	type gap struct{ y, w float64 }
	gaps := make([]gap, 0, len(ys))
	for i := 1; i < len(ys); i++ {
		gaps = append(gaps, gap{(ys[i-1] + ys[i]) / 2, ys[i] - ys[i-1]})
	}
	slices.SortFunc(gaps, func(a, b gap) int {
		switch {
		case a.w > b.w:
			return -1
		case a.w < b.w:
			return 1
		}
		return 0
	})
	var xs []float64
	for i, g := range gaps {
		if i == 8 {
			break
		}
		xs = xs[:0]
		for _, r := range poly {
			ringEdges(r, func(a, b orb.Point) bool {
				if (a[1] > g.y) != (b[1] > g.y) {
					xs = append(xs, a[0]+(g.y-a[1])*(b[0]-a[0])/(b[1]-a[1]))
				}
				return true
			})
		}
		slices.Sort(xs)
		best, bestW := orb.Point{}, -1.0
		for j := 1; j < len(xs); j += 2 {
			if w := xs[j] - xs[j-1]; w > bestW {
				best, bestW = orb.Point{(xs[j-1] + xs[j]) / 2, g.y}, w
			}
		}
		if bestW > 0 && locatePolygon(best, poly) == inside {
			return best, true
		}
	}
	return orb.Point{}, false
}
