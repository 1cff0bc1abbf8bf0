package web

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"citytwin/render"
	"citytwin/twin"

	"github.com/paulmach/orb"
)

// Seeking into the past and playing it back.

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
