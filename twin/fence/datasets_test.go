package fence

import (
	"context"
	"errors"
	"io"
	"os"
	"slices"
	"testing"
	"time"

	"citytwin/datasets/sharedtest"
	"citytwin/geo"
	"citytwin/ingest/gtfs"
	"citytwin/ingest/gtfsrt"
	"citytwin/ingest/tsbs"
	"citytwin/twin"

	"github.com/paulmach/orb"
)

// TestGTFSShapes drives buses along the real route shapes of the USF Bull
// Runner (one point per update) past circle fences at the real stops and a
// polygon around each stop's H3 cell, and compares with the oracle.
func TestGTFSShapes(t *testing.T) {
	path := sharedtest.File(t, "datasets/gtfs/usf_bullrunner_gtfs.zip")
	feed, err := gtfs.ReadFile(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	e := newTestEngine(t, nil, nil)
	or := newOracle()
	var seq uint64
	var chs []twin.Change
	add := func(ent *twin.Entity) {
		seq++
		chs = append(chs, upsertChange(seq, ent, 0))
		if ent.Kind == KindGeofence {
			or.addFence(t, ent)
		} else {
			or.kinds[ent.ID] = ent.Kind
		}
	}
	for i, s := range feed.Stops {
		if !s.HasPoint {
			continue
		}
		props := map[string]any{PropRadius: 25.0, PropEvents: "enter,exit,cross,inside", PropHysteresis: 5.0}
		if i%4 == 0 {
			props[PropDwell] = 30.0
		}
		add(fenceEntity("stop:"+s.ID, s.Point, props))
		if i%3 == 0 {
			add(fenceEntity("cell:"+s.ID, nil, map[string]any{PropCells: geo.Cell(s.Point, 10).String(), PropEvents: "enter,exit,outside,cross"}))
		}
	}
	var shapes []string
	for id := range feed.Shapes {
		shapes = append(shapes, id)
	}
	slices.Sort(shapes)
	for _, id := range shapes {
		add(&twin.Entity{ID: twin.ID("bus:" + id), Kind: "vehicle", Version: 1})
	}
	mustProcess(t, e, chs...)
	// Every bus advances one shape point per 10 s, all in one change per tick.
	for step := 0; ; step++ {
		op := twin.Op{Type: twin.OpMove}
		for _, id := range shapes {
			if l := feed.Shapes[id]; step < len(l) {
				op.Positions = append(op.Positions, twin.Position{ID: twin.ID("bus:" + id), T: int64(step) * 10e9, Point: l[step]})
			}
		}
		if len(op.Positions) == 0 {
			break
		}
		seq++
		for _, p := range op.Positions {
			or.move(p.ID, p.Point, p.T, seq)
		}
		mustProcess(t, e, twin.Change{Seq: seq, Op: op})
	}
	got, want := brief(allEvents(t, e)), brief(or.out)
	if len(want) < 50 || !slices.Equal(got, want) {
		t.Fatalf("got %d events, want %d", len(got), len(want))
	}
	t.Logf("%d stops, %d shapes: %d events", len(feed.Stops), len(shapes), len(got))
}

// TestGTFSRealtime applies a real VehiclePositions feed to a twin the engine
// follows: every vehicle enters the campus fence, and those near stop
// fences enter them.
func TestGTFSRealtime(t *testing.T) {
	data, err := os.ReadFile(sharedtest.File(t, "datasets/gtfs/usf_bullrunner_vehicle_positions.pb"))
	if err != nil {
		t.Fatal(err)
	}
	res, err := gtfsrt.Decode(data, gtfsrt.Options{Now: time.Unix(1505314375, 0)})
	if err != nil {
		t.Fatal(err)
	}
	store, err := twin.New(twin.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	e := newTestEngine(t, store, nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.Run(ctx) }()
	campus := orb.Polygon{{{-82.4195, 28.054}, {-82.407, 28.054}, {-82.407, 28.071}, {-82.4195, 28.071}, {-82.4195, 28.054}}}
	if _, err := store.Apply(twin.Op{Type: twin.OpUpsert, Entity: fenceEntity("zone:campus", campus, map[string]any{PropKinds: "vehicle", PropWhere: "route_id!=Z"})}); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Apply(res.Ops...); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "an enter per vehicle", func() bool { h, _ := e.Head(); return h >= uint64(res.Vehicles) })
	evs := allEvents(t, e)
	if len(evs) != res.Vehicles || res.Vehicles != 10 {
		t.Errorf("%d events for %d vehicles", len(evs), res.Vehicles)
	}
	for _, ev := range evs {
		if ev.Kind != Enter || ev.T != 1505314375e9 && ev.T == 0 {
			t.Errorf("event %+v", ev)
		}
	}
	cancel()
	<-done
}

// TestTSBSTrucks replays a day of TSBS trucks (when the shared file is there)
// against random fences over their area and compares with the oracle.
func TestTSBSTrucks(t *testing.T) {
	path := sharedtest.File(t, "tsbs/iot-trucks100-seed123-1d.timescaledb.txt.gz")
	r, err := tsbs.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	f, err := tsbs.NewFeed(r, tsbs.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	e := newTestEngine(t, nil, func(c *Config) { c.Workers = 2 })
	or := newOracle()
	var seq uint64
	var fences bool
	for n := 0; n < 200; n++ {
		b, err := f.Next(context.Background())
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		var chs []twin.Change
		for _, op := range b.Ops {
			if op.Type == twin.OpUpsert {
				or.kinds[op.Entity.ID] = op.Entity.Kind
			}
			if op.Type != twin.OpMove && op.Type != twin.OpUpsert {
				continue
			}
			if op.Type == twin.OpMove && !fences {
				// Fences around the first positions seen: the trucks roam a
				// continent, so make them large.
				fences = true
				for i, p := range op.Positions[:min(len(op.Positions), 50)] {
					seq++
					ent := fenceEntity("fence:"+itoa(i), p.Point, map[string]any{PropRadius: 200_000.0, PropEvents: "enter,exit,cross", PropHysteresis: 1000.0})
					chs = append(chs, upsertChange(seq, ent, 0))
					or.addFence(t, ent)
				}
			}
			seq++
			chs = append(chs, twin.Change{Seq: seq, Op: op})
			for _, p := range op.Positions {
				or.move(p.ID, p.Point, p.T, seq)
			}
		}
		mustProcess(t, e, chs...)
	}
	got, want := brief(allEvents(t, e)), brief(or.out)
	if len(want) == 0 || !slices.Equal(got, want) {
		t.Fatalf("got %d events, want %d", len(got), len(want))
	}
}
