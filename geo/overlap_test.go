package geo

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/paulmach/orb"
)

// box is a rectangle of w × h metres with its south-west corner x, y metres
// east and north of f's origin.
func box(f Frame, x, y, w, h float64) orb.Polygon {
	return orb.Polygon{{f.ToLonLat(x, y), f.ToLonLat(x+w, y), f.ToLonLat(x+w, y+h), f.ToLonLat(x, y+h), f.ToLonLat(x, y)}}
}

func TestOverlapRectangles(t *testing.T) {
	f := NewFrame(orb.Point{4.36, 52.01})
	a := box(f, 0, 0, 20, 10)
	tests := []struct {
		name      string
		b         orb.Polygon
		inter     float64
		wantIoU   float64
		tolerance float64
	}{
		{"same", box(f, 0, 0, 20, 10), 200, 1, 1e-3},
		{"half", box(f, 10, 0, 20, 10), 100, 100.0 / 300, 1e-3},
		{"inside", box(f, 5, 2, 10, 6), 60, 60.0 / 200, 1e-3},
		{"corner", box(f, 15, 5, 10, 10), 25, 25.0 / 275, 1e-3},
		{"apart", box(f, 30, 0, 5, 5), 0, 0, 0},
		{"touching", box(f, 20, 0, 5, 10), 0, 0, 1e-3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			areaA, _, inter := Overlap(a, tt.b)
			if math.Abs(areaA-200) > 0.05 {
				t.Errorf("area of a = %.3f, want 200", areaA)
			}
			if math.Abs(inter-tt.inter) > 0.05 {
				t.Errorf("intersection = %.3f m², want %.3f", inter, tt.inter)
			}
			if got := IoU(a, tt.b); math.Abs(got-tt.wantIoU) > tt.tolerance {
				t.Errorf("IoU = %.4f, want %.4f", got, tt.wantIoU)
			}
			if got, back := IoU(a, tt.b), IoU(tt.b, a); math.Abs(got-back) > 1e-9 {
				t.Errorf("IoU not symmetric: %v, %v", got, back)
			}
		})
	}
}

func TestOverlapHoles(t *testing.T) {
	f := NewFrame(orb.Point{24.94, 60.17})
	court := box(f, 0, 0, 30, 30)
	court = append(court, box(f, 10, 10, 10, 10)[0]) // a courtyard of 100 m²
	if a := Area(court); math.Abs(a-800) > 0.1 {
		t.Fatalf("area with a hole = %.2f, want 800", a)
	}
	_, _, inter := Overlap(court, box(f, 10, 10, 10, 10))
	if inter > 0.5 {
		t.Errorf("a building in the courtyard overlaps by %.2f m²", inter)
	}
	mp := orb.MultiPolygon{box(f, 0, 0, 10, 10), box(f, 20, 0, 10, 10)}
	if _, _, inter := Overlap(mp, box(f, 5, 0, 20, 10)); math.Abs(inter-100) > 0.1 {
		t.Errorf("multipolygon overlap %.2f, want 100", inter)
	}
}

// The scanline integral against brute-force point sampling on random,
// non-convex polygons.
func TestOverlapOracle(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	f := NewFrame(orb.Point{-73.98, 40.75})
	star := func(cx, cy float64) orb.Polygon {
		n := 5 + rng.IntN(8)
		var r orb.Ring
		for i := range n {
			ang := 2 * math.Pi * float64(i) / float64(n)
			rad := 5 + rng.Float64()*15
			r = append(r, f.ToLonLat(cx+rad*math.Cos(ang), cy+rad*math.Sin(ang)))
		}
		return orb.Polygon{append(r, r[0])}
	}
	for range 40 {
		a := star(0, 0)
		b := star(rng.Float64()*20-10, rng.Float64()*20-10)
		_, _, inter := Overlap(a, b)
		// Oracle: a fine grid of points in metres.
		const step = 0.1
		hits := 0
		for x := -40.0; x < 40; x += step {
			for y := -40.0; y < 40; y += step {
				p := f.ToLonLat(x+step/2, y+step/2)
				if PointInPolygon(p, a) && PointInPolygon(p, b) {
					hits++
				}
			}
		}
		want := float64(hits) * step * step
		if math.Abs(inter-want) > 0.01*want+2 {
			t.Fatalf("intersection %.2f m², sampling says %.2f", inter, want)
		}
	}
}

func BenchmarkIoU(b *testing.B) {
	f := NewFrame(orb.Point{4.36, 52.01})
	x, y := box(f, 0, 0, 20, 10), box(f, 3, 2, 20, 12)
	b.ReportAllocs()
	for b.Loop() {
		IoU(x, y)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "pairs/s")
}
