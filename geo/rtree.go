package geo

import (
	"math"

	"github.com/paulmach/orb"
	"sync"
	"sync/atomic"

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
	// odd counts the stored boxes that are not plain boxes on the globe
	// (NaN, beyond ±180/±90, or wrapping with Min.X > Max.X): where
	// DistanceToBound and a planar box search disagree about them, Nearby
	// takes the slower best-first walk.
	odd int
	// shared holds the queues of Nearby and its radius hint, set by the
	// first Insert and shared with copies (both are safe for concurrent use).
	shared *nearbyShared[T]
}

type nearbyShared[T any] struct {
	pool sync.Pool
	// hint is the float64 bits of the cap radius at which the last search
	// stopped: where a city is dense, the next one likely needs no more.
	// It only sets where the rounds start, never what they yield.
	hint atomic.Uint64
}

// plainBox reports whether b is an ordinary box on the globe, one that a
// planar search finds exactly where DistanceToBound places it.
func plainBox(b orb.Bound) bool {
	return b.Min[0] >= -180 && b.Min[0] <= b.Max[0] && b.Max[0] <= 180 &&
		b.Min[1] >= -90 && b.Min[1] <= b.Max[1] && b.Max[1] <= 90
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
	if t.shared == nil {
		t.shared = &nearbyShared[T]{pool: sync.Pool{New: func() any { return new(nearbyQueues[T]) }}}
	}
	if !plainBox(b) {
		t.odd++
	}
}

// Delete removes one entry of v stored under b, which must be the bound it
// was inserted with, and reports whether there was one.
func (t *RTree[T]) Delete(b orb.Bound, v T) bool {
	min, max := box32(b)
	n := t.tr.Len()
	t.tr.Delete(min, max, v)
	if t.tr.Len() < n {
		if !plainBox(b) {
			t.odd--
		}
		return true
	}
	return false
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
// on their distance in metres from p (clamped to never decrease against
// rounding); fn false stops. A k-nearest search computes each candidate's
// true distance and stops once the lower bound exceeds its k-th best: no
// entry yet to come can then be closer.
//
// The search runs in rounds over growing caps around p: each round finds the
// entries it has not met yet with a plain box search of BoundAround (no queue
// of nodes) and yields those within the cap in order of the cheap boxBounder
// bound, which at city range is within parts per billion of DistanceToBound.
// It is exact across the antimeridian and near the poles too, since
// BoundAround covers the cap there (the bound is just looser). Trees holding
// boxes that a planar search cannot place (NaN, wrapping or off the globe)
// and queries from such points take a best-first walk of the tree instead,
// ordered by DistanceToBound.
func (t *RTree[T]) Nearby(p orb.Point, fn func(v T, lowerBoundMetres float64) bool) {
	if t.tr.Len() == 0 {
		return
	}
	q := newBoxBounder(p)
	qs := t.shared.pool.Get().(*nearbyQueues[T])
	defer func() {
		// Drop the references T may hold before pooling.
		clear(qs.cheap)
		clear(qs.pending)
		qs.cheap, qs.pending = qs.cheap[:0], qs.pending[:0]
		t.shared.pool.Put(qs)
	}()
	if t.odd > 0 || !q.ok {
		t.nearbyWalk(&q, &qs.pending, fn)
		return
	}
	last := 0.0
	// Start from a cap expected to hold a few dozen entries if they were
	// spread evenly over the tree's bound, and no nearer than that bound.
	tmin, tmax := t.tr.Bounds()
	tb := bound64(tmin, tmax)
	near := math.Max(1, q.lower(tb))
	radius := near
	if w, h := tb.Max[0]-tb.Min[0], tb.Max[1]-tb.Min[1]; w > 0 && h > 0 {
		cos := math.Max(1e-3, math.Cos(tb.Center()[1]*degToRad))
		area := w * h * cos * (EarthRadius * degToRad) * (EarthRadius * degToRad)
		radius = math.Max(radius, math.Sqrt(16*area/(math.Pi*float64(t.tr.Len()))))
	}
	// Where the city is dense that even spread is far too wide, and the
	// first round would gather thousands: start instead from half the cap
	// at which the last search stopped, so that the start follows the
	// density of the places queried (halving lets it shrink; a search that
	// needs more doubles), but never above the even spread, so that one
	// search from far away cannot make the next ones gather everything.
	// Only the start depends on it, not the result.
	if h := math.Float64frombits(t.shared.hint.Load()); h > 0 {
		radius = math.Max(near, math.Min(radius, h/2))
	}
	hint := func() {
		if math.Float64bits(radius) != t.shared.hint.Load() {
			t.shared.hint.Store(math.Float64bits(radius))
		}
	}
	const world = math.Pi * EarthRadius
	// Rounds search caps of growing radius. Each round gathers only what the
	// rounds before did not (a box that meets an earlier round's search box was
	// found by it), and entries stay queued from round to round, so an entry
	// costs one bound computation however many rounds a search takes.
	var prev [2]orb.Bound
	nprev := 0
	for {
		// Entries not yet found are more than radius away, so their
		// DistanceToBound is above cut (its margin is below this one).
		cut := radius*(1-1e-9) - 2e-6
		var seen [2]orb.Bound // boxes searched before in this round
		nseen := 0
		collect := func(min, max [2]float32, v T) bool {
			b := bound64(min, max)
			for _, s := range prev[:nprev] {
				if b.Intersects(s) {
					return true // gathered in an earlier round
				}
			}
			for _, s := range seen[:nseen] {
				if b.Intersects(s) {
					return true // found by an earlier box of this round
				}
			}
			qs.cheap.push(keyed[T]{q.lower(b), v})
			return true
		}
		if radius >= world {
			// The last round takes everything left, +Inf bounds included.
			cut = math.Inf(1)
			t.tr.Scan(collect)
		} else {
			var boxes [2]orb.Bound
			for _, b := range appendBoundAround(boxes[:0], p, radius) {
				min, max := box32(b)
				t.tr.Search(min, max, collect)
				seen[nseen] = bound64(min, max)
				nseen++
			}
		}
		// Entries are yielded in order of the cheap bound, which at city range
		// is within parts per billion of DistanceToBound; an entry waits until
		// it is within the cap searched.
		for len(qs.cheap) > 0 && qs.cheap[0].d <= cut {
			it := qs.cheap.pop()
			if it.d > last {
				last = it.d
			}
			if !fn(it.v, last) {
				hint()
				return
			}
		}
		if radius >= world {
			return
		}
		prev, nprev = seen, nseen
		radius = math.Min(2*radius, world)
	}
}

// nearbyWalk is Nearby by a best-first walk of the tree, for any boxes. Nodes
// and entries are queued by the cheap boxBounder, which holds for every box
// inside a node. An entry popped from that queue gets its exact
// DistanceToBound and waits in a second queue until no entry still in the
// tree can have a smaller one: until its bound is at most the cheap bound
// last popped, which was then the least in the tree's queue.
func (t *RTree[T]) nearbyWalk(q *boxBounder, pending *minHeap[T], fn func(v T, lowerBoundMetres float64) bool) {
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
			pending.push(keyed[T]{DistanceToBound(q.p, bound64(min, max)), v})
			for len(*pending) > 0 && (*pending)[0].d <= front {
				if !yield() {
					stopped = true
					return false
				}
			}
			return true
		},
	)
	for !stopped && len(*pending) > 0 {
		stopped = !yield()
	}
}

// nearbyQueues are the queues of one Nearby call, pooled: entries by their
// cheap bound, and, for the best-first walk, entries waiting to be yielded.
type nearbyQueues[T any] struct {
	cheap, pending minHeap[T]
}

// Len returns the number of entries.
func (t *RTree[T]) Len() int {
	return t.tr.Len()
}

// Copy returns a copy-on-write clone in O(1): the two trees share nodes
// until either writes. It must not run concurrently with writes to t.
func (t *RTree[T]) Copy() *RTree[T] {
	return &RTree[T]{tr: *t.tr.Copy(), odd: t.odd, shared: t.shared}
}
