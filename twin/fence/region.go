package fence

import (
	"math"

	"citytwin/geo"
	"citytwin/twin"

	"github.com/paulmach/orb"
)

// region is a fence compiled for evaluation: its geometry with precomputed
// bounds, and its filters with interned kinds.
type region struct {
	// Hot fields first: what every candidate test reads, in as few cache
	// lines as possible (fences are visited in no order of memory).
	search  orb.Bound // bound grown by the hysteresis: the R-tree key
	h       float64
	dwell   int64 // ns
	radius  float64
	shape   Shape
	events  Events
	roaming bool
	dead    bool
	active  bool // a roaming fence whose centre is known; static fences always
	slot    uint32
	center  orb.Point
	// poly1 is the single polygon of most area fences, its ring header kept
	// in ring1 inside the struct, so that testing it touches only the points.
	poly1 orb.Polygon
	ring1 [1]orb.Ring
	kinds []uint16 // interned; nil monitors every kind
	where []twin.Filter

	def     *Fence
	id      twin.ID
	bound   orb.Bound // of the geometry (the circle's cap for circles)
	polys   []polyBound
	members map[uint32]struct{} // roaming: objects with a record
	// boundary holds the rings of an area as lines, for the depth of a point
	// inside; geom is the area or the lines, for segment tests.
	boundary orb.Geometry
	geom     orb.Geometry
}

type polyBound struct {
	b orb.Bound
	p orb.Polygon
}

// metresPerDegree is the length of a degree of latitude on geo's sphere.
const metresPerDegree = geo.EarthRadius * math.Pi / 180

// grow widens b by m metres in every direction, generously (1% and a
// micro-degree more), so that a point within m metres of b is always inside.
func grow(b orb.Bound, m float64) orb.Bound {
	dlat := m/metresPerDegree*1.01 + 1e-6
	lat := math.Min(math.Max(math.Abs(b.Min[1]), math.Abs(b.Max[1]))+dlat, 89.999)
	dlon := dlat / math.Cos(lat*math.Pi/180)
	return orb.Bound{
		Min: orb.Point{b.Min[0] - dlon, b.Min[1] - dlat},
		Max: orb.Point{b.Max[0] + dlon, b.Max[1] + dlat},
	}
}

func compile(f Fence, slot uint32, kinds func(twin.Kind) uint16) *region {
	r := &region{def: &f, id: f.ID, shape: f.Shape, slot: slot, events: f.Events, dwell: int64(f.Dwell), h: f.Hysteresis, active: true, where: f.Where}
	for _, k := range f.Kinds {
		r.kinds = append(r.kinds, kinds(k))
	}
	switch f.Shape {
	case ShapeArea, ShapeCells:
		var lines orb.MultiLineString
		r.bound = f.Area.Bound()
		for _, p := range f.Area {
			r.polys = append(r.polys, polyBound{b: p.Bound(), p: p})
			for _, ring := range p {
				l := orb.LineString(ring)
				if len(ring) > 0 && ring[0] != ring[len(ring)-1] {
					l = append(append(orb.LineString(nil), ring...), ring[0])
				}
				lines = append(lines, l)
			}
		}
		r.boundary, r.geom = lines, f.Area
		if len(f.Area) == 1 && len(f.Area[0]) == 1 {
			r.ring1[0] = f.Area[0][0]
			r.poly1 = r.ring1[:]
		}
	case ShapeLine:
		r.bound, r.geom = f.Line.Bound(), f.Line
	case ShapeCircle:
		r.radius = f.Radius
		r.setCenter(f.Center)
		return r
	case ShapeRoaming:
		r.roaming, r.active, r.radius = true, false, f.Radius
		return r
	}
	r.search = grow(r.bound, r.h)
	return r
}

// setCenter places a circle (or moves a roaming fence).
func (r *region) setCenter(c orb.Point) {
	r.center, r.active = c, true
	bs := geo.BoundAround(c, r.radius)
	if len(bs) == 0 {
		r.active = false
		return
	}
	b := bs[0]
	for _, o := range bs[1:] {
		b = b.Union(o)
	}
	r.bound, r.search = b, grow(b, r.h)
}

// locate says whether p is in the fence (boundary included) and, when the
// hysteresis needs it or the fence is a line, its distance in metres from the
// boundary (the depth of a point inside); otherwise d is +Inf.
func (r *region) locate(p orb.Point) (inside bool, d float64) {
	d = math.Inf(1)
	switch r.shape {
	case ShapeCircle, ShapeRoaming:
		dd := geo.Distance(p, r.center)
		return dd <= r.radius, math.Abs(dd - r.radius)
	case ShapeLine:
		return false, geo.DistanceToGeometry(p, r.geom)
	}
	if r.poly1 != nil {
		inside = geo.PointInPolygon(p, r.poly1)
		if r.h > 0 {
			d = geo.DistanceToGeometry(p, r.boundary)
		}
		return inside, d
	}
	for i := range r.polys {
		pb := &r.polys[i]
		if pb.b.Min[0] <= p[0] && p[0] <= pb.b.Max[0] && pb.b.Min[1] <= p[1] && p[1] <= pb.b.Max[1] &&
			geo.PointInPolygon(p, pb.p) {
			inside = true
			break
		}
	}
	if r.h > 0 {
		d = geo.DistanceToGeometry(p, r.boundary)
	}
	return inside, d
}

// crossed reports whether the segment a-b meets the fence.
func (r *region) crossed(seg orb.LineString, segGeom orb.Geometry, a, b orb.Point) bool {
	sb := orb.Bound{Min: orb.Point{math.Min(a[0], b[0]), math.Min(a[1], b[1])}, Max: orb.Point{math.Max(a[0], b[0]), math.Max(a[1], b[1])}}
	if !sb.Intersects(r.bound) {
		return false
	}
	seg[0], seg[1] = a, b
	switch r.shape {
	case ShapeCircle, ShapeRoaming:
		return geo.DistanceToGeometry(r.center, segGeom) <= r.radius
	}
	return geo.Intersects(segGeom, r.geom)
}

// wantsKind reports whether the fence monitors objects of the interned kind.
func (r *region) wantsKind(k uint16) bool {
	if r.kinds == nil {
		return true
	}
	for _, x := range r.kinds {
		if x == k {
			return true
		}
	}
	return false
}

// matches applies the kind and property filters.
func (r *region) matches(o *object) bool {
	if !r.wantsKind(o.kind) {
		return false
	}
	for _, f := range r.where {
		v, ok := o.props.Get(f.Key)
		if !f.Match(v, ok) {
			return false
		}
	}
	return true
}
