package geo

import (
	"math"

	"github.com/paulmach/orb"
	"github.com/tidwall/rtree"
)

// RTree indexes values by lon/lat boxes. It stores float32 boxes (16 bytes a
// rectangle instead of 32, which matters at a city's millions of entities),
// rounded outward so that the stored box always contains the float64 box:
// a search never misses, and callers refine candidates with exact
// predicates. The zero value is an empty tree ready to use. It is not safe
// for concurrent writes; concurrent reads are fine.
type RTree[T comparable] struct {
	tr rtree.RTreeGN[float32, T]
}

// box32 widens b to float32. NaN edges become infinite so that a NaN box is
// still stored and deleted consistently, and found by every search.
func box32(b orb.Bound) (min, max [2]float32) {
	for i := 0; i < 2; i++ {
		min[i] = down32(b.Min[i])
		max[i] = up32(b.Max[i])
	}
	return min, max
}

func down32(v float64) float32 {
	if math.IsNaN(v) {
		return float32(math.Inf(-1))
	}
	f := float32(v)
	if float64(f) > v {
		f = math.Nextafter32(f, float32(math.Inf(-1)))
	}
	return f
}

func up32(v float64) float32 {
	if math.IsNaN(v) {
		return float32(math.Inf(1))
	}
	f := float32(v)
	if float64(f) < v {
		f = math.Nextafter32(f, float32(math.Inf(1)))
	}
	return f
}

func bound64(min, max [2]float32) orb.Bound {
	return orb.Bound{
		Min: orb.Point{float64(min[0]), float64(min[1])},
		Max: orb.Point{float64(max[0]), float64(max[1])},
	}
}

// Insert adds v with the box b. The same value may be inserted more than
// once, under different boxes or the same one.
func (t *RTree[T]) Insert(b orb.Bound, v T) {
	min, max := box32(b)
	t.tr.Insert(min, max, v)
}

// Delete removes one entry of v stored under b, which must be the bound it
// was inserted with, and reports whether there was one.
func (t *RTree[T]) Delete(b orb.Bound, v T) bool {
	min, max := box32(b)
	n := t.tr.Len()
	t.tr.Delete(min, max, v)
	return t.tr.Len() < n
}

// Replace moves v from the box old to the box new; if v was not stored
// under old, it is inserted anyway, so that a caller's index and its source
// of truth cannot drift apart.
func (t *RTree[T]) Replace(old, new orb.Bound, v T) {
	t.Delete(old, v)
	t.Insert(new, v)
}

// Search calls fn for every entry whose stored box intersects b (touching
// counts), with that stored (float32-widened) box; fn false stops.
func (t *RTree[T]) Search(b orb.Bound, fn func(b orb.Bound, v T) bool) {
	min, max := box32(b)
	t.tr.Search(min, max, func(min, max [2]float32, v T) bool {
		return fn(bound64(min, max), v)
	})
}

// Nearby calls fn for the entries in non-decreasing order of a lower bound
// on their distance in metres from p (DistanceToBound of their stored box,
// clamped to never decrease against rounding); fn false stops. A k-nearest
// search computes each candidate's true distance and stops once the lower
// bound exceeds its k-th best: no entry yet to come can then be closer.
//
// The tree's nodes and entries are queued by the cheap lower bound of
// boxBounder, which holds for every box inside a node, so the best-first
// walk is exact across the antimeridian and near the poles too. An entry
// popped from that queue gets its exact DistanceToBound and waits in a
// second, small queue until no entry still in the tree can have a smaller
// one: until its bound is at most the cheap bound last popped.
func (t *RTree[T]) Nearby(p orb.Point, fn func(v T, lowerBoundMetres float64) bool) {
	q := newBoxBounder(p)
	var buf [32]nearbyItem[T]
	pending := nearbyHeap[T](buf[:0])
	last := 0.0
	front := 0.0 // no entry still in the tree is nearer than this
	yield := func() bool {
		it := pending.pop()
		// Clamped against rounding: each value yielded is at most front,
		// which bounds every entry yet to come.
		if it.d > last {
			last = it.d
		}
		return fn(it.v, last)
	}
	stopped := false
	t.tr.Nearby(
		func(min, max [2]float32, _ T, _ bool) float64 {
			return q.lower(bound64(min, max))
		},
		func(min, max [2]float32, v T, d float64) bool {
			if d > front {
				front = d
			}
			pending.push(nearbyItem[T]{DistanceToBound(p, bound64(min, max)), v})
			for len(pending) > 0 && pending[0].d <= front {
				if !yield() {
					stopped = true
					return false
				}
			}
			return true
		},
	)
	for !stopped && len(pending) > 0 {
		stopped = !yield()
	}
}

type nearbyItem[T any] struct {
	d float64
	v T
}

// nearbyHeap is a binary min-heap on d.
type nearbyHeap[T any] []nearbyItem[T]

func (h *nearbyHeap[T]) push(it nearbyItem[T]) {
	*h = append(*h, it)
	s := *h
	i := len(s) - 1
	for i > 0 {
		parent := (i - 1) / 2
		if !(s[i].d < s[parent].d) {
			break
		}
		s[parent], s[i] = s[i], s[parent]
		i = parent
	}
}

func (h *nearbyHeap[T]) pop() nearbyItem[T] {
	s := *h
	top := s[0]
	last := len(s) - 1
	s[0] = s[last]
	s = s[:last]
	*h = s
	i := 0
	for {
		l, small := 2*i+1, i
		if l < len(s) && s[l].d < s[small].d {
			small = l
		}
		if r := l + 1; r < len(s) && s[r].d < s[small].d {
			small = r
		}
		if small == i {
			return top
		}
		s[i], s[small] = s[small], s[i]
		i = small
	}
}

// Len returns the number of entries.
func (t *RTree[T]) Len() int {
	return t.tr.Len()
}

// Copy returns a copy-on-write clone in O(1): the two trees share nodes
// until either writes. It must not run concurrently with writes to t.
func (t *RTree[T]) Copy() *RTree[T] {
	return &RTree[T]{tr: *t.tr.Copy()}
}
