package geo

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/paulmach/orb"
)

// checkFastPaths compares the public predicates, which take the fast paths,
// with the general decomposition, both ways round.
func checkFastPaths(t *testing.T, a, b orb.Geometry) {
	t.Helper()
	for _, pair := range [2][2]orb.Geometry{{a, b}, {b, a}} {
		x, y := pair[0], pair[1]
		if got, want := Intersects(x, y), intersectsGeneral(x, y); got != want {
			t.Fatalf("Intersects(%v, %v) = %v, general path %v", x, y, got, want)
		}
		if got, want := Contains(x, y), containsGeneral(x, y); got != want {
			t.Fatalf("Contains(%v, %v) = %v, general path %v", x, y, got, want)
		}
		if p, ok := x.(orb.Point); ok {
			pg := decompose(y)
			if got, want := pointIntersects(p, y), !pg.empty() && pg.coversPoint(p); got != want {
				t.Fatalf("pointIntersects(%v, %v) = %v, general path %v", p, y, got, want)
			}
		}
	}
}

// onGrid snaps to a coarse grid so that random shapes share vertices,
// edges and lines with the points and boxes tested against them.
func onGrid(r *rand.Rand) orb.Point {
	return orb.Point{float64(r.IntN(9)) / 2, float64(r.IntN(9)) / 2}
}

func randomFastPathGeometry(r *rand.Rand) orb.Geometry {
	switch r.IntN(8) {
	case 0:
		return onGrid(r)
	case 1:
		b := orb.Bound{Min: onGrid(r), Max: onGrid(r)}
		if r.IntN(8) > 0 { // mostly non-empty, sometimes inverted
			b = orb.Bound{Min: b.Min, Max: b.Min}.Extend(b.Max)
		}
		return b
	case 2:
		l := make(orb.LineString, r.IntN(4))
		for i := range l {
			l[i] = onGrid(r)
		}
		return l
	case 3:
		ring := orb.Ring{onGrid(r), onGrid(r), onGrid(r), onGrid(r)}
		if r.IntN(2) == 0 {
			ring = append(ring, ring[0])
		}
		return ring
	case 4:
		return orb.Polygon{{{0, 0}, {4, 0}, {4, 4}, {0, 4}, {0, 0}}, {{1, 1}, {1, 3}, {3, 3}, {3, 1}, {1, 1}}}
	case 5:
		c := orb.Point{2 + 2*r.Float64(), 2 + 2*r.Float64()}
		return orb.Polygon{randomPolygon(r, c, 3+r.IntN(10), 0.5, 2)}
	case 6:
		return orb.MultiPolygon{{{onGrid(r), onGrid(r), onGrid(r)}}, {}, {{{3, 3}, {4, 3}, {4, 4}, {3, 3}}}}
	default:
		return orb.Polygon{{onGrid(r), onGrid(r), onGrid(r), onGrid(r), onGrid(r)}}
	}
}

func TestPredicateFastPathsMatchGeneral(t *testing.T) {
	r := newRand(40)
	for i := 0; i < 200000; i++ {
		checkFastPaths(t, randomFastPathGeometry(r), randomFastPathGeometry(r))
	}
	// Degenerate and non-finite input takes the same answers too.
	nan, inf := math.NaN(), math.Inf(1)
	odd := []orb.Geometry{
		orb.Point{nan, 0}, orb.Point{0, inf}, orb.Point{-0.0, 0}, orb.Point{0, 0},
		orb.Bound{Min: orb.Point{0, 0}, Max: orb.Point{nan, 1}},
		orb.Bound{Min: orb.Point{-inf, 0}, Max: orb.Point{1, 1}},
		orb.Bound{Min: orb.Point{0, 0}, Max: orb.Point{0, 0}},
		orb.Bound{Min: orb.Point{1, 1}, Max: orb.Point{0, 0}},
		orb.LineString{}, orb.LineString{{0, 0}}, orb.LineString{{0, 0}, {nan, 1}},
		orb.Ring{}, orb.Polygon{}, orb.Polygon{{}}, orb.MultiPolygon{},
		orb.Polygon{{{0, 0}, {1, nan}, {1, 1}}},
		orb.Polygon{{{0, 0}, {inf, 0}, {1, 1}}},
		orb.MultiPolygon{{}, {{{0, 0}, {1, 0}, {1, 1}}}},
	}
	for _, a := range odd {
		for _, b := range odd {
			checkFastPaths(t, a, b)
		}
		for i := 0; i < 200; i++ {
			checkFastPaths(t, a, randomFastPathGeometry(r))
		}
	}
}

// Real buildings: their vertices and edge midpoints against themselves,
// points and boxes around them, and the boxes of their neighbours.
func TestPredicateFastPathsHelsinki(t *testing.T) {
	bs := helsinkiBuildings(t)
	r := newRand(41)
	for i, b := range bs {
		poly := orb.Polygon{b.ring}
		bb := b.ring.Bound()
		for _, v := range b.ring {
			checkFastPaths(t, v, poly)
		}
		for j := 1; j < len(b.ring); j++ {
			checkFastPaths(t, lerp(b.ring[j-1], b.ring[j], 0.5), poly)
		}
		checkFastPaths(t, poly, bb)
		checkFastPaths(t, orb.LineString(b.ring), bb)
		checkFastPaths(t, poly, bs[(i+1)%len(bs)].ring.Bound())
		checkFastPaths(t, orb.MultiPolygon{poly, {bs[(i+7)%len(bs)].ring}}, bb.Pad(0.0001))
		pad := bb.Pad(0.0003)
		for k := 0; k < 30; k++ {
			p := orb.Point{pad.Min[0] + r.Float64()*(pad.Max[0]-pad.Min[0]), pad.Min[1] + r.Float64()*(pad.Max[1]-pad.Min[1])}
			checkFastPaths(t, p, poly)
			checkFastPaths(t, p, bb)
			box := orb.Bound{Min: p, Max: p}.Extend(orb.Point{p[0] + 0.0003*r.Float64(), p[1] + 0.0002*r.Float64()})
			checkFastPaths(t, poly, box)
			checkFastPaths(t, box, bb)
			checkFastPaths(t, orb.LineString{p, b.ring[0]}, box)
		}
	}
}

// DistanceToGeometry from a point to a point is Distance, which the twin
// relies on when it compares the two.
func TestDistanceToGeometryPointIsDistance(t *testing.T) {
	r := newRand(42)
	for i := 0; i < 10000; i++ {
		p := orb.Point{360*r.Float64() - 180, 180*r.Float64() - 90}
		q := destination(p, 2*math.Pi*r.Float64(), math.Pow(10, 6*r.Float64()-3))
		if i%10 == 0 {
			q = p
		}
		if got, want := DistanceToGeometry(p, q), Distance(p, q); got != want {
			t.Fatalf("DistanceToGeometry(%v, %v) = %v, Distance %v", p, q, got, want)
		}
	}
	// Distinct points whose distance underflows stay apart, as documented.
	if d := DistanceToGeometry(orb.Point{0, 0}, orb.Point{0, 5e-324}); d <= 0 {
		t.Errorf("distinct points at %v", d)
	}
	if d := DistanceToGeometry(orb.Point{math.NaN(), 0}, orb.Point{0, 0}); !math.IsNaN(d) {
		t.Errorf("NaN point at %v", d)
	}
}

func TestDistanceToGeometryPointAllocs(t *testing.T) {
	var g orb.Geometry = orb.Point{24.95, 60.18}
	p := orb.Point{24.94, 60.17}
	if n := testing.AllocsPerRun(100, func() { DistanceToGeometry(p, g) }); n != 0 {
		t.Errorf("DistanceToGeometry(point, point) allocates %v times", n)
	}
}
