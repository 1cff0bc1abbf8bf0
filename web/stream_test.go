package web

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"maps"
	"math"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"citytwin/geo"
	"citytwin/render"
	"citytwin/twin"
	"citytwin/twin/fence"

	"github.com/gorilla/websocket"
	"github.com/paulmach/orb"
)

// The test city: vehicles in a box around sOrigin, moving at random.
var (
	sOrigin = orb.Point{13.4, 52.5}
	sCity   = orb.Bound{Min: orb.Point{13.35, 52.47}, Max: orb.Point{13.45, 52.53}}
	sView   = orb.Bound{Min: orb.Point{13.38, 52.49}, Max: orb.Point{13.42, 52.51}}
)

type streamEnv struct {
	store  *twin.Store
	srv    *Server
	ts     *httptest.Server
	url    string // ws://…/api/v1/stream
	rng    *rand.Rand
	pos    map[twin.ID]orb.Point
	mu     sync.Mutex
	clock  int64
	fences *fence.Engine
}

func newStreamEnv(t testing.TB, vehicles int, cfgs ...func(*Config, *StreamConfig)) *streamEnv {
	t.Helper()
	tc := twin.DefaultConfig()
	tc.Retention = 0
	tc.FeedSize = 1 << 14
	store, err := twin.New(tc)
	if err != nil {
		t.Fatal(err)
	}
	env := &streamEnv{store: store, rng: rand.New(rand.NewPCG(7, 7)), pos: map[twin.ID]orb.Point{}, clock: t0.UnixNano()}
	var ops []twin.Op
	for i := range vehicles {
		id := twin.ID(fmt.Sprintf("vehicle:%d", i))
		p := env.randomPoint()
		env.pos[id] = p
		ops = append(ops, twin.Op{Type: twin.OpUpsert, T: env.clock, Entity: &twin.Entity{ID: id, Kind: twin.KindVehicle, Geometry: p}})
	}
	for i := range 20 {
		id := twin.ID(fmt.Sprintf("sensor:s-%d", i))
		ops = append(ops, twin.Op{Type: twin.OpUpsert, T: env.clock, Entity: &twin.Entity{ID: id, Kind: twin.KindSensor, Geometry: env.randomPoint()}})
	}
	if len(ops) > 0 {
		if _, err := store.Apply(ops...); err != nil {
			t.Fatal(err)
		}
	}
	cfg := DefaultConfig()
	scfg := DefaultStreamConfig()
	scfg.Origin = sOrigin
	for _, f := range cfgs {
		f(&cfg, &scfg)
	}
	opts := []Option{WithStream(scfg)}
	if env.fences != nil {
		opts = append(opts, WithFences(env.fences))
	}
	env.srv, err = New(cfg, store, slog.New(slog.DiscardHandler), opts...)
	if err != nil {
		t.Fatal(err)
	}
	env.ts = httptest.NewServer(env.srv.Handler())
	t.Cleanup(env.ts.Close)
	env.url = "ws" + strings.TrimPrefix(env.ts.URL, "http") + streamPath
	return env
}

func (env *streamEnv) randomPoint() orb.Point {
	return orb.Point{sCity.Min[0] + env.rng.Float64()*(sCity.Max[0]-sCity.Min[0]), sCity.Min[1] + env.rng.Float64()*(sCity.Max[1]-sCity.Min[1])}
}

// move moves n random vehicles by up to d degrees and returns the seq.
func (env *streamEnv) move(t testing.TB, n int, d float64) uint64 {
	t.Helper()
	env.mu.Lock()
	defer env.mu.Unlock()
	env.clock += int64(time.Second)
	ids := make([]twin.ID, 0, len(env.pos))
	for id := range env.pos {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	var ps []twin.Position
	for range n {
		id := ids[env.rng.IntN(len(ids))]
		p := env.pos[id]
		p[0] = math.Max(sCity.Min[0], math.Min(sCity.Max[0], p[0]+(env.rng.Float64()*2-1)*d))
		p[1] = math.Max(sCity.Min[1], math.Min(sCity.Max[1], p[1]+(env.rng.Float64()*2-1)*d))
		env.pos[id] = p
		ps = append(ps, twin.Position{ID: id, T: env.clock, Point: p})
	}
	seq, err := env.store.Apply(twin.Op{Type: twin.OpMove, T: env.clock, Positions: ps})
	if err != nil {
		t.Fatal(err)
	}
	return seq
}

// inView is the brute-force answer: the vehicles whose position is in b.
func (env *streamEnv) inView(b orb.Bound) map[twin.ID]orb.Point {
	env.mu.Lock()
	defer env.mu.Unlock()
	out := map[twin.ID]orb.Point{}
	for id, p := range env.pos {
		if b.Contains(p) {
			out[id] = p
		}
	}
	return out
}

// streamClientT is a test client that keeps the view the protocol describes.
type streamClientT struct {
	t       testing.TB
	conn    *websocket.Conn
	frame   geo.Frame
	hello   map[string]any
	ids     map[uint32]twin.ID
	kinds   map[uint32]twin.Kind
	pos     map[uint32]orb.Point
	vals    map[uint32]float32
	props   map[uint32]map[string]any // the properties of features
	seq     uint64
	types   map[string]int // messages seen, by type
	errs    []string
	missed  int64
	last    map[string]any
	fenceEv []fence.Event
	lastFr  *render.Frame // the last binary frame read
	msgs    chan wsMsg    // unbuffered: a client that does not call next stops reading
}

type wsMsg struct {
	typ int
	b   []byte
	err error
}

func dialStream(t testing.TB, url string, header http.Header) *streamClientT {
	t.Helper()
	conn, resp, err := websocket.DefaultDialer.Dial(url, header)
	if err != nil {
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		t.Fatalf("dial: %v (status %d)", err, status)
	}
	t.Cleanup(func() { conn.Close() })
	c := &streamClientT{t: t, conn: conn, ids: map[uint32]twin.ID{}, kinds: map[uint32]twin.Kind{}, pos: map[uint32]orb.Point{},
		vals: map[uint32]float32{}, props: map[uint32]map[string]any{}, types: map[string]int{}, msgs: make(chan wsMsg)}
	done := make(chan struct{})
	t.Cleanup(func() { conn.Close(); close(done) })
	go func() {
		for {
			typ, b, err := conn.ReadMessage()
			select {
			case c.msgs <- wsMsg{typ, b, err}:
			case <-done:
				return
			}
			if err != nil {
				return
			}
		}
	}()
	c.next(5 * time.Second)
	if c.hello == nil {
		t.Fatal("no hello")
	}
	o := c.hello["origin"].([]any)
	c.frame = geo.NewFrame(orb.Point{o[0].(float64), o[1].(float64)})
	return c
}

func (c *streamClientT) send(v any) {
	c.t.Helper()
	if err := c.conn.WriteJSON(v); err != nil {
		c.t.Fatal(err)
	}
}

// next reads and applies one message; false on timeout.
func (c *streamClientT) next(d time.Duration) bool {
	c.t.Helper()
	var m0 wsMsg
	select {
	case m0 = <-c.msgs:
	case <-time.After(d):
		return false
	}
	typ, b, err := m0.typ, m0.b, m0.err
	if err != nil {
		c.t.Fatalf("read: %v", err)
	}
	if typ == websocket.BinaryMessage {
		f, err := render.DecodeFrame(b)
		if err != nil {
			c.t.Fatal(err)
		}
		c.types["frame"]++
		c.lastFr = f
		for i, s := range f.Slots {
			if _, ok := c.ids[s]; !ok {
				c.t.Fatalf("frame for slot %d, which is not in view", s)
			}
			if f.Type == render.FramePositions {
				c.pos[s] = c.frame.ToLonLat(float64(f.East[i]), float64(f.North[i]))
			} else {
				c.vals[s] = f.Values[i]
			}
		}
		c.seq = max(c.seq, f.Seq)
		return true
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		c.t.Fatalf("%v: %s", err, b)
	}
	typS, _ := m["type"].(string)
	c.types[typS]++
	c.last = m
	if s, ok := m["seq"].(float64); ok {
		c.seq = max(c.seq, uint64(s))
	}
	slots := func(key string) []uint32 {
		var out []uint32
		for _, x := range asSlice(m[key]) {
			out = append(out, uint32(x.(float64)))
		}
		return out
	}
	switch typS {
	case "hello":
		c.hello = m
	case "snapshot":
		clear(c.ids)
		clear(c.pos)
		clear(c.kinds)
		clear(c.vals)
		clear(c.props)
		c.enter(m)
	case "resumed":
		keep := map[uint32]bool{}
		for _, s := range slots("keep") {
			keep[s] = true
		}
		for s := range c.ids {
			if !keep[s] {
				delete(c.ids, s)
				delete(c.pos, s)
				delete(c.vals, s)
				delete(c.props, s)
			}
		}
	case "enter":
		for _, e := range asSlice(m["entities"]) {
			if _, dup := c.ids[uint32(e.(map[string]any)["slot"].(float64))]; dup && c.types["resumed"] == 0 {
				c.t.Errorf("enter of slot %v, which is already in view", e)
			}
		}
		c.enter(m)
	case "leave":
		for _, s := range slots("slots") {
			if _, ok := c.ids[s]; !ok {
				c.t.Errorf("leave of slot %d, which is not in view", s)
			}
			delete(c.ids, s)
			delete(c.pos, s)
			delete(c.vals, s)
			delete(c.props, s)
		}
	case "update":
		c.enter(m)
	case "missed", "gap":
		n, _ := m["conflated"].(float64)
		k, _ := m["missed"].(float64)
		c.missed += int64(n + k)
	case "error":
		c.errs = append(c.errs, fmt.Sprint(m["message"]))
	case "fence":
		var fm struct{ Events []fence.Event }
		_ = json.Unmarshal(b, &fm)
		c.fenceEv = append(c.fenceEv, fm.Events...)
	}
	return true
}

func (c *streamClientT) enter(m map[string]any) {
	for _, e := range asSlice(m["entities"]) {
		o := e.(map[string]any)
		s := uint32(o["slot"].(float64))
		c.ids[s] = twin.ID(o["id"].(string))
		c.kinds[s] = twin.Kind(o["kind"].(string))
	}
	fs := asSlice(m["featureSlots"])
	for i, f := range asSlice(m["features"]) {
		s := uint32(fs[i].(float64))
		if p, ok := f.(map[string]any)["properties"].(map[string]any); ok {
			c.props[s] = p
		}
		g := f.(map[string]any)["geometry"].(map[string]any)
		if g["type"] == "Point" {
			co := g["coordinates"].([]any)
			c.pos[uint32(fs[i].(float64))] = orb.Point{co[0].(float64), co[1].(float64)}
		}
	}
}

// until reads until cond holds.
func (c *streamClientT) until(what string, cond func() bool) {
	c.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			c.t.Fatalf("timed out waiting for %s (seq %d, seen %v, errors %v)", what, c.seq, c.types, c.errs)
		}
		c.next(200 * time.Millisecond)
	}
}

// vehicles is the client's view of the vehicles: id -> position.
func (c *streamClientT) vehicles() map[twin.ID]orb.Point {
	out := map[twin.ID]orb.Point{}
	for s, id := range c.ids {
		if c.kinds[s] == twin.KindVehicle {
			out[id] = c.pos[s]
		}
	}
	return out
}

// sameView compares positions to a few centimetres (float32 metres).
func sameView(got, want map[twin.ID]orb.Point) string {
	for id, p := range want {
		g, ok := got[id]
		if !ok {
			return fmt.Sprintf("%s missing", id)
		}
		if d := geo.Distance(g, p); d > 0.05 {
			return fmt.Sprintf("%s at %v, want %v (%.3f m off)", id, g, p, d)
		}
	}
	for id := range got {
		if _, ok := want[id]; !ok {
			return fmt.Sprintf("%s should not be in view", id)
		}
	}
	return ""
}

func bboxOf(b orb.Bound) []float64 { return []float64{b.Min[0], b.Min[1], b.Max[0], b.Max[1]} }

func TestStreamSnapshot(t *testing.T) {
	env := newStreamEnv(t, 500)
	c := dialStream(t, env.url, nil)
	c.send(map[string]any{"type": "subscribe", "bbox": bboxOf(sView), "zoom": 15})
	c.until("snapshot", func() bool { return c.types["snapshot"] > 0 })
	res, err := env.store.Query(context.Background(), twin.Query{BBox: []orb.Bound{sView}})
	if err != nil {
		t.Fatal(err)
	}
	var want, got []twin.ID
	for _, e := range res.Entities {
		want = append(want, e.ID)
	}
	for _, id := range c.ids {
		got = append(got, id)
	}
	slices.Sort(want)
	slices.Sort(got)
	if !slices.Equal(got, want) || len(want) < 10 {
		t.Fatalf("snapshot has %d entities, the query %d:\n%v\n%v", len(got), len(want), got, want)
	}
	if msg := sameView(c.vehicles(), env.inView(sView)); msg != "" {
		t.Fatal(msg)
	}
	// Sensors come as features with their geometry.
	for s, k := range c.kinds {
		if k == twin.KindSensor && c.pos[s] == (orb.Point{}) {
			t.Errorf("sensor %s without a position", c.ids[s])
		}
	}
}

// Entities that move in and out of view enter, update and leave exactly as
// their positions say, step by step.
func TestStreamDeltas(t *testing.T) {
	env := newStreamEnv(t, 300)
	c := dialStream(t, env.url, nil)
	c.send(map[string]any{"type": "subscribe", "bbox": bboxOf(sView), "kinds": []string{"vehicle"}})
	c.until("snapshot", func() bool { return c.types["snapshot"] > 0 })
	for step := range 40 {
		seq := env.move(t, 100, 0.01)
		want := env.inView(sView)
		c.until(fmt.Sprintf("step %d (seq %d)", step, seq), func() bool { return c.seq >= seq && sameView(c.vehicles(), want) == "" })
	}
	if c.types["enter"] == 0 || c.types["leave"] == 0 || c.types["frame"] < 40 {
		t.Fatalf("no traffic in and out of view: %v", c.types)
	}
	// A new viewport: what is in the new one, enter and leave for the difference.
	moved := orb.Bound{Min: orb.Point{13.40, 52.48}, Max: orb.Point{13.44, 52.50}}
	c.send(map[string]any{"type": "viewport", "bbox": bboxOf(moved)})
	want := env.inView(moved)
	c.until("the new viewport", func() bool { return sameView(c.vehicles(), want) == "" })
	if len(c.errs) > 0 {
		t.Fatal(c.errs)
	}
}

// Every positions frame (the last message of a flush without metrics) leaves
// the client holding exactly the view at the frame's seq: a flush takes whole
// changes, never part of one, even when the writers race the router. Each
// change moves many vehicles in and out of the view; with no flush interval
// the writer pool writes a round while the run routes the next changes.
func TestStreamWholeChanges(t *testing.T) {
	env := newStreamEnv(t, 2000, func(_ *Config, s *StreamConfig) { s.FlushInterval = 0 })
	c := dialStream(t, env.url, nil)
	c.send(map[string]any{"type": "subscribe", "bbox": bboxOf(sView), "kinds": []string{"vehicle"}})
	c.until("snapshot", func() bool { return c.types["snapshot"] > 0 })
	snapSeq := c.seq
	if msg := sameView(c.vehicles(), env.inView(sView)); msg != "" {
		t.Fatal(msg)
	}
	// The changes and the view after each, worked out before they are applied.
	const steps = 150
	ids := make([]twin.ID, 0, len(env.pos))
	for id := range env.pos {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	cur := maps.Clone(env.pos)
	ops := make([]twin.Op, steps)
	want := map[uint64]map[twin.ID]orb.Point{}
	base := env.store.Seq()
	if base != snapSeq {
		t.Fatalf("snapshot at seq %d, the twin at %d", snapSeq, base)
	}
	for i := range ops {
		env.clock += int64(time.Second)
		ps := make([]twin.Position, 0, len(ids))
		for _, id := range ids {
			p := cur[id]
			p[0] = math.Max(sCity.Min[0], math.Min(sCity.Max[0], p[0]+(env.rng.Float64()*2-1)*0.02))
			p[1] = math.Max(sCity.Min[1], math.Min(sCity.Max[1], p[1]+(env.rng.Float64()*2-1)*0.02))
			cur[id] = p
			ps = append(ps, twin.Position{ID: id, T: env.clock, Point: p})
		}
		ops[i] = twin.Op{Type: twin.OpMove, T: env.clock, Positions: ps}
		w := map[twin.ID]orb.Point{}
		for id, p := range cur {
			if sView.Contains(p) {
				w[id] = p
			}
		}
		want[base+uint64(i)+1] = w
	}
	applied := make(chan error, 1)
	go func() {
		for i := range ops {
			seq, err := env.store.Apply(ops[i])
			if err == nil && seq != base+uint64(i)+1 {
				err = fmt.Errorf("change %d got seq %d, want %d", i, seq, base+uint64(i)+1)
			}
			if err != nil {
				applied <- err
				return
			}
		}
		applied <- nil
	}()
	last := base + steps
	checked := 0
	deadline := time.Now().Add(20 * time.Second)
	for c.seq < last || c.lastFr == nil || c.lastFr.Seq < last {
		if time.Now().After(deadline) {
			t.Fatalf("timed out at seq %d of %d (seen %v)", c.seq, last, c.types)
		}
		c.lastFr = nil
		if !c.next(time.Second) || c.lastFr == nil || c.lastFr.Type != render.FramePositions || c.lastFr.Seq <= snapSeq {
			continue
		}
		if c.types["gap"] > 0 {
			t.Fatalf("a gap: the test needs the client to keep up (%v)", c.types)
		}
		checked++
		if msg := sameView(c.vehicles(), want[c.lastFr.Seq]); msg != "" {
			t.Fatalf("after the frame at seq %d (the snapshot was at %d, %d frames checked): %s", c.lastFr.Seq, snapSeq, checked, msg)
		}
	}
	if err := <-applied; err != nil {
		t.Fatal(err)
	}
	if len(c.errs) > 0 {
		t.Fatal(c.errs)
	}
	t.Logf("%d frames checked, messages %v", checked, c.types)
}

// A client that stops reading holds up no one; its pending state stays
// bounded, and when it reads again it gets the newest positions and a count
// of what it missed.
func TestStreamConflation(t *testing.T) {
	for _, maxPending := range []int{64, 5000} {
		t.Run(fmt.Sprint("pending=", maxPending), func(t *testing.T) { testConflation(t, maxPending) })
	}
}

func testConflation(t *testing.T, maxPending int) {
	env := newStreamEnv(t, 3000, func(_ *Config, s *StreamConfig) { s.MaxPending = maxPending })
	slow := dialStream(t, env.url, nil)
	fast := dialStream(t, env.url, nil)
	for _, c := range []*streamClientT{slow, fast} {
		c.send(map[string]any{"type": "subscribe", "bbox": bboxOf(sCity), "kinds": []string{"vehicle"}})
		c.until("snapshot", func() bool { return c.types["snapshot"] > 0 })
	}
	h, _ := env.srv.streamHub()
	var worst time.Duration
	for range 150 { // about 9 MB of frames for the slow client: more than the socket buffers
		seq := env.move(t, 3000, 0.001)
		start := time.Now()
		fast.until("the fast client", func() bool { return fast.seq >= seq })
		worst = max(worst, time.Since(start))
		h.mu.Lock()
		r := h.run
		h.mu.Unlock()
		if n := pendingOf(r, slow); n > maxPending {
			t.Fatalf("the slow client has %d entities pending, more than %d", n, maxPending)
		}
	}
	if worst > 2*time.Second {
		t.Errorf("the fast client waited %v for a step", worst)
	}
	want := env.inView(sCity)
	slow.until("the slow client to catch up", func() bool { return sameView(slow.vehicles(), want) == "" })
	if slow.missed == 0 {
		t.Errorf("the slow client was told of no missed updates: %v", slow.types)
	}
	t.Logf("fast client: worst step %v; slow client: %d missed, messages %v", worst, slow.missed, slow.types)
}

// pendingOf finds the server side of a test client (the only clients are
// the test's) and says how many entities are pending for it: the largest of
// them, since the test cannot tell which is which.
func pendingOf(r *hubRun, _ *streamClientT) int {
	if r == nil {
		return 0
	}
	n := 0
	done := make(chan struct{})
	r.send(hubCmd{op: cmdPending, done: done, report: func(cs []*streamClient) {
		for _, c := range cs {
			c.mu.Lock()
			n = max(n, c.pend.Len())
			c.mu.Unlock()
		}
	}})
	<-done
	return n
}

// A client that reconnects with the seq it had gets what changed since.
func TestStreamResume(t *testing.T) {
	env := newStreamEnv(t, 300)
	c := dialStream(t, env.url, nil)
	sub := map[string]any{"type": "subscribe", "bbox": bboxOf(sView), "kinds": []string{"vehicle"}}
	c.send(sub)
	seq := env.move(t, 50, 0.005)
	c.until("the first moves", func() bool { return c.seq >= seq && sameView(c.vehicles(), env.inView(sView)) == "" })
	epoch := c.hello["epoch"].(string)
	c.conn.Close()
	for range 10 {
		seq = env.move(t, 100, 0.01)
	}
	c2 := dialStream(t, env.url, nil)
	c2.ids, c2.kinds, c2.pos, c2.seq = c.ids, c.kinds, c.pos, c.seq
	resume := map[string]any{"type": "resume", "seq": c.seq, "epoch": epoch, "bbox": bboxOf(sView), "kinds": []string{"vehicle"}}
	c2.send(resume)
	c2.until("resumed", func() bool { return c2.types["resumed"] > 0 && sameView(c2.vehicles(), env.inView(sView)) == "" })
	if c2.types["snapshot"] > 0 {
		t.Errorf("a resume the feed could serve sent a snapshot: %v", c2.types)
	}
	// Another epoch: a fresh snapshot flagged resync.
	c3 := dialStream(t, env.url, nil)
	resume["epoch"] = "nope"
	c3.send(resume)
	c3.until("resync", func() bool { return c3.types["snapshot"] > 0 && sameView(c3.vehicles(), env.inView(sView)) == "" })
	if c3.last["type"] == "snapshot" && c3.last["resync"] != true {
		t.Errorf("resync snapshot: %v", c3.last)
	}
}

// Seek shows the view as the twin was then, as a twin query with At says.
func TestStreamSeek(t *testing.T) {
	env := newStreamEnv(t, 200)
	var times []int64
	var states []map[twin.ID]orb.Point
	for range 5 {
		env.move(t, 200, 0.01)
		times = append(times, env.clock)
		states = append(states, env.inView(sView))
	}
	c := dialStream(t, env.url, nil)
	c.send(map[string]any{"type": "subscribe", "bbox": bboxOf(sView), "kinds": []string{"vehicle"}})
	c.until("snapshot", func() bool { return c.types["snapshot"] > 0 })
	for i, at := range times {
		c.types["snapshot"] = 0
		c.send(map[string]any{"type": "seek", "at": time.Unix(0, at).UTC().Format(time.RFC3339Nano)})
		c.until("seek snapshot", func() bool { return c.types["snapshot"] > 0 })
		if c.last["mode"] != "playback" {
			t.Fatalf("seek answered %v", c.last)
		}
		c.until("seek frame", func() bool { return sameView(c.vehicles(), states[i]) == "" })
		res, err := env.store.Query(context.Background(), twin.Query{BBox: []orb.Bound{sView}, Kinds: []twin.Kind{twin.KindVehicle}, At: at})
		if err != nil {
			t.Fatal(err)
		}
		want := map[twin.ID]orb.Point{}
		for _, e := range res.Entities {
			want[e.ID] = e.Geometry.(orb.Point)
		}
		if msg := sameView(c.vehicles(), want); msg != "" {
			t.Fatalf("seek %d: %s", i, msg)
		}
		if msg := sameView(want, states[i]); msg != "" {
			t.Fatalf("seek %d: the twin itself: %s", i, msg)
		}
	}
	// Back to live.
	c.types["snapshot"] = 0
	c.send(map[string]any{"type": "live"})
	c.until("live", func() bool { return c.types["snapshot"] > 0 && sameView(c.vehicles(), env.inView(sView)) == "" })
	// Playback forward from the first instant, one twin second a tick,
	// shows every state in turn.
	c.send(map[string]any{"type": "seek", "at": time.Unix(0, times[0]).UTC().Format(time.RFC3339Nano), "speed": 10})
	for i := range states {
		c.until(fmt.Sprintf("playback state %d", i), func() bool { return sameView(c.vehicles(), states[i]) == "" })
	}
	// Playback that reaches the present goes live.
	c.types["snapshot"] = 0
	c.send(map[string]any{"type": "seek", "at": time.Now().Add(-time.Second).UTC().Format(time.RFC3339Nano), "speed": 100})
	c.until("playback to the present", func() bool {
		return c.types["live"] > 0 && c.types["snapshot"] > 1 && sameView(c.vehicles(), env.inView(sView)) == ""
	})
}

// The frames of a playback carry the instant their positions are for, the
// played-back one, not when they were written: its snapshot's the seek's
// instant, the ticks' after it the instants played, at speed.
func TestStreamPlaybackFrameTime(t *testing.T) {
	env := newStreamEnv(t, 200, func(_ *Config, s *StreamConfig) { s.PlaybackTick = 20 * time.Millisecond })
	for range 3 {
		env.move(t, 200, 0.01)
	}
	at := env.clock - int64(2*time.Second)
	c := dialStream(t, env.url, nil)
	c.send(map[string]any{"type": "subscribe", "bbox": bboxOf(sView), "kinds": []string{"vehicle"}})
	c.until("snapshot", func() bool { return c.types["snapshot"] > 0 })
	const speed = 10
	c.types["snapshot"] = 0
	c.send(map[string]any{"type": "seek", "at": time.Unix(0, at).UTC().Format(time.RFC3339Nano), "speed": speed})
	c.until("seek snapshot", func() bool { return c.types["snapshot"] > 0 })
	start := time.Now()
	atMS := at / 1e6
	var times []int64
	deadline := time.Now().Add(10 * time.Second)
	for len(times) < 6 {
		if time.Now().After(deadline) {
			t.Fatalf("%d playback frames in 10 s (seen %v)", len(times), c.types)
		}
		c.lastFr = nil
		if !c.next(time.Second) || c.lastFr == nil || c.lastFr.Type != render.FramePositions {
			continue
		}
		played := time.Since(start).Milliseconds() * speed
		tms := c.lastFr.TimeMS
		if tms < atMS || tms > atMS+played+int64(time.Second/time.Millisecond) {
			t.Fatalf("frame %d: time %v, want within the played interval %v .. %v (now %v)", len(times),
				time.UnixMilli(tms).UTC(), time.UnixMilli(atMS).UTC(), time.UnixMilli(atMS+played).UTC(), time.Now().UTC())
		}
		times = append(times, tms)
	}
	if times[0] != atMS {
		t.Errorf("the snapshot's frame is at %v, want the seek's instant %v", time.UnixMilli(times[0]).UTC(), time.UnixMilli(atMS).UTC())
	}
	if !slices.IsSorted(times) || times[len(times)-1] <= atMS {
		t.Errorf("the frames do not play forward: %v", times)
	}
}

func TestStreamFences(t *testing.T) {
	store, err := twin.New(twin.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	eng := startFences(t, store)
	srv, err := New(DefaultConfig(), store, slog.New(slog.DiscardHandler), WithFences(eng))
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	poly := orb.Polygon{{{13.39, 52.49}, {13.41, 52.49}, {13.41, 52.51}, {13.39, 52.51}, {13.39, 52.49}}}
	props, _ := twin.PropertiesOf(map[string]any{"fence.kinds": "vehicle"})
	if _, err := store.Apply(twin.Op{Type: twin.OpUpsert, Entity: &twin.Entity{ID: "fence:depot", Kind: fence.KindGeofence, Geometry: poly, Props: props}},
		twin.Op{Type: twin.OpUpsert, Entity: &twin.Entity{ID: "vehicle:1", Kind: twin.KindVehicle, Geometry: orb.Point{13.3, 52.5}}}); err != nil {
		t.Fatal(err)
	}
	c := dialStream(t, "ws"+strings.TrimPrefix(ts.URL, "http")+streamPath, nil)
	c.send(map[string]any{"type": "fences", "after": 0})
	time.Sleep(50 * time.Millisecond)
	if _, err := store.Apply(twin.Op{Type: twin.OpMove, Positions: []twin.Position{{ID: "vehicle:1", T: time.Now().UnixNano(), Point: orb.Point{13.4, 52.5}}}}); err != nil {
		t.Fatal(err)
	}
	c.until("a fence event", func() bool { return len(c.fenceEv) > 0 })
	if e := c.fenceEv[0]; e.Kind != "enter" || e.Object != "vehicle:1" || e.Fence != "fence:depot" {
		t.Fatalf("event %+v", e)
	}
}

func TestStreamAuthAndOrigin(t *testing.T) {
	tok, err := NewToken("ui", RoleViewer, "0123456789abcdef0123")
	if err != nil {
		t.Fatal(err)
	}
	env := newStreamEnv(t, 10, func(c *Config, _ *StreamConfig) { c.Tokens = []Token{tok} })
	for _, tc := range []struct {
		name   string
		url    string
		header http.Header
		status int
	}{
		{"no token", env.url, nil, http.StatusUnauthorized},
		{"bad token", env.url + "?access_token=nope", nil, http.StatusUnauthorized},
		{"bad origin", env.url + "?access_token=0123456789abcdef0123", http.Header{"Origin": {"https://evil.example"}}, http.StatusForbidden},
		{"token", env.url + "?access_token=0123456789abcdef0123", nil, http.StatusSwitchingProtocols},
		{"header", env.url, http.Header{"Authorization": {"Bearer 0123456789abcdef0123"}}, http.StatusSwitchingProtocols},
	} {
		t.Run(tc.name, func(t *testing.T) {
			conn, resp, err := websocket.DefaultDialer.Dial(tc.url, tc.header)
			if conn != nil {
				conn.Close()
			}
			if resp == nil {
				t.Fatalf("no response: %v", err)
			}
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d (%v)", resp.StatusCode, tc.status, err)
			}
		})
	}
}

// Bad control messages are answered with precise errors; the stream goes on.
func TestStreamControlErrors(t *testing.T) {
	env := newStreamEnv(t, 10, func(_ *Config, s *StreamConfig) { s.ControlBurst = 100 })
	c := dialStream(t, env.url, nil)
	for _, tc := range []struct{ msg, want string }{
		{`{"type":"subscribe","bbox":[1,2,3]}`, "bbox: has 3 numbers"},
		{`{"type":"subscribe","bbox":[0,50,1,51],"speed":2}`, "speed: not a member of subscribe"},
		{`{"type":"jump"}`, `type: "jump" is not a control message`},
		{`{"type":"seek","at":"yesterday"}`, "at: \"yesterday\" is not an RFC 3339"},
		{`not json`, "not JSON"},
		{`{"type":"viewport","bbox":[0,50,1,51]}`, "subscribe before changing the viewport"},
	} {
		if err := c.conn.WriteMessage(websocket.TextMessage, []byte(tc.msg)); err != nil {
			t.Fatal(err)
		}
		c.errs = nil
		c.until("an error", func() bool { return len(c.errs) > 0 })
		if !strings.Contains(c.errs[0], tc.want) {
			t.Errorf("%s: %q, want %q", tc.msg, c.errs[0], tc.want)
		}
	}
	c.send(map[string]any{"type": "ping"})
	c.until("pong", func() bool { return c.types["pong"] > 0 })
}

// Websocket pings are answered by the writers, between whole frames, while
// rounds of deltas go out: the stream stays well-formed and every ping gets
// its pong.
func TestStreamWebsocketPing(t *testing.T) {
	env := newStreamEnv(t, 3000)
	c := dialStream(t, env.url, nil)
	pongs := make(chan string, 100)
	c.conn.SetPongHandler(func(s string) error { pongs <- s; return nil })
	c.send(map[string]any{"type": "subscribe", "bbox": bboxOf(sCity), "kinds": []string{"vehicle"}})
	c.until("snapshot", func() bool { return c.types["snapshot"] > 0 })
	for i := range 20 {
		want := fmt.Sprint("p", i)
		if err := c.conn.WriteControl(websocket.PingMessage, []byte(want), time.Now().Add(time.Second)); err != nil {
			t.Fatal(err)
		}
		seq := env.move(t, 3000, 0.001)
		c.until("the step", func() bool { return c.seq >= seq })
		got := ""
		c.until("a pong", func() bool {
			select {
			case got = <-pongs:
				return true
			default:
				return false
			}
		})
		if got != want {
			t.Fatalf("pong %q, want %q", got, want)
		}
	}
	want := env.inView(sCity)
	c.until("the view", func() bool { return sameView(c.vehicles(), want) == "" })
}

// A viewport change while the twin changes leaves the client holding the
// twin's state at its seq: the entities that stay in view (static ones whose
// properties are patched or re-upserted, vehicles that move, sensors with
// readings) are brought up to the viewport's seq too, not only the entities
// that enter. The run routes behind the twin, so the changes between the
// run's position and the seq the viewport is labelled with must not be lost.
func TestStreamViewportKeepsChanges(t *testing.T) {
	env := newStreamEnv(t, 300)
	rng := rand.New(rand.NewPCG(3, 9))
	viewA := sView
	viewB := orb.Bound{Min: orb.Point{13.385, 52.485}, Max: orb.Point{13.425, 52.505}}
	core := orb.Bound{Min: orb.Point{13.385, 52.49}, Max: orb.Point{13.42, 52.505}} // in both
	inCore := func() orb.Point {
		return orb.Point{core.Min[0] + 0.001 + rng.Float64()*(core.Max[0]-core.Min[0]-0.002), core.Min[1] + 0.001 + rng.Float64()*(core.Max[1]-core.Min[1]-0.002)}
	}
	var sensors, buildings, vehicles []twin.ID
	var setup []twin.Op
	building := func(id twin.ID, c orb.Point, rev int) *twin.Entity {
		const d = 0.0002
		ring := orb.Ring{{c[0] - d, c[1] - d}, {c[0] + d, c[1] - d}, {c[0] + d, c[1] + d}, {c[0] - d, c[1] + d}, {c[0] - d, c[1] - d}}
		props, _ := twin.PropertiesOf(map[string]any{"rev": rev})
		return &twin.Entity{ID: id, Kind: twin.KindBuilding, Geometry: orb.Polygon{ring}, Props: props}
	}
	bpos := map[twin.ID]orb.Point{}
	for i := range 20 {
		id := twin.ID(fmt.Sprintf("sensor:core-%d", i))
		sensors = append(sensors, id)
		setup = append(setup, twin.Op{Type: twin.OpUpsert, Entity: &twin.Entity{ID: id, Kind: twin.KindSensor, Geometry: inCore()}})
		id = twin.ID(fmt.Sprintf("building:core-%d", i))
		buildings = append(buildings, id)
		bpos[id] = inCore()
		setup = append(setup, twin.Op{Type: twin.OpUpsert, Entity: building(id, bpos[id], 0)})
		id = twin.ID(fmt.Sprintf("vehicle:core-%d", i))
		vehicles = append(vehicles, id)
		setup = append(setup, twin.Op{Type: twin.OpUpsert, Entity: &twin.Entity{ID: id, Kind: twin.KindVehicle, Geometry: inCore()}})
	}
	for i := range 300 {
		vehicles = append(vehicles, twin.ID(fmt.Sprintf("vehicle:%d", i)))
	}
	if _, err := env.store.Apply(setup...); err != nil {
		t.Fatal(err)
	}
	c := dialStream(t, env.url, nil)
	c.send(map[string]any{"type": "subscribe", "bbox": bboxOf(viewA), "metrics": []string{"pm25"}})
	c.until("snapshot", func() bool { return c.types["snapshot"] > 0 })

	var mu sync.Mutex
	last := map[twin.ID]float64{} // the newest pm25 of each sensor
	write := func(stop <-chan struct{}) error {
		for n := 0; ; n++ {
			select {
			case <-stop:
				return nil
			default:
			}
			var op twin.Op
			switch n % 4 {
			case 0:
				id := sensors[rng.IntN(len(sensors))]
				props, _ := twin.PropertiesOf(map[string]any{"n": n})
				op = twin.Op{Type: twin.OpPatch, ID: id, Patch: props}
			case 1:
				id := buildings[rng.IntN(len(buildings))]
				op = twin.Op{Type: twin.OpUpsert, Entity: building(id, bpos[id], n)}
			case 2:
				var ps []twin.Position
				for range 10 {
					id := vehicles[rng.IntN(len(vehicles))]
					e, err := env.store.Get(id)
					if err != nil {
						return err
					}
					p := e.Geometry.(orb.Point)
					p[0] = math.Max(sCity.Min[0], math.Min(sCity.Max[0], p[0]+(rng.Float64()*2-1)*0.0005))
					p[1] = math.Max(sCity.Min[1], math.Min(sCity.Max[1], p[1]+(rng.Float64()*2-1)*0.0005))
					// At the twin's 1e-7° resolution, so that a point on an
					// edge of the view is on it for the stream and the twin.
					p = orb.Point{math.Round(p[0]*1e7) / 1e7, math.Round(p[1]*1e7) / 1e7}
					ps = append(ps, twin.Position{ID: id, T: time.Now().UnixNano(), Point: p})
				}
				op = twin.Op{Type: twin.OpMove, Positions: ps}
			case 3:
				id := sensors[rng.IntN(len(sensors))]
				v := float64(n)
				mu.Lock()
				last[id] = v
				mu.Unlock()
				op = twin.Op{Type: twin.OpObserve, Observations: []twin.Observation{{ID: id, Metric: "pm25", T: time.Now().UnixNano(), V: v}}}
			}
			if _, err := env.store.Apply(op); err != nil {
				return err
			}
			if n%8 == 0 {
				time.Sleep(200 * time.Microsecond)
			}
		}
	}
	for round := range 5 {
		stop := make(chan struct{})
		werr := make(chan error, 1)
		go func() { werr <- write(stop) }()
		for i := range 5 { // viewB, viewA, …, viewB
			v := viewA
			if i%2 == 0 {
				v = viewB
			}
			c.send(map[string]any{"type": "viewport", "bbox": bboxOf(v)})
			for end := time.Now().Add(40 * time.Millisecond); time.Now().Before(end); {
				c.next(10 * time.Millisecond)
			}
		}
		close(stop)
		if err := <-werr; err != nil {
			t.Fatal(err)
		}
		// The last changes of the entities in both views, behind a load that
		// keeps the run busy, and at once the last viewport: the run is likely
		// still routing when the viewport is read.
		var ops []twin.Op
		for range 200 {
			var ps []twin.Position
			for range 50 {
				id := vehicles[20+rng.IntN(len(vehicles)-20)]
				e, err := env.store.Get(id)
				if err != nil {
					t.Fatal(err)
				}
				ps = append(ps, twin.Position{ID: id, T: time.Now().UnixNano(), Point: e.Geometry.(orb.Point)})
			}
			ops = append(ops, twin.Op{Type: twin.OpMove, Positions: ps})
		}
		for i := range sensors {
			props, _ := twin.PropertiesOf(map[string]any{"n": -round - 1})
			ops = append(ops, twin.Op{Type: twin.OpPatch, ID: sensors[i], Patch: props},
				twin.Op{Type: twin.OpUpsert, Entity: building(buildings[i], bpos[buildings[i]], -round-1)},
				twin.Op{Type: twin.OpObserve, Observations: []twin.Observation{{ID: sensors[i], Metric: "pm25", T: time.Now().UnixNano(), V: float64(1000 + round)}}},
				twin.Op{Type: twin.OpMove, Positions: []twin.Position{{ID: vehicles[i], T: time.Now().UnixNano(), Point: inCore()}}})
			last[sensors[i]] = float64(1000 + round)
		}
		for i := range ops {
			if _, err := env.store.Apply(ops[i]); err != nil {
				t.Fatal(err)
			}
		}
		c.send(map[string]any{"type": "viewport", "bbox": bboxOf(viewA)})
		// Read until quiet: the client now holds the twin's state at its seq
		// (nothing in its view changed after it).
		for c.next(300 * time.Millisecond) {
		}
		if len(c.errs) > 0 {
			t.Fatal(c.errs)
		}
		res, err := env.store.Query(context.Background(), twin.Query{BBox: []orb.Bound{viewA}})
		if err != nil {
			t.Fatal(err)
		}
		held := map[twin.ID]uint32{}
		for s, id := range c.ids {
			held[id] = s
		}
		var bad []string
		for i := range res.Entities {
			e := &res.Entities[i]
			s, ok := held[e.ID]
			if !ok {
				bad = append(bad, fmt.Sprintf("%s missing (at %v, version %d)", e.ID, e.Geometry, e.Version))
				continue
			}
			delete(held, e.ID)
			if e.Moving {
				if d := geo.Distance(c.pos[s], e.Geometry.(orb.Point)); d > 0.05 {
					bad = append(bad, fmt.Sprintf("%s at %v, want %v (%.2f m off)", e.ID, c.pos[s], e.Geometry, d))
				}
				continue
			}
			if v, _ := c.props[s]["version"].(float64); uint64(v) != e.Version {
				bad = append(bad, fmt.Sprintf("%s at version %v, want %d", e.ID, c.props[s]["version"], e.Version))
			}
			mu.Lock()
			want, ok := last[e.ID]
			mu.Unlock()
			if got, has := c.vals[s]; ok && (!has || got != float32(want)) {
				bad = append(bad, fmt.Sprintf("%s pm25 %v (held %v), want %v", e.ID, got, has, want))
			}
		}
		for id := range held {
			bad = append(bad, fmt.Sprintf("%s should not be in view", id))
		}
		if len(bad) > 0 {
			t.Fatalf("round %d: after the viewport changes the client (seq %d, twin at %d) differs from the twin in %d entities: %v", round, c.seq, env.store.Seq(), len(bad), bad[:min(len(bad), 10)])
		}
	}
}
