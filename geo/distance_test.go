package geo

import (
	"math"
	"testing"

	"github.com/paulmach/orb"
)

func TestDistanceKnown(t *testing.T) {
	degree := EarthRadius * math.Pi / 180 // 111195.08 m
	tests := []struct {
		name string
		a, b orb.Point
		want float64
	}{
		{"same point", orb.Point{24.94, 60.17}, orb.Point{24.94, 60.17}, 0},
		{"one degree of latitude", orb.Point{24.94, 60}, orb.Point{24.94, 61}, degree},
		{"one degree on the equator", orb.Point{0, 0}, orb.Point{1, 0}, degree},
		{"across the antimeridian", orb.Point{179.5, 0}, orb.Point{-179.5, 0}, degree},
		{"pole to pole", orb.Point{0, 90}, orb.Point{0, -90}, math.Pi * EarthRadius},
		{"antipodes", orb.Point{10, 20}, orb.Point{-170, -20}, math.Pi * EarthRadius},
		{"over the pole", orb.Point{0, 89}, orb.Point{180, 89}, 2 * degree},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Distance(tt.a, tt.b); math.Abs(got-tt.want) > 1e-6*math.Max(1, tt.want) {
				t.Errorf("Distance = %.6f, want %.6f", got, tt.want)
			}
		})
	}
}

// Distance must agree with the independent destination formula.
func TestDistanceRoundTripsDestination(t *testing.T) {
	r := newRand(7)
	for i := 0; i < 10000; i++ {
		p := orb.Point{360*r.Float64() - 180, 178*r.Float64() - 89}
		d := 1 + 1e5*r.Float64()
		q := destination(p, 2*math.Pi*r.Float64(), d)
		if got := Distance(p, q); math.Abs(got-d) > 1e-6*d {
			t.Fatalf("Distance(%v, %v) = %v, want %v", p, q, got, d)
		}
	}
}

func TestDistanceToGeometryKnown(t *testing.T) {
	degree := EarthRadius * math.Pi / 180
	inf := math.Inf(1)
	tests := []struct {
		name string
		p    orb.Point
		g    orb.Geometry
		want float64
	}{
		{"point", orb.Point{0, 0}, orb.Point{0, 1}, degree},
		{"segment interior, not vertex", orb.Point{0.5, 1}, orb.LineString{{0, 0}, {1, 0}}, degree},
		{"on segment", orb.Point{0.5, 0}, orb.LineString{{0, 0}, {1, 0}}, 0},
		{"zero-length segment", orb.Point{0, 1}, orb.LineString{{0, 0}, {0, 0}}, degree},
		{"inside polygon", orb.Point{0.5, 0.5}, donut, 0},
		{"in hole: to hole edge", orb.Point{2, 2}, donut, degree},
		{"outside polygon", orb.Point{-1, 2}, donut, EarthRadius * math.Asin(math.Cos(2*degToRad)*math.Sin(degToRad))},
		{"bound as polygon", orb.Point{12, 10.5}, farBox, degree * math.Cos(10.5*degToRad)},
		{"inside bound", orb.Point{10.5, 10.5}, farBox, 0},
		{"multipolygon nearest member", orb.Point{9, 10.5}, orb.MultiPolygon{donut, farBox.ToPolygon()}, degree * math.Cos(10.5*degToRad)},
		{"collection", orb.Point{0, 5}, orb.Collection{orb.Point{0, 9}, orb.LineString{{-1, 4}, {1, 4}}}, degree},
		{"empty line", orb.Point{0, 0}, orb.LineString{}, inf},
		{"empty polygon", orb.Point{0, 0}, orb.Polygon{}, inf},
		{"empty collection", orb.Point{0, 0}, orb.Collection{}, inf},
		{"nil", orb.Point{0, 0}, nil, inf},
		{"empty bound", orb.Point{0, 0}, orb.Bound{Min: orb.Point{1, 1}, Max: orb.Point{0, 0}}, inf},
		{"across the antimeridian", orb.Point{-179.5, 0}, orb.LineString{{179.5, -1}, {179.5, 1}}, degree},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := DistanceToGeometry(tt.p, tt.g)
			if math.IsInf(tt.want, 1) {
				if !math.IsInf(got, 1) {
					t.Errorf("got %v, want +Inf", got)
				}
				return
			}
			// The chord of a one-degree segment departs from the lon/lat
			// line by a few metres: the city-scale budget is 0.5%.
			if math.Abs(got-tt.want) > 0.001*tt.want {
				t.Errorf("got %.3f, want %.3f", got, tt.want)
			}
			if (got == 0) != Intersects(tt.p, tt.g) {
				t.Errorf("distance %v but Intersects = %v", got, Intersects(tt.p, tt.g))
			}
		})
	}
}

// Against the dense-sampling oracle on random city-scale geometry, up to
// 50 km away, at latitudes from the equator to the Arctic.
func TestDistanceToGeometryVsOracle(t *testing.T) {
	r := newRand(8)
	for i := 0; i < 2000; i++ {
		c := orb.Point{360*r.Float64() - 180, 140*r.Float64() - 70}
		ring := randomPolygon(r, c, 3+r.IntN(10), 0.001, 0.05)
		p := destination(c, 2*math.Pi*r.Float64(), 50000*r.Float64())
		var g orb.Geometry
		var want float64
		switch i % 3 {
		case 0:
			g = orb.LineString(ring[:len(ring)-1])
			want = bruteDistanceToPath(p, ring[:len(ring)-1], false)
		case 1:
			g = orb.Polygon{ring}
			want = bruteDistanceToPath(p, ring, false)
			if PointInPolygon(p, orb.Polygon{ring}) {
				want = 0
			}
		case 2:
			g = orb.MultiPoint(ring)
			want = math.Inf(1)
			for _, q := range ring {
				want = math.Min(want, Distance(p, q))
			}
		}
		got := DistanceToGeometry(p, g)
		if math.Abs(got-want) > 1e-4*want+1e-4 {
			t.Fatalf("case %d: DistanceToGeometry(%v) = %v, oracle %v (%.3f%%)", i, p, got, want, 100*(got-want)/want)
		}
	}
}

func TestDistanceToGeometryHelsinki(t *testing.T) {
	bs := helsinkiBuildings(t)
	r := newRand(9)
	for i := 0; i < 2000; i++ {
		b := bs[r.IntN(len(bs))]
		bb := b.ring.Bound().Pad(0.003)
		p := orb.Point{bb.Min[0] + r.Float64()*(bb.Max[0]-bb.Min[0]), bb.Min[1] + r.Float64()*(bb.Max[1]-bb.Min[1])}
		poly := orb.Polygon{b.ring}
		want := bruteDistanceToPath(p, b.ring, false)
		if PointInPolygon(p, poly) {
			want = 0
		}
		got := DistanceToGeometry(p, poly)
		if math.Abs(got-want) > 1e-4*want+1e-4 {
			t.Fatalf("building %d, %v: %v, oracle %v", b.id, p, got, want)
		}
	}
}

func FuzzDistanceToGeometry(f *testing.F) {
	f.Add(byte(3), []byte{0, 0, 32, 0, 32, 32, 0, 32, 8, 8}, int8(16), int8(0))
	f.Add(byte(2), []byte{0, 0, 8, 8, 16, 16}, int8(4), int8(4))
	f.Fuzz(func(t *testing.T, kind byte, c []byte, x, y int8) {
		if len(c) < 2 {
			return
		}
		g := fuzzGeometry(kind, c)
		p := orb.Point{float64(x) / 8, float64(y) / 8}
		d := DistanceToGeometry(p, g)
		if !(d >= 0) {
			t.Fatalf("DistanceToGeometry(%v, %v) = %v", p, g, d)
		}
		if (d == 0) != Intersects(p, g) {
			t.Fatalf("DistanceToGeometry(%v, %v) = %v, Intersects = %v", p, g, d, Intersects(p, g))
		}
	})
}

func BenchmarkDistance(b *testing.B) {
	p, q := orb.Point{24.94, 60.17}, orb.Point{24.95, 60.18}
	b.ReportAllocs()
	s := 0.0
	for b.Loop() {
		s += Distance(p, q)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "distances/s")
}

func BenchmarkDistanceToGeometry(b *testing.B) {
	bs := helsinkiBuildings(b)
	r := newRand(10)
	polys := make([]orb.Polygon, len(bs))
	vertices := 0
	for i, bd := range bs {
		polys[i] = orb.Polygon{bd.ring}
		vertices += len(bd.ring)
	}
	p := orb.Point{24.944, 60.171}
	_ = r
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		DistanceToGeometry(p, polys[i%len(polys)])
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "buildings/s")
	b.ReportMetric(float64(vertices)/float64(len(bs)), "vertices/building")
}

// The twin measures point entities with DistanceToGeometry in every
// k-nearest search.
func BenchmarkDistanceToGeometryPoint(b *testing.B) {
	p, q := orb.Point{24.94, 60.17}, orb.Point{24.95, 60.18}
	var g orb.Geometry = q
	b.ReportAllocs()
	s := 0.0
	for b.Loop() {
		s += DistanceToGeometry(p, g)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "distances/s")
}
