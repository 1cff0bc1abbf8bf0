package geo

import (
	"math"
	"math/rand/v2"
	"slices"
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
	switch r.IntN(14) {
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
	case 8: // a grid polygon with a grid hole, valid or not
		return orb.Polygon{{onGrid(r), onGrid(r), onGrid(r), onGrid(r), onGrid(r)}, {onGrid(r), onGrid(r), onGrid(r)}}
	case 9: // a building-sized cell of the grid, sharing its edges
		p := onGrid(r)
		ring := orb.Ring{p, {p[0] + 0.5, p[1]}, {p[0] + 0.5, p[1] + 0.5}, {p[0], p[1] + 0.5}, p}
		if r.IntN(2) == 0 {
			slices.Reverse(ring)
		}
		return orb.Polygon{ring}
	case 10: // a star with a star-shaped hole, or a small star off the grid
		c := orb.Point{1 + 2*r.Float64(), 1 + 2*r.Float64()}
		if r.IntN(2) == 0 {
			return orb.Polygon{randomPolygon(r, c, 4+r.IntN(26), 0.05, 0.4)}
		}
		hole := randomPolygon(r, c, 3+r.IntN(8), 0.2, 0.6)
		slices.Reverse(hole)
		return orb.Polygon{randomPolygon(r, c, 3+r.IntN(20), 1, 2.5), hole}
	case 11:
		a := orb.Polygon{randomPolygon(r, orb.Point{1, 1}, 3+r.IntN(8), 0.3, 1)}
		return orb.MultiPolygon{a, orb.Polygon{{onGrid(r), onGrid(r), onGrid(r), onGrid(r)}}, {{}}}
	case 12:
		l := make(orb.LineString, 2+r.IntN(5))
		for i := range l {
			l[i] = onGrid(r)
		}
		return l
	case 13: // degenerate rings: one point, two, collinear
		p, q := onGrid(r), onGrid(r)
		return [...]orb.Geometry{orb.Polygon{{p}}, orb.Polygon{{p, q}}, orb.Ring{p, q, p},
			orb.Polygon{{p, lerp(p, q, 0.5), q, p}}, orb.Polygon{{p, q, q, p}, {p}}}[r.IntN(5)]
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
		orb.Point{nan, 0}, orb.Point{0, inf}, orb.Point{math.Copysign(0, -1), 0}, orb.Point{0, 0},
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

// areaFastStats counts how areaRelate decided, so that the property tests
// can show they reach every branch rather than only the fallback.
type areaFastStats struct{ decided, fellBack int }

func (s *areaFastStats) check(t *testing.T, a, b orb.Geometry) {
	t.Helper()
	checkFastPaths(t, a, b)
	for _, pair := range [2][2]orb.Geometry{{a, b}, {b, a}} {
		for _, within := range []bool{false, true} {
			if _, ok := areaRelate(pair[0], pair[1], within); ok {
				s.decided++
			} else {
				s.fellBack++
			}
		}
	}
}

// perturb moves p by a few ulps, to put vertices just off the lines and
// vertices they were on.
func perturb(r *rand.Rand, p orb.Point) orb.Point {
	for i := range p {
		for range r.IntN(3) {
			p[i] = math.Nextafter(p[i], math.Inf(2*r.IntN(2)-1))
		}
	}
	return p
}

// Buildings against a district: inside, outside, across its boundary, on a
// vertex, along an edge (exactly, and a few ulps off), in and across holes.
func TestAreaFastPathsDistrict(t *testing.T) {
	r := newRand(46)
	var st areaFastStats
	c := orb.Point{24.94, 60.17}
	for i := 0; i < 300; i++ {
		district := benchDistrict(r, c, 0.01)
		if i%3 == 1 { // a hole
			h := randomPolygon(r, c, 3+r.IntN(10), 0.001, 0.004)
			slices.Reverse(h)
			district = append(district, h)
		}
		var area orb.Geometry = district
		if i%5 == 2 {
			area = orb.MultiPolygon{district, {randomPolygon(r, orb.Point{c[0] + 0.03, c[1]}, 6, 0.002, 0.005)}}
		}
		edges := func(yield func(a, b orb.Point)) {
			for _, ring := range district {
				for j := 1; j < len(ring); j++ {
					yield(ring[j-1], ring[j])
				}
			}
		}
		for k := 0; k < 60; k++ {
			at := orb.Point{c[0] + 0.04*(r.Float64()-0.5), c[1] + 0.03*(r.Float64()-0.5)}
			size := 0.0002 * (0.2 + r.Float64())
			building := orb.Polygon{randomPolygon(r, at, 4+r.IntN(27), size/3, size)}
			st.check(t, building, area)
			st.check(t, orb.Ring(building[0][:len(building[0])-1]), area)
			st.check(t, orb.LineString(building[0][:2+r.IntN(len(building[0])-2)]), area)
			st.check(t, orb.MultiPolygon{building, {randomPolygon(r, at, 5, size, 2*size)}}, area)
		}
		edges(func(a, b orb.Point) {
			for _, tt := range []float64{0, 0.3, 0.5} {
				// A building on the edge, on either side, sharing part of it,
				// or a vertex, or leaning across it.
				p, q := lerp(a, b, tt), lerp(a, b, tt+0.01)
				n := orb.Point{-(q[1] - p[1]), q[0] - p[0]}
				for _, side := range []float64{1, -1, 0.02, -0.02} {
					far := orb.Point{q[0] + side*n[0], q[1] + side*n[1]}
					near := orb.Point{p[0] + side*n[0], p[1] + side*n[1]}
					st.check(t, orb.Polygon{{p, q, far, near, p}}, area)
					st.check(t, orb.Polygon{{perturb(r, p), perturb(r, q), far, near}}, area)
					st.check(t, orb.Polygon{{lerp(p, q, 0.5), far, near}}, area)
					st.check(t, orb.LineString{p, q}, area)
					st.check(t, orb.LineString{near, perturb(r, lerp(p, q, 0.5)), far}, area)
					shift := orb.Point{near[0] - p[0], near[1] - p[1]}
					st.check(t, orb.Polygon{{
						{p[0] + shift[0]/1e9, p[1] + shift[1]/1e9}, {q[0] + shift[0]/1e9, q[1] + shift[1]/1e9}, far, near,
					}}, area)
				}
			}
		})
	}
	if st.decided < st.fellBack {
		t.Errorf("fast path decided %d pairs, fell back on %d", st.decided, st.fellBack)
	}
	t.Logf("fast path decided %d pairs, fell back on %d", st.decided, st.fellBack)
}

// Real buildings against their neighbours, which share OSM nodes and
// edges, and against districts drawn through their vertices.
func TestAreaFastPathsHelsinki(t *testing.T) {
	bs := helsinkiBuildings(t)
	r := newRand(47)
	var st areaFastStats
	for i, b := range bs {
		poly := orb.Polygon{b.ring}
		bb := b.ring.Bound().Pad(0.0002)
		for j := i + 1; j < len(bs); j++ {
			if bs[j].ring.Bound().Intersects(bb) {
				st.check(t, poly, orb.Polygon{bs[j].ring})
				st.check(t, orb.LineString(b.ring), orb.Polygon{bs[j].ring})
			}
		}
		// A district with a vertex of the building as one of its own, and
		// one through its edge's midpoint.
		d := benchDistrict(r, b.ring[0], 0.002)
		d[0][3] = b.ring[0]
		st.check(t, poly, d)
		d[0][5] = lerp(b.ring[0], b.ring[1], 0.5)
		st.check(t, poly, d)
		st.check(t, poly, orb.Polygon{bb.ToRing(), b.ring})
		st.check(t, poly, orb.MultiPolygon{{bb.Pad(0.001).ToRing(), bb.ToRing()}, poly})
	}
	t.Logf("fast path decided %d pairs, fell back on %d", st.decided, st.fellBack)
}

func TestAreaFastPathAllocs(t *testing.T) {
	r := newRand(48)
	c := orb.Point{24.94, 60.17}
	var district orb.Geometry = benchDistrict(r, c, 0.01)
	var building orb.Geometry = orb.Polygon{randomPolygon(r, c, 10, 0.0001, 0.0002)}
	if !Within(building, district) || !Intersects(building, district) {
		t.Fatal("building not in the district")
	}
	if n := testing.AllocsPerRun(100, func() { Within(building, district); Intersects(district, building) }); n != 0 {
		t.Errorf("Within(polygon, polygon) allocates %v times", n)
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

func TestPointPredicatesMatchGeneral(t *testing.T) {
	r := newRand(77)
	shapes := []orb.Geometry{
		orb.Bound{Min: orb.Point{0, 0}, Max: orb.Point{1, 1}},
		orb.Polygon{{{0, 0}, {1, 0}, {1, 1}, {0, 1}, {0, 0}}, {{0.25, 0.25}, {0.25, 0.75}, {0.75, 0.75}, {0.75, 0.25}, {0.25, 0.25}}},
		orb.MultiPolygon{{{{0, 0}, {0.5, 0}, {0.5, 0.5}, {0, 0}}}, {{{0.6, 0.6}, {1, 0.6}, {1, 1}, {0.6, 0.6}}}},
		orb.LineString{{0, 0}, {0.5, 0.5}, {1, 0}},
		orb.Collection{orb.Point{0.5, 0.5}, orb.LineString{{0, 1}, {1, 1}}},
		orb.MultiPoint{{0.5, 0.5}, {0, 0}},
		orb.Point{0.5, 0.5},
	}
	for range 20000 {
		// points on a coarse lattice land on vertices and edges often
		p := orb.Point{float64(r.IntN(9)) / 8, float64(r.IntN(9)) / 8}
		if r.IntN(2) == 0 {
			p = orb.Point{r.Float64()*1.2 - 0.1, r.Float64()*1.2 - 0.1}
		}
		for _, g := range shapes {
			if got, want := PointIntersects(p, g), Intersects(p, g); got != want {
				t.Fatalf("PointIntersects(%v, %v) = %v, Intersects = %v", p, g, got, want)
			}
			if got, want := PointWithin(p, g), Within(p, g); got != want {
				t.Fatalf("PointWithin(%v, %v) = %v, Within = %v", p, g, got, want)
			}
		}
	}
}
