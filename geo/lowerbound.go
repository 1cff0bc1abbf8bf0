package geo

import (
	"math"

	"github.com/paulmach/orb"
)

// boxBounder gives, from one point, a cheap lower bound in metres on the
// distance to lon/lat boxes: no trigonometry per box, where DistanceToBound
// needs up to seven calls. Searches order their queues by it and compute
// the exact DistanceToBound only for the few entries they actually yield.
//
// Why it is a lower bound. For points at latitudes φ1, φ2 and a longitude
// difference Δλ (taken the short way, so |Δλ| ≤ 180°), the haversine
//
//	h = sin²(Δφ/2) + cos φ1 cos φ2 sin²(Δλ/2)
//
// is a quarter of the squared chord between them on the unit sphere, and
// the great-circle distance is 2R·asin(√h) ≥ 2R·√h (asin x ≥ x: the chord
// is never longer than the arc). Every q in the box has |Δφ| ≥ dLat and
// |Δλ| ≥ dLon, the gaps from p to the box's latitude and longitude ranges,
// and sin²(x/2) grows with x on [0°, 180°], so h ≥ sin²(dLat/2) +
// C·sin²(dLon/2) for any C ≤ cos φ1 cos φ2. Then sin x ≥ x − x³/6 gives,
// for 0 ≤ x ≤ π/2, sin²x ≥ x²(1 − x²/6)² ≥ x²(1 − x²/3), which is what is
// summed (no sine needed). For C, cos φ over the box is least at its
// latitude farthest from the equator, Φ, and Taylor's theorem with
// remainder gives cos Φ ≥ cos φp − sin|φp|·δ − δ²/2 with δ = |Φ| − |φp| in
// radians (|cos| ≤ 1), whether Φ is nearer the pole than p or not.
//
// Every step only lowers the bound, near the poles and across the
// antimeridian too (it is just looser there). The result is shaved by a
// relative 1e-9 and 2 µm, far more than the rounding of its dozen float
// operations, and more than DistanceToBound's own margin, so it never
// exceeds DistanceToBound of the same box or of any box inside it. At city
// range it is within a few parts per billion of the exact distance for
// small boxes.
type boxBounder struct {
	p      orb.Point
	ok     bool    // p is in [-180, 180] × [-90, 90]; otherwise use the exact bound
	absLat float64 // |φp| in degrees
	cosLat float64
	sinAbs float64 // sin|φp|
}

func newBoxBounder(p orb.Point) boxBounder {
	q := boxBounder{p: p}
	if p[0] >= -180 && p[0] <= 180 && p[1] >= -90 && p[1] <= 90 {
		q.ok = true
		q.absLat = math.Abs(p[1])
		q.sinAbs, q.cosLat = math.Sincos(q.absLat * degToRad)
		q.cosLat = max(0, q.cosLat)
	}
	return q
}

// lower returns a lower bound on DistanceToBound(p, b), with the same
// conventions (0 inside, +Inf for an empty box, 0 for NaN).
func (q *boxBounder) lower(b orb.Bound) float64 {
	// The fast path takes boxes that do not wrap and lie on the globe;
	// anything else (NaN, infinities, Min.X > Max.X) is left to the exact code.
	if !q.ok || !(b.Min[0] >= -180 && b.Max[0] <= 180 && b.Min[0] <= b.Max[0] &&
		b.Min[1] >= -90 && b.Max[1] <= 90 && b.Min[1] <= b.Max[1]) {
		return DistanceToBound(q.p, b)
	}
	x, y := q.p[0], q.p[1]
	var dLon, dLat float64
	switch {
	case x < b.Min[0]:
		dLon = min(b.Min[0]-x, x+360-b.Max[0])
	case x > b.Max[0]:
		dLon = min(x-b.Max[0], b.Min[0]+360-x)
	}
	switch {
	case y < b.Min[1]:
		dLat = b.Min[1] - y
	case y > b.Max[1]:
		dLat = y - b.Max[1]
	}
	if dLon == 0 && dLat == 0 {
		return 0
	}
	a := dLat * (degToRad / 2)
	o := dLon * (degToRad / 2)
	h := a*a*(1-a*a*(1.0/3)) + q.scale(b)*o*o*(1-o*o*(1.0/3))
	d := 2*EarthRadius*math.Sqrt(h)*(1-1e-9) - 2e-6
	if d < 0 {
		return 0
	}
	return d
}

// scale returns the factor C·cos φp of lower for the points of box b, a
// cell of a grid, so that lowerPoint can skip it for each point.
func (q *boxBounder) scale(b orb.Bound) float64 {
	// Taylor's theorem with |cos| ≤ 1 for the remainder, towards the pole
	// or towards the equator from |φp|.
	far := max(math.Abs(b.Min[1]), math.Abs(b.Max[1]))
	d := (far - q.absLat) * degToRad
	c := max(0, q.cosLat-q.sinAbs*d-d*d/2)
	return q.cosLat * c
}

// lowerPoint is lower for the single point r, given the scale of a box
// that holds it; p and r are in [-180, 180] × [-90, 90] (NaN gives 0).
func (q *boxBounder) lowerPoint(r orb.Point, scale float64) float64 {
	dLon := math.Abs(r[0] - q.p[0])
	if dLon > 180 {
		dLon = 360 - dLon
	}
	a := (r[1] - q.p[1]) * (degToRad / 2)
	o := dLon * (degToRad / 2)
	// 1/3 is rounded here, by far less than the margin below.
	h := a*a*(1-a*a*(1.0/3)) + scale*o*o*(1-o*o*(1.0/3))
	d := 2*EarthRadius*math.Sqrt(h)*(1-1e-9) - 2e-6
	if !(d > 0) {
		return 0
	}
	return d
}
