package crs

import (
	"math"
	"testing"

	"github.com/paulmach/orb"
)

// TestGridOracle checks the interpolation against PROJ at random points
// (fixed seed), the exact transform being the oracle.
func TestGridOracle(t *testing.T) {
	for _, tt := range []struct {
		crs string
		b   orb.Bound
	}{
		{"EPSG:7415", orb.Bound{Min: orb.Point{84000, 446000}, Max: orb.Point{86000, 448500}}},
		{"EPSG:2056", orb.Bound{Min: orb.Point{2680000, 1240000}, Max: orb.Point{2690000, 1255000}}},
		{"EPSG:32632", orb.Bound{Min: orb.Point{690000, 5330000}, Max: orb.Point{700000, 5340000}}},
		{"EPSG:2263", orb.Bound{Min: orb.Point{980000, 190000}, Max: orb.Point{1010000, 220000}}},
	} {
		t.Run(tt.crs, func(t *testing.T) {
			tr, err := For(tt.crs)
			if err != nil {
				t.Fatal(err)
			}
			g, err := tr.NewGrid(tt.b, 200, 0.001)
			if err != nil {
				t.Fatal(err)
			}
			if !g.Interpolating() || g.MaxError() > 0.001 {
				t.Fatalf("interpolating %v, max error %v", g.Interpolating(), g.MaxError())
			}
			seed := uint64(42)
			rnd := func() float64 {
				seed = seed*6364136223846793005 + 1442695040888963407
				return float64(seed>>11) / (1 << 53)
			}
			var flat, exact []float64
			for i := 0; i < 2000; i++ {
				p := orb.Point{tt.b.Min[0] + rnd()*(tt.b.Max[0]-tt.b.Min[0]), tt.b.Min[1] + rnd()*(tt.b.Max[1]-tt.b.Min[1])}
				flat = append(flat, p[0], p[1])
			}
			flat = append(flat, tt.b.Max[0]+5000, tt.b.Max[1]) // outside: exact
			exact = append(exact, flat...)
			if err := g.ToLonLatFlat(flat, 2); err != nil {
				t.Fatal(err)
			}
			if err := tr.ToLonLatFlat(exact, 2); err != nil {
				t.Fatal(err)
			}
			worst := 0.0
			for k := 0; k < len(flat); k += 2 {
				worst = math.Max(worst, metres(orb.Point{flat[k], flat[k+1]}, orb.Point{exact[k], exact[k+1]}))
			}
			if worst > 0.002 {
				t.Fatalf("worst difference from PROJ %.4f m", worst)
			}
		})
	}
}

func TestGridTooLarge(t *testing.T) {
	tr, _ := For("EPSG:3857")
	g, err := tr.NewGrid(orb.Bound{Min: orb.Point{-2e7, -2e7}, Max: orb.Point{2e7, 2e7}}, 1000, 0.001)
	if err != nil {
		t.Fatal(err)
	}
	if g.Interpolating() {
		t.Fatal("a world-sized grid of 1 km cells should fall back to PROJ")
	}
	p, err := g.ToLonLat(orb.Point{0, 0})
	if err != nil || p != (orb.Point{0, 0}) {
		t.Fatalf("%v %v", p, err)
	}
	if _, err := tr.NewGrid(orb.Bound{}, 0, 1); err == nil {
		t.Fatal("cell 0 accepted")
	}
}

func BenchmarkGridToLonLatFlat(b *testing.B) {
	tr, _ := New("EPSG:28992")
	g, err := tr.NewGrid(orb.Bound{Min: orb.Point{80000, 440000}, Max: orb.Point{84096, 444096}}, 200, 0.001)
	if err != nil {
		b.Fatal(err)
	}
	const n = 4096
	src := make([]float64, 3*n)
	for i := 0; i < n; i++ {
		src[3*i], src[3*i+1], src[3*i+2] = 80000+float64(i), 440000+float64(i), 1
	}
	buf := make([]float64, len(src))
	b.ReportAllocs()
	for b.Loop() {
		copy(buf, src)
		if err := g.ToLonLatFlat(buf, 3); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)*n/b.Elapsed().Seconds(), "points/s")
}
