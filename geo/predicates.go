package geo

import (
	"github.com/paulmach/orb"
)

// The predicates treat lon/lat as planar coordinates, which at city scale is
// what every GIS does with WGS84 data (a segment is the straight line between
// its ends in lon/lat). They support Point, MultiPoint, LineString,
// MultiLineString, Ring (an area, like a one-ring Polygon), Polygon (with
// holes), MultiPolygon, Collection (the union of its members) and Bound
// (an area). Rings need not repeat their first point. Empty geometry, nil and
// unsupported types intersect nothing and contain nothing.
//
// All "does it touch" decisions rest on the exact orientation test in
// orient.go, so they are free of rounding: a point on an edge is on it,
// collinear overlaps are found, and zero-length segments are points.

// PointInPolygon reports whether p lies in poly: inside the outer ring and not
// strictly inside a hole. The boundary, of the outer ring and of the holes,
// counts as inside.
func PointInPolygon(p orb.Point, poly orb.Polygon) bool {
	return locatePolygon(p, poly) != outside
}

// Intersects reports whether a and b share at least one point; touching
// boundaries count.
func Intersects(a, b orb.Geometry) bool {
	if r, ok := intersectsFast(a, b); ok {
		return r
	}
	return intersectsGeneral(a, b)
}

// intersectsGeneral is Intersects by decomposition, for any pair of types.
func intersectsGeneral(a, b orb.Geometry) bool {
	pa, pb := decompose(a), decompose(b)
	if pa.empty() || pb.empty() || !pa.bound.Intersects(pb.bound) {
		return false
	}
	return pa.intersects(&pb)
}

// Contains reports whether every point of b lies in a (its interior or its
// boundary) and b is not empty. This is the OGC "covers" relation rather
// than the stricter OGC "contains": a polygon contains a point or a line on
// its boundary, which is what a city query ("sensors in this district")
// expects. Within(a, b) is Contains(b, a).
//
// Sub-segments of b that meet the boundary of a are decided by testing their
// midpoints, with collinear overlaps decided exactly. The components of a
// multipolygon are assumed not to overlap or share edges (OGC validity): a
// polygon of b lying across a shared edge is reported as not contained.
func Contains(a, b orb.Geometry) bool {
	if r, ok := containsFast(a, b); ok {
		return r
	}
	return containsGeneral(a, b)
}

// containsGeneral is Contains by decomposition, for any pair of types.
func containsGeneral(a, b orb.Geometry) bool {
	pa, pb := decompose(a), decompose(b)
	if pa.empty() || pb.empty() || !boundCovers(pa.bound, pb.bound) {
		return false
	}
	return pa.covers(&pb)
}

// Within reports whether a lies in b: Contains(b, a).
func Within(a, b orb.Geometry) bool {
	return Contains(b, a)
}

// PointIntersects is Intersects(p, g), and PointWithin is Within(p, g), for a
// caller that holds a bare point: they answer without converting it to an
// orb.Geometry, which would allocate once for every entity a query tests.
func PointIntersects(p orb.Point, g orb.Geometry) bool {
	if r, ok := pointRelate(p, g, false); ok {
		return r
	}
	return intersectsGeneral(p, g)
}

// PointWithin is Within(p, g); see PointIntersects.
func PointWithin(p orb.Point, g orb.Geometry) bool {
	if r, ok := pointRelate(p, g, true); ok {
		return r
	}
	return containsGeneral(g, p)
}

// pointIntersects is Intersects(p, g) without decomposing p.
func pointIntersects(p orb.Point, g orb.Geometry) bool {
	if r, ok := pointRelate(p, g, false); ok {
		return r
	}
	pg := decompose(g)
	return !pg.empty() && pg.coversPoint(p)
}

type location int8

const (
	outside location = iota
	inside
	boundary
)

// locateRing classifies p against a ring by crossing parity, closing the ring
// implicitly. Every test is an exact orientation, so a point on an edge is
// always found on it and never counted as a crossing.
func locateRing(p orb.Point, ring []orb.Point) location {
	n := len(ring)
	if n == 0 {
		return outside
	}
	in := false
	for i := 0; i < n; i++ {
		a := ring[i]
		b := ring[0]
		if i+1 < n {
			b = ring[i+1]
		}
		o := 2 // not computed yet
		if inBox(a, b, p) {
			o = orient(a, b, p)
			if o == 0 {
				return boundary
			}
		}
		// Half-open rule on y: an edge counts if it straddles p's horizontal
		// line, and a vertex on that line is counted once.
		if (a[1] > p[1]) != (b[1] > p[1]) {
			if o == 2 {
				o = orient(a, b, p)
			}
			if (o > 0) == (b[1] > a[1]) {
				in = !in
			}
		}
	}
	if in {
		return inside
	}
	return outside
}

func locatePolygon(p orb.Point, poly orb.Polygon) location {
	if len(poly) == 0 {
		return outside
	}
	loc := locateRing(p, poly[0])
	if loc != inside {
		return loc
	}
	for _, hole := range poly[1:] {
		switch locateRing(p, hole) {
		case inside:
			return outside
		case boundary:
			return boundary
		}
	}
	return inside
}

// parts is a geometry flattened into its points, polylines and areas.
type parts struct {
	points []orb.Point
	lines  [][]orb.Point
	polys  []orb.Polygon
	bound  orb.Bound
	n      int // number of members, to tell an empty bound from a point
}

func (p *parts) empty() bool { return p.n == 0 }

func (p *parts) extend(pts []orb.Point) {
	for _, q := range pts {
		if p.n == 0 {
			p.bound = orb.Bound{Min: q, Max: q}
		} else {
			p.bound = p.bound.Extend(q)
		}
		p.n++
	}
}

func decompose(g orb.Geometry) parts {
	var p parts
	p.add(g)
	return p
}

func (p *parts) add(g orb.Geometry) {
	switch g := g.(type) {
	case orb.Point:
		p.points = append(p.points, g)
		p.extend([]orb.Point{g})
	case orb.MultiPoint:
		p.points = append(p.points, g...)
		p.extend(g)
	case orb.LineString:
		p.addLine(g)
	case orb.MultiLineString:
		for _, l := range g {
			p.addLine(l)
		}
	case orb.Ring:
		p.addPolygon(orb.Polygon{g})
	case orb.Polygon:
		p.addPolygon(g)
	case orb.MultiPolygon:
		for _, poly := range g {
			p.addPolygon(poly)
		}
	case orb.Collection:
		for _, c := range g {
			p.add(c)
		}
	case orb.Bound:
		if !g.IsEmpty() {
			p.addPolygon(g.ToPolygon())
		}
	}
}

func (p *parts) addLine(l []orb.Point) {
	switch len(l) {
	case 0:
		return
	case 1:
		p.points = append(p.points, l[0])
	default:
		p.lines = append(p.lines, l)
	}
	p.extend(l)
}

func (p *parts) addPolygon(poly orb.Polygon) {
	if len(poly) == 0 || len(poly[0]) == 0 {
		return
	}
	p.polys = append(p.polys, poly)
	// Holes lie inside the outer ring, so it alone sets the bound.
	p.extend(poly[0])
}

// segments calls fn for every segment of the lines and, when rings is true,
// every edge of the polygons' rings (closed implicitly); fn false stops.
// It reports whether it ran to the end.
func (p *parts) segments(rings bool, fn func(a, b orb.Point) bool) bool {
	for _, l := range p.lines {
		for i := 1; i < len(l); i++ {
			if !fn(l[i-1], l[i]) {
				return false
			}
		}
	}
	if !rings {
		return true
	}
	for _, poly := range p.polys {
		for _, r := range poly {
			if !ringEdges(r, fn) {
				return false
			}
		}
	}
	return true
}

func ringEdges(r []orb.Point, fn func(a, b orb.Point) bool) bool {
	n := len(r)
	for i := 0; i < n; i++ {
		b := r[0]
		if i+1 < n {
			b = r[i+1]
		}
		if !fn(r[i], b) {
			return false
		}
	}
	return true
}

// inAreas reports whether q lies in (or on) one of the polygons.
func (p *parts) inAreas(q orb.Point) bool {
	for _, poly := range p.polys {
		if locatePolygon(q, poly) != outside {
			return true
		}
	}
	return false
}

// coversPoint reports whether q is a point of the geometry.
func (p *parts) coversPoint(q orb.Point) bool {
	if !p.bound.Contains(q) {
		return false
	}
	for _, r := range p.points {
		if r == q {
			return true
		}
	}
	if !p.segments(false, func(a, b orb.Point) bool { return !onSegment(a, b, q) }) {
		return true
	}
	return p.inAreas(q)
}

func (p *parts) intersects(o *parts) bool {
	for _, q := range o.points {
		if p.coversPoint(q) {
			return true
		}
	}
	for _, q := range p.points {
		if o.coversPoint(q) {
			return true
		}
	}
	// Any crossing or touch between segments and ring edges of both sides.
	hit := !p.segments(true, func(a, b orb.Point) bool {
		return o.segments(true, func(c, d orb.Point) bool { return !segmentsIntersect(a, b, c, d) })
	})
	if hit {
		return true
	}
	// No boundaries meet: a line or area of one side is then wholly inside
	// or wholly outside each area of the other, so one vertex decides.
	for _, l := range o.lines {
		if p.inAreas(l[0]) {
			return true
		}
	}
	for _, poly := range o.polys {
		if p.inAreas(poly[0][0]) {
			return true
		}
	}
	for _, l := range p.lines {
		if o.inAreas(l[0]) {
			return true
		}
	}
	for _, poly := range p.polys {
		if o.inAreas(poly[0][0]) {
			return true
		}
	}
	return false
}

func boundCovers(a, b orb.Bound) bool {
	return a.Min[0] <= b.Min[0] && a.Min[1] <= b.Min[1] && b.Max[0] <= a.Max[0] && b.Max[1] <= a.Max[1]
}
