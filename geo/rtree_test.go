package geo

import (
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"testing"

	"github.com/paulmach/orb"
)

func TestBox32RoundsOutward(t *testing.T) {
	r := newRand(20)
	for i := 0; i < 100000; i++ {
		b := orb.Bound{Min: orb.Point{360*r.Float64() - 180, 180*r.Float64() - 90}}
		b.Max = orb.Point{b.Min[0] + r.Float64()*1e-4, b.Min[1] + r.Float64()*1e-4}
		min, max := box32(b)
		w := bound64(min, max)
		if !boundCovers(w, b) {
			t.Fatalf("float32 box %v does not contain %v", w, b)
		}
		// One float32 ulp at most on each side.
		if float64(math.Nextafter32(min[0], 1e9)) < b.Min[0] && float64(math.Nextafter32(min[0], 1e9)) != b.Min[0] {
			t.Fatalf("min %v not the nearest float32 below %v", min[0], b.Min[0])
		}
	}
	for _, v := range []float64{math.NaN(), math.Inf(1), math.Inf(-1), 1e300, -1e300, 0, math.SmallestNonzeroFloat64} {
		if lo, hi := down32(v), up32(v); !(float64(lo) <= v) && !math.IsNaN(v) || !(float64(hi) >= v) && !math.IsNaN(v) {
			t.Errorf("%v widened to [%v, %v]", v, lo, hi)
		}
	}
}

type item struct {
	id int
	b  orb.Bound
}

func randomItems(r *rand.Rand, n int, center orb.Point, spread, size float64) []item {
	items := make([]item, n)
	for i := range items {
		p := orb.Point{normLon(center[0] + spread*(r.Float64()-0.5)), math.Max(-90, math.Min(90, center[1]+spread*(r.Float64()-0.5)))}
		b := orb.Bound{Min: p, Max: p}
		if i%2 == 1 { // boxes as well as points
			b.Max = orb.Point{math.Min(180, p[0]+size*r.Float64()), math.Min(90, p[1]+size*r.Float64())}
		}
		items[i] = item{i, b}
	}
	return items
}

func TestRTreeSearchVsBruteForce(t *testing.T) {
	r := newRand(21)
	items := randomItems(r, 5000, orb.Point{24.94, 60.17}, 0.1, 0.002)
	var tr RTree[int]
	for _, it := range items {
		tr.Insert(it.b, it.id)
	}
	if tr.Len() != len(items) {
		t.Fatalf("Len = %d", tr.Len())
	}
	for q := 0; q < 300; q++ {
		c := orb.Point{24.89 + 0.1*r.Float64(), 60.12 + 0.1*r.Float64()}
		box := orb.Bound{Min: c, Max: orb.Point{c[0] + 0.01*r.Float64(), c[1] + 0.01*r.Float64()}}
		var got []int
		tr.Search(box, func(b orb.Bound, v int) bool {
			if !boundCovers(b, items[v].b) {
				t.Fatalf("stored box %v does not contain inserted %v", b, items[v].b)
			}
			got = append(got, v)
			return true
		})
		// Candidates are a superset of the exact answer, by at most the
		// float32 widening: every exact hit must be there.
		var want []int
		for _, it := range items {
			if it.b.Intersects(box) {
				want = append(want, it.id)
			}
		}
		slices.Sort(got)
		for _, id := range want {
			if _, ok := slices.BinarySearch(got, id); !ok {
				t.Fatalf("query %v: missing %d (%v)", box, id, items[id].b)
			}
		}
		for _, id := range got {
			if !items[id].b.Pad(1e-5).Intersects(box) {
				t.Fatalf("query %v: %d (%v) is not even near", box, id, items[id].b)
			}
		}
	}
	// Early stop.
	n := 0
	tr.Search(orb.Bound{Min: orb.Point{-180, -90}, Max: orb.Point{180, 90}}, func(orb.Bound, int) bool { n++; return n < 3 })
	if n != 3 {
		t.Errorf("Search did not stop: %d calls", n)
	}
}

func TestRTreeDeleteReplaceCopy(t *testing.T) {
	r := newRand(22)
	items := randomItems(r, 1000, orb.Point{0, 0}, 1, 0.01)
	var tr RTree[int]
	for _, it := range items {
		tr.Insert(it.b, it.id)
	}
	fork := tr.Copy()
	for _, it := range items[:500] {
		if !tr.Delete(it.b, it.id) {
			t.Fatalf("Delete(%d) = false", it.id)
		}
		if tr.Delete(it.b, it.id) {
			t.Fatalf("second Delete(%d) = true", it.id)
		}
	}
	if tr.Delete(items[600].b, 99999) {
		t.Error("Delete of an absent value = true")
	}
	moved := orb.Bound{Min: orb.Point{50, 50}, Max: orb.Point{50, 50}}
	tr.Replace(items[700].b, moved, 700)
	var found []int
	tr.Search(moved, func(_ orb.Bound, v int) bool { found = append(found, v); return true })
	if !slices.Equal(found, []int{700}) {
		t.Errorf("after Replace found %v", found)
	}
	if tr.Len() != 500 || fork.Len() != 1000 {
		t.Errorf("Len = %d, fork %d; the fork must not see writes", tr.Len(), fork.Len())
	}
	n := 0
	fork.Search(items[0].b, func(_ orb.Bound, v int) bool { n += btoi(v == 0); return true })
	if n != 1 {
		t.Error("fork lost item 0")
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// k-nearest with the documented stop rule must equal a brute-force sort by
// true distance, and the lower bounds must be ordered and valid.
func TestRTreeNearbyKNN(t *testing.T) {
	cases := []struct {
		name   string
		center orb.Point
		spread float64
		query  func(r *rand.Rand) orb.Point
	}{
		{"city", orb.Point{24.94, 60.17}, 0.2, func(r *rand.Rand) orb.Point {
			return orb.Point{24.84 + 0.2*r.Float64(), 60.07 + 0.2*r.Float64()}
		}},
		{"antimeridian", orb.Point{180, -16}, 1, func(r *rand.Rand) orb.Point {
			return orb.Point{normLon(179.5 + r.Float64()), -16.5 + r.Float64()}
		}},
		{"pole", orb.Point{0, 89.5}, 1, func(r *rand.Rand) orb.Point {
			return orb.Point{360*r.Float64() - 180, 89 + r.Float64()}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := newRand(23)
			items := randomItems(r, 3000, tc.center, tc.spread, 0.001)
			var tr RTree[int]
			for _, it := range items {
				tr.Insert(it.b, it.id)
			}
			for q := 0; q < 100; q++ {
				p := tc.query(r)
				k := 1 + r.IntN(20)
				true_ := func(id int) float64 { return DistanceToGeometry(p, items[id].b) }
				var best []float64 // sorted true distances of the k best so far
				last := -1.0
				seen := 0
				tr.Nearby(p, func(id int, lb float64) bool {
					seen++
					if lb < last {
						t.Fatalf("lower bounds decrease: %v after %v", lb, last)
					}
					last = lb
					d := true_(id)
					if lb > d+1e-6 {
						t.Fatalf("lower bound %v exceeds true distance %v of %d", lb, d, id)
					}
					if len(best) == k && lb > best[k-1] {
						return false
					}
					best = append(best, d)
					sort.Float64s(best)
					if len(best) > k {
						best = best[:k]
					}
					return true
				})
				all := make([]float64, len(items))
				for i := range items {
					all[i] = true_(i)
				}
				sort.Float64s(all)
				for i := 0; i < k; i++ {
					if math.Abs(best[i]-all[i]) > 1e-6 {
						t.Fatalf("query %v k=%d: %d-th nearest %v, brute force %v", p, k, i, best[i], all[i])
					}
				}
				if seen > len(items)/4 {
					t.Errorf("query %v k=%d: visited %d of %d items; pruning is not working", p, k, seen, len(items))
				}
			}
		})
	}
}

func BenchmarkRTreeSearch(b *testing.B) {
	r := newRand(24)
	items := randomItems(r, 1_000_000, orb.Point{24.94, 60.17}, 0.3, 0.0005)
	var tr RTree[int]
	for _, it := range items {
		tr.Insert(it.b, it.id)
	}
	b.ReportAllocs()
	hits := 0
	for b.Loop() {
		c := orb.Point{24.8 + 0.28*r.Float64(), 60.03 + 0.28*r.Float64()}
		tr.Search(orb.Bound{Min: c, Max: orb.Point{c[0] + 0.004, c[1] + 0.002}}, func(orb.Bound, int) bool { hits++; return true })
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "queries/s")
	b.ReportMetric(float64(hits)/float64(b.N), "hits/query")
}

func BenchmarkRTreeNearbyK10(b *testing.B) {
	r := newRand(25)
	items := randomItems(r, 1_000_000, orb.Point{24.94, 60.17}, 0.3, 0)
	var tr RTree[int]
	for _, it := range items {
		tr.Insert(it.b, it.id)
	}
	b.ReportAllocs()
	for b.Loop() {
		p := orb.Point{24.8 + 0.28*r.Float64(), 60.03 + 0.28*r.Float64()}
		n := 0
		tr.Nearby(p, func(int, float64) bool { n++; return n < 10 })
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "queries/s")
}

// metropolisItems resembles the twin's benchmark city: 1M address points
// and 100k sensors in clustered neighbourhoods of a 30 km city, and 200k
// building-sized boxes among them, in random insertion order.
func metropolisItems(r *rand.Rand) []item {
	const points, buildings = 1_100_000, 200_000
	centres := make([]orb.Point, 3000)
	spread := make([]float64, len(centres))
	for i := range centres {
		centres[i] = orb.Point{24.94 + 0.25*r.NormFloat64(), 60.17 + 0.1*r.NormFloat64()}
		spread[i] = 0.0005 + 0.004*r.Float64()*r.Float64()
	}
	items := make([]item, points+buildings)
	for i := range items {
		k := r.IntN(len(centres))
		c := centres[k]
		p := orb.Point{c[0] + 2*spread[k]*r.NormFloat64(), c[1] + spread[k]*r.NormFloat64()}
		b := orb.Bound{Min: p, Max: p}
		if i >= points {
			b.Max = orb.Point{p[0] + 0.0001 + 0.0006*r.Float64(), p[1] + 0.00005 + 0.0003*r.Float64()}
		}
		items[i] = item{i, b}
	}
	r.Shuffle(len(items), func(i, j int) { items[i], items[j] = items[j], items[i] })
	return items
}

// k = 10 from the places entities are, over the metropolis.
func BenchmarkRTreeNearbyK10Metropolis(b *testing.B) {
	r := newRand(26)
	items := metropolisItems(r)
	var tr RTree[int]
	for _, it := range items {
		tr.Insert(it.b, it.id)
	}
	b.ReportAllocs()
	for b.Loop() {
		p := items[r.IntN(len(items))].b.Min
		n := 0
		tr.Nearby(p, func(int, float64) bool { n++; return n < 10 })
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "queries/s")
}
