package twin

import (
	"fmt"
	"slices"
	"sync/atomic"

	"citytwin/geo"
	"citytwin/twin/series"

	"github.com/uber/h3-go/v4"

	"github.com/paulmach/orb"
)

// Apply validates a batch of ops and applies it atomically: every op applies, or
// none does and the error names the first bad op and record. It returns the sequence
// number of the last op applied.
func (s *Store) Apply(ops ...Op) (uint64, error) {
	for i := range ops {
		if err := ops[i].Validate(); err != nil {
			return 0, fmt.Errorf("op %d: %w", i, err)
		}
	}
	now := s.cfg.Now().UnixNano()
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.checkRefs(ops); err != nil {
		return 0, err
	}
	first := s.seq + 1
	applied := make([]Op, len(ops))
	refs := s.refs
	for i := range ops {
		op := ops[i]
		if op.T == 0 {
			op.T = now
		}
		n := op.items()
		s.apply(&op, refs[:n])
		refs = refs[n:]
		applied[i] = op
	}
	s.seq += uint64(len(ops))
	s.feed.publish(first, applied)
	return s.seq, nil
}

// noSlot marks a reference to an entity that the batch itself creates.
const noSlot = ^uint32(0)

// checkRefs makes sure every op that names an entity names one that exists (or is
// created earlier in the batch), and resolves the slots of observations and
// positions into s.refs so that applying them does not look them up again. Must
// hold s.mu.
func (s *Store) checkRefs(ops []Op) error {
	var pending map[ID]bool // entities the batch creates (true) or deletes (false)
	resolve := func(id ID) (uint32, bool) {
		if l, ok := pending[id]; ok {
			return noSlot, l
		}
		slot, ok := s.slotOf(id)
		return slot, ok && s.cur[slot] != nil && !s.cur[slot].deleted()
	}
	s.refs = s.refs[:0]
	for i := range ops {
		op := &ops[i]
		switch op.Type {
		case OpUpsert:
			if pending == nil {
				pending = make(map[ID]bool)
			}
			pending[op.Entity.ID] = true
		case OpPatch, OpDelete:
			if _, ok := resolve(op.ID); !ok {
				return fmt.Errorf("op %d: %s %s: %w", i, op.Type, op.ID, ErrNotFound)
			}
			if op.Type == OpDelete {
				if pending == nil {
					pending = make(map[ID]bool)
				}
				pending[op.ID] = false
			}
		case OpObserve, OpMove:
			var (
				last ID
				slot uint32
				ok   bool
			)
			for j := range op.items() {
				id := op.itemID(j)
				if j == 0 || id != last {
					if slot, ok = resolve(id); !ok {
						what := "observation"
						if op.Type == OpMove {
							what = "position"
						}
						return fmt.Errorf("op %d: %s %d: %s: %w", i, what, j, id, ErrNotFound)
					}
					last = id
				}
				s.refs = append(s.refs, slot)
			}
		}
	}
	return nil
}

// apply applies one checked op; refs are the slots of its observations or
// positions.
func (s *Store) apply(op *Op, refs []uint32) {
	switch op.Type {
	case OpUpsert:
		s.applyUpsert(op)
	case OpPatch:
		s.applyPatch(op)
	case OpDelete:
		s.applyDelete(op)
	case OpObserve:
		s.applyObserve(op, refs)
	case OpMove:
		s.applyMove(op, refs)
	}
}

func (s *Store) slotFor(id ID) uint32 {
	if slot, ok := s.slotOf(id); ok {
		return slot
	}
	slot := s.ids.add(id)
	s.cur = append(s.cur, nil)
	s.cells = append(s.cells, 0)
	s.tracks = append(s.tracks, nil)
	if int(slot>>6) >= len(s.moving) {
		s.moving = append(s.moving, 0)
	}
	return slot
}

func (s *Store) applyUpsert(op *Op) {
	e := op.Entity
	slot := s.slotFor(e.ID)
	old := s.cur[slot]
	from, version := op.T, uint32(1)
	if old != nil {
		from, version = max(from, old.from), old.version+1
	}
	ns := newState(s.sym, s.kinds, e, from, version)
	if old != nil && !old.deleted() && sameContent(old, ns) {
		op.Entity = s.published(slot, old)
		return
	}
	s.replace(slot, old, ns)
	if tr := s.tracks[slot]; tr != nil && ns.flags&flagPoint != 0 {
		s.moveTo(slot, tr, op.T, ns.pt)
	}
	op.Entity = s.published(slot, ns)
}

func (s *Store) applyPatch(op *Op) {
	slot, _ := s.slotOf(op.ID)
	old := s.cur[slot]
	ns := old.withProps(compactProps(s.sym, expandProps(s.sym, old.props).Merge(op.Patch)))
	ns.from, ns.version = max(op.T, old.from), old.version+1
	s.replace(slot, old, ns)
	op.Entity = s.published(slot, ns)
}

func (s *Store) applyDelete(op *Op) {
	slot, _ := s.slotOf(op.ID)
	old := s.cur[slot]
	ns := *old
	ns.from, ns.version = max(op.T, old.from), old.version+1
	ns.flags |= flagDeleted
	ns.pt, ns.geom, ns.props, ns.extra = orb.Point{}, nil, nil, nil
	ns.flags &^= flagPoint
	s.replace(slot, old, &ns)
	if s.tracks[slot] != nil {
		s.grid.Remove(slot)
	}
}

// published is what the change feed says about an upsert or patch: the entity as
// the store now holds it.
func (s *Store) published(slot uint32, st *state) *Entity {
	e := st.entity(s, s.ids.id(slot))
	if s.moves(slot) {
		e.Moving = true
		e.Geometry = s.geometryAt(slot, st, 0)
	}
	return &e
}

// replace makes ns the current state of slot, keeping old in the history and the
// indexes up to date.
func (s *Store) replace(slot uint32, old, ns *state) {
	moving := s.moves(slot)
	if old != nil {
		s.hist[slot] = append(s.hist[slot], old)
		if !old.deleted() {
			s.kindN[old.kind]--
			if moving {
				s.movingN[old.kind]--
			}
			if !moving {
				s.unindex(slot, old)
				if b, ok := old.bound(); ok && (ns.deleted() || !sameGeometry(old, ns)) {
					s.past.Insert(b, slot)
				}
			}
		}
	}
	s.cur[slot] = ns
	if ns.deleted() {
		return
	}
	s.kindN[ns.kind]++
	if moving {
		s.movingN[ns.kind]++
	}
	switch {
	case !moving:
		s.index(slot, ns)
	case old == nil || old.deleted(): // a moving entity comes back where it was last seen
		if _, p, ok := s.tracks[slot].last(); ok {
			s.grid.Set(slot, p)
			atomic.StoreUint64(&s.cells[slot], 0)
		}
	}
}

func sameGeometry(a, b *state) bool {
	if a.flags&flagPoint != b.flags&flagPoint {
		return false
	}
	if a.flags&flagPoint != 0 {
		return a.pt == b.pt
	}
	if a.geom == nil || b.geom == nil {
		return a.geom == nil && b.geom == nil
	}
	return orb.Equal(a.geom, b.geom)
}

// index adds a static state to the R-tree and the H3 map.
func (s *Store) index(slot uint32, st *state) {
	b, ok := st.bound()
	if !ok {
		return
	}
	s.rt.Insert(b, slot)
	p, ok := anchor(st.geometry())
	if !ok {
		return
	}
	c := uint64(geo.Cell(p, h3Base))
	s.cells[slot] = c
	k := uint64(geo.Parent(h3.Cell(c), h3IndexRes))
	s.byCell[k] = append(s.byCell[k], slot)
}

func (s *Store) unindex(slot uint32, st *state) {
	b, ok := st.bound()
	if !ok {
		return
	}
	s.rt.Delete(b, slot)
	if c := s.cells[slot]; c != 0 {
		k := uint64(geo.Parent(h3.Cell(c), h3IndexRes))
		list := s.byCell[k]
		if i := slices.Index(list, slot); i >= 0 {
			list[i] = list[len(list)-1]
			list = list[:len(list)-1]
		}
		if len(list) == 0 {
			delete(s.byCell, k)
		} else {
			s.byCell[k] = list
		}
		s.cells[slot] = 0
	}
}

func (s *Store) applyObserve(op *Op, refs []uint32) {
	var (
		lastSlot   = noSlot
		lastMetric string
		ch         *series.Series
	)
	for i := range op.Observations {
		o := &op.Observations[i]
		slot := s.resolved(refs[i], o.ID)
		if ch == nil || slot != lastSlot || o.Metric != lastMetric {
			ch = s.channel(slot, o.Metric)
			lastSlot, lastMetric = slot, o.Metric
		}
		ch.Append(o.T, o.V)
	}
}

// resolved is the slot checkRefs found, or, for an entity the batch created, its
// slot now.
func (s *Store) resolved(slot uint32, id ID) uint32 {
	if slot == noSlot {
		slot, _ = s.slotOf(id)
	}
	return slot
}

// channel returns the series of slot and metric, creating it.
func (s *Store) channel(slot uint32, metric string) *series.Series {
	m := s.sym.intern(metric)
	bySlot := s.metrics[m]
	if bySlot == nil {
		bySlot = make(map[uint32]*series.Series)
		s.metrics[m] = bySlot
	}
	ch := bySlot[slot]
	if ch == nil {
		ch = series.New()
		bySlot[slot] = ch
	}
	return ch
}

func (s *Store) applyMove(op *Op, refs []uint32) {
	for i := range op.Positions {
		p := &op.Positions[i]
		slot := s.resolved(refs[i], p.ID)
		tr := s.tracks[slot]
		if tr == nil {
			tr = s.startMoving(slot)
		}
		s.moveTo(slot, tr, p.T, p.Point)
	}
}

// startMoving moves an entity from the static indexes to the grid of moving ones.
func (s *Store) startMoving(slot uint32) *track {
	st := s.cur[slot]
	s.unindex(slot, st)
	tr := &track{}
	s.tracks[slot] = tr
	s.moving[slot>>6] |= 1 << (slot & 63)
	s.movingN[st.kind]++
	if p, ok := anchor(st.geometry()); ok {
		s.grid.Set(slot, p)
	}
	return tr
}

// moveTo records a position; the newest one is where the entity is now.
func (s *Store) moveTo(slot uint32, tr *track, t int64, p orb.Point) {
	if !tr.add(t, p) {
		return // a late report: history only
	}
	s.grid.Set(slot, quantise(p))
	atomic.StoreUint64(&s.cells[slot], 0)
}
