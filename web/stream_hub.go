package web

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"math"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"citytwin/geo"
	"citytwin/twin"
	"citytwin/twin/alert"

	"github.com/paulmach/orb"
)

// hub fans the twin's change feed out to the stream clients. One goroutine
// (a run) follows the feed while any client is connected; it starts with the
// first client and stops, and is waited for, when the last one leaves.
//
// The run alone touches the entity table, the client index and each client's
// in-view set; clients talk to it through commands. Lock order: hub.mu, then
// streamClient.mu; the run takes only its routing (written) and then
// streamClient.mu, and Store locks (reads) with no client's mu held.
type hub struct {
	s      *Server
	cfg    StreamConfig
	epoch  string    // changes when slots could be renumbered: a new server
	frame  geo.Frame // set with framed by the first join; read after join
	framed bool
	open   atomic.Int64 // admitted streams
	// flushes counts the clients' flushes; each client keeps the count of
	// its last, so a round can write the longest-waiting first.
	flushes atomic.Uint64

	mu      sync.Mutex
	members int
	run     *hubRun

	// The slot table: numbers for entities, stable for the server's lifetime.
	slotMu sync.Mutex
	slots  map[twin.ID]uint32
	ids    []twin.ID

	// Run-owned, kept between runs: what the hub knows of each slot, and
	// one copy of each kind's name, so that comparing the kinds of a view and
	// an entity compares pointers, not bytes in another cache line.
	ents      []entState
	kindNames map[twin.Kind]twin.Kind
}

// entState is what the hub knows of an entity: enough to route its changes
// without asking the store.
type entState struct {
	id     twin.ID
	kind   twin.Kind
	ent    *twin.Entity // newest state seen; nil until needed
	pos    orb.Point    // the point, or the centre of the bound
	bound  orb.Bound
	placed bool // pos and bound are set
	point  bool // the geometry is a point (or the entity moves)
	moving bool
	at     int64 // Unix ns of the newest position routed (late reports move nothing)
}

func (s *Server) streamHub() (*hub, error) {
	s.streamOnce.Do(func() {
		cfg := DefaultStreamConfig()
		if s.streamCfg != nil {
			cfg = *s.streamCfg
		}
		if s.streamErr = cfg.Validate(); s.streamErr != nil {
			return
		}
		var b [8]byte
		_, _ = rand.Read(b[:])
		s.streamHubP = &hub{s: s, cfg: cfg, epoch: hex.EncodeToString(b[:]), slots: map[twin.ID]uint32{}, kindNames: map[twin.Kind]twin.Kind{}}
	})
	return s.streamHubP, s.streamErr
}

func (h *hub) admit() bool {
	if h.open.Add(1) > int64(h.cfg.MaxClients) {
		h.open.Add(-1)
		return false
	}
	return true
}

func (h *hub) release() { h.open.Add(-1) }

// join returns the run the client talks to, starting one if none runs.
func (h *hub) join() *hubRun {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.members++
	if h.run == nil {
		if !h.framed {
			h.frame, h.framed = geo.NewFrame(h.origin()), true
		}
		h.run = h.start()
	}
	return h.run
}

// leave ends a client's membership; the last one stops the run and waits.
func (h *hub) leave(c *streamClient) {
	h.mu.Lock()
	defer h.mu.Unlock()
	r := h.run
	r.send(hubCmd{op: cmdRemove, c: c})
	h.members--
	if h.members == 0 {
		r.cancel()
		<-r.done
		h.run = nil
	}
}

// origin is the configured origin, or the centre of the twin's extent.
func (h *hub) origin() orb.Point {
	if h.cfg.Origin != (orb.Point{}) {
		return h.cfg.Origin
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ext, err := h.s.extents.get(ctx, h.s.store, h.s.cfg.ExtentTTL, h.s.now())
	if err != nil {
		return orb.Point{}
	}
	var b orb.Bound
	first := true
	for _, e := range ext {
		if e.Spatial == nil || len(e.Spatial.BBox) == 0 {
			continue
		}
		bb := e.Spatial.BBox[0]
		if bb[0] > bb[2] { // across the antimeridian: its west edge will do
			bb[2] = bb[0]
		}
		eb := orb.Bound{Min: orb.Point{bb[0], bb[1]}, Max: orb.Point{bb[2], bb[3]}}
		if first {
			b, first = eb, false
		} else {
			b = b.Union(eb)
		}
	}
	if first {
		return orb.Point{}
	}
	c := b.Center()
	// Rounded, so that the origin is a number people can read and type.
	return orb.Point{math.Round(c[0]*1e4) / 1e4, math.Round(c[1]*1e4) / 1e4}
}

// slotOf numbers an entity for the server's lifetime; create false only looks.
func (h *hub) slotOf(id twin.ID, create bool) (uint32, bool) {
	h.slotMu.Lock()
	defer h.slotMu.Unlock()
	if n, ok := h.slots[id]; ok {
		return n, true
	}
	if !create {
		return 0, false
	}
	n := uint32(len(h.ids))
	h.slots[id] = n
	h.ids = append(h.ids, id)
	return n, true
}

// slot numbers an entity and returns the run's state of it. Run only.
func (h *hub) slot(id twin.ID) (uint32, *entState) {
	n, _ := h.slotOf(id, true)
	return n, h.ent(n, id)
}

// ent is the run's state of a slot, grown on demand. Run only.
func (h *hub) ent(n uint32, id twin.ID) *entState {
	for int(n) >= len(h.ents) {
		h.ents = append(h.ents, entState{})
	}
	st := &h.ents[n]
	if st.id == "" {
		st.id = id
	}
	return st
}

// kind is the hub's copy of a kind's name. Run only.
func (h *hub) kind(k twin.Kind) twin.Kind {
	if c, ok := h.kindNames[k]; ok {
		return c
	}
	h.kindNames[k] = k
	return k
}

// place sets where an entity is from its geometry.
func (st *entState) place(g orb.Geometry, moving bool) {
	st.moving = moving
	if g == nil {
		st.placed = false
		return
	}
	st.bound = g.Bound()
	_, st.point = g.(orb.Point)
	st.point = st.point || moving
	st.pos = st.bound.Center()
	st.placed = true
}

// hubCmd is a request to the run.
type hubCmd struct {
	op   cmdOp
	c    *streamClient
	view streamView
	seq  uint64 // resume
	done chan struct{}
	// report, for cmdPending, is called with every client the run routes to.
	report func([]*streamClient)
}

type cmdOp uint8

const (
	cmdSubscribe cmdOp = iota + 1 // a new view: a snapshot
	cmdResume                     // a new view after a reconnect
	cmdViewport                   // the place of the view changes
	cmdResync                     // a fresh snapshot after a gap
	cmdPause                      // stop routing (playback)
	cmdRemove                     // the client is gone
	cmdAlerts                     // follow alerts
	cmdPending                    // report the clients (tests)
)

// hubRun is one run of the fan-out.
type hubRun struct {
	h      *hub
	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{}
	cmds   chan hubCmd
	pos    uint64 // the last change routed

	// routing is held (written) by the run while it routes a change of more
	// than one entity, and read by a flush while it takes a client's pending
	// state and seq, so that a flush takes whole changes: a message with seq
	// s holds all of change s and nothing after it. A change of one entity
	// reaches each client in one push, with its seq, under the client's mu.
	routing sync.RWMutex

	grid   map[uint64][]gridEntry
	wide   map[*streamClient]struct{} // views too big for the grid, or without a place
	alerts map[*streamClient]struct{}
	stamp  uint64 // dedupes candidates per change
	batch  uint64 // dedupes the clients to wake per batch
	cands  []*streamClient
	dirty  []*streamClient
	keys   []uint64 // the grid cells of one change

	// Rounds: the clients with deltas wait in due until the next round, at
	// least FlushInterval after the last one and not before the pool has
	// written the last one out, hands them to the writer pool.
	due       []*streamClient
	round     []*streamClient // the round the pool is writing
	writing   bool
	pool      *writerPool
	lastRound time.Time
	roundT    *time.Timer
	armed     bool
}

// gridEntry is a client filed under a grid cell, with the bound of its view
// beside it, so that a change checks the clients near it without touching
// each client (a cache miss apiece).
type gridEntry struct {
	b orb.Bound
	c *streamClient
}

func (h *hub) start() *hubRun {
	ctx, cancel := context.WithCancel(context.Background())
	r := &hubRun{h: h, ctx: ctx, cancel: cancel, done: make(chan struct{}), cmds: make(chan hubCmd, 256),
		batch: 1, grid: map[uint64][]gridEntry{}, wide: map[*streamClient]struct{}{}, alerts: map[*streamClient]struct{}{}}
	r.pos = h.s.store.Seq()
	sub := h.s.store.Subscribe(r.pos)
	go r.loop(sub)
	return r
}

// send hands a command to the run; it gives up when the run has stopped.
func (r *hubRun) send(cmd hubCmd) {
	select {
	case r.cmds <- cmd:
	case <-r.ctx.Done():
		if cmd.done != nil {
			close(cmd.done)
		}
	}
}

type feedBatch struct {
	changes []twin.Change
	missed  uint64
}

func (r *hubRun) loop(sub *twin.Subscription) {
	defer close(r.done)
	batches := make(chan feedBatch, 1)
	readerDone := make(chan struct{})
	go func() { // the feed reader, so that commands are served while it waits
		defer close(readerDone)
		for {
			ch, missed, err := sub.Next(r.ctx, 8192)
			if err != nil {
				return
			}
			select {
			case batches <- feedBatch{ch, missed}:
			case <-r.ctx.Done():
				return
			}
		}
	}()
	defer func() { <-readerDone }()
	r.roundT = time.NewTimer(time.Hour)
	r.roundT.Stop()
	defer r.roundT.Stop()
	r.pool = newWriterPool()
	defer r.pool.stop()
	for {
		select {
		case <-r.ctx.Done():
			return
		case cmd := <-r.cmds:
			r.command(cmd)
		case b := <-batches:
			r.route(b)
			r.maybeRound(time.Now())
		case now := <-r.roundT.C:
			r.armed = false
			r.maybeRound(now)
		case <-r.pool.done:
			r.writing = false
			clear(r.round)
			r.maybeRound(time.Now())
		}
	}
}

// maybeRound hands the clients with deltas to the writer pool when a round
// is due, or arms the timer for the next one. Rounds are at least
// FlushInterval apart, and one starts only when the pool has written the
// last one out, so under a heavy load the round period follows the time a
// round takes to write. A client gets at most one write of deltas per round,
// and a batch of changes that arrives after a quiet spell goes out at once.
func (r *hubRun) maybeRound(now time.Time) {
	if len(r.due) == 0 || r.writing {
		return
	}
	if wait := r.h.cfg.FlushInterval - now.Sub(r.lastRound); wait > 0 {
		if !r.armed {
			r.roundT.Reset(wait)
			r.armed = true
		}
		return
	}
	r.lastRound = now
	for _, c := range r.due {
		c.due = false
	}
	r.round, r.due = r.due, r.round[:0]
	r.writing = true
	r.pool.start(r.round)
}

// command serves one client request.
func (r *hubRun) command(cmd hubCmd) {
	c := cmd.c
	if cmd.done != nil {
		defer close(cmd.done)
	}
	switch cmd.op {
	case cmdPending:
		cmd.report(r.allClients())
		return
	case cmdRemove:
		r.unindex(c)
		delete(r.alerts, c)
		return
	case cmdPause:
		r.unindex(c)
		c.inView = slotTable{}
		c.mu.Lock()
		c.resetPending()
		c.mu.Unlock()
		return
	case cmdAlerts:
		r.alerts[c] = struct{}{}
		return
	case cmdViewport:
		if c.view == nil {
			return
		}
		v := *c.view
		v.BBox, v.Cells, v.Zoom, v.cellBound = cmd.view.BBox, cmd.view.Cells, cmd.view.Zoom, cmd.view.cellBound
		r.snapshot(c, v, snapViewport, 0)
	case cmdSubscribe:
		r.snapshot(c, cmd.view, snapNew, 0)
	case cmdResume:
		r.snapshot(c, cmd.view, snapResume, cmd.seq)
	case cmdResync:
		if c.view != nil {
			r.snapshot(c, *c.view, snapResync, 0)
		}
	}
	c.notify()
}

// route applies a batch of changes to the views and wakes the clients that
// got something.
func (r *hubRun) route(b feedBatch) {
	if b.missed > 0 {
		// The run fell behind the feed's ring: nobody knows what changed. Every
		// client gets a gap and a fresh snapshot.
		for _, c := range r.allClients() {
			c.mu.Lock()
			c.overflow(b.missed)
			c.mu.Unlock()
			r.markDirty(c)
		}
	}
	for i := range b.changes {
		ch := &b.changes[i]
		r.pos = ch.Seq
		op := &ch.Op
		if len(op.Positions) > 1 || len(op.Observations) > 1 {
			r.routing.Lock()
			r.routeChange(ch)
			r.routing.Unlock()
		} else {
			r.routeChange(ch)
		}
	}
	for _, c := range r.dirty {
		c.seq.Store(r.pos) // every change of the batch has been routed
		if !c.due {
			c.due = true
			r.due = append(r.due, c)
		}
	}
	clear(r.dirty)
	r.dirty = r.dirty[:0]
	r.batch++
}

// routeChange routes one change to the clients whose views it touches. Each
// client it reaches gets the change's seq with the push, under its mu.
func (r *hubRun) routeChange(ch *twin.Change) {
	h := r.h
	op := &ch.Op
	switch op.Type {
	case twin.OpMove:
		for j := range op.Positions {
			p := &op.Positions[j]
			slot, st := h.slot(p.ID)
			old, had := st.bound, st.placed
			if st.ent == nil {
				if !r.fetch(st) {
					continue
				}
			} else if p.T < st.at {
				continue // a late report: history only, as in the store
			}
			// Rounded as the store rounds it, so that the stream and queries
			// agree about an entity on the edge of a view.
			q := twin.Quantise(p.Point)
			st.pos, st.bound, st.placed, st.point, st.moving, st.at = q, q.Bound(), true, true, true, p.T
			r.changed(ch.Seq, slot, st, old, had, pendMoved)
		}
	case twin.OpUpsert, twin.OpPatch:
		if op.Entity == nil {
			return
		}
		slot, st := h.slot(op.Entity.ID)
		old, had := st.bound, st.placed
		st.ent, st.kind = op.Entity, h.kind(op.Entity.Kind)
		st.place(op.Entity.Geometry, op.Entity.Moving)
		r.changed(ch.Seq, slot, st, old, had, pendChanged)
		if st.kind == alert.KindAlert && len(r.alerts) > 0 {
			r.alertChanged(ch.Seq, op.Entity)
		}
	case twin.OpDelete:
		n, ok := h.slotOf(op.ID, false)
		if !ok {
			return
		}
		st := h.ent(n, op.ID)
		old, had := st.bound, st.placed
		st.ent, st.placed = nil, false
		r.changed(ch.Seq, n, st, old, had, 0)
	case twin.OpObserve:
		for j := range op.Observations {
			o := &op.Observations[j]
			n, ok := h.slotOf(o.ID, false)
			if !ok {
				continue // in no view
			}
			st := h.ent(n, o.ID)
			if st.ent == nil || !st.placed && len(r.wide) == 0 {
				continue
			}
			r.observe(ch.Seq, n, st, o)
		}
	}
}

// markDirty remembers to wake c at the end of the batch.
func (r *hubRun) markDirty(c *streamClient) {
	if c.mark != r.batch {
		c.mark = r.batch
		r.dirty = append(r.dirty, c)
	}
}

// fetch loads an entity the run has not seen yet; false when it is gone.
func (r *hubRun) fetch(st *entState) bool {
	e, err := r.h.s.store.Get(st.id)
	if err != nil {
		return false
	}
	st.ent, st.kind = &e, r.h.kind(e.Kind)
	st.place(e.Geometry, e.Moving)
	return true
}

// candidates collects the clients that may have st in view before or after a
// change: those whose view bound meets its old or new place, the wide ones.
func (r *hubRun) candidates(st *entState, old orb.Bound, had bool) []*streamClient {
	r.cands = r.cands[:0]
	r.keys = r.keys[:0]
	all := false
	cell := func(k uint64) {
		if !slices.Contains(r.keys, k) {
			r.keys = append(r.keys, k)
		}
	}
	if had && !r.eachCell(old, cell) {
		all = true
	}
	if !all && st.placed && (!had || st.bound != old) && !r.eachCell(st.bound, cell) {
		all = true
	}
	near := func(b orb.Bound) bool {
		return had && b.Intersects(old) || st.placed && b.Intersects(st.bound)
	}
	if len(r.wide) == 0 && !all && len(r.keys) == 1 {
		// The common case, a point that stays in its cell: a client is
		// filed once per cell, so there is nothing to dedupe.
		for _, e := range r.grid[r.keys[0]] {
			if near(e.b) {
				r.cands = append(r.cands, e.c)
			}
		}
		return r.cands
	}
	r.stamp++
	add := func(c *streamClient) {
		if c.stamp != r.stamp {
			c.stamp = r.stamp
			r.cands = append(r.cands, c)
		}
	}
	for c := range r.wide {
		add(c)
	}
	if all { // a huge geometry: ask every client
		for _, es := range r.grid {
			for _, e := range es {
				if near(e.b) {
					add(e.c)
				}
			}
		}
		return r.cands
	}
	for _, k := range r.keys {
		for _, e := range r.grid[k] {
			if near(e.b) {
				add(e.c)
			}
		}
	}
	return r.cands
}

// changed routes a change of one entity.
func (r *hubRun) changed(seq uint64, slot uint32, st *entState, old orb.Bound, had bool, what pendFlags) {
	for _, c := range r.candidates(st, old, had) {
		if seq <= c.since {
			continue
		}
		var now bool
		if c.simple {
			// The grid entry's bound is the view's box: candidates has
			// checked that one of the places meets it.
			now = st.ent != nil && c.matchSimple(st)
		} else {
			// A client is told of an entity only where its view can see it:
			// when neither place is in the view's bound, it was not in view
			// and is not now, and its in-view set (a cache miss) need not
			// be asked.
			if c.view.spatial() && !c.view.near(old, had) && !c.view.near(st.bound, st.placed) {
				continue
			}
			now = st.ent != nil && c.view.match(slot, st, c.idSlots)
		}
		was := c.inView.has(slot)
		if !was && !now {
			continue
		}
		if now {
			if !was {
				c.inView.put(slot, 0)
			}
		} else {
			c.inView.del(slot)
		}
		c.mu.Lock()
		c.push(slot, snapOf(st), now, what)
		c.seq.Store(seq) // a frame never holds a change newer than its seq
		c.mu.Unlock()
		r.markDirty(c)
	}
}

// observe routes a reading to the clients that have its entity in view and
// follow its metric.
func (r *hubRun) observe(seq uint64, slot uint32, st *entState, o *twin.Observation) {
	for _, c := range r.candidates(st, st.bound, st.placed) {
		if seq <= c.since {
			continue
		}
		if !c.inView.has(slot) {
			continue
		}
		m := c.view.metricIndex(o.Metric)
		if m < 0 {
			continue
		}
		c.mu.Lock()
		c.pushValue(slot, snapOf(st), m, o.V)
		c.seq.Store(seq)
		c.mu.Unlock()
		r.markDirty(c)
	}
}

// alert sends an alert entity to the clients that follow alerts.
func (r *hubRun) alertChanged(seq uint64, e *twin.Entity) {
	b := []byte(`{"type":"alert","seq":`)
	b = appendInt(b, int64(seq))
	b = append(b, `,"feature":`...)
	b, err := appendEntityFeature(b, e)
	if err != nil {
		return
	}
	b = append(b, '}')
	for c := range r.alerts {
		c.enqueue(b)
		r.markDirty(c)
	}
}

func (r *hubRun) allClients() []*streamClient {
	seen := map[*streamClient]struct{}{}
	for c := range r.wide {
		seen[c] = struct{}{}
	}
	for _, es := range r.grid {
		for _, e := range es {
			seen[e.c] = struct{}{}
		}
	}
	out := make([]*streamClient, 0, len(seen))
	for c := range seen {
		out = append(out, c)
	}
	return out
}

// maxClientCells is the most grid cells a view is indexed under; bigger
// views are checked against every change.
const maxClientCells = 4096

// cellKey numbers grid cells.
func cellKey(x, y int32) uint64 { return uint64(uint32(x))<<32 | uint64(uint32(y)) }

// eachCell calls fn for the grid cells that b covers; false (and no calls)
// when they are more than maxClientCells.
func (r *hubRun) eachCell(b orb.Bound, fn func(uint64)) bool {
	d := r.h.cfg.GridDegrees
	x0, x1 := int32(math.Floor(b.Min[0]/d)), int32(math.Floor(b.Max[0]/d))
	y0, y1 := int32(math.Floor(b.Min[1]/d)), int32(math.Floor(b.Max[1]/d))
	if int64(x1-x0+1)*int64(y1-y0+1) > maxClientCells {
		return false
	}
	for x := x0; x <= x1; x++ {
		for y := y0; y <= y1; y++ {
			fn(cellKey(x, y))
		}
	}
	return true
}

// index files a client under the cells of its view.
func (r *hubRun) index(c *streamClient) {
	v := c.view
	var bounds []orb.Bound
	bounds = append(bounds, v.BBox...)
	for _, cell := range v.Cells {
		bounds = append(bounds, geo.CellBound(cell))
	}
	if len(bounds) == 0 {
		r.wide[c] = struct{}{}
		return
	}
	n := 0
	for _, b := range bounds {
		n0 := n
		if !r.eachCell(b, func(uint64) { n++ }) || n > maxClientCells {
			n = n0 + maxClientCells + 1
		}
	}
	if n > maxClientCells {
		r.wide[c] = struct{}{}
		return
	}
	u := bounds[0]
	for _, b := range bounds[1:] {
		u = u.Union(b)
	}
	for _, b := range bounds {
		r.eachCell(b, func(k uint64) {
			es := r.grid[k]
			for _, x := range es {
				if x.c == c {
					return
				}
			}
			r.grid[k] = append(es, gridEntry{b: u, c: c})
			c.cells = append(c.cells, k)
		})
	}
}

// unindex removes a client from the index.
func (r *hubRun) unindex(c *streamClient) {
	delete(r.wide, c)
	for _, k := range c.cells {
		es := r.grid[k]
		for i, x := range es {
			if x.c == c {
				es[i] = es[len(es)-1]
				es[len(es)-1] = gridEntry{}
				es = es[:len(es)-1]
				break
			}
		}
		if len(es) == 0 {
			delete(r.grid, k)
		} else {
			r.grid[k] = es
		}
	}
	c.cells = c.cells[:0]
}
