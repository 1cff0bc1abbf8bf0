package web

import (
	"context"
	"fmt"
	"time"

	"citytwin/twin"
)

// streamSnapshot is a view's contents for the writer to send.
type streamSnapshot struct {
	kind    snapKind
	seq     uint64
	at      int64 // playback: the instant shown
	entries []snapEntry
	values  [][]slotValue // per metric of the view
	keep    []uint32      // resume: slots still in view and unchanged
	from    uint64        // resume: the client's seq
	resync  bool
}

type snapEntry struct {
	slot uint32
	st   entSnap
}

type slotValue struct {
	slot uint32
	v    float32
}

type snapKind uint8

const (
	snapNew      snapKind = iota + 1 // subscribe: a snapshot
	snapResync                       // after a gap: a snapshot flagged resync
	snapViewport                     // a new place: enter and leave
	snapResume                       // after a reconnect: deltas since a seq
	snapPlayback                     // seek: a snapshot as of an instant
)

// queryTimeout bounds the queries of one snapshot.
const queryTimeout = 10 * time.Second

// viewContents reads a view from the store as of at (0: now): the entities,
// and the newest values of its metrics by entity.
func viewContents(ctx context.Context, store *twin.Store, v *streamView, at int64, max int) ([]twin.Entity, []map[twin.ID]float64, error) {
	ctx, cancel := context.WithTimeout(ctx, queryTimeout)
	defer cancel()
	q := v.query(at)
	q.Limit = max
	res, err := store.Query(ctx, q)
	if err != nil {
		return nil, nil, err
	}
	if res.Matched > max {
		return nil, nil, &ControlError{Field: "bbox", Reason: fmt.Sprintf("the view holds %d entities, more than the limit of %d: zoom in, or filter by kinds or where", res.Matched, max)}
	}
	vals := make([]map[twin.ID]float64, len(v.Metrics))
	for i, m := range v.Metrics {
		q.Limit = 0
		ls, err := store.Latest(ctx, q, m)
		if err != nil {
			return nil, nil, err
		}
		vals[i] = make(map[twin.ID]float64, len(ls))
		for _, l := range ls {
			vals[i][l.ID] = l.Point.V
		}
	}
	return res.Entities, vals, nil
}

// snapshot gives a client a (new) view: it reads the view from the store,
// files the client under it and leaves what the client must be sent.
func (r *hubRun) snapshot(c *streamClient, v streamView, kind snapKind, from uint64) {
	h := r.h
	store := h.s.store
	// The twin has no query at a seq; a read during which nothing changed is
	// exactly at s0, so try a few times before settling for one that may
	// include a little after s0 (the deltas after s0 then converge on it).
	var s0 uint64
	var ents []twin.Entity
	var vals []map[twin.ID]float64
	for try := 0; try < 3; try++ {
		s0 = store.Seq()
		var err error
		if ents, vals, err = viewContents(r.ctx, store, &v, 0, h.cfg.MaxSnapshot); err != nil {
			c.sendError(err)
			return
		}
		if store.Seq() == s0 {
			break
		}
	}
	var touched map[twin.ID]struct{}
	if kind == snapResume {
		var ok bool
		if touched, ok = r.touchedSince(from, s0); !ok {
			kind = snapResync
		}
	}
	// A new place is labelled s0 and routing skips the changes up to it, but
	// the run has routed only up to r.pos: the entities that stay in view
	// and changed in between are sent as the snapshot shows them (all of
	// them when the feed no longer tells which changed).
	var stale map[twin.ID]struct{}
	staleAll := false
	if kind == snapViewport && r.pos < s0 {
		var ok bool
		stale, ok = r.touchedSince(r.pos, s0)
		staleAll = !ok
	}
	r.unindex(c)
	c.view = &v
	c.since = s0
	c.setSimple(h)
	c.idSlots = nil
	if len(v.IDs) > 0 {
		c.idSlots = make(map[uint32]struct{}, len(v.IDs))
		for _, id := range v.IDs {
			n, _ := h.slotOf(id, true)
			c.idSlots[n] = struct{}{}
		}
	}
	r.index(c)
	var newIn slotTable
	type refreshEntry struct {
		slot uint32
		st   entSnap
		what pendFlags
	}
	var refresh []refreshEntry // kept in view, changed after r.pos
	sn := &streamSnapshot{kind: kind, seq: s0, from: from, resync: kind == snapResync}
	slotOfID := make(map[twin.ID]uint32, len(ents))
	for i := range ents {
		e := &ents[i]
		slot, st := h.slot(e.ID)
		if kind == snapViewport && c.inView.has(slot) {
			if _, changed := stale[e.ID]; changed || staleAll {
				// What the client holds is the run's state at r.pos.
				var what pendFlags
				if staleAll || st.ent == nil || st.ent.Version != e.Version || st.moving != e.Moving {
					what |= pendChanged
				}
				if e.Moving {
					what |= pendMoved
				}
				refresh = append(refresh, refreshEntry{slot, snapOfEntity(e), what})
			}
		}
		if st.ent == nil || r.pos >= s0 { // else the feed brings it up to s0 in order
			st.ent, st.kind = e, h.kind(e.Kind)
			st.place(e.Geometry, e.Moving)
		}
		newIn.put(slot, 0)
		slotOfID[e.ID] = slot
		if kind == snapResume {
			if _, changed := touched[e.ID]; !changed {
				sn.keep = append(sn.keep, slot)
				continue
			}
		}
		sn.entries = append(sn.entries, snapEntry{slot: slot, st: snapOfEntity(e)})
	}
	sn.values = make([][]slotValue, len(vals))
	for m, byID := range vals {
		for id, x := range byID {
			if slot, ok := slotOfID[id]; ok {
				sn.values[m] = append(sn.values[m], slotValue{slot, float32(x)})
			}
		}
	}
	old := c.inView
	c.inView = newIn
	c.mu.Lock()
	defer c.mu.Unlock()
	if s0 > c.seq.Load() { // with what it labels, under mu (see flush)
		c.seq.Store(s0)
	}
	if kind != snapViewport {
		c.resetPending()
		c.snap = sn
		return
	}
	// A new place: what left and what came, over what is pending.
	if c.overflowed {
		return // a resync snapshot is on its way and will show the new place
	}
	old.each(func(slot uint32, _ int32) {
		if !newIn.has(slot) {
			c.push(slot, entSnap{}, false, 0)
		}
	})
	for _, e := range sn.entries {
		if !old.has(e.slot) {
			c.push(e.slot, e.st, true, pendChanged|pendMoved)
		}
	}
	var refreshed slotTable
	for _, x := range refresh {
		refreshed.put(x.slot, 0)
		if x.what != 0 {
			c.push(x.slot, x.st, true, x.what)
		}
	}
	for m, vs := range sn.values {
		for _, sv := range vs {
			if !old.has(sv.slot) || refreshed.has(sv.slot) {
				c.pushValue(sv.slot, entSnap{}, m, float64(sv.v))
			}
		}
	}
}

// touchedSince lists the entities that changed after seq up to s0, read from
// the feed; false when the feed no longer holds them all.
func (r *hubRun) touchedSince(seq, s0 uint64) (map[twin.ID]struct{}, bool) {
	out := map[twin.ID]struct{}{}
	if seq > s0 {
		return nil, false // from the future: another twin
	}
	sub := r.h.s.store.Subscribe(seq)
	ctx, cancel := context.WithTimeout(r.ctx, time.Second)
	defer cancel()
	for sub.Position() < s0 {
		chs, missed, err := sub.Next(ctx, 4096)
		if err != nil || missed > 0 {
			return nil, false
		}
		for _, ch := range chs {
			if ch.Seq > s0 {
				break
			}
			op := &ch.Op
			switch op.Type {
			case twin.OpMove:
				for _, p := range op.Positions {
					out[p.ID] = struct{}{}
				}
			case twin.OpObserve:
				for _, o := range op.Observations {
					out[o.ID] = struct{}{}
				}
			case twin.OpUpsert, twin.OpPatch:
				if op.Entity != nil {
					out[op.Entity.ID] = struct{}{}
				}
			case twin.OpDelete:
				out[op.ID] = struct{}{}
			}
		}
	}
	return out, true
}
