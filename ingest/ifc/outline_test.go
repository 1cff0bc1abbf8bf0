package ifc

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/paulmach/orb"
)

func rect(x0, y0, x1, y1 float64) orb.Ring {
	return orb.Ring{{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}, {x0, y0}}
}

func TestOutline(t *testing.T) {
	for _, tt := range []struct {
		name  string
		in    []orb.Ring
		areas []float64 // of the rings out, largest first
	}{
		{"one", []orb.Ring{rect(0, 0, 2, 1)}, []float64{2}},
		{"L from two touching rectangles", []orb.Ring{rect(0, 0, 2, 1), rect(0, 1, 1, 2)}, []float64{3}},
		{"overlapping", []orb.Ring{rect(0, 0, 2, 2), rect(1, 1, 3, 3)}, []float64{7}},
		{"clockwise input", []orb.Ring{{{0, 0}, {0, 1}, {1, 1}, {1, 0}, {0, 0}}}, []float64{1}},
		{"walls of a room: the hole is dropped", []orb.Ring{rect(0, 0, 5, 0.3), rect(0, 3.7, 5, 4), rect(0, 0, 0.3, 4), rect(4.7, 0, 5, 4)}, []float64{20}},
		{"mitred walls and a slab inside", []orb.Ring{
			{{0, 0}, {12, 0}, {11.7, 0.3}, {0.3, 0.3}, {0, 0}}, {{12, 0}, {12, 10}, {11.7, 9.7}, {11.7, 0.3}, {12, 0}},
			{{12, 10}, {0, 10}, {0.3, 9.7}, {11.7, 9.7}, {12, 10}}, {{0, 10}, {0, 0}, {0.3, 0.3}, {0.3, 9.7}, {0, 10}},
			rect(0.1, 0.1, 11.9, 9.9)}, []float64{120}},
		{"apart", []orb.Ring{rect(0, 0, 1, 1), rect(2, 0, 4, 1)}, []float64{2, 1}},
		{"touching at a corner: one ring", []orb.Ring{rect(0, 0, 1, 1), rect(1, 1, 3, 2)}, []float64{3}},
		{"a hole touching the outside at a corner", []orb.Ring{rect(0, 0, 3, 1), rect(0, 1, 1, 3), rect(1, 2, 2, 3), rect(2, 1, 3, 2)}, []float64{8}},
		{"T-junction", []orb.Ring{rect(0, 0, 4, 1), rect(1, 1, 2, 3)}, []float64{6}},
		{"same twice", []orb.Ring{rect(0, 0, 1, 1), rect(0, 0, 1, 1)}, []float64{1}},
		{"degenerate", []orb.Ring{{{0, 0}, {1, 1}, {2, 2}, {0, 0}}}, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			out := Outline(tt.in)
			if len(out) != len(tt.areas) {
				t.Fatalf("%d rings %v, want %d", len(out), out, len(tt.areas))
			}
			for i, r := range out {
				if a := RingArea(r); math.Abs(a-tt.areas[i]) > 1e-9 {
					t.Errorf("ring %d area %v, want %v (%v)", i, a, tt.areas[i], r)
				}
				if r[0] != r[len(r)-1] {
					t.Errorf("ring %d not closed", i)
				}
			}
		})
	}
}

// TestOutlineRandom compares Outline with a grid oracle on random unit-grid
// rectangles: the cells inside some rectangle plus the cells cut off from
// the outside are the filled union; a fixed seed.
func TestOutlineRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	const n = 12
	for it := 0; it < 500; it++ {
		var in []orb.Ring
		var cell [n][n]bool
		for k := 0; k < 1+rng.IntN(6); k++ {
			x0, y0 := rng.IntN(n-1), rng.IntN(n-1)
			x1, y1 := x0+1+rng.IntN(n-x0-1), y0+1+rng.IntN(n-y0-1)
			in = append(in, rect(float64(x0), float64(y0), float64(x1), float64(y1)))
			for x := x0; x < x1; x++ {
				for y := y0; y < y1; y++ {
					cell[x][y] = true
				}
			}
		}
		// Flood the outside (4-connected, from a border of empty cells).
		var out [n + 2][n + 2]bool
		stack := [][2]int{{0, 0}}
		out[0][0] = true
		for len(stack) > 0 {
			c := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			for _, d := range [][2]int{{1, 0}, {-1, 0}, {0, 1}, {0, -1}} {
				x, y := c[0]+d[0], c[1]+d[1]
				if x < 0 || y < 0 || x > n+1 || y > n+1 || out[x][y] {
					continue
				}
				if x >= 1 && y >= 1 && x <= n && y <= n && cell[x-1][y-1] {
					continue
				}
				out[x][y] = true
				stack = append(stack, [2]int{x, y})
			}
		}
		want := 0.0
		for x := 1; x <= n; x++ {
			for y := 1; y <= n; y++ {
				if !out[x][y] {
					want++
				}
			}
		}
		got := 0.0
		for _, r := range Outline(in) {
			got += RingArea(r)
		}
		if math.Abs(got-want) > 1e-9 {
			t.Fatalf("case %d: outline area %v, want %v; rectangles %v", it, got, want, in)
		}
	}
}

// TestHausOutline checks the footprints of the FZK-Haus against its known
// plan: a 12 m × 10 m rectangle (outer faces of the walls, the base slab),
// and every space against its NetFloorArea quantity.
func TestHausOutline(t *testing.T) {
	res, err := DecodeFile(context.Background(), hausFile(t), Options{})
	if err != nil {
		t.Fatal(err)
	}
	b := res.Model.Buildings[0]
	check := func(name string, r orb.Ring) {
		t.Helper()
		if got := RingArea(r); math.Abs(got-120) > 1e-6 {
			t.Errorf("%s footprint area %.6f m², want 120", name, got)
		}
		bd := r.Bound()
		if math.Abs(bd.Min[0]) > 1e-6 || math.Abs(bd.Min[1]) > 1e-6 || math.Abs(bd.Max[0]-12) > 1e-6 || math.Abs(bd.Max[1]-10) > 1e-6 {
			t.Errorf("%s footprint spans %v, want (0,0)-(12,10)", name, bd)
		}
	}
	check("building", b.Footprint)
	// NetFloorArea here is the plan area less 3 % (ArchiCAD's plaster
	// deduction), bar the kitchen (0 %) and the attic gallery (heights under
	// the roof deducted): the ratio tells an exact outline from a hull.
	for _, st := range b.Storeys {
		check(st.Name, st.Footprint)
		for _, sp := range st.Spaces {
			a := RingArea(sp.Footprint)
			ratio := a / sp.Area
			t.Logf("space %s %q: footprint %.3f m², NetFloorArea %.3f m², ratio %.4f", sp.Name, sp.LongName, a, sp.Area, ratio)
			want := 1 / 0.97
			switch sp.LongName {
			case "Galerie":
				continue
			case "Küche":
				want = 1
			}
			if math.Abs(ratio-want) > 0.001 {
				t.Errorf("space %s %q: footprint %.3f m², NetFloorArea %.3f m²: ratio %.4f, want %.4f", sp.Name, sp.LongName, a, sp.Area, ratio, want)
			}
		}
	}
}
