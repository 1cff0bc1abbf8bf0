package geo

import (
	"math"
	"math/big"
	"testing"

	"github.com/paulmach/orb"
)

// ratOrient is the oracle: the determinant in exact rationals, written
// independently of orientExact (pivot c instead of a).
func ratOrient(a, b, c orb.Point) int {
	r := func(v float64) *big.Rat { return new(big.Rat).SetFloat64(v) }
	sub := func(x, y float64) *big.Rat { return new(big.Rat).Sub(r(x), r(y)) }
	l := new(big.Rat).Mul(sub(a[0], c[0]), sub(b[1], c[1]))
	m := new(big.Rat).Mul(sub(a[1], c[1]), sub(b[0], c[0]))
	return l.Cmp(m)
}

func TestOrientMatchesExactOracle(t *testing.T) {
	r := newRand(1)
	ulp := math.Nextafter(0.5, 1) - 0.5
	for i := 0; i < 20000; i++ {
		var a, b, c orb.Point
		switch i % 4 {
		case 0: // random
			a = orb.Point{r.Float64(), r.Float64()}
			b = orb.Point{r.Float64(), r.Float64()}
			c = orb.Point{r.Float64(), r.Float64()}
		case 1: // Shewchuk's classic: a tiny grid near a line, where float fails
			a = orb.Point{0.5 + float64(r.IntN(64))*ulp, 0.5 + float64(r.IntN(64))*ulp}
			b = orb.Point{12, 12}
			c = orb.Point{24, 24}
		case 2: // points on a line through city coordinates, jittered by ulps
			t0 := r.Float64()
			a = orb.Point{24.93, 60.16}
			b = orb.Point{24.95, 60.18}
			c = lerp(a, b, t0)
			c[0] = math.Nextafter(c[0], c[0]+float64(r.IntN(3)-1))
		case 3: // underflow and huge magnitudes
			s := math.Ldexp(1, r.IntN(2000)-1000)
			a = orb.Point{s * r.Float64(), s * r.Float64()}
			b = orb.Point{s * r.Float64(), s * r.Float64()}
			c = orb.Point{a[0] + (b[0]-a[0])*0.5, a[1] + (b[1]-a[1])*0.5}
		}
		got, want := orient(a, b, c), ratOrient(a, b, c)
		if got != want {
			t.Fatalf("orient(%v, %v, %v) = %d, want %d", a, b, c, got, want)
		}
		if o := orient(b, c, a); o != got {
			t.Fatalf("orient not invariant under rotation: %d vs %d", o, got)
		}
		if o := orient(b, a, c); o != -got {
			t.Fatalf("orient not antisymmetric: %d vs %d", o, -got)
		}
	}
}

func TestOrientNonFinite(t *testing.T) {
	nan := math.NaN()
	inf := math.Inf(1)
	for _, c := range []orb.Point{{nan, 0}, {inf, 0}, {0, -inf}} {
		if got := orient(orb.Point{0, 0}, orb.Point{1, 1}, c); got != 0 {
			t.Errorf("orient with %v = %d, want 0", c, got)
		}
	}
}

func TestSegmentsIntersect(t *testing.T) {
	p := func(x, y float64) orb.Point { return orb.Point{x, y} }
	tests := []struct {
		name       string
		a, b, c, d orb.Point
		want       bool
	}{
		{"cross", p(0, 0), p(2, 2), p(0, 2), p(2, 0), true},
		{"disjoint", p(0, 0), p(1, 0), p(0, 1), p(1, 1), false},
		{"touch at endpoints", p(0, 0), p(1, 1), p(1, 1), p(2, 0), true},
		{"T touch", p(0, 0), p(2, 0), p(1, 0), p(1, 5), true},
		{"near miss T", p(0, 0), p(2, 0), p(1, 1e-300), p(1, 5), false},
		{"collinear overlap", p(0, 0), p(2, 0), p(1, 0), p(3, 0), true},
		{"collinear contained", p(0, 0), p(3, 3), p(1, 1), p(2, 2), true},
		{"collinear disjoint", p(0, 0), p(1, 0), p(2, 0), p(3, 0), false},
		{"collinear touching", p(0, 0), p(1, 0), p(1, 0), p(3, 0), true},
		{"zero length on segment", p(0, 0), p(2, 2), p(1, 1), p(1, 1), true},
		{"zero length off segment", p(0, 0), p(2, 2), p(1, 1.5), p(1, 1.5), false},
		{"two equal points", p(1, 1), p(1, 1), p(1, 1), p(1, 1), true},
		{"two distinct points", p(1, 1), p(1, 1), p(1, 2), p(1, 2), false},
		{"identical", p(0, 0), p(1, 2), p(0, 0), p(1, 2), true},
		{"parallel", p(0, 0), p(1, 1), p(0, 1), p(1, 2), false},
		{"city scale crossing", p(24.9401, 60.1690), p(24.9402, 60.1691), p(24.9401, 60.1691), p(24.9402, 60.1690), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Every argument order must agree.
			for _, q := range [][4]orb.Point{
				{tt.a, tt.b, tt.c, tt.d}, {tt.b, tt.a, tt.c, tt.d},
				{tt.c, tt.d, tt.a, tt.b}, {tt.d, tt.c, tt.b, tt.a},
			} {
				if got := segmentsIntersect(q[0], q[1], q[2], q[3]); got != tt.want {
					t.Errorf("segmentsIntersect%v = %v, want %v", q, got, tt.want)
				}
			}
		})
	}
}

func BenchmarkOrient(b *testing.B) {
	r := newRand(2)
	pts := make([]orb.Point, 1024)
	for i := range pts {
		pts[i] = orb.Point{24.9 + 0.1*r.Float64(), 60.1 + 0.1*r.Float64()}
	}
	b.ReportAllocs()
	s := 0
	for i := 0; b.Loop(); i++ {
		s += orient(pts[i&1023], pts[(i+1)&1023], pts[(i+2)&1023])
	}
	_ = s
}
