package twin

import (
	"cmp"
	"context"
	"slices"
	"sort"

	"github.com/paulmach/orb"
)

// interval reports whether q is about an interval, [At, Until], not an instant.
func (q *Query) interval() bool { return q.Until != 0 }

// hit is a slot that matched an interval query, in the version it last matched
// in and the latest instant at which it did.
type hit struct {
	slot uint32
	st   *state
	t    int64
}

// queryDuring runs an interval query. Must hold s.mu.
func (s *Store) queryDuring(ctx context.Context, q *Query) (Result, error) {
	hits, err := s.matchDuring(ctx, q)
	if err != nil {
		return Result{}, err
	}
	res := Result{Matched: len(hits)}
	start, _ := parseCursor(q.After)
	i, _ := slices.BinarySearchFunc(hits, start, func(h hit, slot uint32) int { return cmp.Compare(h.slot, slot) })
	page := hits[i:]
	if q.Limit > 0 && len(page) > q.Limit {
		page = page[:q.Limit]
		res.Next = cursorOf(page[len(page)-1].slot)
	}
	res.Entities = s.entitiesOfHits(page)
	return res, nil
}

// matchDuring returns, in slot order, the slots that match the interval query q
// at some instant of it. Must hold s.mu.
func (s *Store) matchDuring(ctx context.Context, q *Query) ([]hit, error) {
	cands, all := s.candidates(q)
	kinds, ok := s.kindSet(q.Kinds)
	if !ok {
		return nil, nil
	}
	m := intervalMatch{s: s, q: q, kinds: kinds, filters: s.compileFilters(q.Where), spatial: newSpatialTest(q)}
	var out []hit
	test := func(slot uint32) {
		if st, t, ok := m.last(slot); ok {
			out = append(out, hit{slot: slot, st: st, t: t})
		}
	}
	if err := s.visit(ctx, cands, all, test); err != nil {
		return nil, err
	}
	return out, nil
}

// intervalMatch tests slots against an interval query.
type intervalMatch struct {
	s       *Store
	q       *Query
	kinds   map[uint16]bool
	filters []compiledFilter
	spatial *spatialTest
}

// last finds the latest instant of the interval at which slot matched, and the
// version it was in then. It walks the versions newest first, each over the
// part of the interval in which it was the valid one, and stops at the first
// that matches.
func (m *intervalMatch) last(slot uint32) (*state, int64, bool) {
	s, q := m.s, m.q
	cur := s.cur[slot]
	if cur == nil {
		return nil, 0, false
	}
	hist := s.hist[slot]
	hi := q.Until // the last instant of the interval at which st is valid
	for i := len(hist); i >= 0; i-- {
		st := cur
		if i < len(hist) {
			st = hist[i]
		}
		// A version superseded at the instant it began (two ops at one time)
		// is never valid: then lo > hi.
		if lo := max(st.from, q.At); lo <= hi && !st.deleted() && (m.kinds == nil || m.kinds[st.kind]) && s.matchFilters(st, m.filters) {
			if t, ok := m.lastIn(slot, st, lo, hi); ok {
				return st, t, true
			}
		}
		if st.from <= q.At {
			break // the older versions ended before the interval began
		}
		hi = min(hi, st.from-1)
	}
	return nil, 0, false
}

// lastIn finds the latest instant in [lo, hi], in which slot is in state st, at
// which it matches the spatial conditions and Match.
func (m *intervalMatch) lastIn(slot uint32, st *state, lo, hi int64) (int64, bool) {
	s := m.s
	if !s.moves(slot) || m.spatial == nil && m.q.Match == nil {
		return hi, m.matchAt(slot, st, hi, st.geometry())
	}
	// A moving entity is where it was last reported. Within [lo, hi] its
	// place changes at the samples in (lo, hi]; before the first of them it is
	// where the sample before lo put it, or, without one, where its state says.
	samples := s.tracks[slot].samples
	i0 := sort.Search(len(samples), func(i int) bool { return samples[i].t > lo })
	i1 := i0 + sort.Search(len(samples)-i0, func(i int) bool { return samples[i0+i].t > hi })
	for j := i1 - 1; j >= i0-1; j-- {
		t := hi
		if j+1 < i1 {
			t = samples[j+1].t - 1
		}
		g := st.geometry()
		if j >= 0 {
			g = samples[j].point()
		}
		if m.matchAt(slot, st, t, g) {
			return t, true
		}
	}
	return 0, false
}

// matchAt tests slot, in state st with geometry g at instant t, against the
// spatial conditions and Match.
func (m *intervalMatch) matchAt(slot uint32, st *state, t int64, g orb.Geometry) bool {
	if sp := m.spatial; sp != nil {
		if p, ok := g.(orb.Point); ok {
			if !sp.matchPoint(m.s, slot, st, p) {
				return false
			}
		} else if !sp.matchGeometry(m.s, slot, st, g) {
			return false
		}
	}
	if m.q.Match == nil {
		return true
	}
	e := m.s.materialiseAt(slot, st, t, make(Properties, len(st.props)))
	return m.q.Match(&e)
}

// materialiseAt is materialise at instant t taken as it is: 0 is 1970, not now.
func (s *Store) materialiseAt(slot uint32, st *state, t int64, props Properties) Entity {
	e := st.entityWith(s, s.ids.id(slot), props)
	if s.moves(slot) {
		e.Moving = true
		if p, ok := s.tracks[slot].at(t); ok {
			e.Geometry = p
		}
	}
	return e
}

// entitiesOfHits materialises hits as of the instants at which they last
// matched, their properties sharing one allocation. Must hold s.mu.
func (s *Store) entitiesOfHits(hits []hit) []Entity {
	n := 0
	for _, h := range hits {
		n += len(h.st.props)
	}
	slab := make(Properties, n)
	out := make([]Entity, len(hits))
	for i, h := range hits {
		k := len(h.st.props)
		out[i] = s.materialiseAt(h.slot, h.st, h.t, slab[:k:k])
		slab = slab[k:]
	}
	return out
}
