package fence

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"

	"citytwin/geo"
	"citytwin/twin"

	"github.com/paulmach/orb"
)

// job is one position to evaluate.
type job struct {
	slot uint32
	mode uint8
	p    orb.Point
	t    int64
	tseq uint64
}

// parallelMin is the fewest positions worth splitting across workers.
const parallelMin = 256

// worker holds the scratch space of one evaluating goroutine. The static
// fences of an object are only ever evaluated by the worker that owns its
// slot (slot mod workers), so workers share no mutable state.
type worker struct {
	e       *Engine
	cands   []uint32
	recs    []record
	slots   []uint32
	seg     orb.LineString
	segGeom orb.Geometry
	out     []pendEvent
	treeFn  func(orb.Bound, uint32) bool
	gridFn  func(uint32, orb.Point) bool
}

func newWorker(e *Engine) *worker {
	w := &worker{e: e, seg: make(orb.LineString, 2)}
	w.segGeom = w.seg // shares the backing array: no allocation per test
	w.treeFn = func(_ orb.Bound, v uint32) bool { w.cands = append(w.cands, v); return true }
	w.gridFn = func(v uint32, _ orb.Point) bool { w.cands = append(w.cands, v); return true }
	return w
}

// Process evaluates a batch of twin changes in order, as Run does with the
// change feed, and appends the events to the outbox; they are visible to
// Events and subscribers when it returns. The changes must follow on from the
// previous ones (Run checks that; Process trusts its caller).
func (e *Engine) Process(ctx context.Context, changes []twin.Change) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return ErrClosed
	}
	if e.failed != nil {
		return e.failed
	}
	return e.process(ctx, changes)
}

// process is Process under e.mu.
func (e *Engine) process(ctx context.Context, changes []twin.Change) error {
	e.pend = e.pend[:0]
	jobs := e.jobs[:0]
	for ci := range changes {
		if ci&1023 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		ch := &changes[ci]
		op := &ch.Op
		switch op.Type {
		case twin.OpMove:
			for _, pos := range op.Positions {
				slot := e.object(pos.ID, nil)
				o := &e.objs[slot]
				if o.t > pos.T && o.has {
					e.st.late.Add(1)
					continue
				}
				o.t = pos.T
				jobs = append(jobs, job{slot: slot, p: pos.Point, t: pos.T, tseq: ch.Seq})
			}
		case twin.OpUpsert, twin.OpPatch:
			jobs = e.runJobs(jobs)
			e.changed(ch)
		case twin.OpDelete:
			jobs = e.runJobs(jobs)
			t := op.T
			if t == 0 {
				t = e.now()
			}
			if _, ok := e.fenceSlot[op.ID]; ok {
				e.removeFence(op.ID)
			} else {
				e.deleteObject(op.ID, t, ch.Seq)
			}
		}
		e.twinSeq = ch.Seq
	}
	e.jobs = e.runJobs(jobs)
	return e.commit()
}

// commit numbers the pending events and writes them to the outbox.
func (e *Engine) commit() error {
	e.st.twinSeq.Store(e.twinSeq)
	if len(e.pend) == 0 {
		return nil
	}
	evs := e.evs[:0]
	for i := range e.pend {
		ev := e.pend[i].ev
		ev.Seq = e.seq + uint64(i) + 1
		evs = append(evs, ev)
	}
	e.evs = evs
	e.pend = e.pend[:0]
	if err := e.ob.append(evs, e.twinSeq, e.cfg.Now()); err != nil {
		e.failed = err
		return err
	}
	e.seq += uint64(len(evs))
	e.st.events.Add(uint64(len(evs)))
	return nil
}

// changed handles an upsert or patch.
func (e *Engine) changed(ch *twin.Change) {
	ent := ch.Op.Entity
	if ent == nil {
		return
	}
	if ent.Kind == KindGeofence {
		e.setFence(ent)
		return
	}
	if _, ok := e.fenceSlot[ent.ID]; ok { // no longer a fence
		e.removeFence(ent.ID)
	}
	slot := e.object(ent.ID, ent)
	o := &e.objs[slot]
	o.kind, o.props = e.kind(ent.Kind), ent.Props
	pt, isPt := ent.Geometry.(orb.Point)
	if ch.Op.Type != twin.OpUpsert || !isPt {
		return
	}
	t := ch.Op.T
	if t == 0 {
		t = twin.Nanos(ent.ValidFrom)
	}
	if o.has && o.t > t {
		e.st.late.Add(1)
		return
	}
	o.t = t
	e.one[0] = job{slot: slot, p: pt, t: t, tseq: ch.Seq}
	e.runJobs(e.one[:1])
}

// object returns the slot of an entity, making one for an entity first seen;
// ent, when known, saves a look-up in the store.
func (e *Engine) object(id twin.ID, ent *twin.Entity) uint32 {
	if slot, ok := e.objSlot[id]; ok {
		return slot
	}
	o := object{id: id, live: true}
	if ent == nil && e.store != nil {
		if got, err := e.store.Get(id); err == nil {
			ent = &got
		}
	}
	if ent != nil {
		o.kind, o.props = e.kind(ent.Kind), ent.Props
	}
	var slot uint32
	if n := len(e.free); n > 0 {
		slot = e.free[n-1]
		e.free = e.free[:n-1]
		e.objs[slot] = o
	} else {
		slot = uint32(len(e.objs))
		e.objs = append(e.objs, o)
	}
	e.objSlot[id] = slot
	e.st.objects.Store(int64(len(e.objSlot)))
	return slot
}

// kind interns a kind.
func (e *Engine) kind(k twin.Kind) uint16 {
	if i, ok := e.kindIdx[k]; ok {
		return i
	}
	i := uint16(len(e.kindNames))
	e.kindNames = append(e.kindNames, k)
	e.kindIdx[k] = i
	e.kindRefs = append(e.kindRefs, 0)
	return i
}

// runJobs evaluates positions against the static fences (in parallel across
// objects) and then the roaming ones (in order), and queues their events in
// the order of the positions. It returns jobs emptied for reuse.
func (e *Engine) runJobs(jobs []job) []job {
	if len(jobs) == 0 {
		return jobs
	}
	e.st.updates.Add(uint64(len(jobs)))
	nw := len(e.workers)
	if nw == 1 || len(jobs) < parallelMin {
		nw = 1
	}
	if nw == 1 {
		w := e.workers[0]
		w.out = w.out[:0]
		for i := range jobs {
			w.static(&jobs[i], i)
		}
	} else {
		var wg sync.WaitGroup
		for k := 1; k < nw; k++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				e.workers[k].shard(jobs, k, nw)
			}()
		}
		e.workers[0].shard(jobs, 0, nw)
		wg.Wait()
	}
	rw := e.roamW
	rw.out = rw.out[:0]
	if e.ogrid != nil {
		for i := range jobs {
			e.roamJob(rw, &jobs[i], i)
		}
	}
	// Merge the lists, each in job order; static events before roaming ones.
	lists := e.lists[:0]
	for _, w := range e.workers[:nw] {
		if len(w.out) > 0 {
			lists = append(lists, w.out)
		}
	}
	if len(rw.out) > 0 {
		lists = append(lists, rw.out)
	}
	switch len(lists) {
	case 0:
	case 1:
		e.pend = append(e.pend, lists[0]...)
	default:
		for {
			best := -1
			for i, l := range lists {
				if len(l) > 0 && (best < 0 || l[0].job < lists[best][0].job) {
					best = i
				}
			}
			if best < 0 {
				break
			}
			l := lists[best]
			n := 1
			for n < len(l) && l[n].job == l[0].job {
				n++
			}
			e.pend = append(e.pend, l[:n]...)
			lists[best] = l[n:]
		}
	}
	e.lists = lists[:0]
	return jobs[:0]
}

// shard evaluates the jobs of the objects this worker owns.
func (w *worker) shard(jobs []job, k, n int) {
	w.out = w.out[:0]
	for i := range jobs {
		if int(jobs[i].slot)%n == k {
			w.static(&jobs[i], i)
		}
	}
}

// static evaluates one position against the static fences.
func (w *worker) static(j *job, idx int) {
	e := w.e
	o := &e.objs[j.slot]
	ev := eval{p: j.p, prev: o.p, hasPrev: o.has, t: j.t, tseq: j.tseq, mode: j.mode, job: idx}
	if j.mode != modeMove {
		ev.hasPrev = false
	}
	w.cands = w.cands[:0]
	if e.allKinds > 0 || int(o.kind) < len(e.kindRefs) && e.kindRefs[o.kind] > 0 {
		qb := orb.Bound{Min: j.p, Max: j.p}
		if ev.hasPrev && e.crossN > 0 {
			qb = qb.Extend(o.p)
		}
		e.tree.Search(qb, w.treeFn)
		if len(w.cands) > 1 {
			slices.Sort(w.cands)
		}
	}
	if len(w.cands) > 0 || len(o.recs) > 0 {
		o.recs = w.merge(o, o.recs, e.fences, &ev, nil)
	}
	o.p, o.has = j.p, true
}

// merge steps every fence that is a candidate or has a record, both sorted
// by fence slot, and returns the records to keep (in recs' storage). onChange
// is told of records made or dropped.
func (w *worker) merge(o *object, recs []record, fences []*region, ev *eval, onChange func(fence uint32, made bool)) []record {
	w.recs = w.recs[:0]
	i, k := 0, 0
	for i < len(w.cands) || k < len(recs) {
		var rec record
		var f uint32
		cand, has := false, false
		switch {
		case k >= len(recs) || i < len(w.cands) && w.cands[i] < recs[k].fence:
			f, cand = w.cands[i], true
			i++
		case i >= len(w.cands) || recs[k].fence < w.cands[i]:
			rec, has = recs[k], true
			f = rec.fence
			k++
		default:
			rec, has, cand = recs[k], true, true
			f = rec.fence
			i++
			k++
		}
		r := fences[f]
		if r.roaming && r.def.Near == o.id {
			cand = false // a fence does not watch what it follows
		}
		nr, keep := w.step(r, o, rec, has, cand, ev)
		if keep {
			w.recs = append(w.recs, nr)
		}
		if onChange != nil && keep != has {
			onChange(f, keep)
		}
	}
	return append(recs[:0], w.recs...)
}

// roamJob evaluates one position against the roaming fences: the object's own
// move, then, if it is followed, the fences that follow it.
func (e *Engine) roamJob(w *worker, j *job, idx int) {
	o := &e.objs[j.slot]
	prev, hasPrev := e.ogrid.Point(j.slot)
	e.ogrid.Set(j.slot, j.p)
	ev := eval{p: j.p, prev: prev, hasPrev: hasPrev && j.mode == modeMove, t: j.t, tseq: j.tseq, mode: j.mode, job: idx}
	w.cands = w.cands[:0]
	if e.maxReach > 0 {
		e.cgrid.Search(grow(orb.Bound{Min: j.p, Max: j.p}, e.maxReach), w.gridFn)
		if len(w.cands) > 1 {
			slices.Sort(w.cands)
		}
	}
	if len(w.cands) > 0 || len(o.roam) > 0 {
		slot := j.slot
		o.roam = w.merge(o, o.roam, e.fences, &ev, func(f uint32, made bool) {
			e.member(e.fences[f], slot, made)
		})
	}
	if fs, ok := e.targets[o.id]; ok {
		for _, f := range fs {
			e.moveRoaming(w, e.fences[f], j.p, true, j.t, j.tseq, idx)
		}
	}
}

func (e *Engine) member(r *region, slot uint32, made bool) {
	if r.members == nil {
		r.members = make(map[uint32]struct{})
	}
	if made {
		r.members[slot] = struct{}{}
	} else {
		delete(r.members, slot)
	}
}

// moveRoaming moves a roaming fence to c (or deactivates it, ok false) and
// evaluates the objects near it and those it held.
func (e *Engine) moveRoaming(w *worker, r *region, c orb.Point, ok bool, t int64, tseq uint64, idx int) {
	if r.dead {
		return
	}
	if ok {
		r.setCenter(c)
		e.cgrid.Set(r.slot, c)
	} else {
		r.active = false
		e.cgrid.Remove(r.slot)
	}
	w.cands = w.cands[:0]
	if r.active {
		e.ogrid.Search(r.search, w.gridFn)
	}
	for s := range r.members {
		w.cands = append(w.cands, s)
	}
	slices.Sort(w.cands)
	w.slots = append(w.slots[:0], slices.Compact(w.cands)...)
	for _, s := range w.slots {
		o := &e.objs[s]
		if !o.live || o.id == r.def.Near {
			continue
		}
		p, ok := e.ogrid.Point(s)
		if !ok {
			continue
		}
		i, has := slices.BinarySearchFunc(o.roam, r.slot, func(a record, f uint32) int { return int(a.fence) - int(f) })
		var rec record
		if has {
			rec = o.roam[i]
		}
		ev := eval{p: p, t: t, tseq: tseq, mode: modeFence, job: idx}
		nr, keep := w.step(r, o, rec, has, true, &ev)
		switch {
		case keep && has:
			o.roam[i] = nr
		case keep:
			o.roam = slices.Insert(o.roam, i, nr)
		case has:
			o.roam = slices.Delete(o.roam, i, i+1)
		}
		if keep != has {
			e.member(r, s, keep)
		}
	}
}

// deleteObject ends an object: it exits every fence it is in.
func (e *Engine) deleteObject(id twin.ID, t int64, tseq uint64) {
	slot, ok := e.objSlot[id]
	if !ok {
		return
	}
	w := e.roamW
	w.out = w.out[:0]
	o := &e.objs[slot]
	ev := eval{p: o.p, t: t, tseq: tseq, mode: modeResync}
	for _, list := range [][]record{o.recs, o.roam} {
		for _, rec := range list {
			r := e.fences[rec.fence]
			if rec.state == stIn && !r.dead {
				w.emit(r, o, &ev, EvExit, max(0, t-rec.since))
			}
			if r.roaming {
				e.member(r, slot, false)
			}
		}
	}
	if e.ogrid != nil {
		e.ogrid.Remove(slot)
	}
	e.pend = append(e.pend, w.out...)
	if fs, ok := e.targets[id]; ok {
		for _, f := range fs {
			w.out = w.out[:0]
			e.moveRoaming(w, e.fences[f], orb.Point{}, false, t, tseq, 0)
			e.pend = append(e.pend, w.out...)
		}
	}
	delete(e.objSlot, id)
	e.objs[slot] = object{}
	e.free = append(e.free, slot)
	e.st.objects.Store(int64(len(e.objSlot)))
}

// setFence adds or redefines a fence. A fence that does not parse is counted,
// logged and removed: the store holds it, but it watches nothing.
func (e *Engine) setFence(ent *twin.Entity) {
	f, err := Parse(ent)
	if err != nil {
		e.st.invalid.Add(1)
		e.log.Warn("fence: invalid geofence ignored", "fence", ent.ID, "err", err)
		e.removeFence(ent.ID)
		return
	}
	slot, ok := e.fenceSlot[ent.ID]
	var old *region
	if ok {
		old = e.fences[slot]
		if old.roaming != (f.Shape == ShapeRoaming) {
			e.removeFence(ent.ID)
			ok = false
		}
	}
	if !ok {
		slot = uint32(len(e.fences))
		e.fences = append(e.fences, nil)
		e.fenceSlot[ent.ID] = slot
	} else {
		e.unindex(old)
	}
	r := compile(f, slot, e.kind)
	e.fences[slot] = r
	e.index(r)
	if r.roaming {
		if old != nil {
			r.members = old.members
		}
		c, has := e.targetPosition(f.Near)
		w := e.roamW
		w.out = w.out[:0]
		e.moveRoaming(w, r, c, has, e.now(), e.twinSeq, 0)
		e.pend = append(e.pend, w.out...)
	}
	e.st.fences.Store(int64(len(e.fenceSlot)))
}

// targetPosition is where the entity a roaming fence follows is now.
func (e *Engine) targetPosition(id twin.ID) (orb.Point, bool) {
	if slot, ok := e.objSlot[id]; ok && e.objs[slot].has {
		return e.objs[slot].p, true
	}
	if e.store == nil {
		return orb.Point{}, false
	}
	ent, err := e.store.Get(id)
	if err != nil || ent.Geometry == nil {
		return orb.Point{}, false
	}
	if p, ok := ent.Geometry.(orb.Point); ok {
		return p, true
	}
	return ent.Geometry.Bound().Center(), true
}

// index puts a fence in the indexes and counters.
func (e *Engine) index(r *region) {
	if r.roaming {
		e.targets[r.def.Near] = append(e.targets[r.def.Near], r.slot)
		e.roamN++
		e.ensureGrids()
		e.maxReach = max(e.maxReach, r.radius+r.h)
		return
	}
	e.tree.Insert(r.search, r.slot)
	if r.kinds == nil {
		e.allKinds++
	}
	for _, k := range r.kinds {
		e.kindRefs[k]++
	}
	if r.events.Has(EvCross) {
		e.crossN++
	}
}

// unindex takes a fence out of the indexes and counters.
func (e *Engine) unindex(r *region) {
	if r.roaming {
		fs := slices.DeleteFunc(e.targets[r.def.Near], func(f uint32) bool { return f == r.slot })
		if len(fs) == 0 {
			delete(e.targets, r.def.Near)
		} else {
			e.targets[r.def.Near] = fs
		}
		e.cgrid.Remove(r.slot)
		e.roamN--
		e.maxReach = 0
		for _, f := range e.targets {
			for _, s := range f {
				e.maxReach = max(e.maxReach, e.fences[s].radius+e.fences[s].h)
			}
		}
		return
	}
	e.tree.Delete(r.search, r.slot)
	if r.kinds == nil {
		e.allKinds--
	}
	for _, k := range r.kinds {
		e.kindRefs[k]--
	}
	if r.events.Has(EvCross) {
		e.crossN--
	}
}

// removeFence ends a fence. Its records are dropped without events as the
// objects next move (the fence is gone; nobody is in it).
func (e *Engine) removeFence(id twin.ID) {
	slot, ok := e.fenceSlot[id]
	if !ok {
		return
	}
	r := e.fences[slot]
	e.unindex(r)
	r.dead = true
	for s := range r.members {
		o := &e.objs[s]
		o.roam = slices.DeleteFunc(o.roam, func(rec record) bool { return rec.fence == slot })
	}
	r.members = nil
	delete(e.fenceSlot, id)
	e.st.fences.Store(int64(len(e.fenceSlot)))
}

// ensureGrids makes the point grids of roaming fences when the first appears.
func (e *Engine) ensureGrids() {
	if e.ogrid != nil {
		return
	}
	lat := e.cfg.RefLat
	e.ogrid = geo.NewPointGrid(e.cfg.GridMetres, lat)
	e.cgrid = geo.NewPointGrid(e.cfg.GridMetres, lat)
	for slot := range e.objs {
		if o := &e.objs[slot]; o.live && o.has {
			e.ogrid.Set(uint32(slot), o.p)
		}
	}
}

// resync rebuilds the fences from the store and evaluates every entity where
// the store says it is now, so that only real transitions since the last
// known state become events. silent establishes the state without events.
func (e *Engine) resync(ctx context.Context, silent bool) error {
	e.st.resyncs.Add(1)
	e.pend = e.pend[:0]
	res, err := e.store.Query(ctx, twin.Query{Kinds: []twin.Kind{KindGeofence}})
	if err != nil {
		return fmt.Errorf("resync fences: %w", err)
	}
	seen := make(map[twin.ID]bool, len(res.Entities))
	for i := range res.Entities {
		ent := &res.Entities[i]
		seen[ent.ID] = true
		if slot, ok := e.fenceSlot[ent.ID]; ok && e.fences[slot].def.Version == ent.Version && ent.Version != 0 {
			continue
		}
		e.setFence(ent)
	}
	for id := range e.fenceSlot {
		if !seen[id] {
			e.removeFence(id)
		}
	}
	var kinds []twin.Kind
	if e.allKinds == 0 && e.roamN == 0 {
		for k, n := range e.kindRefs {
			if n > 0 {
				kinds = append(kinds, e.kindNames[k])
			}
		}
	}
	now := e.now()
	tseq := e.store.Seq()
	var jobs []job
	alive := make(map[twin.ID]bool)
	if len(kinds) > 0 || e.allKinds > 0 || e.roamN > 0 {
		res, err = e.store.Query(ctx, twin.Query{Kinds: kinds})
		if err != nil {
			return fmt.Errorf("resync objects: %w", err)
		}
		for i := range res.Entities {
			ent := &res.Entities[i]
			pt, ok := ent.Geometry.(orb.Point)
			if !ok || ent.Kind == KindGeofence {
				continue
			}
			alive[ent.ID] = true
			slot := e.object(ent.ID, ent)
			o := &e.objs[slot]
			o.kind, o.props = e.kind(ent.Kind), ent.Props
			jobs = append(jobs, job{slot: slot, mode: modeResync, p: pt, t: now, tseq: tseq})
		}
	}
	for id, slot := range e.objSlot {
		if o := &e.objs[slot]; !alive[id] && (len(o.recs) > 0 || len(o.roam) > 0) {
			if _, err := e.store.Get(id); errors.Is(err, twin.ErrNotFound) {
				e.deleteObject(id, now, tseq)
			}
		}
	}
	e.runJobs(jobs)
	e.twinSeq = max(e.twinSeq, tseq)
	if silent {
		e.pend = e.pend[:0]
	}
	return e.commit()
}
