package geo

import (
	"math"
	"math/big"

	"github.com/paulmach/orb"
)

// orientErrBound is Shewchuk's bound on the relative rounding error of the
// float64 orientation determinant: when |det| exceeds it times the sum of the
// magnitudes of the two products, the float sign is certainly right.
const orientErrBound = (3 + 16*epsilon) * epsilon

// epsilon is half an ulp of 1 (2^-53), the unit round-off of float64.
const epsilon = 1.0 / (1 << 53)

// orient returns +1 if c lies to the left of the directed line a->b
// (counter-clockwise turn), -1 if to the right, 0 if the three are collinear.
// The sign is exact: a float filter answers almost every call, and the rare
// near-degenerate case is decided with exact rational arithmetic, so
// predicates built on it never contradict each other.
func orient(a, b, c orb.Point) int {
	dx1, dy2 := b[0]-a[0], c[1]-a[1]
	dy1, dx2 := b[1]-a[1], c[0]-a[0]
	left := dx1 * dy2
	right := dy1 * dx2
	det := left - right
	sum := math.Abs(left) + math.Abs(right)
	// The bound assumes no underflow or overflow; outside that range (and for
	// NaN, which fails both comparisons) the exact path decides.
	if sum > 1e-280 && sum < 1e300 {
		bound := orientErrBound * sum
		if det > bound {
			return 1
		}
		if det < -bound {
			return -1
		}
	} else if (dx1 == 0 || dy2 == 0) && (dy1 == 0 || dx2 == 0) {
		// A difference of finite floats is zero only when they are equal,
		// so both products are exactly zero: collinear, without big.Rat.
		// This is the common case of axis-aligned and repeated points.
		return 0
	}
	return orientExact(a, b, c)
}

// orientExact decides the sign with big.Rat, which holds any finite float64
// and their sums and products without rounding. Non-finite input has no
// meaningful orientation and is reported as collinear rather than panicking.
func orientExact(a, b, c orb.Point) int {
	if !isFinitePt(a) || !isFinitePt(b) || !isFinitePt(c) {
		return 0
	}
	var ax, ay, bx, by, cx, cy big.Rat
	ax.SetFloat64(a[0])
	ay.SetFloat64(a[1])
	bx.SetFloat64(b[0])
	by.SetFloat64(b[1])
	cx.SetFloat64(c[0])
	cy.SetFloat64(c[1])
	var l1, l2, r1, r2 big.Rat
	l1.Sub(&bx, &ax)
	l2.Sub(&cy, &ay)
	r1.Sub(&by, &ay)
	r2.Sub(&cx, &ax)
	l1.Mul(&l1, &l2)
	r1.Mul(&r1, &r2)
	return l1.Cmp(&r1)
}

func isFinitePt(p orb.Point) bool {
	return !math.IsNaN(p[0]) && !math.IsInf(p[0], 0) && !math.IsNaN(p[1]) && !math.IsInf(p[1], 0)
}

// inBox reports whether p lies in the axis-aligned box spanned by a and b
// (inclusive). For a point already known to be collinear with a and b this is
// exactly "p is on the segment ab", with no arithmetic at all.
func inBox(a, b, p orb.Point) bool {
	// Plain comparisons: false for NaN anywhere, as math.Min/Max would give.
	return (a[0] <= p[0] && p[0] <= b[0] || b[0] <= p[0] && p[0] <= a[0]) &&
		(a[1] <= p[1] && p[1] <= b[1] || b[1] <= p[1] && p[1] <= a[1])
}

// onSegment reports whether p lies on the closed segment ab, exactly.
// A zero-length segment is the single point a.
func onSegment(a, b, p orb.Point) bool {
	return inBox(a, b, p) && orient(a, b, p) == 0
}

// segmentsIntersect reports whether the closed segments ab and cd share at
// least one point: proper crossings, touching at an endpoint or in the
// middle, and collinear overlap all count. Zero-length segments behave as
// points.
func segmentsIntersect(a, b, c, d orb.Point) bool {
	// A cheap box rejection first: most segment pairs in a city are far apart.
	if math.Max(a[0], b[0]) < math.Min(c[0], d[0]) || math.Max(c[0], d[0]) < math.Min(a[0], b[0]) ||
		math.Max(a[1], b[1]) < math.Min(c[1], d[1]) || math.Max(c[1], d[1]) < math.Min(a[1], b[1]) {
		return false
	}
	o1 := orient(a, b, c)
	o2 := orient(a, b, d)
	o3 := orient(c, d, a)
	o4 := orient(c, d, b)
	if o1*o2 < 0 && o3*o4 < 0 {
		return true
	}
	return (o1 == 0 && inBox(a, b, c)) || (o2 == 0 && inBox(a, b, d)) ||
		(o3 == 0 && inBox(c, d, a)) || (o4 == 0 && inBox(c, d, b))
}

// segmentParams returns the parameters t in [0,1] along ab at which the
// closed segment cd meets ab: one for a crossing or touch, two for the ends
// of a collinear overlap. The parameters are rounded (they feed the
// split-and-test step of Contains, which tolerates that); whether the
// segments meet at all is decided exactly.
func segmentParams(a, b, c, d orb.Point, out []float64) []float64 {
	if !segmentsIntersect(a, b, c, d) {
		return out
	}
	dx, dy := b[0]-a[0], b[1]-a[1]
	if dx == 0 && dy == 0 {
		return append(out, 0)
	}
	o1 := orient(a, b, c)
	o2 := orient(a, b, d)
	if o1 == 0 && o2 == 0 {
		// Collinear overlap: project the ends of cd, and of ab onto itself.
		for _, p := range [...]orb.Point{c, d} {
			if inBox(a, b, p) {
				out = append(out, paramAlong(a, dx, dy, p))
			}
		}
		if inBox(c, d, a) {
			out = append(out, 0)
		}
		if inBox(c, d, b) {
			out = append(out, 1)
		}
		return out
	}
	if o1 == 0 {
		return append(out, paramAlong(a, dx, dy, c))
	}
	if o2 == 0 {
		return append(out, paramAlong(a, dx, dy, d))
	}
	ex, ey := d[0]-c[0], d[1]-c[1]
	den := dx*ey - dy*ex
	if den == 0 {
		return out
	}
	t := ((c[0]-a[0])*ey - (c[1]-a[1])*ex) / den
	return append(out, clamp01(t))
}

// paramAlong projects p (known to be on or near ab) to its parameter along ab
// using the dominant axis, which is exact in ordering for collinear points.
func paramAlong(a orb.Point, dx, dy float64, p orb.Point) float64 {
	if math.Abs(dx) >= math.Abs(dy) {
		return clamp01((p[0] - a[0]) / dx)
	}
	return clamp01((p[1] - a[1]) / dy)
}

func clamp01(t float64) float64 {
	if !(t > 0) {
		return 0
	}
	if t > 1 {
		return 1
	}
	return t
}
