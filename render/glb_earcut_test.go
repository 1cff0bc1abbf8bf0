package render

import (
	"math"
	"math/rand/v2"
	"testing"
)

// starRing is a simple polygon: points at sorted angles around (cx, cy), at
// radii in [rmin, rmax]. Neighbouring angles are at most 1.9·2π/n apart, so
// it contains the disc of radius rmin·cos(1.9π/n).
func starRing(r *rand.Rand, cx, cy, rmin, rmax float64, n int, ccw bool) []float64 {
	angles := make([]float64, n)
	step := 2 * math.Pi / float64(n)
	for i := range angles {
		angles[i] = (float64(i) + 0.9*r.Float64()) * step
	}
	out := make([]float64, 0, 2*n)
	for i := range n {
		a := angles[i]
		if !ccw {
			a = angles[n-1-i]
		}
		rad := rmin + (rmax-rmin)*r.Float64()
		out = append(out, cx+rad*math.Cos(a), cy+rad*math.Sin(a))
	}
	return out
}

// polygonWithHoles is a random simple polygon (star-shaped, 3..40 points) with
// up to 9 disjoint star-shaped holes inside it; the rings run either way.
func polygonWithHoles(r *rand.Rand) (xy []float64, holes []int) {
	scale := math.Pow(10, float64(r.IntN(6))-1) // 0.1 m .. 10 km
	cx, cy := (r.Float64()-0.5)*1e3*scale, (r.Float64()-0.5)*1e3*scale
	n := 6 + r.IntN(35)
	if r.IntN(5) == 0 {
		n = 3 + r.IntN(3)
	}
	rmin := scale * (0.5 + r.Float64())
	xy = starRing(r, cx, cy, rmin, rmin*(1+2*r.Float64()), n, r.IntN(2) == 0)
	if n < 6 {
		return xy, nil // big gaps: the inner disc is not known
	}
	// Holes in the cells of a k×k grid over the square inside the disc of
	// radius rin, well inside the polygon.
	rin := 0.95 * rmin * math.Cos(1.9*math.Pi/float64(n))
	k := 1 + r.IntN(3)
	side := rin * math.Sqrt2 / float64(k)
	x0, y0 := cx-rin/math.Sqrt2, cy-rin/math.Sqrt2
	for i := range k {
		for j := range k {
			if r.IntN(3) == 0 {
				continue
			}
			hx, hy := x0+(float64(i)+0.5)*side, y0+(float64(j)+0.5)*side
			hr := side * 0.45 * (0.3 + 0.7*r.Float64())
			holes = append(holes, len(xy)/2)
			xy = append(xy, starRing(r, hx, hy, hr*0.4, hr, 6+r.IntN(10), r.IntN(2) == 0)...)
		}
	}
	return xy, holes
}

func absRingArea(xy []float64) float64 { return math.Abs(earRingArea(xy, 0, len(xy))) / 2 }

// inRing is the even-odd test of (px, py) against a ring.
func inRing(xy []float64, px, py float64) bool {
	in := false
	n := len(xy) / 2
	for i, j := 0, n-1; i < n; j, i = i, i+1 {
		xi, yi, xj, yj := xy[2*i], xy[2*i+1], xy[2*j], xy[2*j+1]
		if (yi > py) != (yj > py) && px < (xj-xi)*(py-yi)/(yj-yi)+xi {
			in = !in
		}
	}
	return in
}

func ringsOf(xy []float64, holes []int) [][]float64 {
	var rings [][]float64
	starts := append([]int{0}, holes...)
	for i, s := range starts {
		e := len(xy) / 2
		if i+1 < len(starts) {
			e = starts[i+1]
		}
		rings = append(rings, xy[2*s:2*e])
	}
	return rings
}

// checkTriangulation: the triangles' areas sum to the polygon's (outer less
// holes) within 1e-9 relative, and every triangle lies inside the polygon
// (its centroid is inside the outer ring and outside every hole).
func checkTriangulation(t *testing.T, xy []float64, holes []int, tris []uint32) {
	t.Helper()
	rings := ringsOf(xy, holes)
	want := absRingArea(rings[0])
	for _, h := range rings[1:] {
		want -= absRingArea(h)
	}
	got := 0.0
	for k := 0; k < len(tris); k += 3 {
		a, b, c := tris[k], tris[k+1], tris[k+2]
		ax, ay, bx, by, cx, cy := xy[2*a], xy[2*a+1], xy[2*b], xy[2*b+1], xy[2*c], xy[2*c+1]
		ar := math.Abs((bx-ax)*(cy-ay)-(cx-ax)*(by-ay)) / 2
		got += ar
		if ar == 0 {
			continue
		}
		mx, my := (ax+bx+cx)/3, (ay+by+cy)/3
		inside := inRing(rings[0], mx, my)
		for _, h := range rings[1:] {
			inside = inside && !inRing(h, mx, my)
		}
		if !inside {
			t.Fatalf("triangle %d (%v,%v) (%v,%v) (%v,%v) lies outside the polygon", k/3, ax, ay, bx, by, cx, cy)
		}
	}
	if math.Abs(got-want) > 1e-9*want {
		t.Fatalf("triangles cover %.15g, polygon %.15g (rel %.2g); %d points, %d holes", got, want, math.Abs(got-want)/want, len(xy)/2, len(holes))
	}
}

func TestEarcutProperty(t *testing.T) {
	r := rand.New(rand.NewPCG(42, 7))
	var e earcut
	for i := range 20_000 {
		xy, holes := polygonWithHoles(r)
		tris := e.triangulate(xy, holes)
		t.Run("", func(t *testing.T) {
			if t.Failed() {
				return
			}
			checkTriangulation(t, xy, holes, tris)
		})
		if t.Failed() {
			t.Fatalf("polygon %d: %v holes %v", i, xy, holes)
		}
	}
}

// Footprint-like cases: collinear and repeated points, a courtyard touching
// nothing, an L, a U, a ring that touches its hole at a vertex.
func TestEarcutCases(t *testing.T) {
	cases := []struct {
		name  string
		xy    []float64
		holes []int
		tris  int // expected triangles, -1 to not check
	}{
		{"square", []float64{0, 0, 10, 0, 10, 10, 0, 10}, nil, 2},
		{"square clockwise", []float64{0, 0, 0, 10, 10, 10, 10, 0}, nil, 2},
		{"collinear", []float64{0, 0, 5, 0, 10, 0, 10, 10, 0, 10}, nil, -1},
		{"repeated", []float64{0, 0, 10, 0, 10, 0, 10, 10, 0, 10}, nil, -1},
		{"L", []float64{0, 0, 20, 0, 20, 5, 5, 5, 5, 20, 0, 20}, nil, 4},
		{"U", []float64{0, 0, 30, 0, 30, 20, 20, 20, 20, 10, 10, 10, 10, 20, 0, 20}, nil, 6},
		{"courtyard", []float64{0, 0, 30, 0, 30, 30, 0, 30, 10, 10, 10, 20, 20, 20, 20, 10}, []int{4}, 8},
		{"two courtyards", []float64{0, 0, 50, 0, 50, 20, 0, 20, 5, 5, 5, 15, 20, 15, 20, 5, 30, 5, 30, 15, 45, 15, 45, 5}, []int{4, 8}, -1},
		{"touching hole", []float64{0, 0, 10, 0, 10, 10, 0, 10, 0, 5, 5, 3, 5, 7}, []int{4}, -1},
		{"triangle", []float64{0, 0, 1, 0, 0, 1}, nil, 1},
		{"degenerate line", []float64{0, 0, 1, 0, 2, 0}, nil, 0},
		{"too few", []float64{0, 0, 1, 0}, nil, 0},
	}
	var e earcut
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tris := e.triangulate(c.xy, c.holes)
			if c.tris >= 0 && len(tris) != 3*c.tris {
				t.Errorf("%d triangles, want %d", len(tris)/3, c.tris)
			}
			if len(c.xy) >= 6 && absRingArea(ringsOf(c.xy, c.holes)[0]) > 0 {
				checkTriangulation(t, c.xy, c.holes, tris)
			}
		})
	}
}

func FuzzEarcut(f *testing.F) {
	f.Add(uint64(1), uint64(2))
	f.Fuzz(func(t *testing.T, a, b uint64) {
		xy, holes := polygonWithHoles(rand.New(rand.NewPCG(a, b)))
		var e earcut
		checkTriangulation(t, xy, holes, e.triangulate(xy, holes))
	})
}

func BenchmarkEarcut(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	polys := make([][]float64, 1000)
	holes := make([][]int, 1000)
	for i := range polys {
		polys[i], holes[i] = polygonWithHoles(r)
	}
	var e earcut
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		e.triangulate(polys[n%len(polys)], holes[n%len(polys)])
		n++
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "polygons/s")
}
