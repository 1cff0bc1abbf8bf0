package web

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"citytwin/render"
	"citytwin/twin"

	"github.com/gorilla/websocket"
	"github.com/paulmach/orb"
)

// streamClient is one websocket stream. Three goroutines serve it: the
// reader (control messages; it owns the connection's lifetime), the writer
// and, at times, a playback or a fence follower. The hub run and those
// producers leave what the client should get in its pending state under mu;
// whoever holds wmu, the writer goroutine or a worker of the hub's writer
// pool, takes it, conflated, and writes it. Nothing else writes to the
// socket (the reader's pongs go through the writer). Lock order: wmu, then
// the run's routing (read), then mu.
type streamClient struct {
	h    *hub
	run  *hubRun
	conn *websocket.Conn
	wake chan struct{} // cap 1: something is pending
	// seq is the twin seq the pending state is current at: every change up
	// to it that touches the view has been routed whole into the pending
	// state, and none after it.
	seq     atomic.Uint64
	flushed atomic.Uint64 // the hub's count of flushes when this one last took its state

	wmu sync.Mutex
	w   *streamWriter

	mu         sync.Mutex
	pend       pendList        // newest state per entity, conflated
	spare      pendList        // the writer's drained list, for reuse
	snap       *streamSnapshot // a snapshot to send before pend
	out        [][]byte        // JSON messages in order (replies, events)
	conflated  uint64          // updates replaced by newer ones
	dropped    uint64          // messages dropped from a full out
	overflowed bool            // pend hit MaxPending: a snapshot is due
	inRound    bool            // woken by a round that waits for this write
	gone       bool            // the writer has ended
	gapSent    bool            // the writer told the client and asked for it
	pong       []byte          // the payload of a ping to answer
	pongDue    bool            // a pong waits for the writer
	missed     uint64          // changes lost in the overflow
	at         int64           // the playback instant pend is for (Unix ns); 0: live
	maxPending int
	maxQueued  int

	// Run-owned.
	view   *streamView
	since  uint64    // changes up to this seq are in the snapshot
	inView slotTable // the slots in view
	// A simple view (one box, a few kinds, nothing else) is also kept here,
	// beside since and inView, so that routing to it reads no other memory.
	simple  bool
	nkinds  uint8
	box     orb.Bound
	kinds   [maxSimpleKinds]twin.Kind
	idSlots map[uint32]struct{}
	stamp   uint64
	mark    uint64
	due     bool // waits for the next round
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
	slot    uint32
	in      bool // in view
	flags   pendFlags
	st      entSnap
	vals    [maxStreamMetrics]float32
	valMask uint8
}

// pendList is a client's pending state: the entries in the order they first
// changed, and where each slot's entry is.
type pendList struct {
	es []pendEntry
	at slotTable
}

func (p *pendList) Len() int { return len(p.es) }

// get is the entry of slot, nil if none.
func (p *pendList) get(slot uint32) *pendEntry {
	if i, ok := p.at.get(slot); ok {
		return &p.es[i]
	}
	return nil
}

// add appends an entry for slot, which has none.
func (p *pendList) add(slot uint32) *pendEntry {
	p.at.put(slot, int32(len(p.es)))
	p.es = append(p.es, pendEntry{slot: slot})
	return &p.es[len(p.es)-1]
}

// reset empties the list, letting one that grew for a snapshot go.
func (p *pendList) reset() {
	if cap(p.es) > 4096 && 8*len(p.es) < cap(p.es) {
		p.es = nil
	} else {
		clear(p.es)
		p.es = p.es[:0]
	}
	p.at.reset()
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
	e := c.pend.get(slot)
	if e == nil {
		if c.pend.Len() >= c.maxPending {
			c.overflow(1)
			return
		}
		e = c.pend.add(slot)
	} else if e.flags&what != 0 {
		c.conflated++
	}
	e.in, e.st = in, st
	e.flags |= what
	if !in {
		e.valMask = 0
	}
}

// pushValue records a reading of metric m. Called with mu held.
func (c *streamClient) pushValue(slot uint32, st entSnap, m int, v float64) {
	if c.overflowed {
		c.missed++
		return
	}
	e := c.pend.get(slot)
	if e == nil {
		if c.pend.Len() >= c.maxPending {
			c.overflow(1)
			return
		}
		e = c.pend.add(slot)
		e.in, e.st = true, st
	}
	if e.valMask&(1<<m) != 0 {
		c.conflated++
	}
	e.vals[m] = float32(v)
	e.valMask |= 1 << m
}

// overflow drops the pending state: the client will get a gap and a fresh
// snapshot. Called with mu held.
func (c *streamClient) overflow(n uint64) {
	c.missed += uint64(c.pend.Len()) + n
	c.pend.reset()
	c.overflowed = true
}

// resetPending forgets what is pending (a new snapshot replaces it). Called
// with mu held.
func (c *streamClient) resetPending() {
	c.pend.reset()
	c.snap = nil
	c.at = 0
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

// newStreamWriter is the writer state of c's connection.
func newStreamWriter(c *streamClient) *streamWriter {
	w := &streamWriter{c: c, nc: c.conn.NetConn(), sent: map[uint32]struct{}{}}
	if sc, ok := w.nc.(syscall.Conn); ok {
		w.rc, _ = sc.SyscallConn()
	}
	return w
}

// writer sends what is pending until ctx ends or a write fails. The hub's
// writer pool writes the rounds of deltas; this goroutine writes the rest
// (hello, snapshots, replies, pings) and whatever the pool left to it.
func (c *streamClient) writer(ctx context.Context, hello []byte) error {
	c.wmu.Lock()
	w := c.w
	w.text(hello)
	err := w.send()
	c.wmu.Unlock()
	if err != nil {
		return err
	}
	defer func() {
		c.wmu.Lock()
		w.ended = true
		c.wmu.Unlock()
	}()
	ping := time.NewTicker(c.h.cfg.PingInterval)
	defer ping.Stop()
	for {
		select {
		case <-ctx.Done():
			c.wmu.Lock()
			// After any remainder of a frame, so that the close is a frame of its own.
			w.wbuf = appendWSHeader(w.wbuf, wsClose, 2+len("server closing"))
			w.wbuf = binary.BigEndian.AppendUint16(w.wbuf, websocket.CloseGoingAway)
			w.wbuf = append(w.wbuf, "server closing"...)
			w.nc.SetWriteDeadline(time.Now().Add(time.Second))
			_, _ = w.nc.Write(w.wbuf)
			c.wmu.Unlock()
			return ctx.Err()
		case <-ping.C:
			c.wmu.Lock()
			w.wbuf = appendWSHeader(w.wbuf, wsPing, 0)
		case <-c.wake:
			c.wmu.Lock()
			if w.err == nil {
				w.err = w.flush()
			}
			if err := w.err; err != nil {
				c.wmu.Unlock()
				return err
			}
		}
		err := w.send()
		c.wmu.Unlock()
		if err != nil {
			return err
		}
	}
}

// answerPing queues a pong; it is gorilla's ping handler, so that only the
// writers write to the socket. Only the newest ping is answered (RFC 6455 5.5.3).
func (c *streamClient) answerPing(payload string) error {
	c.mu.Lock()
	c.pong, c.pongDue = append(c.pong[:0], payload...), true
	c.mu.Unlock()
	c.notify()
	return nil
}

// streamWriter is the writer's state: what the client has been told is in
// its view, and reused buffers. It writes the websocket frames itself, all
// of a flush in one write to the connection (one system call instead of one
// a message). Gorilla's reader still answers pings and closes on the same
// connection; each of its control frames, and each flush here, is a single
// Write, which the connection does not interleave.
type streamWriter struct {
	c     *streamClient
	nc    net.Conn
	rc    syscall.RawConn // for the pool's non-blocking writes; nil: none
	ended bool            // the writer goroutine has returned
	err   error           // a flush of the pool's failed: the writer ends the stream
	wbuf  []byte          // websocket frames not yet written
	sent  map[uint32]struct{}
	buf   []byte
	frame render.Frame
	vals  [maxStreamMetrics]render.Frame
	moved []uint32
}

// The websocket opcodes the writer sends (RFC 6455 5.2).
const (
	wsText   = 0x1
	wsBinary = 0x2
	wsClose  = 0x8
	wsPing   = 0x9
	wsPong   = 0xA
)

// appendWSHeader appends the header of an unfragmented, unmasked server
// frame with n bytes of payload.
func appendWSHeader(b []byte, op byte, n int) []byte {
	b = append(b, 0x80|op)
	switch {
	case n <= 125:
		return append(b, byte(n))
	case n <= 0xFFFF:
		return append(b, 126, byte(n>>8), byte(n))
	default:
		return binary.BigEndian.AppendUint64(append(b, 127), uint64(n))
	}
}

// text queues a text message.
func (w *streamWriter) text(b []byte) {
	w.wbuf = append(appendWSHeader(w.wbuf, wsText, len(b)), b...)
}

// send writes the queued frames.
func (w *streamWriter) send() error {
	if len(w.wbuf) == 0 {
		return nil
	}
	w.nc.SetWriteDeadline(time.Now().Add(w.c.h.cfg.WriteTimeout))
	_, err := w.nc.Write(w.wbuf)
	if cap(w.wbuf) > 64<<10 { // a snapshot's: let it go
		w.wbuf = nil
	} else {
		w.wbuf = w.wbuf[:0]
	}
	return err
}

// tryWrite writes the queued frames with one non-blocking system call;
// false when the socket did not take them all (the rest stays queued, in
// order) or failed.
func (w *streamWriter) tryWrite() bool {
	if len(w.wbuf) == 0 {
		return true
	}
	if w.rc == nil {
		return false
	}
	var n int
	var err error
	if rerr := w.rc.Write(func(fd uintptr) bool {
		n, err = rawWrite(fd, w.wbuf)
		return true
	}); rerr != nil || err != nil {
		return false
	}
	if n < len(w.wbuf) {
		w.wbuf = w.wbuf[:copy(w.wbuf, w.wbuf[n:])]
		return false
	}
	if cap(w.wbuf) > 64<<10 {
		w.wbuf = nil
	} else {
		w.wbuf = w.wbuf[:0]
	}
	return true
}

// flush takes the pending state and writes it: queued messages, a gap, a
// snapshot, then leave, enter and update messages and the binary frames.
func (w *streamWriter) flush() error {
	c := w.c
	// Whole changes only: the run routes a change of many entities under
	// routing, and its seq is stored with its pushes.
	c.run.routing.RLock()
	c.mu.Lock()
	snap := c.snap
	c.snap = nil
	pend := c.pend
	c.pend, c.spare = c.spare, pendList{}
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
	pong, pongDue := c.pong, c.pongDue
	if pongDue {
		w.wbuf = append(appendWSHeader(w.wbuf, wsPong, len(pong)), pong...)
		c.pongDue = false
	}
	at := c.at
	c.mu.Unlock()
	c.run.routing.RUnlock()
	c.flushed.Store(c.h.flushes.Add(1))
	defer func() {
		pend.reset()
		c.mu.Lock()
		c.spare = pend
		c.mu.Unlock()
	}()

	for _, b := range out {
		w.text(b)
	}
	if askResync {
		b := []byte(`{"type":"gap","seq":`)
		b = appendInt(b, int64(seq))
		b = append(b, `,"missed":`...)
		b = appendInt(b, int64(missed))
		b = append(b, `,"resync":true}`...)
		w.text(b)
		c.run.send(hubCmd{op: cmdResync, c: c})
	}
	if conflated > 0 || dropped > 0 {
		b := []byte(`{"type":"missed","seq":`)
		b = appendInt(b, int64(seq))
		b = append(b, `,"conflated":`...)
		b = appendInt(b, int64(conflated))
		b = append(b, `,"dropped":`...)
		b = appendInt(b, int64(dropped))
		w.text(append(b, '}'))
	}
	if snap != nil {
		if err := w.snapshot(snap); err != nil {
			return err
		}
	}
	if pend.Len() == 0 {
		return nil
	}
	return w.deltas(&pend, seq, at/1e6)
}
