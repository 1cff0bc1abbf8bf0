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
// The tree's nodes are ordered by the same DistanceToBound, which is a true
// lower bound for every box inside a node, so the best-first walk is exact
// across the antimeridian and near the poles too.
func (t *RTree[T]) Nearby(p orb.Point, fn func(v T, lowerBoundMetres float64) bool) {
	last := 0.0
	t.tr.Nearby(
		func(min, max [2]float32, _ T, _ bool) float64 {
			return DistanceToBound(p, bound64(min, max))
		},
		func(_, _ [2]float32, v T, d float64) bool {
			// Each value popped is the least in the queue, which holds an
			// ancestor of every entry still to come, so the running maximum
			// is still a lower bound for the entry being yielded.
			if d > last {
				last = d
			}
			return fn(v, last)
		},
	)
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
