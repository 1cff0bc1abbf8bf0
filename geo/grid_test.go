package geo

import (
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"testing"

	"github.com/paulmach/orb"
)

// gridModel is the brute-force oracle: a map from slot to position.
type gridModel map[uint32]orb.Point

func checkGridSearch(t *testing.T, g *PointGrid, m gridModel, b orb.Bound) {
	t.Helper()
	var got []uint32
	g.Search(b, func(s uint32, p orb.Point) bool {
		if m[s] != p {
			t.Fatalf("Search yielded slot %d at %v, model has %v", s, p, m[s])
		}
		got = append(got, s)
		return true
	})
	var want []uint32
	for s, p := range m {
		if b.Contains(p) {
			want = append(want, s)
		}
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("Search(%v): got %d slots, want %d", b, len(got), len(want))
	}
}

func checkGridNearby(t *testing.T, g *PointGrid, m gridModel, p orb.Point) {
	t.Helper()
	type hit struct {
		s uint32
		d float64
	}
	var got []hit
	last := -1.0
	g.Nearby(p, func(s uint32, q orb.Point, d float64) bool {
		if d < last {
			t.Fatalf("Nearby(%v): distance %v after %v", p, d, last)
		}
		last = d
		if q != m[s] || d != Distance(p, q) {
			t.Fatalf("Nearby(%v): slot %d at %v, %v m; model %v, %v m", p, s, q, d, m[s], Distance(p, m[s]))
		}
		got = append(got, hit{s, d})
		return true
	})
	if len(got) != len(m) {
		t.Fatalf("Nearby(%v) yielded %d of %d points", p, len(got), len(m))
	}
	want := make([]float64, 0, len(m))
	for _, q := range m {
		want = append(want, Distance(p, q))
	}
	sort.Float64s(want)
	for i := range want {
		if got[i].d != want[i] {
			t.Fatalf("Nearby(%v): %d-th distance %v, brute force %v", p, i, got[i].d, want[i])
		}
	}
}

func TestPointGridVsModel(t *testing.T) {
	cases := []struct {
		name   string
		cell   float64
		center orb.Point
		spread float64
	}{
		{"city", 100, orb.Point{24.94, 60.17}, 0.05},
		{"antimeridian", 500, orb.Point{180, -16.5}, 0.2},
		{"north pole", 1000, orb.Point{0, 89.9}, 0.2},
		{"south pole", 1000, orb.Point{0, -89.9}, 0.2},
		{"sparse world", 50, orb.Point{0, 0}, 300},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := newRand(26)
			g := NewPointGrid(tc.cell, tc.center[1])
			m := gridModel{}
			randPt := func() orb.Point {
				return orb.Point{
					normLon(tc.center[0] + tc.spread*(r.Float64()-0.5)),
					math.Max(-90, math.Min(90, tc.center[1]+tc.spread*(r.Float64()-0.5))),
				}
			}
			for round := 0; round < 5; round++ {
				for i := 0; i < 2000; i++ {
					s := uint32(r.IntN(3000))
					switch r.IntN(10) {
					case 0:
						g.Remove(s)
						delete(m, s)
					case 1, 2, 3: // small move, usually within the cell
						if p, ok := m[s]; ok {
							q := orb.Point{normLon(p[0] + 1e-5*(r.Float64()-0.5)), math.Max(-90, math.Min(90, p[1]+1e-5*(r.Float64()-0.5)))}
							g.Set(s, q)
							m[s] = q
							continue
						}
						fallthrough
					default:
						p := randPt()
						g.Set(s, p)
						m[s] = p
					}
				}
				if g.Len() != len(m) {
					t.Fatalf("Len = %d, model %d", g.Len(), len(m))
				}
				for s := uint32(0); s < 3100; s++ {
					p, ok := g.Point(s)
					if mp, mok := m[s]; ok != mok || p != mp {
						t.Fatalf("Point(%d) = %v %v, model %v %v", s, p, ok, mp, mok)
					}
				}
				for q := 0; q < 20; q++ {
					c := randPt()
					b := orb.Bound{Min: c, Max: orb.Point{math.Min(180, c[0]+tc.spread*r.Float64()/4), math.Min(90, c[1]+tc.spread*r.Float64()/4)}}
					checkGridSearch(t, g, m, b)
					checkGridNearby(t, g, m, randPt())
				}
			}
			// Clones are independent.
			c := g.Clone()
			for s := range m {
				g.Remove(s)
			}
			if g.Len() != 0 || c.Len() != len(m) {
				t.Fatalf("after clearing: Len %d, clone %d (want %d)", g.Len(), c.Len(), len(m))
			}
			checkGridNearby(t, c, m, randPt())
		})
	}
}

func TestPointGridEdges(t *testing.T) {
	g := NewPointGrid(100, 60)
	// Points exactly on cell edges, box edges inclusive.
	b := orb.Bound{Min: orb.Point{24.9, 60.1}, Max: orb.Point{25.0, 60.2}}
	m := gridModel{1: b.Min, 2: b.Max, 3: {24.9, 60.2}, 4: {25.0000001, 60.15}}
	for s, p := range m {
		g.Set(s, p)
	}
	checkGridSearch(t, g, m, b)
	// Across the antimeridian: the nearest to -179.999 is at 179.999.
	g.Set(5, orb.Point{179.999, 0})
	g.Set(6, orb.Point{-179.99, 0.05})
	var first uint32
	g.Nearby(orb.Point{-179.999, 0}, func(s uint32, _ orb.Point, _ float64) bool { first = s; return false })
	if first != 5 {
		t.Errorf("nearest across the antimeridian = %d, want 5", first)
	}
	// Out-of-range input is normalised, not a panic.
	g.Set(7, orb.Point{190, 95})
	if p, _ := g.Point(7); p != (orb.Point{-170, 90}) {
		t.Errorf("Set(190, 95) stored %v", p)
	}
	g.Set(8, orb.Point{math.NaN(), 0})
	n := 0
	g.Nearby(orb.Point{0, 0}, func(uint32, orb.Point, float64) bool { n++; return true })
	if n != g.Len() {
		t.Errorf("Nearby yielded %d of %d with a NaN point stored", n, g.Len())
	}
	g.Nearby(orb.Point{math.NaN(), 0}, func(uint32, orb.Point, float64) bool { t.Error("NaN query yielded"); return false })
	g.Remove(12345678)
	if _, ok := g.Point(12345678); ok {
		t.Error("absent slot reported present")
	}
	for _, cell := range []float64{0, -1, math.NaN(), math.Inf(1)} {
		h := NewPointGrid(cell, math.NaN())
		h.Set(0, orb.Point{1, 1})
		if h.Len() != 1 {
			t.Errorf("NewPointGrid(%v) unusable", cell)
		}
	}
}

func benchGrid(b *testing.B, n int) (*PointGrid, []orb.Point, *rand.Rand) {
	r := newRand(27)
	g := NewPointGrid(100, 60.17)
	pts := make([]orb.Point, n)
	for i := range pts {
		pts[i] = orb.Point{24.8 + 0.28*r.Float64(), 60.03 + 0.28*r.Float64()}
		g.Set(uint32(i), pts[i])
	}
	return g, pts, r
}

// Vehicles moving ~1-10 m per update, most staying in their 100 m cell.
func BenchmarkPointGridSet(b *testing.B) {
	const n = 1_000_000
	g, pts, r := benchGrid(b, n)
	moves := make([]orb.Point, 1<<16)
	for i := range moves {
		moves[i] = orb.Point{1e-4 * (r.Float64() - 0.5), 1e-4 * (r.Float64() - 0.5)}
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		s := uint32(i % n)
		mv := moves[i&(1<<16-1)]
		pts[s] = orb.Point{pts[s][0] + mv[0], pts[s][1] + mv[1]}
		g.Set(s, pts[s])
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "updates/s")
}

func BenchmarkPointGridNearbyK10(b *testing.B) {
	g, _, r := benchGrid(b, 1_000_000)
	b.ReportAllocs()
	for b.Loop() {
		p := orb.Point{24.8 + 0.28*r.Float64(), 60.03 + 0.28*r.Float64()}
		n := 0
		g.Nearby(p, func(uint32, orb.Point, float64) bool { n++; return n < 10 })
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "queries/s")
}

func BenchmarkPointGridSearch(b *testing.B) {
	g, _, r := benchGrid(b, 1_000_000)
	b.ReportAllocs()
	hits := 0
	for b.Loop() {
		c := orb.Point{24.8 + 0.28*r.Float64(), 60.03 + 0.28*r.Float64()}
		g.Search(orb.Bound{Min: c, Max: orb.Point{c[0] + 0.004, c[1] + 0.002}}, func(uint32, orb.Point) bool { hits++; return true })
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "queries/s")
	b.ReportMetric(float64(hits)/float64(b.N), "hits/query")
}
