package twin

import (
	"context"
	"fmt"
	"slices"
	"sync/atomic"
	"unsafe"

	"citytwin/geo"
	"citytwin/twin/series"

	"github.com/uber/h3-go/v4"

	"github.com/paulmach/orb"
)

// Apply validates a batch of ops and applies it atomically: every op applies, or
// none does and the error names the first bad op and record. It returns the sequence
// number of the last op applied. A store opened with Open logs the batch and
// returns only once the log has it (as its fsync policy says); when the log is
// behind by more than its bound, Apply first waits for room.
func (s *Store) Apply(ops ...Op) (uint64, error) {
	return s.ApplyContext(context.Background(), ops...)
}

// ApplyContext is Apply with a context for the waits on the log.
func (s *Store) ApplyContext(ctx context.Context, ops ...Op) (uint64, error) {
	for i := range ops {
		if err := ops[i].Validate(); err != nil {
			return 0, fmt.Errorf("op %d: %w", i, err)
		}
	}
	if len(ops) == 0 {
		return s.Seq(), nil
	}
	batch := s.stamp(ops)
	var payload []byte
	if d := s.durable; d != nil {
		var err error
		if payload, err = EncodeOps(nil, batch); err != nil {
			return 0, err
		}
		if err := d.log.WaitRoom(ctx); err != nil {
			return 0, err
		}
	}
	s.mu.Lock()
	if err := s.writable(); err != nil {
		s.mu.Unlock()
		return 0, err
	}
	if err := s.applyChecked(batch, true); err != nil {
		s.mu.Unlock()
		return 0, err
	}
	seq := s.seq
	err := s.logLocked(seq, payload)
	s.mu.Unlock()
	if err != nil {
		return 0, err
	}
	return seq, s.waitLogged(ctx, seq)
}

// ApplyEach applies each op on its own: errs[i] says why ops[i] was rejected, nil
// when it applied. The accepted ops form one batch in the log, so that many
// small, independent inputs (stream messages) share one record and one wait. It
// returns the sequence number after the batch; err is set, and nothing applied,
// when the store cannot take ops at all.
func (s *Store) ApplyEach(ctx context.Context, ops []Op) (errs []error, seq uint64, err error) {
	errs = make([]error, len(ops))
	valid := 0
	for i := range ops {
		if errs[i] = ops[i].Validate(); errs[i] == nil {
			valid++
		}
	}
	if valid == 0 {
		return errs, s.Seq(), nil
	}
	batch := s.stamp(ops)
	if d := s.durable; d != nil {
		if err := d.log.WaitRoom(ctx); err != nil {
			return nil, 0, err
		}
	}
	s.mu.Lock()
	if err := s.writable(); err != nil {
		s.mu.Unlock()
		return nil, 0, err
	}
	accepted := batch[:0:0]
	for i := range batch {
		if errs[i] != nil {
			continue
		}
		orig := batch[i] // applying replaces an upsert's entity with the stored one
		if errs[i] = s.applyChecked(batch[i:i+1], true); errs[i] == nil {
			accepted = append(accepted, orig)
		}
	}
	seq = s.seq
	if len(accepted) > 0 && s.durable != nil {
		var payload []byte
		if payload, err = EncodeOps(nil, accepted); err == nil {
			err = s.logLocked(seq, payload)
		} else {
			s.failed = fmt.Errorf("twin: encode a logged batch: %w", err)
		}
	}
	s.mu.Unlock()
	if err != nil {
		return nil, 0, err
	}
	if len(accepted) == 0 {
		return errs, seq, nil
	}
	return errs, seq, s.waitLogged(ctx, seq)
}

// stamp copies ops, giving those without a time the store's now, so that the
// log holds exactly what was applied.
func (s *Store) stamp(ops []Op) []Op {
	now := s.cfg.Now().UnixNano()
	batch := slices.Clone(ops)
	for i := range batch {
		if batch[i].T == 0 {
			batch[i].T = now
		}
	}
	return batch
}

// writable says why the store takes no ops, if it does not. Must hold s.mu.
func (s *Store) writable() error {
	switch {
	case s.closed:
		return ErrClosed
	case s.failed != nil:
		return s.failed
	}
	return nil
}

// logLocked hands an applied batch to the log. A log that fails leaves the
// memory ahead of it, so the store stops taking ops: what it acknowledged stays
// exactly what the log has. Must hold s.mu.
func (s *Store) logLocked(seq uint64, payload []byte) error {
	if s.durable == nil {
		return nil
	}
	if err := s.durable.log.Append(seq, payload); err != nil {
		s.failed = fmt.Errorf("twin: log failed, no more changes are taken: %w", err)
		return s.failed
	}
	return nil
}

func (s *Store) waitLogged(ctx context.Context, seq uint64) error {
	if s.durable == nil {
		return nil
	}
	return s.durable.log.Wait(ctx, seq)
}

// applyChecked checks the references of a batch and applies it, publishing it on
// the change feed when publish is set. Must hold s.mu.
func (s *Store) applyChecked(batch []Op, publish bool) error {
	if err := s.checkRefs(batch); err != nil {
		return err
	}
	first := s.seq + 1
	refs := s.refs
	for i := range batch {
		n := batch[i].items()
		s.apply(&batch[i], refs[:n])
		refs = refs[n:]
	}
	s.seq += uint64(len(batch))
	if publish {
		s.feed.publish(first, batch)
	}
	return nil
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
		metrics    recentSymbols
		lastSlot   = noSlot
		lastMetric string
		metric     uint32
		chans      []slotChannel
		ch         *series.Series
	)
	for i := range op.Observations {
		o := &op.Observations[i]
		slot := s.resolved(refs[i], o.ID)
		if ch == nil || slot != lastSlot || o.Metric != lastMetric {
			if ch == nil || o.Metric != lastMetric {
				metric = metrics.intern(s.sym, o.Metric)
			}
			if ch == nil || slot != lastSlot {
				chans = s.chans[slot]
			}
			ch = findChannel(chans, metric)
			if ch == nil {
				ch = s.addChannel(slot, metric)
				chans = s.chans[slot]
			}
			lastSlot, lastMetric = slot, o.Metric
		}
		ch.Append(o.T, o.V)
	}
}

// recentSymbols remembers the symbols of the last few metric names of a batch by
// the address of their bytes: readings of several metrics interleaved (one
// sensor's pm25, no2, o3, …) would otherwise hash a name for every reading.
// Names from one decoded log record or one producer's batch share their bytes.
type recentSymbols struct {
	ptr  [8]*byte
	n    [8]int
	sym  [8]uint32
	next int
}

func (r *recentSymbols) intern(t *symbols, name string) uint32 {
	p := unsafe.StringData(name)
	for i := range r.ptr {
		if r.ptr[i] == p && r.n[i] == len(name) && p != nil {
			return r.sym[i]
		}
	}
	id := t.intern(name)
	i := r.next
	r.ptr[i], r.n[i], r.sym[i] = p, len(name), id
	r.next = (i + 1) % len(r.ptr)
	return id
}

// slotChannel is one channel of an entity.
type slotChannel struct {
	metric uint32
	ch     *series.Series
}

func findChannel(chans []slotChannel, metric uint32) *series.Series {
	for i := range chans {
		if chans[i].metric == metric {
			return chans[i].ch
		}
	}
	return nil
}

// resolved is the slot checkRefs found, or, for an entity the batch created, its
// slot now.
func (s *Store) resolved(slot uint32, id ID) uint32 {
	if slot == noSlot {
		slot, _ = s.slotOf(id)
	}
	return slot
}

// addChannel creates the channel of slot and metric.
func (s *Store) addChannel(slot, metric uint32) *series.Series {
	ch := series.New()
	s.putChannel(slot, metric, ch)
	return ch
}

// putChannel files a channel in the three indexes.
func (s *Store) putChannel(slot, metric uint32, ch *series.Series) {
	bySlot := s.metrics[metric]
	if bySlot == nil {
		bySlot = make(map[uint32]*series.Series)
		s.metrics[metric] = bySlot
	}
	bySlot[slot] = ch
	s.chans[slot] = append(s.chans[slot], slotChannel{metric, ch})
	s.indexChannel(slot, metric, ch)
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
	s.grid.Set(slot, Quantise(p))
	atomic.StoreUint64(&s.cells[slot], 0)
}
