package geo

import (
	"math"
	"testing"

	"github.com/paulmach/orb"
)

func TestECEFKnownPoints(t *testing.T) {
	b := WGS84A * (1 - WGS84F)
	cases := []struct {
		p    orb.Point
		h    float64
		want ECEF
	}{
		{orb.Point{0, 0}, 0, ECEF{WGS84A, 0, 0}},
		{orb.Point{90, 0}, 100, ECEF{0, WGS84A + 100, 0}},
		{orb.Point{180, 0}, 0, ECEF{-WGS84A, 0, 0}},
		{orb.Point{0, 90}, 0, ECEF{0, 0, b}},
		{orb.Point{45, -90}, 10, ECEF{0, 0, -b - 10}},
		// Published (to the millimetre): 45°N 45°E, 0 m.
		{orb.Point{45, 45}, 0, ECEF{3194419.145, 3194419.145, 4487348.409}},
	}
	for _, c := range cases {
		got := ToECEF(c.p, c.h)
		for i := range 3 {
			if math.Abs(got[i]-c.want[i]) > 1e-3 {
				t.Errorf("ToECEF(%v, %v) = %v, want %v", c.p, c.h, got, c.want)
				break
			}
		}
		p, h := FromECEF(c.want)
		if math.Abs(h-c.h) > 1e-3 || math.Abs(p[1]-c.p[1]) > 1e-8 || math.Abs(p[1]) < 90 && math.Abs(p[0]-c.p[0]) > 1e-8 {
			t.Errorf("FromECEF(%v) = %v %v, want %v %v", c.want, p, h, c.p, c.h)
		}
	}
}

// FromECEF inverts ToECEF to a micrometre from deep underground to beyond
// geostationary orbit, at every latitude.
func TestECEFRoundTrip(t *testing.T) {
	r := newRand(41)
	for i := range 100000 {
		p := orb.Point{360*r.Float64() - 180, 180*r.Float64() - 90}
		if i%10 == 0 {
			p[1] = 90 - 1e-6*r.Float64() // near the pole
		}
		var h float64
		switch i % 3 {
		case 0:
			h = 10000*r.Float64() - 1000
		case 1:
			h = 5e7 * r.Float64()
		default:
			h = -5e6 * r.Float64()
		}
		x := ToECEF(p, h)
		q, g := FromECEF(x)
		y := ToECEF(q, g)
		if d := math.Sqrt((x[0]-y[0])*(x[0]-y[0]) + (x[1]-y[1])*(x[1]-y[1]) + (x[2]-y[2])*(x[2]-y[2])); d > 1e-6*math.Max(1, math.Abs(h)/1e6) {
			t.Fatalf("%v %v m -> %v -> %v %v m: %v m off", p, h, x, q, g, d)
		}
		if math.Abs(g-h) > 1e-6*math.Max(1, math.Abs(h)/1e6) || math.Abs(q[1]-p[1]) > 1e-9 {
			t.Fatalf("%v %v m -> %v %v m", p, h, q, g)
		}
	}
}

func TestENU(t *testing.T) {
	r := newRand(42)
	for range 1000 {
		origin := orb.Point{360*r.Float64() - 180, 179*r.Float64() - 89.5}
		f := NewENU(origin)
		// Orthonormal and right-handed: east × north = up.
		m := f.Matrix()
		e, n, u := [3]float64{m[0], m[1], m[2]}, [3]float64{m[4], m[5], m[6]}, [3]float64{m[8], m[9], m[10]}
		dot := func(a, b [3]float64) float64 { return a[0]*b[0] + a[1]*b[1] + a[2]*b[2] }
		cross := [3]float64{e[1]*n[2] - e[2]*n[1], e[2]*n[0] - e[0]*n[2], e[0]*n[1] - e[1]*n[0]}
		if math.Abs(dot(e, e)-1) > 1e-12 || math.Abs(dot(n, n)-1) > 1e-12 || math.Abs(dot(e, n)) > 1e-12 ||
			math.Abs(cross[0]-u[0])+math.Abs(cross[1]-u[1])+math.Abs(cross[2]-u[2]) > 1e-12 {
			t.Fatalf("%v: not a rotation: %v", origin, m)
		}
		// The origin at height h is (0, 0, h); north is north.
		if x, y, z := f.FromGeodetic(origin, 123.4); math.Abs(x)+math.Abs(y)+math.Abs(z-123.4) > 1e-6 {
			t.Fatalf("%v: origin at 123.4 m is %v %v %v", origin, x, y, z)
		}
		if _, y, _ := f.FromGeodetic(orb.Point{origin[0], origin[1] + 0.001}, 0); y < 110 || y > 112 {
			t.Fatalf("%v: 0.001° north is %v m north", origin, y)
		}
		// The matrix and ToECEF agree, and FromECEF inverts them.
		x, y, z := 2000*r.Float64()-1000, 2000*r.Float64()-1000, 200*r.Float64()
		got := f.ToECEF(x, y, z)
		for i := range 3 {
			want := m[i]*x + m[4+i]*y + m[8+i]*z + m[12+i]
			if math.Abs(got[i]-want) > 1e-6 {
				t.Fatalf("ToECEF %v, matrix %v", got, want)
			}
		}
		if a, b, c := f.FromECEF(got); math.Abs(a-x)+math.Abs(b-y)+math.Abs(c-z) > 1e-6 {
			t.Fatalf("%v %v %v -> %v %v %v", x, y, z, a, b, c)
		}
	}
	// The ellipsoid curves away below the plane: about 7.8 cm 1 km east.
	f := NewENU(orb.Point{13.4, 52.5})
	_, _, u := f.FromGeodetic(orb.Point{13.4 + 1000/(111319.49*math.Cos(52.5*degToRad)), 52.5}, 0)
	if u > -0.07 || u < -0.09 {
		t.Errorf("1 km east on the ellipsoid is %v m up", u)
	}
}
