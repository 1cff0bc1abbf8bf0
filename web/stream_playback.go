package web

import (
	"context"
	"time"

	"citytwin/twin"
)

// playback shows a view as of at and, with speed > 0, plays it forward:
// every tick it reads the view as of the next instant (twin.Query with At)
// and sends what entered, left and moved, until it reaches the present and
// the stream goes live again.
func (c *streamClient) playback(ctx context.Context, v streamView, at int64, speed float64) {
	h := c.h
	store := h.s.store
	seq := store.Seq()
	in, ok := c.playSnapshot(ctx, &v, at, seq)
	if !ok || speed == 0 {
		return
	}
	tick := time.NewTicker(h.cfg.PlaybackTick)
	defer tick.Stop()
	t := at
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		t += int64(speed * float64(h.cfg.PlaybackTick))
		if now := time.Now().UnixNano(); t >= now {
			c.enqueue([]byte(`{"type":"live"}`))
			c.run.send(hubCmd{op: cmdSubscribe, c: c, view: v})
			return
		}
		ents, vals, err := viewContents(ctx, store, &v, t, h.cfg.MaxSnapshot)
		if err != nil {
			c.sendError(err)
			return
		}
		next := make(map[uint32]struct{}, len(ents))
		c.mu.Lock()
		for i := range ents {
			e := &ents[i]
			slot, _ := h.slotOf(e.ID, true)
			next[slot] = struct{}{}
			c.push(slot, snapOfEntity(e), true, pendMoved)
			for m := range vals {
				if x, ok := vals[m][e.ID]; ok {
					c.pushValue(slot, entSnap{}, m, x)
				}
			}
		}
		for slot := range in {
			if _, still := next[slot]; !still {
				c.push(slot, entSnap{}, false, 0)
			}
		}
		c.at = t // the frames are for the played-back instant, not now
		c.seq.Store(seq)
		c.mu.Unlock()
		in = next
		c.notify()
	}
}

// playSnapshot sends the view as of at; it returns the slots in it.
func (c *streamClient) playSnapshot(ctx context.Context, v *streamView, at int64, seq uint64) (map[uint32]struct{}, bool) {
	ents, vals, err := viewContents(ctx, c.h.s.store, v, at, c.h.cfg.MaxSnapshot)
	if err != nil {
		c.sendError(err)
		return nil, false
	}
	sn := &streamSnapshot{kind: snapPlayback, seq: seq, at: at, values: make([][]slotValue, len(vals))}
	in := make(map[uint32]struct{}, len(ents))
	bySlot := make(map[twin.ID]uint32, len(ents))
	for i := range ents {
		slot, _ := c.h.slotOf(ents[i].ID, true)
		in[slot] = struct{}{}
		bySlot[ents[i].ID] = slot
		sn.entries = append(sn.entries, snapEntry{slot: slot, st: snapOfEntity(&ents[i])})
	}
	for m, byID := range vals {
		for id, x := range byID {
			sn.values[m] = append(sn.values[m], slotValue{bySlot[id], float32(x)})
		}
	}
	c.mu.Lock()
	c.resetPending()
	c.snap = sn
	c.mu.Unlock()
	c.notify()
	return in, true
}
