package web

import (
	"context"
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"citytwin/geo"
	"citytwin/render"
	"citytwin/twin"

	"github.com/paulmach/orb"
)

// What a client sees is the view as of the seq it was told: snapshots,
// deltas, whole changes and viewport changes, against brute force.

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
			if sView.Contains(twin.Quantise(p)) { // where the twin puts it
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

// The stream decides "in view" as queries do: from the position the store
// keeps (rounded to 1e-7°), and a late report (older than the newest one) moves
// nothing. A vehicle reported a hair outside the view's edge, which the store
// rounds onto the edge, is in view; one reported late outside stays where its
// newest report put it.
func TestStreamViewEdges(t *testing.T) {
	env := newStreamEnv(t, 0)
	inside := orb.Point{13.40, 52.50}
	ops := []twin.Op{}
	for _, id := range []twin.ID{"vehicle:east", "vehicle:west", "vehicle:late"} {
		ops = append(ops, twin.Op{Type: twin.OpUpsert, T: env.clock, Entity: &twin.Entity{ID: id, Kind: twin.KindVehicle, Geometry: inside}})
	}
	if _, err := env.store.Apply(ops...); err != nil {
		t.Fatal(err)
	}
	c := dialStream(t, env.url, nil)
	c.send(map[string]any{"type": "subscribe", "bbox": bboxOf(sView), "kinds": []string{"vehicle"}})
	c.until("snapshot", func() bool { return c.types["snapshot"] > 0 })

	now := env.clock + int64(10*time.Second)
	move := func(t int64, ps ...twin.Position) uint64 {
		for i := range ps {
			ps[i].T = t
		}
		seq, err := env.store.Apply(twin.Op{Type: twin.OpMove, T: t, Positions: ps})
		if err != nil {
			panic(err)
		}
		return seq
	}
	// First all three move well inside at now; then the late one is reported
	// outside at an earlier time, and the other two a hair outside the edges.
	move(now, twin.Position{ID: "vehicle:east", Point: orb.Point{13.41, 52.50}}, twin.Position{ID: "vehicle:west", Point: orb.Point{13.39, 52.50}}, twin.Position{ID: "vehicle:late", Point: orb.Point{13.41, 52.505}})
	move(now-int64(5*time.Second), twin.Position{ID: "vehicle:late", Point: orb.Point{13.44, 52.52}})
	seq := move(now+int64(time.Second),
		twin.Position{ID: "vehicle:east", Point: orb.Point{sView.Max[0] + 3e-8, 52.50}},
		twin.Position{ID: "vehicle:west", Point: orb.Point{sView.Min[0] - 4e-8, 52.50}})

	res, err := env.store.Query(context.Background(), twin.Query{BBox: []orb.Bound{sView}, Kinds: []twin.Kind{twin.KindVehicle}})
	if err != nil {
		t.Fatal(err)
	}
	var want []twin.ID
	for _, e := range res.Entities {
		want = append(want, e.ID)
	}
	slices.Sort(want)
	if !slices.Equal(want, []twin.ID{"vehicle:east", "vehicle:late", "vehicle:west"}) {
		t.Fatalf("the store's query holds %v; want all three vehicles", want)
	}
	// Once the client has read the positions frame of seq (the last message
	// of its write), it holds the view at seq; a leave is already wrong.
	c.until(fmt.Sprintf("the frame of seq %d", seq), func() bool { return c.lastFr != nil && c.lastFr.Seq >= seq || c.types["leave"] > 0 })
	var got []twin.ID
	for _, id := range c.ids {
		got = append(got, id)
	}
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Fatalf("the stream holds %v; the query %v", got, want)
	}
}
