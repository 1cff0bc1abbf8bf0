package geo

import (
	"math"
	"testing"

	"github.com/paulmach/orb"
)

// The cheap bound must never exceed DistanceToBound (nor, so, Distance to
// any point of the box), and should be close to it for small boxes.
func TestBoxBounderBelowDistanceToBound(t *testing.T) {
	r := newRand(43)
	for i := 0; i < 200000; i++ {
		b := randomBound(r)
		if i%3 == 0 { // small boxes and points near a city
			c := orb.Point{24.9 + 0.1*r.Float64(), 60.1 + 0.1*r.Float64()}
			w := 1e-4 * r.Float64() * float64(i%2)
			b = orb.Bound{Min: c, Max: orb.Point{c[0] + w, c[1] + w}}
		}
		var p orb.Point
		switch i % 4 {
		case 0:
			p = orb.Point{360*r.Float64() - 180, 180*r.Float64() - 90}
		case 1:
			p = orb.Point{normLon(b.Min[0] - 0.01 + 0.02*r.Float64()), clampLat(b.Min[1] - 0.01 + 0.02*r.Float64())}
		case 2:
			p = orb.Point{[]float64{-180, 180}[r.IntN(2)], []float64{-90, 90, 89.999, 0}[r.IntN(4)]}
		default:
			p = orb.Point{normLon(b.Min[0] - 2 + 4*r.Float64()), clampLat(b.Min[1] - 2 + 4*r.Float64())}
		}
		q := newBoxBounder(p)
		lb, exact := q.lower(b), DistanceToBound(p, b)
		if !(lb <= exact) {
			t.Fatalf("lower(%v, %v) = %v above DistanceToBound %v", p, b, lb, exact)
		}
		if b.Min == b.Max {
			if lp := q.lowerPoint(b.Min, q.scale(b)); !(lp <= exact) {
				t.Fatalf("lowerPoint(%v, %v) = %v above %v", p, b.Min, lp, exact)
			}
		}
		if i%3 == 0 && math.Abs(p[1]) < 80 && exact < 1e5 && exact-lb > 1e-3+1e-4*exact {
			t.Fatalf("lower(%v, %v) = %v, loose against %v", p, b, lb, exact)
		}
	}
	q := newBoxBounder(orb.Point{0, 0})
	if got := q.lower(orb.Bound{Min: orb.Point{0, 1}, Max: orb.Point{0, 0}}); !math.IsInf(got, 1) {
		t.Errorf("empty box: %v", got)
	}
	if got := q.lower(orb.Bound{Min: orb.Point{math.NaN(), 1}, Max: orb.Point{0, 2}}); got != 0 {
		t.Errorf("NaN box: %v", got)
	}
}

// Boxes that wrap the antimeridian or carry NaN send Nearby down its
// best-first walk; it must keep the same contract. (A wrapped box is only
// promised to be yielded: the tree's node boxes are planar unions, so its
// order was never exact, before the fast paths either.)
func TestRTreeNearbyOddBoxes(t *testing.T) {
	r := newRand(44)
	items := randomItems(r, 2000, orb.Point{179.9, -16}, 1, 0.01)
	items = append(items,
		item{len(items), orb.Bound{Min: orb.Point{179.95, -16.2}, Max: orb.Point{-179.95, -16.1}}},
		item{len(items) + 1, orb.Bound{Min: orb.Point{math.NaN(), -16}, Max: orb.Point{179, -15.9}}},
	)
	var tr RTree[int]
	for _, it := range items {
		tr.Insert(it.b, it.id)
	}
	if tr.odd != 2 {
		t.Fatalf("odd = %d, want 2", tr.odd)
	}
	for q := 0; q < 50; q++ {
		p := orb.Point{normLon(179.5 + r.Float64()), -16.5 + r.Float64()}
		last, n := -1.0, 0
		tr.Nearby(p, func(id int, lb float64) bool {
			n++
			if id == len(items)-2 {
				return true // the wrapped box
			}
			if lb < last {
				t.Fatalf("lower bounds decrease: %v after %v", lb, last)
			}
			last = lb
			// Of the stored box, where NaN edges became infinite.
			if want := DistanceToBound(p, bound64(box32(items[id].b))); lb > want+1e-6 {
				t.Fatalf("lower bound %v of %d above DistanceToBound %v", lb, id, want)
			}
			return true
		})
		if n != len(items) {
			t.Fatalf("Nearby yielded %d of %d", n, len(items))
		}
	}
	// Deleting them returns the tree to the fast path.
	tr.Delete(items[len(items)-1].b, len(items)-1)
	tr.Delete(items[len(items)-2].b, len(items)-2)
	if tr.odd != 0 {
		t.Fatalf("odd = %d after deleting, want 0", tr.odd)
	}
}

// Every entry is yielded once, in order, by the rounds of the fast path,
// from inside the data and from far away.
func TestRTreeNearbyYieldsAllOnce(t *testing.T) {
	r := newRand(45)
	items := randomItems(r, 3000, orb.Point{24.94, 60.17}, 0.2, 0.001)
	items = append(items, item{len(items), orb.Bound{Min: orb.Point{-180, -10}, Max: orb.Point{180, 10}}})
	var tr RTree[int]
	for _, it := range items {
		tr.Insert(it.b, it.id)
	}
	for _, p := range []orb.Point{{24.94, 60.17}, {-179.99, 0}, {139.7, 35.7}, {0, -90}, {24.94, 89.99}} {
		seen := make(map[int]bool)
		last := -1.0
		tr.Nearby(p, func(id int, lb float64) bool {
			if seen[id] {
				t.Fatalf("from %v: %d yielded twice", p, id)
			}
			seen[id] = true
			if lb < last {
				t.Fatalf("from %v: lower bounds decrease: %v after %v", p, lb, last)
			}
			last = lb
			if want := DistanceToBound(p, items[id].b); lb > want+1e-6 {
				t.Fatalf("from %v: lower bound %v of %d above DistanceToBound %v", p, lb, id, want)
			}
			return true
		})
		if len(seen) != len(items) {
			t.Fatalf("from %v: yielded %d of %d", p, len(seen), len(items))
		}
	}
}
