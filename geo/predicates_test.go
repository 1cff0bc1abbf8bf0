package geo

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
)

var (
	square   = orb.Ring{{0, 0}, {4, 0}, {4, 4}, {0, 4}, {0, 0}}
	hole     = orb.Ring{{1, 1}, {1, 3}, {3, 3}, {3, 1}, {1, 1}}
	donut    = orb.Polygon{square, hole}
	farBox   = orb.Bound{Min: orb.Point{10, 10}, Max: orb.Point{11, 11}}
	openRing = orb.Ring{{0, 0}, {4, 0}, {4, 4}, {0, 4}} // not explicitly closed
)

func TestPointInPolygon(t *testing.T) {
	tests := []struct {
		name string
		p    orb.Point
		poly orb.Polygon
		want bool
	}{
		{"inside", orb.Point{0.5, 0.5}, donut, true},
		{"in hole", orb.Point{2, 2}, donut, false},
		{"outside", orb.Point{5, 2}, donut, false},
		{"outer edge", orb.Point{4, 2}, donut, true},
		{"outer vertex", orb.Point{4, 4}, donut, true},
		{"hole edge", orb.Point{2, 3}, donut, true},
		{"hole vertex", orb.Point{1, 1}, donut, true},
		{"ray through vertex", orb.Point{-1, 4}, donut, false},
		{"ray along edge", orb.Point{-1, 0}, donut, false},
		{"open ring inside", orb.Point{1, 2}, orb.Polygon{openRing}, true},
		{"open ring closing edge", orb.Point{0, 2}, orb.Polygon{openRing}, true},
		{"empty polygon", orb.Point{0, 0}, orb.Polygon{}, false},
		{"empty ring", orb.Point{0, 0}, orb.Polygon{{}}, false},
		{"zero area on it", orb.Point{1, 1}, orb.Polygon{{{0, 0}, {2, 2}, {0, 0}}}, true},
		{"zero area off it", orb.Point{1, 1.5}, orb.Polygon{{{0, 0}, {2, 2}, {0, 0}}}, false},
		{"repeated points", orb.Point{1, 1}, orb.Polygon{{{0, 0}, {0, 0}, {2, 0}, {2, 0}, {2, 2}, {0, 2}, {0, 0}}}, true},
		{"single point ring", orb.Point{1, 1}, orb.Polygon{{{1, 1}}}, true},
		{"NaN", orb.Point{math.NaN(), 1}, donut, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := PointInPolygon(tt.p, tt.poly); got != tt.want {
				t.Errorf("PointInPolygon(%v) = %v, want %v", tt.p, got, tt.want)
			}
		})
	}
}

// Away from boundaries, PointInPolygon must agree with orb's independent
// planar implementation.
func TestPointInPolygonMatchesPlanar(t *testing.T) {
	r := newRand(3)
	for i := 0; i < 300; i++ {
		c := orb.Point{24.9 + 0.05*r.Float64(), 60.1 + 0.05*r.Float64()}
		poly := orb.Polygon{randomPolygon(r, c, 3+r.IntN(20), 0.002, 0.01)}
		if i%2 == 0 {
			h := randomPolygon(r, c, 3+r.IntN(8), 0.0005, 0.0015)
			reverse(h)
			poly = append(poly, h)
		}
		for j := 0; j < 100; j++ {
			p := orb.Point{c[0] - 0.012 + 0.024*r.Float64(), c[1] - 0.012 + 0.024*r.Float64()}
			if got, want := PointInPolygon(p, poly), planar.PolygonContains(poly, p); got != want {
				t.Fatalf("PointInPolygon(%v, %v) = %v, planar says %v", p, poly, got, want)
			}
		}
	}
}

func reverse(r orb.Ring) {
	for i, j := 0, len(r)-1; i < j; i, j = i+1, j-1 {
		r[i], r[j] = r[j], r[i]
	}
}

func TestIntersectsAndContainsKnown(t *testing.T) {
	line := orb.LineString{{-1, 2}, {5, 2}}
	inner := orb.LineString{{0.2, 0.2}, {0.8, 0.8}}
	edgeLine := orb.LineString{{0, 0}, {4, 0}}
	halfEdge := orb.LineString{{1, 0}, {3, 0}}
	inHole := orb.Polygon{{{1.5, 1.5}, {2.5, 1.5}, {2.5, 2.5}, {1.5, 1.5}}}
	coverHole := orb.Polygon{{{0.5, 0.5}, {3.5, 0.5}, {3.5, 3.5}, {0.5, 3.5}, {0.5, 0.5}}}
	holeFill := orb.Polygon{hole}
	tests := []struct {
		name                 string
		a, b                 orb.Geometry
		intersects, contains bool
	}{
		{"point in polygon", donut, orb.Point{0.5, 0.5}, true, true},
		{"point on boundary", donut, orb.Point{4, 1}, true, true},
		{"point in hole", donut, orb.Point{2, 2}, false, false},
		{"point on hole edge", donut, orb.Point{1, 2}, true, true},
		{"line across", donut, line, true, false},
		{"line inside", donut, inner, true, true},
		{"line on edge", donut, edgeLine, true, true},
		{"line on part of edge", donut, halfEdge, true, true},
		{"edge covered by two collinear lines", orb.MultiLineString{{{0, 0}, {2, 0}}, {{2, 0}, {4, 0}}}, edgeLine, true, true},
		{"edge not covered, gap", orb.MultiLineString{{{0, 0}, {1.9, 0}}, {{2, 0}, {4, 0}}}, edgeLine, true, false},
		{"polygon in hole", donut, inHole, false, false},
		{"polygon covering hole", donut, coverHole, true, false},
		{"hole filler touches", donut, holeFill, true, false},
		{"polygon itself", donut, donut, true, true},
		{"square contains donut", orb.Polygon{square}, donut, true, true},
		{"donut does not contain square", donut, orb.Polygon{square}, true, false},
		{"open ring itself", orb.Polygon{openRing}, orb.Polygon{square}, true, true},
		{"bound and ring", square.Bound(), square, true, true},
		{"far bound", donut, farBox, false, false},
		{"touching squares", orb.Polygon{square}, orb.Polygon{{{4, 0}, {8, 0}, {8, 4}, {4, 4}, {4, 0}}}, true, false},
		{"corner touch", orb.Polygon{square}, orb.Polygon{{{4, 4}, {8, 4}, {8, 8}, {4, 4}}}, true, false},
		{"multipoint partly in", donut, orb.MultiPoint{{0.5, 0.5}, {9, 9}}, true, false},
		{"multipoint in", donut, orb.MultiPoint{{0.5, 0.5}, {4, 4}}, true, true},
		{"points equal", orb.Point{1, 2}, orb.Point{1, 2}, true, true},
		{"points differ", orb.Point{1, 2}, orb.Point{1, 2.0000001}, false, false},
		{"line contains point", line, orb.Point{0, 2}, true, true},
		{"line contains sub-line", line, orb.LineString{{0, 2}, {1, 2}, {0.5, 2}}, true, true},
		{"line contains zero-length line", line, orb.LineString{{3, 2}, {3, 2}}, true, true},
		{"lines cross", line, orb.LineString{{0, 0}, {0, 5}}, true, false},
		{"point contains line?", orb.Point{1, 1}, orb.LineString{{1, 1}, {1, 1}}, true, true},
		{"zero-area polygon in line", orb.LineString{{0, 0}, {4, 4}}, orb.Polygon{{{1, 1}, {2, 2}, {1, 1}}}, true, true},
		{"collection", orb.Collection{orb.Point{9, 9}, donut}, orb.MultiPoint{{9, 9}, {0.5, 0.5}}, true, true},
		{"multipolygon", orb.MultiPolygon{donut, {{{5, 5}, {6, 5}, {6, 6}, {5, 5}}}}, orb.Point{5.5, 5.2}, true, true},
		{"empty b", donut, orb.MultiPoint{}, false, false},
		{"empty a", orb.Collection{}, orb.Point{0, 0}, false, false},
		{"nil", nil, orb.Point{0, 0}, false, false},
		{"empty line", donut, orb.LineString{}, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Intersects(tt.a, tt.b); got != tt.intersects {
				t.Errorf("Intersects = %v, want %v", got, tt.intersects)
			}
			if got := Intersects(tt.b, tt.a); got != tt.intersects {
				t.Errorf("Intersects (swapped) = %v, want %v", got, tt.intersects)
			}
			if got := Contains(tt.a, tt.b); got != tt.contains {
				t.Errorf("Contains = %v, want %v", got, tt.contains)
			}
			if got := Within(tt.b, tt.a); got != tt.contains {
				t.Errorf("Within = %v, want %v", got, tt.contains)
			}
		})
	}
}

// properCross is an independent crossing test for the oracle, on the exact
// rational orientation; in general position it is all that can happen.
func properCross(a, b, c, d orb.Point) bool {
	return ratOrient(a, b, c)*ratOrient(a, b, d) < 0 && ratOrient(c, d, a)*ratOrient(c, d, b) < 0
}

func boundariesCross(a, b orb.Polygon) bool {
	for _, ra := range a {
		for i := 1; i < len(ra); i++ {
			for _, rb := range b {
				for j := 1; j < len(rb); j++ {
					if properCross(ra[i-1], ra[i], rb[j-1], rb[j]) {
						return true
					}
				}
			}
		}
	}
	return false
}

// Random polygons are in general position (no touching), where intersection
// and containment have simple independent characterisations.
func TestPredicatesRandomPolygonsOracle(t *testing.T) {
	r := newRand(4)
	var nIntersect, nContain int
	for i := 0; i < 3000; i++ {
		ca := orb.Point{r.Float64(), r.Float64()}
		a := orb.Polygon{randomPolygon(r, ca, 3+r.IntN(12), 0.2, 0.5)}
		if r.IntN(2) == 0 {
			a = append(a, randomPolygon(r, ca, 3+r.IntN(6), 0.03, 0.15))
		}
		cb := orb.Point{ca[0] + 1.2*(r.Float64()-0.5), ca[1] + 1.2*(r.Float64()-0.5)}
		b := orb.Polygon{randomPolygon(r, cb, 3+r.IntN(12), 0.01, 0.1+0.4*r.Float64())}
		cross := boundariesCross(a, b)
		aInB := planar.PolygonContains(b, a[0][0])
		bInA := planar.PolygonContains(a, b[0][0])
		wantInter := cross || aInB || bInA
		holeInB := false
		for _, h := range a[1:] {
			holeInB = holeInB || planar.PolygonContains(b, h[0])
		}
		wantContain := !cross && bInA && !holeInB
		if got := Intersects(a, b); got != wantInter {
			t.Fatalf("case %d: Intersects = %v, want %v\na=%v\nb=%v", i, got, wantInter, a, b)
		}
		if got := Contains(a, b); got != wantContain {
			t.Fatalf("case %d: Contains = %v, want %v\na=%v\nb=%v", i, got, wantContain, a, b)
		}
		// Lines: b's outer ring as a line string is inside a iff b is.
		if got := Contains(a, orb.LineString(b[0])); got != wantContain && !holeInB {
			t.Fatalf("case %d: Contains(a, ring as line) = %v, want %v", i, got, wantContain)
		}
		if wantInter {
			nIntersect++
		}
		if wantContain {
			nContain++
		}
	}
	// The generator must exercise both outcomes of both predicates.
	if nIntersect < 500 || nIntersect > 2500 || nContain < 50 {
		t.Fatalf("poor mix: %d intersect, %d contain of 3000", nIntersect, nContain)
	}
}

// Real buildings share walls and nodes: the exactness that matters in a city.
func TestPredicatesHelsinkiBuildings(t *testing.T) {
	bs := helsinkiBuildings(t)
	byNode := make(map[int64][]int)
	for i, b := range bs {
		for _, n := range b.nodes[:len(b.nodes)-1] {
			byNode[n] = append(byNode[n], i)
		}
	}
	shared := 0
	for _, idx := range byNode {
		for _, i := range idx {
			for _, j := range idx {
				if i < j {
					shared++
					if !Intersects(orb.Polygon{bs[i].ring}, orb.Polygon{bs[j].ring}) {
						t.Errorf("buildings %d and %d share a node but do not intersect", bs[i].id, bs[j].id)
					}
				}
			}
		}
	}
	if shared < 50 {
		t.Fatalf("only %d building pairs share a node; data changed?", shared)
	}
	for _, b := range bs {
		poly := orb.Polygon{b.ring}
		if !Contains(poly, poly) {
			t.Errorf("building %d does not contain itself", b.id)
		}
		if !Within(poly, b.ring.Bound()) {
			t.Errorf("building %d not within its bound", b.id)
		}
		for _, v := range b.ring {
			if !PointInPolygon(v, poly) {
				t.Errorf("building %d: vertex %v not in polygon", b.id, v)
			}
		}
		// Midpoints of edges are on the boundary up to rounding.
		for i := 1; i < len(b.ring); i++ {
			m := lerp(b.ring[i-1], b.ring[i], 0.5)
			if d := DistanceToGeometry(m, poly); d > 1e-6 {
				t.Errorf("building %d: edge midpoint %v at %g m", b.id, m, d)
			}
		}
	}
	// Random points against the independent implementation.
	r := newRand(5)
	for i := 0; i < 20000; i++ {
		b := bs[r.IntN(len(bs))]
		bb := b.ring.Bound().Pad(0.0002)
		p := orb.Point{bb.Min[0] + r.Float64()*(bb.Max[0]-bb.Min[0]), bb.Min[1] + r.Float64()*(bb.Max[1]-bb.Min[1])}
		poly := orb.Polygon{b.ring}
		if got, want := PointInPolygon(p, poly), planar.PolygonContains(poly, p); got != want {
			t.Fatalf("building %d, %v: PointInPolygon = %v, planar %v", b.id, p, got, want)
		}
	}
}

// fuzzCoord maps a byte onto a coarse grid so that fuzzing reaches the
// degenerate cases (shared vertices, collinear edges, touching) constantly.
func fuzzCoord(b byte) float64 { return float64(int8(b)) / 8 }

func fuzzGeometry(kind byte, c []byte) orb.Geometry {
	pt := func(i int) orb.Point { return orb.Point{fuzzCoord(c[2*i%len(c)]), fuzzCoord(c[(2*i+1)%len(c)])} }
	switch kind % 7 {
	case 0:
		return pt(0)
	case 1:
		return orb.MultiPoint{pt(0), pt(1)}
	case 2:
		return orb.LineString{pt(0), pt(1), pt(2)}
	case 3:
		return orb.Polygon{{pt(0), pt(1), pt(2), pt(3), pt(0)}}
	case 4:
		return orb.Polygon{{pt(0), pt(1), pt(2), pt(3)}, {pt(4), pt(5), pt(6)}}
	case 5:
		return orb.Bound{Min: pt(0), Max: pt(0)}.Extend(pt(1))
	default:
		return orb.Collection{pt(0), orb.LineString{pt(1), pt(2)}, orb.Ring{pt(3), pt(4), pt(5)}}
	}
}

func FuzzPredicates(f *testing.F) {
	f.Add(byte(3), byte(3), []byte{0, 0, 32, 0, 32, 32, 0, 32, 8, 8, 16, 8, 16, 16})
	f.Add(byte(3), byte(0), []byte{0, 0, 32, 0, 32, 32, 0, 32, 32, 16})
	f.Add(byte(2), byte(4), []byte{0, 0, 8, 8, 8, 8, 16, 0, 0, 0, 24, 24, 8, 16})
	f.Add(byte(6), byte(5), []byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12})
	f.Fuzz(func(t *testing.T, ka, kb byte, c []byte) {
		if len(c) < 2 {
			return
		}
		a := fuzzGeometry(ka, c)
		b := fuzzGeometry(kb, c[len(c)/2:])
		if len(c)/2 < 2 {
			b = fuzzGeometry(kb, c)
		}
		ab, ba := Intersects(a, b), Intersects(b, a)
		if ab != ba {
			t.Fatalf("Intersects not symmetric: %v vs %v\na=%v\nb=%v", ab, ba, a, b)
		}
		if Contains(a, b) != Within(b, a) {
			t.Fatalf("Contains(a,b) != Within(b,a)")
		}
		if Contains(a, b) && !ab {
			t.Fatalf("Contains without Intersects\na=%v\nb=%v", a, b)
		}
		if Contains(a, b) && Contains(b, a) && !Intersects(a, a) {
			t.Fatalf("mutual containment of empty geometry")
		}
		if Intersects(a, a) && !Contains(a, a) {
			t.Fatalf("a does not contain itself: %v", a)
		}
	})
}

func BenchmarkPointInPolygon(b *testing.B) {
	bs := helsinkiBuildings(b)
	r := newRand(6)
	pts := make([]orb.Point, 1024)
	polys := make([]orb.Polygon, 1024)
	for i := range pts {
		bd := bs[r.IntN(len(bs))]
		polys[i] = orb.Polygon{bd.ring}
		bb := bd.ring.Bound()
		pts[i] = orb.Point{bb.Min[0] + r.Float64()*(bb.Max[0]-bb.Min[0]), bb.Min[1] + r.Float64()*(bb.Max[1]-bb.Min[1])}
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		PointInPolygon(pts[i&1023], polys[i&1023])
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "tests/s")
}

// district is the twin's benchmark query polygon: 12 vertices around c.
func benchDistrict(r *rand.Rand, c orb.Point, rad float64) orb.Polygon {
	var ring orb.Ring
	for i := range 12 {
		a := 2 * math.Pi * float64(i) / 12
		k := rad * (0.8 + 0.4*r.Float64())
		ring = append(ring, orb.Point{c[0] + k*math.Cos(a)/math.Cos(c[1]*degToRad), c[1] + k*math.Sin(a)})
	}
	return orb.Polygon{append(ring, ring[0])}
}

func BenchmarkWithinPointPolygon(b *testing.B) {
	r := newRand(30)
	c := orb.Point{24.94, 60.17}
	var poly orb.Geometry = benchDistrict(r, c, 0.0144)
	pts := make([]orb.Geometry, 1024)
	for i := range pts {
		pts[i] = orb.Point{c[0] + 0.06*(r.Float64()-0.5), c[1] + 0.03*(r.Float64()-0.5)}
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		Within(pts[i&1023], poly)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "tests/s")
}

func BenchmarkIntersectsPointBound(b *testing.B) {
	r := newRand(31)
	var box orb.Geometry = orb.Bound{Min: orb.Point{24.93, 60.165}, Max: orb.Point{24.95, 60.175}}
	pts := make([]orb.Geometry, 1024)
	for i := range pts {
		pts[i] = orb.Point{24.92 + 0.04*r.Float64(), 60.16 + 0.02*r.Float64()}
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		Intersects(pts[i&1023], box)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "tests/s")
}

// Buildings against the small boxes of a map tile or a bbox query.
func BenchmarkIntersectsPolygonBound(b *testing.B) {
	bs := helsinkiBuildings(b)
	r := newRand(32)
	polys := make([]orb.Geometry, 1024)
	boxes := make([]orb.Geometry, 1024)
	for i := range polys {
		bd := bs[r.IntN(len(bs))]
		polys[i] = orb.Polygon{bd.ring}
		c := bd.ring.Bound().Center()
		c = orb.Point{c[0] + 0.002*(r.Float64()-0.5), c[1] + 0.001*(r.Float64()-0.5)}
		boxes[i] = orb.Bound{Min: c, Max: orb.Point{c[0] + 0.0015, c[1] + 0.0008}}
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		Intersects(polys[i&1023], boxes[i&1023])
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "tests/s")
}

// Buildings of 10 vertices from a district's bounding box, the candidates
// of the twin's district query, against its 12-gon.
func BenchmarkWithinPolygonPolygon(b *testing.B) {
	r := newRand(33)
	c := orb.Point{24.94, 60.17}
	district := benchDistrict(r, c, 0.0144)
	db := district.Bound()
	polys := make([]orb.Geometry, 1024)
	for i := range polys {
		at := orb.Point{db.Min[0] + r.Float64()*(db.Max[0]-db.Min[0]), db.Min[1] + r.Float64()*(db.Max[1]-db.Min[1])}
		polys[i] = orb.Polygon{randomPolygon(r, at, 10, 0.00005, 0.00015)}
	}
	for _, bc := range []struct {
		name   string
		within func(a, b orb.Geometry) bool
	}{
		{"fast", Within},
		{"general", func(a, b orb.Geometry) bool { return containsGeneral(b, a) }},
	} {
		b.Run(bc.name, func(b *testing.B) {
			var d orb.Geometry = district
			b.ReportAllocs()
			in := 0
			for i := 0; b.Loop(); i++ {
				if bc.within(polys[i&1023], d) {
					in++
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "tests/s")
			b.ReportMetric(float64(in)/float64(b.N), "inside/test")
		})
	}
}

// FuzzPredicatesHelsinki fuzzes the predicates on real buildings of the Helsinki
// extract: two buildings, the second shifted by a small offset (in 1e-7 degrees,
// about a centimetre, so that shared vertices and edges, touching and slightly
// overlapping neighbours all come up), checked for the relations' invariants
// and for fast paths that agree with the general ones.
func FuzzPredicatesHelsinki(f *testing.F) {
	bs := helsinkiBuildings(f)
	f.Add(uint16(0), uint16(1), int16(0), int16(0))
	f.Add(uint16(3), uint16(3), int16(0), int16(0))
	f.Add(uint16(10), uint16(11), int16(5), int16(-5))
	f.Add(uint16(42), uint16(7), int16(-300), int16(120))
	f.Fuzz(func(t *testing.T, i, j uint16, dx, dy int16) {
		a := orb.Polygon{bs[int(i)%len(bs)].ring}
		ring := bs[int(j)%len(bs)].ring
		moved := make(orb.Ring, len(ring))
		for k, p := range ring {
			moved[k] = orb.Point{p[0] + float64(dx)*1e-7, p[1] + float64(dy)*1e-7}
		}
		b := orb.Polygon{moved}
		if Intersects(a, b) != Intersects(b, a) {
			t.Fatalf("Intersects not symmetric\na=%v\nb=%v", a, b)
		}
		if Contains(a, b) && !Intersects(a, b) {
			t.Fatalf("Contains without Intersects\na=%v\nb=%v", a, b)
		}
		checkFastPaths(t, a, b)
		checkFastPaths(t, a[0][0], b)
		checkFastPaths(t, orb.LineString(moved), a)
	})
}
