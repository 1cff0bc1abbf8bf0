package geo

import (
	"math"

	"github.com/paulmach/orb"
)

// Fast paths of Intersects and Contains for the pairs of types a city
// queries most: a point against anything, a box against a box, a line or
// a polygon, and a shape against an area (pairs_area.go). Each gives exactly the answer of the general decomposition
// (pairs_test.go compares them), without allocating: it computes the same
// bound that decompose would, makes the same bound checks, and then either
// runs the one test that the general path would reduce to, or settles the
// case by a box shortcut (everything inside a box is in it), or hands over
// to the general path (ok false).

// intersectsFast is Intersects for the pairs it knows; ok is false otherwise.
func intersectsFast(a, b orb.Geometry) (result, ok bool) {
	if p, isPt := a.(orb.Point); isPt {
		return pointRelate(p, b, false)
	}
	if p, isPt := b.(orb.Point); isPt {
		return pointRelate(p, a, false)
	}
	if box, isBox := b.(orb.Bound); isBox {
		return boxRelate(box, a, false)
	}
	if box, isBox := a.(orb.Bound); isBox {
		return boxRelate(box, b, false)
	}
	if r, ok := areaRelate(b, a, false); ok {
		return r, true
	}
	return areaRelate(a, b, false)
}

// containsFast is Contains(a, b) for the pairs it knows.
func containsFast(a, b orb.Geometry) (result, ok bool) {
	if p, isPt := b.(orb.Point); isPt {
		return pointRelate(p, a, true)
	}
	if box, isBox := a.(orb.Bound); isBox {
		return boxRelate(box, b, true)
	}
	return areaRelate(a, b, true)
}

// pointRelate is Intersects(p, g), or Contains(g, p) when within is true.
// Both come down to the same test once the bounds agree: whether g covers p.
func pointRelate(p orb.Point, g orb.Geometry, within bool) (result, ok bool) {
	if box, isBox := g.(orb.Bound); isBox && finiteBound(box) && isFinitePt(p) {
		// A non-empty finite box decomposes into its ring, whose bound is
		// the box: it covers p exactly when the closed box holds p.
		return box.Min[0] <= p[0] && p[0] <= box.Max[0] && box.Min[1] <= p[1] && p[1] <= box.Max[1], true
	}
	var gb orb.Bound
	n := 0
	switch g := g.(type) {
	case orb.Point:
		gb, n = extendBound(gb, n, []orb.Point{g})
	case orb.LineString:
		gb, n = extendBound(gb, n, g)
	case orb.Ring:
		if len(g) > 0 {
			gb, n = extendBound(gb, n, g)
		}
	case orb.Polygon:
		gb, n = polygonBound(gb, n, g)
	case orb.MultiPolygon:
		for _, poly := range g {
			gb, n = polygonBound(gb, n, poly)
		}
	default:
		return false, false
	}
	pb := orb.Bound{Min: p, Max: p}
	if n == 0 || within && !boundCovers(gb, pb) || !within && !pb.Intersects(gb) || !gb.Contains(p) {
		return false, true
	}
	switch g := g.(type) {
	case orb.Point:
		return g == p, true
	case orb.LineString:
		if len(g) == 1 {
			return g[0] == p, true
		}
		for i := 1; i < len(g); i++ {
			if onSegment(g[i-1], g[i], p) {
				return true, true
			}
		}
		return false, true
	case orb.Ring:
		return locateRing(p, g) != outside, true
	case orb.Polygon:
		return locatePolygon(p, g) != outside, true
	case orb.MultiPolygon:
		for _, poly := range g {
			if len(poly) > 0 && len(poly[0]) > 0 && locatePolygon(p, poly) != outside {
				return true, true
			}
		}
		return false, true
	}
	return false, false
}

// boxRelate is Intersects(box, g), or Contains(box, g) when within is true
// (g within box).
func boxRelate(box orb.Bound, g orb.Geometry, within bool) (result, ok bool) {
	if !finiteBound(box) {
		return false, false
	}
	if o, isBox := g.(orb.Bound); isBox && finiteBound(o) {
		// Two non-empty finite boxes: closed overlap, closed containment.
		if within {
			return boundCovers(box, o), true
		}
		return box.Intersects(o), true
	}
	// The bound decompose gives g (outer rings only), and whether every
	// vertex, of holes too, lies in the closed box.
	var gb orb.Bound
	n := 0
	in := true
	all := func(ps []orb.Point) {
		for _, q := range ps {
			in = in && box.Min[0] <= q[0] && q[0] <= box.Max[0] && box.Min[1] <= q[1] && q[1] <= box.Max[1]
		}
	}
	switch g := g.(type) {
	case orb.LineString:
		gb, n = extendBound(gb, n, g)
		all(g)
	case orb.Polygon:
		gb, n = polygonBound(gb, n, g)
		for _, r := range g {
			all(r)
		}
	case orb.MultiPolygon:
		for _, poly := range g {
			gb, n = polygonBound(gb, n, poly)
			for _, r := range poly {
				all(r)
			}
		}
	default:
		return false, false
	}
	if n == 0 || !gb.Intersects(box) || within && !boundCovers(box, gb) {
		return false, true
	}
	if in {
		// Straight edges between points of a convex box stay in it, so g
		// lies in the box: it meets it and is within it.
		return true, true
	}
	return false, false
}

// finiteBound reports whether b is a non-empty box of finite coordinates.
func finiteBound(b orb.Bound) bool {
	return isFinitePt(b.Min) && isFinitePt(b.Max) && b.Min[0] <= b.Max[0] && b.Min[1] <= b.Max[1]
}

// extendBound is parts.extend: the bound of n points so far, grown by pts.
func extendBound(b orb.Bound, n int, pts []orb.Point) (orb.Bound, int) {
	if len(pts) == 0 {
		return b, n
	}
	// Finite coordinates, the rule, take a plain min/max loop; orb's Extend,
	// which decompose uses, gives the same bound for them (up to the sign
	// of a zero, which no comparison sees).
	c := b
	if n == 0 {
		c = orb.Bound{Min: pts[0], Max: pts[0]}
	}
	bad := false
	for _, q := range pts {
		x, y := q[0], q[1]
		bad = bad || x-x != 0 || y-y != 0 // NaN or infinite
		if x < c.Min[0] {
			c.Min[0] = x
		}
		if x > c.Max[0] {
			c.Max[0] = x
		}
		if y < c.Min[1] {
			c.Min[1] = y
		}
		if y > c.Max[1] {
			c.Max[1] = y
		}
	}
	if !bad && (n == 0 || isFinitePt(b.Min) && isFinitePt(b.Max)) {
		return c, n + len(pts)
	}
	for _, q := range pts {
		if n == 0 {
			b = orb.Bound{Min: q, Max: q}
		} else {
			b = b.Extend(q)
		}
		n++
	}
	return b, n
}

// polygonBound is parts.addPolygon's share of the bound: the outer ring of
// a non-empty polygon.
func polygonBound(b orb.Bound, n int, poly orb.Polygon) (orb.Bound, int) {
	if len(poly) == 0 || len(poly[0]) == 0 {
		return b, n
	}
	return extendBound(b, n, poly[0])
}

// pointDistance is DistanceToGeometry(p, q) for a point q: Distance, except
// that distinct points whose distance underflows to 0 are at the smallest
// positive distance, as DistanceToGeometry promises.
func pointDistance(p, q orb.Point) float64 {
	d := Distance(p, q)
	if d == 0 && p != q {
		return math.SmallestNonzeroFloat64
	}
	return d
}
