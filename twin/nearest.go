package twin

import (
	"container/heap"
	"context"
	"fmt"
	"math"
	"slices"

	"citytwin/geo"

	"github.com/paulmach/orb"
)

// Neighbor is an entity and its true distance in metres.
type Neighbor struct {
	Entity   Entity
	Distance float64
}

// Nearest returns the k entities nearest to p (true distance to their geometry),
// nearest first, ties broken by the order the twin first saw them. The conditions of
// q filter which entities count; q.Limit and q.After are ignored. It answers about
// an instant only: an interval (q.Until) is ErrBadQuery.
func (s *Store) Nearest(ctx context.Context, p orb.Point, k int, q Query) ([]Neighbor, error) {
	q.Limit, q.After = 0, ""
	if err := q.validate(); err != nil {
		return nil, err
	}
	if q.interval() {
		return nil, fmt.Errorf("%w: nearest is not supported for intervals", ErrBadQuery)
	}
	if !validLonLat(p) {
		return nil, fmt.Errorf("%w: point %v is not a WGS84 lon/lat", ErrBadQuery, p)
	}
	if k <= 0 || k > 10000 {
		return nil, fmt.Errorf("%w: k=%d: want 1..10000", ErrBadQuery, k)
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	kinds, ok := s.kindSet(q.Kinds)
	if !ok {
		return nil, nil
	}
	var ids map[uint32]bool
	if len(q.IDs) > 0 {
		ids = make(map[uint32]bool, len(q.IDs))
		for _, id := range q.IDs {
			if slot, ok := s.slotOf(id); ok {
				ids[slot] = true
			}
		}
	}
	filters := s.compileFilters(q.Where)
	spatial := newSpatialTest(&q)
	best := make(neighbors, 0, k)
	// Now, every entity is in exactly one index; as of a past instant one may be
	// met twice (in the current and in the past R-tree).
	var seen map[uint32]bool
	if q.At != 0 {
		seen = make(map[uint32]bool)
	}
	looked := 0
	var err error
	// admit reports whether slot, in state st, passes q's conditions.
	admit := func(slot uint32, st *state) bool {
		if st == nil || kinds != nil && !kinds[st.kind] || ids != nil && !ids[slot] || !s.matchFilters(st, filters) {
			return false
		}
		if !spatial.match(s, slot, st) {
			return false
		}
		if q.Match != nil {
			e := s.materialise(slot, st, q.At, make(Properties, len(st.props)))
			return q.Match(&e)
		}
		return true
	}
	// offer computes the true distance of slot, in state st, at q.At and keeps it
	// if it is among the best.
	offer := func(slot uint32, st *state) {
		if pt, ok := s.pointAt(slot, st, q.At); ok {
			best.offer(k, candidate{slot: slot, dist: geo.Distance(p, pt)})
			return
		}
		if g := st.geometry(); g != nil {
			if d := geo.DistanceToGeometry(p, g); !math.IsInf(d, 1) {
				best.offer(k, candidate{slot: slot, dist: d})
			}
		}
	}
	// consider computes slot's true distance as of q.At and keeps it if it is
	// among the best.
	consider := func(slot uint32) {
		if seen != nil {
			if seen[slot] {
				return
			}
			seen[slot] = true
		}
		if st := s.stateAt(slot, q.At); admit(slot, st) {
			offer(slot, st)
		}
	}
	// full is the distance beyond which nothing can enter the result.
	full := func() float64 {
		if best.Len() < k {
			return inf
		}
		return best[0].dist
	}
	// more counts the entries looked at and says whether to go on.
	more := func(lower float64) bool {
		if lower > full() {
			return false
		}
		if looked++; looked%checkEvery == 0 && ctx.Err() != nil {
			err = ctx.Err()
			return false
		}
		return true
	}
	if q.At == 0 {
		// Look only where entities of the asked kinds are: a search for the
		// nearest vehicles must not walk every building first.
		static, moving := s.kindsWhere(kinds)
		if static {
			// The R-tree holds only live static entities.
			s.rt.Nearby(p, func(slot uint32, lower float64) bool {
				if !more(lower) {
					return false
				}
				if st := s.cur[slot]; !st.deleted() && admit(slot, st) {
					offer(slot, st)
				}
				return true
			})
		}
		if moving {
			// The grid yields the exact distance to where each one is now.
			s.grid.Nearby(p, func(slot uint32, _ orb.Point, d float64) bool {
				if !more(d) {
					return false
				}
				if admit(slot, s.stateAt(slot, 0)) {
					best.offer(k, candidate{slot: slot, dist: d})
				}
				return true
			})
		}
	} else {
		visit := func(slot uint32, lower float64) bool {
			if more(lower) {
				consider(slot)
				return true
			}
			return false
		}
		s.rt.Nearby(p, visit)
		s.past.Nearby(p, visit)
		for slot, tr := range s.tracks {
			if tr != nil {
				consider(uint32(slot))
			}
		}
	}
	if err != nil {
		return nil, err
	}
	found := []candidate(best)
	slices.SortFunc(found, func(a, b candidate) int {
		if a.dist != b.dist {
			if a.dist < b.dist {
				return -1
			}
			return 1
		}
		return int(int64(a.slot) - int64(b.slot))
	})
	slots := make([]uint32, len(found))
	out := make([]Neighbor, len(found))
	for i, c := range found {
		slots[i], out[i].Distance = c.slot, c.dist
	}
	s.fillEntities(slots, q.At, func(i int) *Entity { return &out[i].Entity })
	return out, nil
}

var inf = math.Inf(1)

type candidate struct {
	slot uint32
	dist float64
}

// neighbors is a max-heap on distance (then slot) holding the best k so far.
type neighbors []candidate

func (h neighbors) Len() int { return len(h) }
func (h neighbors) Less(i, j int) bool {
	if h[i].dist != h[j].dist {
		return h[i].dist > h[j].dist
	}
	return h[i].slot > h[j].slot
}
func (h neighbors) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *neighbors) Push(x any)   { *h = append(*h, x.(candidate)) }
func (h *neighbors) Pop() any {
	old := *h
	c := old[len(old)-1]
	*h = old[:len(old)-1]
	return c
}

func (h *neighbors) offer(k int, c candidate) {
	if h.Len() < k {
		heap.Push(h, c)
		return
	}
	top := (*h)[0]
	if c.dist < top.dist || c.dist == top.dist && c.slot < top.slot {
		(*h)[0] = c
		heap.Fix(h, 0)
	}
}

// kindsWhere reports whether any live entity of the kinds (nil: any kind) is
// static, and whether any moves.
func (s *Store) kindsWhere(kinds map[uint16]bool) (static, moving bool) {
	for k, n := range s.kindN {
		if kinds == nil || kinds[k] {
			static = static || n > s.movingN[k]
			moving = moving || s.movingN[k] > 0
		}
	}
	return static, moving
}
