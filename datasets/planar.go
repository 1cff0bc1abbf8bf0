package datasets

import (
	"math"

	"github.com/paulmach/orb"
)

// Planar helpers in the local metric frame (metres east, north). Points are
// orb.Points holding metres, never lon/lat, until the city is converted.

func polar(r, phi float64) orb.Point {
	s, c := math.Sincos(phi)
	return orb.Point{r * c, r * s}
}

func cross(ax, ay, bx, by float64) float64 { return ax*by - ay*bx }

func dist(a, b orb.Point) float64 { return math.Hypot(a[0]-b[0], a[1]-b[1]) }

func lerp(a, b orb.Point, t float64) orb.Point {
	return orb.Point{a[0] + (b[0]-a[0])*t, a[1] + (b[1]-a[1])*t}
}

// pointSegDist is the distance from p to the segment ab.
func pointSegDist(p, a, b orb.Point) float64 {
	dx, dy := b[0]-a[0], b[1]-a[1]
	l2 := dx*dx + dy*dy
	t := 0.0
	if l2 > 0 {
		t = ((p[0]-a[0])*dx + (p[1]-a[1])*dy) / l2
		t = math.Max(0, math.Min(1, t))
	}
	return math.Hypot(p[0]-a[0]-t*dx, p[1]-a[1]-t*dy)
}

// segsCross reports whether segments ab and cd intersect (touching counts, up to
// rounding, which the margins of the generator absorb).
func segsCross(a, b, c, d orb.Point) bool {
	d1 := cross(b[0]-a[0], b[1]-a[1], c[0]-a[0], c[1]-a[1])
	d2 := cross(b[0]-a[0], b[1]-a[1], d[0]-a[0], d[1]-a[1])
	d3 := cross(d[0]-c[0], d[1]-c[1], a[0]-c[0], a[1]-c[1])
	d4 := cross(d[0]-c[0], d[1]-c[1], b[0]-c[0], b[1]-c[1])
	return (d1 > 0) != (d2 > 0) && (d3 > 0) != (d4 > 0) || d1 == 0 || d2 == 0 || d3 == 0 || d4 == 0
}

// segSegDist is the distance between segments ab and cd.
func segSegDist(a, b, c, d orb.Point) float64 {
	if segsCross(a, b, c, d) {
		// segsCross is generous with collinear cases; confirm by distance.
		m := math.Min(math.Min(pointSegDist(a, c, d), pointSegDist(b, c, d)),
			math.Min(pointSegDist(c, a, b), pointSegDist(d, a, b)))
		if m == 0 || !collinear(a, b, c, d) {
			return 0
		}
		return m
	}
	return math.Min(math.Min(pointSegDist(a, c, d), pointSegDist(b, c, d)),
		math.Min(pointSegDist(c, a, b), pointSegDist(d, a, b)))
}

func collinear(a, b, c, d orb.Point) bool {
	return cross(b[0]-a[0], b[1]-a[1], c[0]-a[0], c[1]-a[1]) == 0 &&
		cross(b[0]-a[0], b[1]-a[1], d[0]-a[0], d[1]-a[1]) == 0
}

// inRing reports whether p is inside the ring (crossing number; the ring need not
// repeat its first point).
func inRing(p orb.Point, ring []orb.Point) bool {
	in := false
	n := len(ring)
	for i, j := 0, n-1; i < n; j, i = i, i+1 {
		a, b := ring[i], ring[j]
		if (a[1] > p[1]) != (b[1] > p[1]) {
			x := a[0] + (p[1]-a[1])*(b[0]-a[0])/(b[1]-a[1])
			if p[0] < x {
				in = !in
			}
		}
	}
	return in
}

// signedArea is positive for counter-clockwise rings (the ring may or may not be
// closed).
func signedArea(ring []orb.Point) float64 {
	s := 0.0
	n := len(ring)
	for i := 0; i < n; i++ {
		a, b := ring[i], ring[(i+1)%n]
		s += a[0]*b[1] - b[0]*a[1]
	}
	return s / 2
}

// polyline is a line in metres with cumulative lengths, for walking along it.
type polyline struct {
	pts []orb.Point
	cum []float64 // cum[i] is the length from pts[0] to pts[i]
}

func newPolyline(pts []orb.Point) polyline {
	cum := make([]float64, len(pts))
	for i := 1; i < len(pts); i++ {
		cum[i] = cum[i-1] + dist(pts[i-1], pts[i])
	}
	return polyline{pts: pts, cum: cum}
}

func (l polyline) length() float64 {
	if len(l.cum) == 0 {
		return 0
	}
	return l.cum[len(l.cum)-1]
}

// at returns the point s metres along the line and the direction of travel there.
func (l polyline) at(s float64) (p orb.Point, dx, dy float64) {
	n := len(l.pts)
	if n == 1 {
		return l.pts[0], 1, 0
	}
	// Binary search for the segment holding s.
	lo, hi := 1, n-1
	for lo < hi {
		m := (lo + hi) / 2
		if l.cum[m] < s {
			lo = m + 1
		} else {
			hi = m
		}
	}
	a, b := l.pts[lo-1], l.pts[lo]
	seg := l.cum[lo] - l.cum[lo-1]
	t := 0.0
	if seg > 0 {
		t = math.Max(0, math.Min(1, (s-l.cum[lo-1])/seg))
		dx, dy = (b[0]-a[0])/seg, (b[1]-a[1])/seg
	} else {
		dx = 1
	}
	return lerp(a, b, t), dx, dy
}
