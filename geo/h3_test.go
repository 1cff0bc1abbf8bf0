package geo

import (
	"errors"
	"math"
	"slices"
	"testing"

	"github.com/paulmach/orb"
	"github.com/uber/h3-go/v4"
)

func TestParentMatchesH3(t *testing.T) {
	r := newRand(15)
	for i := 0; i < 20000; i++ {
		p := orb.Point{360*r.Float64() - 180, 180*r.Float64() - 90}
		res := r.IntN(16)
		c := Cell(p, res)
		if got, want := CellResolution(c), c.Resolution(); got != want || got != res {
			t.Fatalf("CellResolution(%v) = %d, h3 %d, asked %d", c, got, want, res)
		}
		for pr := -1; pr <= 16; pr++ {
			if got, want := Parent(c, pr), c.Parent(pr); got != want {
				t.Fatalf("Parent(%v, %d) = %v, h3 %v", c, pr, got, want)
			}
		}
	}
}

// Parent must equal H3's cellToParent bit for bit, even on garbage indexes.
func FuzzParent(f *testing.F) {
	f.Add(int64(Cell(orb.Point{24.94, 60.17}, 9)), 5)
	f.Add(int64(0), 0)
	f.Add(int64(-1), 15)
	f.Fuzz(func(t *testing.T, c int64, res int) {
		if got, want := Parent(h3.Cell(c), res), h3.Cell(c).Parent(res); got != want {
			t.Fatalf("Parent(%x, %d) = %x, h3 %x", c, res, got, want)
		}
	})
}

func TestCellGeometry(t *testing.T) {
	r := newRand(16)
	for i := 0; i < 2000; i++ {
		p := orb.Point{360*r.Float64() - 180, 170*r.Float64() - 85}
		if i%4 == 0 {
			p[0] = 179.999 + 0.002*r.Float64() // on the antimeridian
			p[0] = normLon(p[0])
		}
		res := r.IntN(16)
		c := Cell(p, res)
		poly := CellPolygon(c)
		ring := poly[0]
		if ring[0] != ring[len(ring)-1] {
			t.Fatalf("cell %v: ring not closed", c)
		}
		b := CellBound(c)
		// The cell's own point is in its polygon, modulo 360 for unwrapped
		// antimeridian cells.
		in := false
		for _, shift := range []float64{0, 360, -360} {
			q := orb.Point{p[0] + shift, p[1]}
			in = in || (b.Contains(q) && PointInPolygon(q, poly))
		}
		if res > 4 && !in {
			// Cells are spherical hexagons; at coarse resolutions a lon/lat
			// ring can cut corners, so only fine cells must hold exactly.
			t.Fatalf("cell %v (res %d): %v not in %v", c, res, p, poly)
		}
		if res > 2 && b.Max[0]-b.Min[0] > 20 {
			t.Fatalf("cell %v at res %d spans %v degrees of longitude", c, res, b.Max[0]-b.Min[0])
		}
		center := CellCenter(c)
		if Cell(center, res) != c {
			t.Fatalf("CellCenter(%v) = %v is in another cell", c, center)
		}
	}
}

func TestCellPolar(t *testing.T) {
	c := Cell(orb.Point{0, 90}, 0)
	b := CellBound(c)
	if b.Min[0] != -180 || b.Max[0] != 180 || b.Max[1] != 90 {
		t.Errorf("polar cell bound %v", b)
	}
	if CellPolygon(0) != nil || CellBound(0) != (orb.Bound{}) || CellCenter(0) != (orb.Point{}) {
		t.Error("invalid cell must give zero values")
	}
	if Cell(orb.Point{0, 0}, 16) != 0 || Cell(orb.Point{math.NaN(), 0}, 5) != 0 {
		t.Error("invalid input must give cell 0")
	}
}

func TestRingAndChildren(t *testing.T) {
	c := Cell(orb.Point{24.94, 60.17}, 9)
	for k := 0; k < 4; k++ {
		cells := Ring(c, k)
		if len(cells) != 3*k*(k+1)+1 || !slices.Contains(cells, c) {
			t.Errorf("Ring(k=%d) has %d cells, contains c: %v", k, len(cells), slices.Contains(cells, c))
		}
	}
	if Ring(c, -1) != nil || Ring(c, MaxRingK+1) != nil || Ring(0, 1) != nil {
		t.Error("Ring must reject bad input")
	}
	kids := Children(c, 11)
	if len(kids) != 49 {
		t.Errorf("Children: %d, want 49", len(kids))
	}
	for _, k := range kids {
		if Parent(k, 9) != c {
			t.Errorf("child %v has parent %v", k, Parent(k, 9))
		}
	}
	if got := Children(c, 9); len(got) != 1 || got[0] != c {
		t.Errorf("Children at own res = %v", got)
	}
	for _, res := range []int{8, 16, 9 + maxChildrenLevels + 1} {
		if Children(c, res) != nil {
			t.Errorf("Children(res %d) should be nil", res)
		}
	}
	if Children(0, 5) != nil {
		t.Error("Children of invalid cell should be nil")
	}
}

func TestValidRes(t *testing.T) {
	for res := -2; res <= 17; res++ {
		err := ValidRes(res)
		if (err == nil) != (res >= 0 && res <= 15) {
			t.Errorf("ValidRes(%d) = %v", res, err)
		}
		if err != nil && !errors.Is(err, ErrResolution) {
			t.Errorf("ValidRes(%d) = %v, not ErrResolution", res, err)
		}
	}
}

// randomPointIn returns a point of poly: uniform in its bound, rejected
// until inside, or (one time in three) on a random edge.
func randomPointIn(r interface {
	Float64() float64
	IntN(int) int
}, poly orb.Polygon) orb.Point {
	ring := poly[0]
	if r.IntN(3) == 0 {
		i := r.IntN(len(ring) - 1)
		return lerp(ring[i], ring[i+1], r.Float64())
	}
	b := ring.Bound()
	for {
		p := orb.Point{b.Min[0] + r.Float64()*(b.Max[0]-b.Min[0]), b.Min[1] + r.Float64()*(b.Max[1]-b.Min[1])}
		if PointInPolygon(p, poly) {
			return p
		}
	}
}

func checkCover(t *testing.T, name string, poly orb.Polygon, res int, r interface {
	Float64() float64
	IntN(int) int
}, n int) {
	t.Helper()
	cells, err := CoverPolygon(poly, res)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.IsSorted(cells) {
		t.Fatalf("%s: cover not sorted", name)
	}
	for i := 0; i < n; i++ {
		p := randomPointIn(r, poly)
		if _, ok := slices.BinarySearch(cells, Cell(p, res)); !ok {
			t.Fatalf("%s res %d: %v in polygon but its cell %v not in the cover of %d cells", name, res, p, Cell(p, res), len(cells))
		}
	}
}

func TestCoverPolygonRandom(t *testing.T) {
	r := newRand(17)
	for i := 0; i < 60; i++ {
		c := orb.Point{360*r.Float64() - 180, 140*r.Float64() - 70}
		poly := orb.Polygon{randomPolygon(r, c, 3+r.IntN(10), 0.001, 0.02)}
		checkCover(t, "random", poly, 7+r.IntN(4), r, 300)
	}
}

func TestCoverPolygonHelsinki(t *testing.T) {
	bs := helsinkiBuildings(t)
	r := newRand(18)
	for i, b := range bs {
		if i%4 != 0 {
			continue
		}
		checkCover(t, "building", orb.Polygon{b.ring}, 11+i%3, r, 50)
	}
}

func TestCoverPolygonInput(t *testing.T) {
	if _, err := CoverPolygon(orb.LineString{{0, 0}, {1, 1}}, 5); !errors.Is(err, ErrUnsupportedGeometry) {
		t.Errorf("LineString: err = %v", err)
	}
	if _, err := CoverPolygon(orb.Polygon{square}, 16); !errors.Is(err, ErrResolution) {
		t.Errorf("res 16: err = %v", err)
	}
	if _, err := CoverPolygon(orb.Polygon{{{0, 0}, {math.NaN(), 0}, {1, 1}}}, 5); err == nil {
		t.Error("NaN polygon: no error")
	}
	if _, err := CoverPolygon(orb.Bound{Min: orb.Point{0, 40}, Max: orb.Point{10, 50}}, 15); !errors.Is(err, ErrTooManyCells) {
		t.Errorf("a country at res 15: err = %v", err)
	}
	tiny := orb.Bound{Min: orb.Point{24.94, 60.17}, Max: orb.Point{24.9400001, 60.1700001}}
	cells, err := CoverPolygon(tiny, 9)
	if err != nil || !slices.Contains(cells, Cell(tiny.Min, 9)) {
		t.Errorf("tiny bound: %v, %v", cells, err)
	}
	for _, g := range []orb.Geometry{orb.Polygon{}, orb.Polygon{{}}, orb.MultiPolygon{}, orb.Polygon{{{1, 1}}}, orb.Polygon{{{1, 1}, {2, 2}}}} {
		if _, err := CoverPolygon(g, 8); err != nil {
			t.Errorf("%v: %v", g, err)
		}
	}
}

func BenchmarkParent(b *testing.B) {
	r := newRand(19)
	cells := make([]h3.Cell, 1024)
	for i := range cells {
		cells[i] = Cell(orb.Point{24.9 + 0.1*r.Float64(), 60.1 + 0.1*r.Float64()}, 12)
	}
	b.ReportAllocs()
	var s h3.Cell
	for i := 0; b.Loop(); i++ {
		s ^= Parent(cells[i&1023], 7)
	}
	_ = s
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "cells/s")
}

// BenchmarkParentCgo is the baseline Parent is measured against.
func BenchmarkParentCgo(b *testing.B) {
	c := Cell(orb.Point{24.94, 60.17}, 12)
	b.ReportAllocs()
	for b.Loop() {
		c.Parent(7)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "cells/s")
}
