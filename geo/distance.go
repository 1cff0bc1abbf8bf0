package geo

import (
	"math"

	"github.com/paulmach/orb"
)

// EarthRadius is the IUGG mean Earth radius in metres. All metre distances in
// this package are on a sphere of this radius: within 0.5% of the WGS84
// ellipsoid everywhere, far better than that along a city street.
const EarthRadius = 6371008.8

const (
	degToRad = math.Pi / 180
	radToDeg = 180 / math.Pi
)

// Distance returns the great-circle distance in metres between a and b
// (haversine, well conditioned for the short distances of a city).
func Distance(a, b orb.Point) float64 {
	return EarthRadius * angle(a, b)
}

// angle is the central angle in radians between a and b.
func angle(a, b orb.Point) float64 {
	lat1, lat2 := a[1]*degToRad, b[1]*degToRad
	sdLat := math.Sin((lat2 - lat1) / 2)
	sdLon := math.Sin((b[0] - a[0]) * degToRad / 2)
	h := sdLat*sdLat + math.Cos(lat1)*math.Cos(lat2)*sdLon*sdLon
	if h > 1 {
		h = 1
	}
	return 2 * math.Asin(math.Sqrt(h))
}

// DistanceToGeometry returns the distance in metres from p to the nearest
// point of g. It is 0 exactly when Intersects(p, g), and positive otherwise
// (at least math.SmallestNonzeroFloat64, even when the gap underflows).
// Polygons count their interior (holes excluded), so a point inside is at 0.
// An empty geometry, or one of an unsupported type, is at +Inf; NaN
// coordinates give NaN.
//
// Method: a segment is the straight line between its ends in lon/lat, as in
// the predicates. The nearest point on it is found in the equirectangular
// plane around p (in which that line is straight, and which is conformal at
// p), and its distance is then the exact haversine Distance. The plane's
// distortion only moves the chosen point along the segment, which changes
// the distance to second order: well under 0.01% up to 50 km at 60°N.
// Longitudes are taken relative to p, so geometry across the antimeridian
// is measured the short way round.
func DistanceToGeometry(p orb.Point, g orb.Geometry) float64 {
	if g == nil {
		return math.Inf(1)
	}
	if q, ok := g.(orb.Point); ok {
		return pointDistance(p, q)
	}
	pr := newNearest(p)
	d := pr.geometry(g)
	// Far away (or NaN), the measured distance stands. Close by, touching is
	// decided by the exact predicate, not by rounding.
	if !(d < 1) {
		return d
	}
	if pointIntersects(p, g) {
		return 0
	}
	if d == 0 {
		return math.SmallestNonzeroFloat64
	}
	return d
}

// nearest measures distances from one point to segments.
type nearest struct {
	p      orb.Point
	cosLat float64 // east-west scale of the plane at p
}

func newNearest(p orb.Point) nearest {
	return nearest{p: p, cosLat: math.Cos(p[1] * degToRad)}
}

// local returns q in the equirectangular plane around p, in degrees of
// latitude, with the longitude difference wrapped into [-180, 180].
func (a *nearest) local(q orb.Point) (x, y float64) {
	dLon := q[0] - a.p[0]
	if dLon > 180 || dLon < -180 {
		dLon -= 360 * math.Round(dLon/360)
	}
	return dLon * a.cosLat, q[1] - a.p[1]
}

func (a *nearest) point(q orb.Point) float64 {
	return Distance(a.p, q)
}

// segment is the distance from p to the lon/lat segment q1-q2, given the
// ends' plane coordinates.
func (a *nearest) segment(q1, q2 orb.Point, x1, y1, x2, y2 float64) float64 {
	dx, dy := x2-x1, y2-y1
	l2 := dx*dx + dy*dy
	t := 0.0
	if l2 > 0 {
		t = clamp01(-(x1*dx + y1*dy) / l2)
	}
	switch t {
	case 0:
		return Distance(a.p, q1)
	case 1:
		return Distance(a.p, q2)
	}
	// The point at t, with q2's longitude unwrapped next to q1's.
	dLon := q2[0] - q1[0]
	if dLon > 180 || dLon < -180 {
		dLon -= 360 * math.Round(dLon/360)
	}
	return Distance(a.p, orb.Point{q1[0] + t*dLon, q1[1] + t*(q2[1]-q1[1])})
}

// path is the distance to a polyline; closed adds the edge from the last
// vertex back to the first, for rings that are not explicitly closed.
func (a *nearest) path(ps []orb.Point, closed bool) float64 {
	switch len(ps) {
	case 0:
		return math.Inf(1)
	case 1:
		return a.point(ps[0])
	}
	best := math.Inf(1)
	x0, y0 := a.local(ps[0])
	px, py := x0, y0
	for i := 1; i < len(ps); i++ {
		x, y := a.local(ps[i])
		if d := a.segment(ps[i-1], ps[i], px, py, x, y); d < best {
			best = d
		}
		px, py = x, y
	}
	if closed && ps[0] != ps[len(ps)-1] {
		if d := a.segment(ps[len(ps)-1], ps[0], px, py, x0, y0); d < best {
			best = d
		}
	}
	return best
}

func (a *nearest) polygon(poly orb.Polygon) float64 {
	if len(poly) == 0 || len(poly[0]) == 0 {
		return math.Inf(1)
	}
	if PointInPolygon(a.p, poly) {
		return 0
	}
	best := math.Inf(1)
	for _, r := range poly {
		if d := a.path(r, true); d < best {
			best = d
		}
	}
	return best
}

func (a *nearest) geometry(g orb.Geometry) float64 {
	best := math.Inf(1)
	switch g := g.(type) {
	case orb.Point:
		return a.point(g)
	case orb.MultiPoint:
		for _, q := range g {
			best = math.Min(best, a.point(q))
		}
	case orb.LineString:
		return a.path(g, false)
	case orb.MultiLineString:
		for _, l := range g {
			best = math.Min(best, a.path(l, false))
		}
	case orb.Ring:
		return a.polygon(orb.Polygon{g})
	case orb.Polygon:
		return a.polygon(g)
	case orb.MultiPolygon:
		for _, poly := range g {
			best = math.Min(best, a.polygon(poly))
		}
	case orb.Collection:
		for _, c := range g {
			if c != nil {
				best = math.Min(best, a.geometry(c))
			}
		}
	case orb.Bound:
		if g.IsEmpty() {
			return best
		}
		return a.polygon(g.ToPolygon())
	}
	return best
}
