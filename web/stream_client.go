package web

import (
	"context"
	"encoding/json"
	"sync"
	"sync/atomic"
	"time"

	"citytwin/render"

	"github.com/gorilla/websocket"
)

// streamClient is one websocket stream. Three goroutines serve it: the
// reader (control messages; it owns the connection's lifetime), the writer
// (the only one that writes to the socket) and, at times, a playback or a
// fence follower. The hub run and those producers leave what the client
// should get in its pending state under mu; the writer takes it, conflated,
// whenever it can write.
type streamClient struct {
	h    *hub
	run  *hubRun
	conn *websocket.Conn
	wake chan struct{} // cap 1: something is pending
	seq  atomic.Uint64 // the twin seq the pending state is current at

	mu         sync.Mutex
	pend       map[uint32]pendEntry // newest state per entity, conflated
	spare      map[uint32]pendEntry // the writer's drained map, for reuse
	snap       *streamSnapshot      // a snapshot to send before pend
	out        [][]byte             // JSON messages in order (replies, events)
	conflated  uint64               // updates replaced by newer ones
	dropped    uint64               // messages dropped from a full out
	overflowed bool                 // pend hit MaxPending: a snapshot is due
	gapSent    bool                 // the writer told the client and asked for it
	missed     uint64               // changes lost in the overflow
	maxPending int
	maxQueued  int

	// Run-owned.
	view    *streamView
	inView  map[uint32]struct{}
	idSlots map[uint32]struct{}
	since   uint64 // changes up to this seq are in the snapshot
	stamp   uint64
	mark    uint64
	cells   []uint64
}

// pendFlags say what changed about a pending entity.
type pendFlags uint8

const (
	pendMoved   pendFlags = 1 << iota // a new position
	pendChanged                       // a new version (properties, geometry)
)

// pendEntry is the newest state of one entity for one client.
type pendEntry struct {
	in      bool // in view
	flags   pendFlags
	st      entSnap
	vals    [maxStreamMetrics]float32
	valMask uint8
}

func (c *streamClient) notify() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// push records an entity's newest state. Called with mu held.
func (c *streamClient) push(slot uint32, st entSnap, in bool, what pendFlags) {
	if c.overflowed {
		c.missed++
		return
	}
	e, ok := c.pend[slot]
	if !ok && len(c.pend) >= c.maxPending {
		c.overflow(1)
		return
	}
	if ok && e.flags&what != 0 {
		c.conflated++
	}
	e.in, e.st = in, st
	e.flags |= what
	if !in {
		e.valMask = 0
	}
	c.pend[slot] = e
}

// pushValue records a reading of metric m. Called with mu held.
func (c *streamClient) pushValue(slot uint32, st entSnap, m int, v float64) {
	if c.overflowed {
		c.missed++
		return
	}
	e, ok := c.pend[slot]
	if !ok {
		if len(c.pend) >= c.maxPending {
			c.overflow(1)
			return
		}
		e.in, e.st = true, st
	}
	if e.valMask&(1<<m) != 0 {
		c.conflated++
	}
	e.vals[m] = float32(v)
	e.valMask |= 1 << m
	c.pend[slot] = e
}

// overflow drops the pending state: the client will get a gap and a fresh
// snapshot. Called with mu held.
func (c *streamClient) overflow(n uint64) {
	c.missed += uint64(len(c.pend)) + n
	clear(c.pend)
	c.overflowed = true
}

// resetPending forgets what is pending (a new snapshot replaces it). Called
// with mu held.
func (c *streamClient) resetPending() {
	clear(c.pend)
	c.snap = nil
	c.overflowed, c.gapSent = false, false
}

// enqueue queues a JSON message; a full queue drops it and counts.
func (c *streamClient) enqueue(b []byte) {
	c.mu.Lock()
	if len(c.out) >= c.maxQueued {
		c.dropped++
	} else {
		c.out = append(c.out, b)
	}
	c.mu.Unlock()
	c.notify()
}

// enqueueJSON marshals v and queues it.
func (c *streamClient) enqueueJSON(v any) {
	b, err := json.Marshal(v)
	if err != nil {
		return
	}
	c.enqueue(b)
}

// sendError answers a bad control message.
func (c *streamClient) sendError(err error) {
	m := map[string]any{"type": "error", "message": err.Error(), "seq": c.seq.Load()}
	if ce, ok := err.(*ControlError); ok && ce.Field != "" {
		m["field"] = ce.Field
	}
	c.enqueueJSON(m)
}

// writer sends what is pending until ctx ends or a write fails.
func (c *streamClient) writer(ctx context.Context, hello []byte) error {
	w := &streamWriter{c: c, sent: map[uint32]struct{}{}}
	if err := w.text(hello); err != nil {
		return err
	}
	ping := time.NewTicker(c.h.cfg.PingInterval)
	defer ping.Stop()
	var hold *time.Timer // the flush interval
	if d := c.h.cfg.FlushInterval; d > 0 {
		hold = time.NewTimer(0)
		defer hold.Stop()
	}
	for {
		if hold != nil {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-hold.C:
			}
		}
		select {
		case <-ctx.Done():
			_ = c.conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseGoingAway, "server closing"), time.Now().Add(time.Second))
			return ctx.Err()
		case <-ping.C:
			if err := c.conn.WriteControl(websocket.PingMessage, nil, time.Now().Add(c.h.cfg.WriteTimeout)); err != nil {
				return err
			}
			continue
		case <-c.wake:
		}
		if err := w.flush(); err != nil {
			return err
		}
		if hold != nil {
			hold.Reset(c.h.cfg.FlushInterval)
		}
	}
}

// streamWriter is the writer's state: what the client has been told is in
// its view, and reused buffers.
type streamWriter struct {
	c     *streamClient
	sent  map[uint32]struct{}
	buf   []byte
	frame render.Frame
	vals  [maxStreamMetrics]render.Frame
	moved []uint32
}

func (w *streamWriter) text(b []byte) error {
	w.c.conn.SetWriteDeadline(time.Now().Add(w.c.h.cfg.WriteTimeout))
	return w.c.conn.WriteMessage(websocket.TextMessage, b)
}

func (w *streamWriter) binary(b []byte) error {
	w.c.conn.SetWriteDeadline(time.Now().Add(w.c.h.cfg.WriteTimeout))
	return w.c.conn.WriteMessage(websocket.BinaryMessage, b)
}

// flush takes the pending state and writes it: queued messages, a gap, a
// snapshot, then leave, enter and update messages and the binary frames.
func (w *streamWriter) flush() error {
	c := w.c
	c.mu.Lock()
	snap := c.snap
	c.snap = nil
	pend := c.pend
	if c.spare != nil {
		c.pend, c.spare = c.spare, nil
	} else {
		c.pend = make(map[uint32]pendEntry, len(pend))
	}
	out := c.out
	c.out = nil
	conflated, dropped := c.conflated, c.dropped
	c.conflated, c.dropped = 0, 0
	askResync := c.overflowed && !c.gapSent
	missed := c.missed
	if askResync {
		c.gapSent, c.missed = true, 0
	}
	seq := c.seq.Load()
	c.mu.Unlock()
	defer func() {
		clear(pend)
		c.mu.Lock()
		c.spare = pend
		c.mu.Unlock()
	}()

	for _, b := range out {
		if err := w.text(b); err != nil {
			return err
		}
	}
	if askResync {
		b := []byte(`{"type":"gap","seq":`)
		b = appendInt(b, int64(seq))
		b = append(b, `,"missed":`...)
		b = appendInt(b, int64(missed))
		b = append(b, `,"resync":true}`...)
		if err := w.text(b); err != nil {
			return err
		}
		c.run.send(hubCmd{op: cmdResync, c: c})
	}
	if conflated > 0 || dropped > 0 {
		b := []byte(`{"type":"missed","seq":`)
		b = appendInt(b, int64(seq))
		b = append(b, `,"conflated":`...)
		b = appendInt(b, int64(conflated))
		b = append(b, `,"dropped":`...)
		b = appendInt(b, int64(dropped))
		if err := w.text(append(b, '}')); err != nil {
			return err
		}
	}
	if snap != nil {
		if err := w.snapshot(snap); err != nil {
			return err
		}
	}
	if len(pend) == 0 {
		return nil
	}
	return w.deltas(pend, seq)
}
