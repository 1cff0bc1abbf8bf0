package raster

import (
	"errors"
	"math"
	"testing"

	"github.com/paulmach/orb"
)

// plane is a 4 × 3 grid of z = 2x + 3y with 1 × 2 cells and origin (10, 20).
func plane(t *testing.T) *Grid {
	t.Helper()
	g, err := New(4, 3, 1, 2, 10, 20)
	if err != nil {
		t.Fatal(err)
	}
	for r := 0; r < g.Height; r++ {
		for c := 0; c < g.Width; c++ {
			p := g.Center(c, r)
			g.Set(c, r, float32(2*p[0]+3*p[1]))
		}
	}
	return g
}

func TestNewRejects(t *testing.T) {
	for _, tc := range []struct {
		name         string
		w, h         int
		cx, cy, x, y float64
	}{
		{"zero width", 0, 3, 1, 1, 0, 0},
		{"negative cell", 3, 3, -1, 1, 0, 0},
		{"nan cell", 3, 3, math.NaN(), 1, 0, 0},
		{"inf origin", 3, 3, 1, 1, math.Inf(1), 0},
		{"too many cells", 1 << 15, 1 << 15, 1, 1, 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := New(tc.w, tc.h, tc.cx, tc.cy, tc.x, tc.y); !errors.Is(err, ErrBadGrid) {
				t.Fatalf("err = %v, want ErrBadGrid", err)
			}
		})
	}
}

func TestBoundsCellCenter(t *testing.T) {
	g := plane(t)
	if got, want := g.Bounds(), (orb.Bound{Min: orb.Point{10, 14}, Max: orb.Point{14, 20}}); got != want {
		t.Fatalf("Bounds = %v, want %v", got, want)
	}
	if got, want := g.Center(1, 2), (orb.Point{11.5, 15}); got != want {
		t.Fatalf("Center = %v, want %v", got, want)
	}
	c, r, ok := g.Cell(orb.Point{11.5, 15})
	if !ok || c != 1 || r != 2 {
		t.Fatalf("Cell = %d, %d, %v", c, r, ok)
	}
	if _, _, ok := g.Cell(orb.Point{9.9, 15}); ok {
		t.Fatal("Cell outside is ok")
	}
}

func TestValueBilinearIsExactOnPlane(t *testing.T) {
	g := plane(t)
	for _, p := range []orb.Point{{10.5, 19}, {11.2, 17.3}, {13.5, 15}, {12.77, 16.01}} {
		got, ok := g.Value(p)
		want := 2*p[0] + 3*p[1]
		if !ok || math.Abs(got-want) > 1e-4 {
			t.Errorf("Value(%v) = %v, %v; want %v", p, got, ok, want)
		}
	}
	// Outside the centres it clamps to the edge.
	if got, ok := g.Value(orb.Point{10, 20}); !ok || got != float64(g.Values[0]) {
		t.Errorf("corner Value = %v, %v", got, ok)
	}
	if _, ok := g.Value(orb.Point{14.1, 15}); ok {
		t.Error("Value outside Bounds is ok")
	}
}

func TestValueNoData(t *testing.T) {
	g := plane(t)
	g.HasNoData, g.NoData = true, -9999
	g.Set(1, 1, -9999)
	if _, ok := g.At(1, 1); ok {
		t.Fatal("At NoData is ok")
	}
	if _, ok := g.Value(g.Center(1, 1)); ok {
		t.Error("Value at a NoData centre is ok")
	}
	// Between (1,1) and (2,1) the NoData cell drops out.
	p := orb.Point{12, 17}
	got, ok := g.Value(p)
	if !ok || got < -100 {
		t.Errorf("Value near NoData = %v, %v", got, ok)
	}
	s := g.Stats()
	if s.Valid != 11 || s.NoData != 1 {
		t.Errorf("Stats = %+v", s)
	}
	g.Set(0, 0, float32(math.NaN()))
	if s := g.Stats(); s.NoData != 2 {
		t.Errorf("NaN not counted as NoData: %+v", s)
	}
}

func TestSlopeAndNeighbours(t *testing.T) {
	g := plane(t)
	for _, cr := range [][2]int{{1, 1}, {0, 0}, {3, 2}} {
		dx, dy, ok := g.Slope(cr[0], cr[1])
		if !ok || math.Abs(dx-2) > 1e-4 || math.Abs(dy-3) > 1e-4 {
			t.Errorf("Slope(%v) = %v, %v, %v; want 2, 3", cr, dx, dy, ok)
		}
	}
	var n4, n8 int
	g.Neighbours(1, 1, false, func(int, int, float32, float64) { n4++ })
	g.Neighbours(0, 0, true, func(c, r int, _ float32, d float64) {
		n8++
		if c == 1 && r == 1 && math.Abs(d-math.Sqrt(5)) > 1e-9 {
			t.Errorf("diagonal distance %v", d)
		}
	})
	if n4 != 4 || n8 != 3 {
		t.Errorf("neighbours = %d, %d; want 4, 3", n4, n8)
	}
}

func TestValidate(t *testing.T) {
	g := plane(t)
	if err := g.Validate(); err != nil {
		t.Fatal(err)
	}
	g.Values = g.Values[:5]
	if err := g.Validate(); !errors.Is(err, ErrBadGrid) {
		t.Fatalf("err = %v", err)
	}
}

// A crop keeps the cells that meet the box, at the same places with the same
// values; a box off the grid gives nothing.
func TestCrop(t *testing.T) {
	g, err := New(10, 8, 2, 2, 100, 50)
	if err != nil {
		t.Fatal(err)
	}
	for i := range g.Values {
		g.Values[i] = float32(i)
	}
	for _, b := range []orb.Bound{
		{Min: orb.Point{103, 40}, Max: orb.Point{107.5, 45}},
		{Min: orb.Point{90, 20}, Max: orb.Point{200, 60}},
		{Min: orb.Point{100, 48}, Max: orb.Point{102, 50}},
	} {
		c, ok := g.Crop(b)
		if !ok {
			t.Fatalf("%v: no crop", b)
		}
		for r := range c.Height {
			for col := range c.Width {
				p := c.Center(col, r)
				if !b.Pad(2).Contains(p) {
					t.Fatalf("%v: cell centre %v is not near the box", b, p)
				}
				gc, gr, ok := g.Cell(p)
				if !ok {
					t.Fatalf("%v: crop cell %v off the grid", b, p)
				}
				got, _ := c.At(col, r)
				want, _ := g.At(gc, gr)
				if got != want {
					t.Fatalf("%v: cell (%d,%d) = %v, the grid has %v", b, col, r, got, want)
				}
			}
		}
		// Every grid cell that meets the box is in the crop.
		for r := range g.Height {
			for col := range g.Width {
				p := g.Center(col, r)
				cell := orb.Bound{Min: orb.Point{p[0] - 1, p[1] - 1}, Max: orb.Point{p[0] + 1, p[1] + 1}}
				inner := orb.Bound{Min: orb.Point{cell.Min[0] + 1e-9, cell.Min[1] + 1e-9}, Max: orb.Point{cell.Max[0] - 1e-9, cell.Max[1] - 1e-9}}
				if inner.Intersects(b) {
					if _, _, ok := c.Cell(p); !ok {
						t.Fatalf("%v: grid cell (%d,%d) meets the box but is not in the crop", b, col, r)
					}
				}
			}
		}
	}
	if _, ok := g.Crop(orb.Bound{Min: orb.Point{0, 0}, Max: orb.Point{10, 10}}); ok {
		t.Fatal("a box off the grid gave a crop")
	}
}
