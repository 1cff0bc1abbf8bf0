package web

import (
	"encoding/json"
	"fmt"
	"log/slog"
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

// inView is the brute-force answer: the vehicles whose position, as the twin
// keeps it, is in b.
func (env *streamEnv) inView(b orb.Bound) map[twin.ID]orb.Point {
	env.mu.Lock()
	defer env.mu.Unlock()
	out := map[twin.ID]orb.Point{}
	for id, p := range env.pos {
		if b.Contains(twin.Quantise(p)) {
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
	// Generous: under the race detector on a busy machine a client that
	// stalled reads tens of resync snapshots of thousands of vehicles.
	deadline := time.Now().Add(30 * time.Second)
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
