package geo

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/paulmach/orb"
)

// samplesIn returns points spread over b (edges, corners and interior),
// following the antimeridian convention when Min.X > Max.X.
func samplesIn(b orb.Bound, n int) []orb.Point {
	w := b.Max[0] - b.Min[0]
	if w < 0 {
		w += 360
	}
	var out []orb.Point
	for i := 0; i <= n; i++ {
		for j := 0; j <= n; j++ {
			lon := normLon(b.Min[0] + w*float64(i)/float64(n))
			out = append(out, orb.Point{lon, b.Min[1] + (b.Max[1]-b.Min[1])*float64(j)/float64(n)})
		}
	}
	return out
}

func randomBound(r *rand.Rand) orb.Bound {
	var lat0, lat1 float64
	switch r.IntN(4) {
	case 0: // touching a pole
		lat0, lat1 = 80+10*r.Float64(), 90
	default:
		lat0 = 170*r.Float64() - 85
		lat1 = math.Min(90, lat0+r.Float64()*r.Float64()*20)
	}
	lon0 := 360*r.Float64() - 180
	lon1 := lon0 + r.Float64()*r.Float64()*30
	if lon1 > 180 {
		lon1 -= 360 // crosses the antimeridian: Min.X > Max.X
	}
	return orb.Bound{Min: orb.Point{lon0, lat0}, Max: orb.Point{lon1, lat1}}
}

func TestDistanceToBoundIsTightLowerBound(t *testing.T) {
	r := newRand(11)
	for i := 0; i < 3000; i++ {
		b := randomBound(r)
		var p orb.Point
		if i%2 == 0 {
			p = orb.Point{360*r.Float64() - 180, 180*r.Float64() - 90}
		} else { // close by, where pruning matters
			p = orb.Point{normLon(b.Min[0] - 2 + 4*r.Float64()), math.Max(-90, math.Min(90, b.Min[1]-2+4*r.Float64()))}
		}
		lb := DistanceToBound(p, b)
		best := math.Inf(1)
		for _, q := range samplesIn(b, 40) {
			d := Distance(p, q)
			if d < lb {
				t.Fatalf("DistanceToBound(%v, %v) = %v exceeds Distance to %v = %v", p, b, lb, q, d)
			}
			best = math.Min(best, d)
		}
		// Tight: no looser than the sampling resolution.
		step := Distance(b.Min, orb.Point{b.Min[0], b.Max[1]})/40 + Distance(b.Min, orb.Point{b.Max[0], b.Min[1]})/40
		if lb < best-step-1e-3 {
			t.Fatalf("DistanceToBound(%v, %v) = %v, loose against sampled %v (step %v)", p, b, lb, best, step)
		}
	}
}

func TestDistanceToBoundKnown(t *testing.T) {
	degree := EarthRadius * degToRad
	tests := []struct {
		name string
		p    orb.Point
		b    orb.Bound
		want float64
	}{
		{"inside", orb.Point{1, 1}, orb.Bound{Min: orb.Point{0, 0}, Max: orb.Point{2, 2}}, 0},
		{"on edge", orb.Point{2, 1}, orb.Bound{Min: orb.Point{0, 0}, Max: orb.Point{2, 2}}, 0},
		{"south", orb.Point{1, -1}, orb.Bound{Min: orb.Point{0, 0}, Max: orb.Point{2, 2}}, degree},
		{"across antimeridian", orb.Point{-179.5, 0}, orb.Bound{Min: orb.Point{170, -1}, Max: orb.Point{180, 1}}, degree / 2},
		{"wrapped box, inside", orb.Point{-179.5, 0}, orb.Bound{Min: orb.Point{170, -1}, Max: orb.Point{-170, 1}}, 0},
		{"box at the pole", orb.Point{0, 80}, orb.Bound{Min: orb.Point{170, 89}, Max: orb.Point{171, 90}}, 10 * degree},
		{"point box", orb.Point{0, 0}, orb.Bound{Min: orb.Point{0, 1}, Max: orb.Point{0, 1}}, degree},
		{"empty", orb.Point{0, 0}, orb.Bound{Min: orb.Point{0, 1}, Max: orb.Point{0, 0}}, math.Inf(1)},
		{"NaN", orb.Point{math.NaN(), 0}, orb.Bound{Min: orb.Point{0, 1}, Max: orb.Point{0, 1}}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := DistanceToBound(tt.p, tt.b)
			if got != tt.want && !(math.Abs(got-tt.want) < 1e-3) {
				t.Errorf("DistanceToBound = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestBoundAroundCoversCircle(t *testing.T) {
	r := newRand(12)
	for i := 0; i < 3000; i++ {
		p := orb.Point{360*r.Float64() - 180, 180*r.Float64() - 90}
		switch i % 3 {
		case 1:
			p[0] = 179.9 + 0.2*r.Float64() // near the antimeridian
			p = orb.Point{normLon(p[0]), p[1]}
		case 2:
			p[1] = 89.5 + 0.5*r.Float64() // near the north pole
		}
		radius := math.Pow(10, 1+5*r.Float64())
		bs := BoundAround(p, radius)
		if len(bs) == 0 || len(bs) > 2 {
			t.Fatalf("BoundAround(%v, %v) = %v", p, radius, bs)
		}
		for k := 0; k < 100; k++ {
			q := destination(p, 2*math.Pi*r.Float64(), radius*math.Sqrt(r.Float64()))
			in := false
			for _, b := range bs {
				in = in || b.Contains(q)
			}
			if !in {
				t.Fatalf("BoundAround(%v, %v) = %v misses %v at %v m", p, radius, bs, q, Distance(p, q))
			}
		}
		// Not wildly loose: the lat extent is the radius.
		if bs[0].Min[1] > -90 && bs[0].Max[1] < 90 {
			if h := (bs[0].Max[1] - bs[0].Min[1]) * degToRad * EarthRadius; h > 2*radius+1e-3 {
				t.Fatalf("BoundAround height %v for radius %v", h, radius)
			}
		}
	}
}

func TestBoundAroundEdges(t *testing.T) {
	if got := BoundAround(orb.Point{0, 89.99}, 5000); len(got) != 1 || got[0].Min[0] != -180 || got[0].Max[0] != 180 || got[0].Max[1] != 90 {
		t.Errorf("around the pole: %v", got)
	}
	if got := BoundAround(orb.Point{179.99, 0}, 5000); len(got) != 2 {
		t.Errorf("across the antimeridian: %v", got)
	}
	if got := BoundAround(orb.Point{24.94, 60.17}, 1000); len(got) != 1 {
		t.Errorf("city: %v", got)
	}
	if got := BoundAround(orb.Point{24.94, 60.17}, -1); got != nil {
		t.Errorf("negative radius: %v", got)
	}
	if got := BoundAround(orb.Point{24.94, 60.17}, math.NaN()); got != nil {
		t.Errorf("NaN radius: %v", got)
	}
	if got := BoundAround(orb.Point{0, 0}, 3e7); len(got) != 1 || got[0].Min[1] != -90 || got[0].Max[1] != 90 {
		t.Errorf("whole earth: %v", got)
	}
}

func TestSplitBound(t *testing.T) {
	b := func(a, b, c, d float64) orb.Bound { return orb.Bound{Min: orb.Point{a, b}, Max: orb.Point{c, d}} }
	tests := []struct {
		name                           string
		minLon, minLat, maxLon, maxLat float64
		want                           []orb.Bound
	}{
		{"plain", 24, 60, 25, 61, []orb.Bound{b(24, 60, 25, 61)}},
		{"crossing", 170, -10, -170, 10, []orb.Bound{b(170, -10, 180, 10), b(-180, -10, -170, 10)}},
		{"beyond 180", 170, -10, 190, 10, []orb.Bound{b(170, -10, 180, 10), b(-180, -10, -170, 10)}},
		{"whole world", -180, -90, 180, 90, []orb.Bound{b(-180, -90, 180, 90)}},
		{"more than the world", -200, 0, 200, 1, []orb.Bound{b(-180, 0, 180, 1)}},
		{"lat inverted", 0, 10, 1, 0, nil},
		{"NaN", math.NaN(), 0, 1, 1, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := SplitBound(tt.minLon, tt.minLat, tt.maxLon, tt.maxLat)
			if len(got) != len(tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
			for i := range got {
				if !got[i].Equal(tt.want[i]) {
					t.Errorf("got %v, want %v", got, tt.want)
				}
			}
		})
	}
}

// Boxes of an R-tree's nodes and leaves around a city, queried from points in
// it: the inner loop of every k-nearest search.
func BenchmarkDistanceToBound(b *testing.B) {
	r := newRand(13)
	const n = 1024
	ps := make([]orb.Point, n)
	bs := make([]orb.Bound, n)
	for i := range ps {
		ps[i] = orb.Point{24.8 + 0.28*r.Float64(), 60.03 + 0.28*r.Float64()}
		c := orb.Point{24.8 + 0.28*r.Float64(), 60.03 + 0.28*r.Float64()}
		w := 0.0
		if i%2 == 1 {
			w = 0.01 * r.Float64()
		}
		bs[i] = orb.Bound{Min: c, Max: orb.Point{c[0] + w, c[1] + w/2}}
	}
	b.ReportAllocs()
	s := 0.0
	for i := 0; b.Loop(); i++ {
		s += DistanceToBound(ps[i&(n-1)], bs[(i*7)&(n-1)])
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "bounds/s")
}
