package geo

import (
	"math"

	"github.com/paulmach/orb"
)

// Fast paths of Intersects and Contains for a shape (LineString, Ring,
// Polygon, MultiPolygon) against an area (Ring, Polygon, MultiPolygon): a
// building against a district, the twin's most common spatial filter.
//
// The key fact: if no edge of the area meets a box C, every point of C has
// the same location against the area, since locatePolygon is exact and the
// box is connected. Every point at which the general path evaluates
// the area's rings for the shape (its vertices, the rounded midpoints of its
// pieces, an interior point) lies in the shape's bound padded by far more
// than the rounding of a midpoint, and the rounded midpoints of the area's
// own edges stay out of it. So when the padded bound is clear of the area's
// edges, one vertex of the shape settles both predicates. When it is not,
// a vertex outside the area still settles Contains (false), and a vertex in
// it Intersects (true), because the general path is a conjunction (resp.
// disjunction) of exact tests that includes those; anything else, boundaries
// that touch or run close, goes to the general path.

// vertexBox returns the box of pts grown from b (or from the first point
// when n is 0), the number of points so far, and whether a coordinate is
// NaN or infinite.
func vertexBox(b orb.Bound, n int, pts []orb.Point) (orb.Bound, int, bool) {
	if len(pts) == 0 {
		return b, n, false
	}
	if n == 0 {
		b = orb.Bound{Min: pts[0], Max: pts[0]}
	}
	// The builtin min and max compile to branch-free code, which matters
	// for the unpredictable order of a polygon's coordinates.
	x0, y0, x1, y1 := b.Min[0], b.Min[1], b.Max[0], b.Max[1]
	bad := false
	for _, q := range pts {
		x, y := q[0], q[1]
		bad = bad || x-x != 0 || y-y != 0
		x0, x1 = min(x0, x), max(x1, x)
		y0, y1 = min(y0, y), max(y1, y)
	}
	return orb.Bound{Min: orb.Point{x0, y0}, Max: orb.Point{x1, y1}}, n + len(pts), bad
}

// areaRelate is Intersects(g, area), or Contains(area, g) when within is
// true; ok is false when the general path must decide.
func areaRelate(area, g orb.Geometry, within bool) (result, ok bool) {
	// A Ring is a one-ring polygon, in buffers on the stack.
	var abuf, sbuf [1]orb.Polygon
	var aring, sring [1]orb.Ring
	var polys []orb.Polygon
	switch area := area.(type) {
	case orb.Polygon:
		abuf[0] = area
		polys = abuf[:]
	case orb.Ring:
		aring[0] = area
		abuf[0] = aring[:]
		polys = abuf[:]
	case orb.MultiPolygon:
		polys = area
	default:
		return false, false
	}
	var line orb.LineString
	var shape []orb.Polygon
	switch g := g.(type) {
	case orb.LineString:
		line = g
	case orb.Polygon:
		sbuf[0] = g
		shape = sbuf[:]
	case orb.Ring:
		sring[0] = g
		sbuf[0] = sring[:]
		shape = sbuf[:]
	case orb.MultiPolygon:
		shape = g
	default:
		return false, false
	}
	// The box of every vertex, holes included.
	var box orb.Bound
	n := 0
	for _, q := range line {
		if q[0]-q[0] != 0 || q[1]-q[1] != 0 {
			return false, false
		}
	}
	box, n, _ = vertexBox(box, n, line)
	for _, poly := range shape {
		if len(poly) == 0 || len(poly[0]) == 0 {
			continue // decompose skips it, holes and all
		}
		for _, r := range poly {
			var bad bool
			if box, n, bad = vertexBox(box, n, r); bad {
				return false, false
			}
		}
	}
	if n == 0 {
		return false, true // empty
	}
	// The clear box: every vertex, padded far beyond the rounding of lerp
	// (a few ulps of the largest coordinate).
	m := max(-box.Min[0], box.Max[0], -box.Min[1], box.Max[1], box.Min[0], -box.Max[0], box.Min[1], -box.Max[1])
	pad := 1e-12*m + 0x1p-1000
	x0, y0 := box.Min[0]-pad, box.Min[1]-pad
	x1, y1 := box.Max[0]+pad, box.Max[1]+pad
	clear := true
	for _, poly := range polys {
		if len(poly) == 0 || len(poly[0]) == 0 {
			continue
		}
		for _, r := range poly {
			for j, a := range r {
				if a[0]-a[0] != 0 || a[1]-a[1] != 0 {
					return false, false
				}
				if !clear {
					continue
				}
				b := r[0]
				if j+1 < len(r) {
					b = r[j+1]
				}
				clear = edgeClear(a, b, x0, y0, x1, y1)
			}
		}
	}
	if clear {
		// The area's edges all miss the box, so where one point of it lies
		// all lie. In an area (so within its outer ring's bound, which
		// decompose's bound then covers) or not: that is the answer, or the
		// area is empty and the answer is false.
		return inPolygons(polys, box.Min), true
	}
	// decompose's bounds: outer rings and lines only.
	var ab, sb orb.Bound
	an, sn := 0, 0
	for _, poly := range polys {
		if len(poly) > 0 {
			ab, an, _ = vertexBox(ab, an, poly[0])
		}
	}
	sb, sn, _ = vertexBox(sb, sn, line)
	for _, poly := range shape {
		if len(poly) > 0 {
			sb, sn, _ = vertexBox(sb, sn, poly[0])
		}
	}
	if an == 0 || within && !boundCovers(ab, sb) || !within && !ab.Intersects(sb) {
		return false, true
	}
	// Vertices the general path tests one by one: of lines, and of outer
	// rings.
	for _, q := range line {
		if in := inPolygons(polys, q); in != within {
			return in, true
		}
	}
	for _, poly := range shape {
		if len(poly) == 0 {
			continue
		}
		for _, q := range poly[0] {
			if in := inPolygons(polys, q); in != within {
				return in, true
			}
		}
	}
	return false, false
}

// edgeClear reports whether the segment a-b stays out of the box
// [x0, x1] × [y0, y1]: its own box misses it, or the line through a-b
// leaves the box (padded for the rounding of the segment's midpoint) wholly
// on one side, decided exactly.
func edgeClear(a, b orb.Point, x0, y0, x1, y1 float64) bool {
	if a[0] < x0 && b[0] < x0 || a[0] > x1 && b[0] > x1 || a[1] < y0 && b[1] < y0 || a[1] > y1 && b[1] > y1 {
		return true
	}
	e := 1e-12 * math.Max(math.Max(math.Abs(a[0]), math.Abs(a[1])), math.Max(math.Abs(b[0]), math.Abs(b[1])))
	x0, y0, x1, y1 = x0-e, y0-e, x1+e, y1+e
	s := orient(a, b, orb.Point{x0, y0})
	return s != 0 && orient(a, b, orb.Point{x1, y0}) == s &&
		orient(a, b, orb.Point{x0, y1}) == s && orient(a, b, orb.Point{x1, y1}) == s
}

// inPolygons is parts.inAreas over polys.
func inPolygons(polys []orb.Polygon, q orb.Point) bool {
	for _, poly := range polys {
		if locatePolygon(q, poly) != outside {
			return true
		}
	}
	return false
}
