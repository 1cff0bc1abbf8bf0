package fence

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"citytwin/geo"
	"citytwin/twin"
	"citytwin/twin/wal"

	"github.com/paulmach/orb"
)

// receiver is a webhook receiver that fails its first fail requests with
// status code, then records every event by seq.
type receiver struct {
	t      *testing.T
	secret string
	code   int
	mu     sync.Mutex
	fail   int
	calls  int
	seqs   map[uint64]int
	events []Event
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.calls++
	if rc.fail > 0 {
		rc.fail--
		w.WriteHeader(rc.code)
		return
	}
	if rc.secret != "" && r.Header.Get(HeaderSignature) != Sign(rc.secret, body) {
		rc.t.Errorf("bad signature %q", r.Header.Get(HeaderSignature))
	}
	var evs []Event
	if err := json.Unmarshal(body, &evs); err != nil {
		rc.t.Errorf("body: %v", err)
	}
	if want := seqRange(evs); r.Header.Get(HeaderSeq) != want {
		rc.t.Errorf("%s = %q, want %q", HeaderSeq, r.Header.Get(HeaderSeq), want)
	}
	for _, ev := range evs {
		rc.seqs[ev.Seq]++
		rc.events = append(rc.events, ev)
	}
}

func seqRange(evs []Event) string {
	if len(evs) == 0 {
		return ""
	}
	b, _ := json.Marshal([]uint64{evs[0].Seq, evs[len(evs)-1].Seq})
	s := string(b[1 : len(b)-1])
	for i := range s {
		if s[i] == ',' {
			return s[:i] + "-" + s[i+1:]
		}
	}
	return s
}

func (rc *receiver) count() int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return len(rc.events)
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// square is a polygon fence of side metres centred at (x, y).
func square(id string, x, y, side float64, props map[string]any) *twin.Entity {
	h := side / 2
	ring := orb.Ring{at(x-h, y-h), at(x+h, y-h), at(x+h, y+h), at(x-h, y+h), at(x-h, y-h)}
	if props == nil {
		props = map[string]any{}
	}
	return fenceEntity(id, orb.Polygon{ring}, props)
}

// shuttle makes changes moving an object in and out of a 100 m square at the
// origin n times: 2n events with the default enter,exit.
func shuttle(seq *uint64, id twin.ID, n int, t0 int64) []twin.Change {
	var chs []twin.Change
	for i := range 2 * n {
		x := 200.0
		if i%2 == 0 {
			x = 0
		}
		*seq++
		chs = append(chs, twin.Change{Seq: *seq, Op: twin.Op{Type: twin.OpMove, Positions: []twin.Position{{ID: id, T: t0 + int64(i), Point: at(x, 0)}}}})
	}
	return chs
}

func TestWebhookRetriesUntilDelivered(t *testing.T) {
	rc := &receiver{t: t, secret: "s3cret", code: http.StatusInternalServerError, fail: 5, seqs: map[uint64]int{}}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	e := newTestEngine(t, nil, func(c *Config) {
		c.RetryBase, c.RetryMax, c.DeliveryBatch = time.Millisecond, 20*time.Millisecond, 7
	})
	if err := e.AddEndpoint(Endpoint{ID: "hook", Kind: "webhook", URL: srv.URL, Secret: "s3cret"}); err != nil {
		t.Fatal(err)
	}
	seq := uint64(1)
	mustProcess(t, e, upsertChange(1, square("zone:a", 0, 0, 100, nil), 0))
	const n = 40
	mustProcess(t, e, shuttle(&seq, "veh:1", n, 1e18)...)
	waitFor(t, "every event", func() bool { return rc.count() >= 2*n })
	waitFor(t, "the ack", func() bool { return e.Stats().Endpoints[0].Cursor == 2*n })
	rc.mu.Lock()
	defer rc.mu.Unlock()
	for s := uint64(1); s <= 2*n; s++ {
		if rc.seqs[s] != 1 {
			t.Errorf("seq %d received %d times, want once", s, rc.seqs[s])
		}
	}
	st := e.Stats().Endpoints[0]
	if st.Failed != 5 || st.Delivered != 2*n || st.Cursor != 2*n || st.LastError == "" {
		t.Errorf("stats %+v", st)
	}
}

func TestWebhookPermanentFailureDeadLetters(t *testing.T) {
	rc := &receiver{t: t, code: http.StatusBadRequest, fail: 1, seqs: map[uint64]int{}}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	e := newTestEngine(t, nil, func(c *Config) { c.RetryBase, c.RetryMax, c.DeliveryBatch = time.Millisecond, time.Millisecond, 4 })
	if err := e.AddEndpoint(Endpoint{ID: "hook", Kind: "webhook", URL: srv.URL, Kinds: []string{Enter}}); err != nil {
		t.Fatal(err)
	}
	seq := uint64(1)
	mustProcess(t, e, upsertChange(1, square("zone:a", 0, 0, 100, nil), 0))
	mustProcess(t, e, shuttle(&seq, "veh:1", 8, 1e18)...) // 16 events, 8 enters
	// The first batch (4 events read, 2 enters) is refused; the other 6 enters arrive.
	waitFor(t, "the rest", func() bool { return rc.count() >= 6 })
	waitFor(t, "the cursor", func() bool { return e.Stats().Endpoints[0].Cursor == 16 })
	st := e.Stats().Endpoints[0]
	if st.DeadLettered != 2 || st.Delivered != 6 {
		t.Errorf("stats %+v", st)
	}
	for _, ev := range rc.events {
		if ev.Kind != Enter {
			t.Errorf("got a %s event, the endpoint wants enter only", ev.Kind)
		}
	}
}

func TestRoamingFence(t *testing.T) {
	e := newTestEngine(t, nil, nil)
	var seq uint64
	up := func(ent *twin.Entity) twin.Change { seq++; return upsertChange(seq, ent, 0) }
	move := func(id twin.ID, x, y float64, ts int64) twin.Change {
		seq++
		return twin.Change{Seq: seq, Op: twin.Op{Type: twin.OpMove, Positions: []twin.Position{{ID: id, T: ts, Point: at(x, y)}}}}
	}
	mustProcess(t, e,
		up(vehicle("bus:1", "vehicle", at(0, 0))),
		up(vehicle("car:1", "vehicle", at(500, 0))),
		up(vehicle("sensor:1", "sensor", at(50, 0))),
		up(fenceEntity("fence:bus", nil, map[string]any{PropNear: "bus:1", PropRadius: 100.0, PropKinds: "vehicle"})),
	)
	mustProcess(t, e,
		move("car:1", 300, 0, 10),  // outside
		move("car:1", 90, 0, 20),   // the car comes within 100 m: enter
		move("bus:1", -100, 0, 30), // the bus drives away: the car is 190 m off: exit
		move("bus:1", 40, 0, 40),   // the bus comes back: enter
		move("bus:1", 40, 0, 50),   // nothing changes
	)
	got := brief(allEvents(t, e))
	want := []string{
		"fence:bus car:1 enter t=20 dwell=0",
		"fence:bus car:1 exit t=30 dwell=10",
		"fence:bus car:1 enter t=40 dwell=0",
	}
	if !slices.Equal(got, want) {
		t.Errorf("got %q\nwant %q", got, want)
	}
	// Deleting the bus leaves its fence without a place: the car exits.
	seq++
	mustProcess(t, e, twin.Change{Seq: seq, Op: twin.Op{Type: twin.OpDelete, T: 60, ID: "bus:1"}})
	evs := allEvents(t, e)
	if last := evs[len(evs)-1]; last.Kind != Exit || last.Object != "car:1" || last.T != 60 {
		t.Errorf("after the bus went: %+v", last)
	}
}

func TestRoamingOracle(t *testing.T) {
	// Many objects, a few moving roaming fences; the oracle recomputes every
	// distance at every change.
	e := newTestEngine(t, nil, func(c *Config) { c.Workers = 2 })
	var seq uint64
	var chs []twin.Change
	ids := make([]twin.ID, 300)
	pos := map[twin.ID]orb.Point{}
	for i := range ids {
		ids[i] = twin.ID("v" + itoa(i))
		pos[ids[i]] = at(float64(i%20)*50, float64(i/20)*50)
		seq++
		chs = append(chs, upsertChange(seq, vehicle(ids[i], "vehicle", pos[ids[i]]), 1))
	}
	targets := ids[:4]
	for i, tg := range targets {
		seq++
		chs = append(chs, upsertChange(seq, fenceEntity("roam:"+itoa(i), nil, map[string]any{PropNear: string(tg), PropRadius: 120.0}), 1))
	}
	mustProcess(t, e, chs...)
	in := map[[2]twin.ID]bool{}
	for i, tg := range targets {
		for _, id := range ids {
			if id != tg && distance(pos[id], pos[tg]) <= 120 {
				in[[2]twin.ID{twin.ID("roam:" + itoa(i)), id}] = true
			}
		}
	}
	if n := len(allEvents(t, e)); n != len(in) {
		t.Fatalf("%d enter events at the start, want %d", n, len(in))
	}
	var want []string
	ts := int64(10)
	for step := range 200 {
		id := ids[(step*7)%len(ids)]
		if step%3 == 0 {
			id = targets[step%len(targets)]
		}
		p := at(float64((step*37)%1000), float64((step*53)%750))
		pos[id] = p
		ts++
		seq++
		mustProcess(t, e, twin.Change{Seq: seq, Op: twin.Op{Type: twin.OpMove, Positions: []twin.Position{{ID: id, T: ts, Point: p}}}})
		for i, tg := range targets {
			fid := twin.ID("roam:" + itoa(i))
			for _, o := range ids {
				if o == tg {
					continue
				}
				k := [2]twin.ID{fid, o}
				now := distance(pos[o], pos[tg]) <= 120
				if now != in[k] {
					kind := Exit
					if now {
						kind = Enter
					}
					want = append(want, string(fid)+" "+string(o)+" "+kind)
					in[k] = now
				}
			}
		}
	}
	var got []string
	for _, ev := range allEvents(t, e)[len(allEvents(t, e))-len(want):] {
		got = append(got, string(ev.Fence)+" "+string(ev.Object)+" "+ev.Kind)
	}
	slices.Sort(got)
	slices.Sort(want)
	if len(want) < 20 || !slices.Equal(got, want) {
		t.Errorf("got %d events, want %d", len(got), len(want))
	}
}

func distance(a, b orb.Point) float64 { return geo.Distance(a, b) }

// TestRestart runs the engine on a durable twin, closes both, reopens them
// and checks that events, endpoint cursors and fence state carry over, with
// no seq reused and no event delivered twice.
func TestRestart(t *testing.T) {
	rc := &receiver{t: t, seqs: map[uint64]int{}}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	twinDir, fenceDir := t.TempDir(), t.TempDir()
	ctx := context.Background()
	open := func() (*twin.Store, *Engine, chan error) {
		d := twin.DefaultDurability(twinDir)
		d.Log.Sync = wal.SyncOff
		store, _, err := twin.Open(ctx, twin.DefaultConfig(), d)
		if err != nil {
			t.Fatal(err)
		}
		cfg := DefaultConfig(fenceDir)
		cfg.Log.Sync = wal.SyncOff
		cfg.RetryBase, cfg.RetryMax = time.Millisecond, 10*time.Millisecond
		e, err := New(store, cfg)
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- e.Run(context.Background()) }()
		return store, e, done
	}
	closeBoth := func(store *twin.Store, e *Engine, done chan error) {
		if err := e.Close(); err != nil {
			t.Fatal(err)
		}
		if err := <-done; err != nil {
			t.Fatalf("Run: %v", err)
		}
		if err := store.Close(); err != nil {
			t.Fatal(err)
		}
	}
	t0 := time.Now().Add(time.Hour).UnixNano() // after the upserts, which the twin stamps now
	moveTo := func(store *twin.Store, id twin.ID, x float64, ts int64) {
		t.Helper()
		if _, err := store.Apply(twin.Op{Type: twin.OpMove, Positions: []twin.Position{{ID: id, T: t0 + ts, Point: at(x, 0)}}}); err != nil {
			t.Fatal(err)
		}
	}
	before := runtime.NumGoroutine()

	store, e, done := open()
	if err := e.AddEndpoint(Endpoint{ID: "hook", Kind: "webhook", URL: srv.URL}); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Apply(
		twin.Op{Type: twin.OpUpsert, Entity: square("zone:a", 0, 0, 100, nil)},
		twin.Op{Type: twin.OpUpsert, Entity: vehicle("veh:1", "vehicle", at(300, 0))},
		twin.Op{Type: twin.OpUpsert, Entity: vehicle("veh:2", "vehicle", at(300, 0))},
	); err != nil {
		t.Fatal(err)
	}
	moveTo(store, "veh:1", 0, 10)   // enter 1
	moveTo(store, "veh:1", 300, 20) // exit 2
	moveTo(store, "veh:1", 0, 30)   // enter 3
	moveTo(store, "veh:2", 0, 30)   // enter 4
	waitFor(t, "4 deliveries", func() bool { return rc.count() == 4 })
	waitFor(t, "the ack", func() bool { return e.Stats().Endpoints[0].Cursor == 4 })
	closeBoth(store, e, done)

	// While the engine is down, the twin goes on: veh:2 leaves.
	{
		d := twin.DefaultDurability(twinDir)
		store, _, err := twin.Open(ctx, twin.DefaultConfig(), d)
		if err != nil {
			t.Fatal(err)
		}
		moveTo(store, "veh:2", 300, 40)
		store.Close()
	}

	store, e, done = open()
	// The twin restarted, so its feed cannot reach back: a resync finds that
	// veh:2 left (exit 5); veh:1, still inside, makes no event.
	waitFor(t, "the resync", func() bool { h, _ := e.Head(); return h == 5 })
	moveTo(store, "veh:1", 300, 50) // exit 6: the state survived the restart
	waitFor(t, "6 deliveries", func() bool { return rc.count() == 6 })
	waitFor(t, "the ack", func() bool { return e.Stats().Endpoints[0].Cursor == 6 })
	if st := e.Stats(); st.Resyncs != 1 || st.Endpoints[0].Cursor != 6 {
		t.Errorf("stats %+v", st)
	}
	closeBoth(store, e, done)

	rc.mu.Lock()
	var got []string
	for _, ev := range rc.events {
		got = append(got, string(ev.Object)+" "+ev.Kind)
	}
	for s, n := range rc.seqs {
		if n != 1 {
			t.Errorf("seq %d delivered %d times", s, n)
		}
	}
	rc.mu.Unlock()
	want := []string{"veh:1 enter", "veh:1 exit", "veh:1 enter", "veh:2 enter", "veh:2 exit", "veh:1 exit"}
	if !slices.Equal(got, want) {
		t.Errorf("delivered %q\nwant %q", got, want)
	}
	if exit := rc.events[5]; exit.Dwell != 20 {
		t.Errorf("dwell of the last exit %v, want 20ns (from t=30 to t=50)", exit.Dwell)
	}
	waitFor(t, "goroutines to end", func() bool { return runtime.NumGoroutine() <= before })
}

func TestMissedChangesResync(t *testing.T) {
	cfg := twin.DefaultConfig()
	cfg.FeedSize = 16
	store, err := twin.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	e := newTestEngine(t, store, nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.Run(ctx) }()
	apply := func(ops ...twin.Op) {
		t.Helper()
		if _, err := store.Apply(ops...); err != nil {
			t.Fatal(err)
		}
	}
	apply(twin.Op{Type: twin.OpUpsert, Entity: square("zone:a", 0, 0, 100, nil)},
		twin.Op{Type: twin.OpUpsert, Entity: vehicle("veh:in", "vehicle", at(0, 0))},
		twin.Op{Type: twin.OpUpsert, Entity: vehicle("veh:out", "vehicle", at(0, 0))})
	waitFor(t, "2 enters", func() bool { h, _ := e.Head(); return h == 2 })
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("Run: %v", err)
	}
	// 100 changes while the engine is stopped: the feed keeps 16.
	t0 := time.Now().Add(time.Hour).UnixNano()
	for i := range 100 {
		apply(twin.Op{Type: twin.OpMove, Positions: []twin.Position{
			{ID: "veh:in", T: t0 + int64(10+i), Point: at(float64(i%5), 0)},
			{ID: "veh:out", T: t0 + int64(10+i), Point: at(300+float64(i), 0)},
		}})
	}
	go func() { done <- e.Run(context.Background()) }()
	waitFor(t, "the resync", func() bool { return e.Stats().Resyncs == 1 })
	waitFor(t, "the exit", func() bool { h, _ := e.Head(); return h == 3 })
	evs := allEvents(t, e)
	if ev := evs[2]; ev.Object != "veh:out" || ev.Kind != Exit {
		t.Errorf("after the resync: %+v", ev)
	}
	if st := e.Stats(); st.Missed == 0 {
		t.Errorf("missed not counted: %+v", st)
	}
	apply(twin.Op{Type: twin.OpMove, Positions: []twin.Position{{ID: "veh:in", T: t0 + 1000, Point: at(500, 0)}}})
	waitFor(t, "the exit of veh:in", func() bool { h, _ := e.Head(); return h == 4 })
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("Run after Close: %v", err)
	}
}

func TestSubscribeAndMissed(t *testing.T) {
	e := newTestEngine(t, nil, func(c *Config) { c.Buffer = 16 })
	sub := e.Subscribe(0)
	seq := uint64(1)
	mustProcess(t, e, upsertChange(1, square("zone:a", 0, 0, 100, nil), 0))
	mustProcess(t, e, shuttle(&seq, "veh:1", 2, 1)...)
	evs, missed, err := sub.Next(context.Background(), 100)
	if err != nil || missed != 0 || len(evs) != 4 || evs[3].Seq != 4 {
		t.Fatalf("next: %d events, missed %d, %v", len(evs), missed, err)
	}
	mustProcess(t, e, shuttle(&seq, "veh:1", 20, 100)...) // 40 more; the ring keeps 16
	evs, missed, err = sub.Next(context.Background(), 100)
	if err != nil || missed != 24 || len(evs) != 16 || evs[0].Seq != 29 {
		t.Fatalf("next: %d events, missed %d, %v", len(evs), missed, err)
	}
	// The outbox still has what the subscriber missed.
	old, err := e.Events(4, 24)
	if err != nil || len(old) != 24 || old[0].Seq != 5 || old[23].Seq != 28 {
		t.Fatalf("replay: %d events, %v", len(old), err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, _, err := sub.Next(ctx, 1); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("next with nothing new: %v", err)
	}
}

func TestRetention(t *testing.T) {
	e := newTestEngine(t, nil, func(c *Config) {
		c.Log.SegmentBytes = 4096
		c.RetainEvents = 100
		c.Buffer = 16
	})
	seq := uint64(1)
	mustProcess(t, e, upsertChange(1, square("zone:a", 0, 0, 100, nil), 0))
	for i := range 50 {
		mustProcess(t, e, shuttle(&seq, "veh:1", 5, int64(i)*100)...)
	}
	n, err := e.Compact()
	if err != nil || n == 0 {
		t.Fatalf("compact: %d, %v", n, err)
	}
	head, first := e.Head()
	if head != 500 || first <= 1 || head-first+1 < 100 {
		t.Errorf("head %d first %d", head, first)
	}
	if _, err := e.Events(0, 10); !errors.Is(err, ErrCompacted) {
		t.Errorf("events from 0: %v", err)
	}
	evs, err := e.Events(first-1, 10)
	if err != nil || len(evs) != 10 || evs[0].Seq != first {
		t.Errorf("events from %d: %d, %v", first, len(evs), err)
	}
}

func TestCustomSink(t *testing.T) {
	var mu sync.Mutex
	var got []uint64
	e := newTestEngine(t, nil, func(c *Config) {
		c.Sinks = map[string]func(Endpoint) (Sink, error){
			"mqtt": func(ep Endpoint) (Sink, error) {
				return sinkFunc(func(_ context.Context, evs []Event) error {
					mu.Lock()
					defer mu.Unlock()
					for _, ev := range evs {
						got = append(got, ev.Seq)
					}
					return nil
				}), nil
			},
		}
	})
	seq := uint64(1)
	mustProcess(t, e, upsertChange(1, square("zone:a", 0, 0, 100, nil), 0))
	mustProcess(t, e, shuttle(&seq, "veh:1", 3, 1)...)
	if err := e.AddEndpoint(Endpoint{ID: "m", Kind: "mqtt", FromStart: true, Fences: []twin.ID{"zone:a"}}); err != nil {
		t.Fatal(err)
	}
	if err := e.AddEndpoint(Endpoint{ID: "m", Kind: "mqtt"}); !errors.Is(err, ErrEndpoint) {
		t.Errorf("duplicate id: %v", err)
	}
	if err := e.AddEndpoint(Endpoint{ID: "x", Kind: "carrier-pigeon"}); !errors.Is(err, ErrEndpoint) {
		t.Errorf("unknown kind: %v", err)
	}
	waitFor(t, "6 events", func() bool { mu.Lock(); defer mu.Unlock(); return len(got) == 6 })
	if err := e.RemoveEndpoint("m"); err != nil {
		t.Fatal(err)
	}
	if len(e.Endpoints()) != 0 {
		t.Errorf("endpoints left: %v", e.Endpoints())
	}
}

type sinkFunc func(context.Context, []Event) error

func (f sinkFunc) Deliver(ctx context.Context, evs []Event) error { return f(ctx, evs) }

func TestEventJSON(t *testing.T) {
	ev := Event{Seq: 7, Fence: "zone:a", Object: "veh:1", Kind: Exit, T: 42, Point: orb.Point{24.9, 60.1}, Dwell: 3 * time.Second, TwinSeq: 9}
	b, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"seq":7,"fence":"zone:a","object":"veh:1","kind":"exit","t":42,"point":[24.9,60.1],"dwell":3000000000,"twin_seq":9}`
	if string(b) != want {
		t.Errorf("got  %s\nwant %s", b, want)
	}
	rec := encodeRecord(nil, 1, 9, []Event{ev, ev})
	_, got, err := decodeRecord(nil, rec, false)
	if err != nil || len(got) != 2 || got[0] != ev || got[1].Seq != 8 {
		t.Errorf("round trip: %+v, %v", got, err)
	}
	for i := range rec {
		if _, _, err := decodeRecord(nil, rec[:i], false); err == nil {
			t.Errorf("a record cut at %d decodes", i)
		}
	}
}
