package web

import (
	"fmt"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// Slow, stalled and reconnecting clients.

// A client that stops reading holds up no one; its pending state stays
// bounded, and when it reads again it gets the newest positions and a count
// of what it missed.
func TestStreamConflation(t *testing.T) {
	for _, maxPending := range []int{64, 5000} {
		t.Run(fmt.Sprint("pending=", maxPending), func(t *testing.T) { testConflation(t, maxPending) })
	}
}

func testConflation(t *testing.T, maxPending int) {
	// A long write timeout: on a busy machine the test's moves can take
	// longer than the default 10 s during which the slow client reads nothing
	// (the server then closes the connection).
	env := newStreamEnv(t, 3000, func(_ *Config, s *StreamConfig) { s.MaxPending, s.WriteTimeout = maxPending, 5*time.Minute })
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
