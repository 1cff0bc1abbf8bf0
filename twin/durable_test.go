package twin_test

import (
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"testing"
	"time"

	"citytwin/twin"
	"citytwin/twin/wal"

	"github.com/paulmach/orb"
)

// durableOps is a day in a small city: the demo's entities, then ticks of its
// live stream, in batches as a feed would send them.
func durableOps(tb testing.TB) [][]twin.Op {
	batches := demoOps(tb)
	// Versions: patches, deletes and upserts that move buildings, so that history
	// and the index of superseded geometry have something to keep.
	var changes []twin.Op
	t := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC).UnixNano()
	for i, op := range batches[0][:30] {
		e := *op.Entity
		switch i % 3 {
		case 0:
			changes = append(changes, twin.Op{Type: twin.OpPatch, T: t, ID: e.ID, Patch: twin.Properties{{Key: "state", Value: twin.StringValue("renovated")}}})
		case 1:
			changes = append(changes, twin.Op{Type: twin.OpDelete, T: t, ID: e.ID})
		case 2:
			if p, ok := e.Geometry.(orb.Polygon); ok {
				moved := orb.Polygon{append(orb.Ring(nil), p[0]...)}
				for j := range moved[0] {
					moved[0][j][0] += 0.001
				}
				e.Geometry = moved
			}
			e.Height++
			changes = append(changes, twin.Op{Type: twin.OpUpsert, T: t, Entity: &e})
		}
	}
	return append(batches, changes)
}

func testDurability(dir string) twin.Durability {
	d := twin.DefaultDurability(dir)
	d.SnapshotEvery, d.SnapshotLogBytes = 0, 0 // tests take snapshots themselves
	d.Log.SegmentBytes = 256 << 10             // many segments, so compaction has work
	return d
}

func testConfig() twin.Config {
	c := twin.DefaultConfig()
	c.Retention = 0
	return c
}

func openTwin(t *testing.T, d twin.Durability) (*twin.Store, *twin.Recovery) {
	t.Helper()
	s, rec, err := twin.Open(context.Background(), testConfig(), d)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	return s, rec
}

func applyAll(t *testing.T, s *twin.Store, batches [][]twin.Op) {
	t.Helper()
	for i, b := range batches {
		if _, err := s.Apply(b...); err != nil {
			t.Fatalf("batch %d: %v", i, err)
		}
	}
}

// sameTwin compares two stores through their public API: every entity's
// versions, every channel's points, counts, and a few spatial and as-of queries.
func sameTwin(t *testing.T, got, want *twin.Store) {
	t.Helper()
	ctx := context.Background()
	if got.Seq() != want.Seq() || got.Len() != want.Len() || !reflect.DeepEqual(got.Counts(), want.Counts()) {
		t.Fatalf("seq %d len %d counts %v; want %d %d %v", got.Seq(), got.Len(), got.Counts(), want.Seq(), want.Len(), want.Counts())
	}
	all := func(s *twin.Store, q twin.Query) []twin.ID {
		q.Limit = 1 << 30
		r, err := s.Query(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		ids := make([]twin.ID, len(r.Entities))
		for i, e := range r.Entities {
			ids[i] = e.ID
		}
		slices.Sort(ids)
		return ids
	}
	ids := all(want, twin.Query{})
	if g := all(got, twin.Query{}); !slices.Equal(g, ids) {
		t.Fatalf("%d entities, want %d", len(g), len(ids))
	}
	metrics := map[string]bool{}
	for _, id := range ids {
		gh, _ := got.History(id)
		wh, _ := want.History(id)
		if !reflect.DeepEqual(gh, wh) {
			t.Fatalf("%s: history differs\n got %+v\nwant %+v", id, gh, wh)
		}
		gm, wm := got.Metrics(id), want.Metrics(id)
		if !slices.Equal(gm, wm) {
			t.Fatalf("%s: metrics %v, want %v", id, gm, wm)
		}
		for _, m := range wm {
			metrics[m] = true
			gp, _ := got.Range(id, m, math.MinInt64, math.MaxInt64)
			wp, _ := want.Range(id, m, math.MinInt64, math.MaxInt64)
			if !reflect.DeepEqual(gp, wp) {
				t.Fatalf("%s %s: %d points, want %d", id, m, len(gp), len(wp))
			}
		}
	}
	// Spatial and as-of queries go through the rebuilt indexes.
	var b orb.Bound
	for i, id := range ids {
		e, _ := want.Get(id)
		if e.Geometry == nil {
			continue
		}
		if i == 0 {
			b = e.Geometry.Bound()
		}
		b = b.Union(e.Geometry.Bound())
	}
	for _, frac := range []float64{0.1, 0.3, 1} {
		q := twin.Query{BBox: []orb.Bound{{Min: b.Min, Max: orb.Point{b.Min[0] + (b.Max[0]-b.Min[0])*frac, b.Min[1] + (b.Max[1]-b.Min[1])*frac}}}}
		if g, w := all(got, q), all(want, q); !slices.Equal(g, w) {
			t.Fatalf("bbox %v: %d entities, want %d", q.BBox, len(g), len(w))
		}
		// Before the changes: deleted and moved buildings are found where they
		// were through the index of superseded geometry.
		q.At = time.Date(2026, 11, 27, 8, 0, 0, 0, time.UTC).UnixNano()
		if g, w := all(got, q), all(want, q); !slices.Equal(g, w) {
			t.Fatalf("bbox as of 08:00: %d entities, want %d", len(g), len(w))
		}
	}
	// Latest walks each metric's channels in slot order (an index rebuilt on
	// restore) or goes through the spatial indexes, now and as of a past instant.
	for m := range metrics {
		for _, q := range []twin.Query{
			{}, {BBox: []orb.Bound{b}}, {BBox: []orb.Bound{b.Pad(1)}, Kinds: []twin.Kind{twin.KindSensor}},
			{BBox: []orb.Bound{{Min: b.Min, Max: b.Center()}}}, {At: time.Date(2026, 11, 27, 8, 0, 0, 0, time.UTC).UnixNano()},
		} {
			gl, gerr := got.Latest(ctx, q, m)
			wl, werr := want.Latest(ctx, q, m)
			if gerr != nil || werr != nil || !slices.Equal(gl, wl) {
				t.Fatalf("latest %s %+v: %d values (%v), want %d (%v)", m, q, len(gl), gerr, len(wl), werr)
			}
		}
	}
}

func TestDurableReopen(t *testing.T) {
	batches := durableOps(t)
	oracle, _ := twin.New(testConfig())
	applyAll(t, oracle, batches)

	for _, policy := range []wal.SyncPolicy{wal.SyncAlways, wal.SyncBatch, wal.SyncOff} {
		t.Run(policy.String(), func(t *testing.T) {
			d := testDurability(t.TempDir())
			d.Log.Sync = policy
			d.SnapshotOnClose = false
			s, rec := openTwin(t, d)
			if rec.Snapshot != "" || rec.Records != 0 {
				t.Fatalf("fresh dir recovered %+v", rec)
			}
			applyAll(t, s, batches[:len(batches)/2])
			if _, err := s.Snapshot(context.Background()); err != nil {
				t.Fatal(err)
			}
			applyAll(t, s, batches[len(batches)/2:])
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			if _, err := s.Apply(batches[0]...); !errors.Is(err, twin.ErrClosed) {
				t.Fatalf("apply after close: %v", err)
			}
			s2, rec := openTwin(t, d)
			defer s2.Close()
			if rec.Snapshot == "" || rec.Records == 0 {
				t.Fatalf("want a snapshot and a replayed log, got %+v", rec)
			}
			sameTwin(t, s2, oracle)
		})
	}
}

func TestDurableSnapshotOnly(t *testing.T) {
	batches := durableOps(t)
	oracle, _ := twin.New(testConfig())
	applyAll(t, oracle, batches)
	d := testDurability(t.TempDir())
	s, _ := openTwin(t, d)
	applyAll(t, s, batches)
	if err := s.Close(); err != nil { // snapshot on close
		t.Fatal(err)
	}
	s2, rec := openTwin(t, d)
	defer s2.Close()
	if rec.Snapshot == "" || rec.Records != 0 {
		t.Fatalf("want the close snapshot and nothing to replay, got %+v", rec)
	}
	sameTwin(t, s2, oracle)
	// and it goes on from there
	applyAll(t, s2, batches[len(batches)-2:len(batches)-1])
	applyAll(t, oracle, batches[len(batches)-2:len(batches)-1])
	sameTwin(t, s2, oracle)
}

func snapshots(t *testing.T, dir string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, "snapshot-*.ctsnap"))
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(m)
	return m
}

func TestDurableDamagedSnapshot(t *testing.T) {
	batches := durableOps(t)
	oracle, _ := twin.New(testConfig())
	applyAll(t, oracle, batches)
	damages := map[string]func([]byte) []byte{
		"bit flip":  func(b []byte) []byte { b[len(b)/2] ^= 0x10; return b },
		"truncated": func(b []byte) []byte { return b[:len(b)*2/3] },
		"empty":     func(b []byte) []byte { return nil },
		"bad magic": func(b []byte) []byte { b[0] = 'X'; return b },
	}
	for name, damage := range damages {
		t.Run(name, func(t *testing.T) {
			d := testDurability(t.TempDir())
			d.SnapshotOnClose = false
			s, _ := openTwin(t, d)
			third := len(batches) / 3
			applyAll(t, s, batches[:third])
			if _, err := s.Snapshot(context.Background()); err != nil {
				t.Fatal(err)
			}
			applyAll(t, s, batches[third:2*third])
			if _, err := s.Snapshot(context.Background()); err != nil {
				t.Fatal(err)
			}
			applyAll(t, s, batches[2*third:])
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			snaps := snapshots(t, d.Dir)
			if len(snaps) != 2 {
				t.Fatalf("%d snapshots kept, want 2", len(snaps))
			}
			newest := snaps[1]
			b, err := os.ReadFile(newest)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(newest, damage(b), 0o644); err != nil {
				t.Fatal(err)
			}
			s2, rec := openTwin(t, d)
			defer s2.Close()
			if len(rec.Skipped) != 1 || rec.Snapshot != snaps[0] {
				t.Fatalf("want the older snapshot after skipping the damaged one, got %+v", rec)
			}
			sameTwin(t, s2, oracle)
		})
	}
}

func TestDurableDamagedSnapshotWithoutFallback(t *testing.T) {
	batches := durableOps(t)
	d := testDurability(t.TempDir())
	d.KeepSnapshots = 1
	d.SnapshotOnClose = false
	s, _ := openTwin(t, d)
	applyAll(t, s, batches)
	if _, err := s.Snapshot(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	snap := snapshots(t, d.Dir)[0]
	b, _ := os.ReadFile(snap)
	b[len(b)/3] ^= 1
	if err := os.WriteFile(snap, b, 0o644); err != nil {
		t.Fatal(err)
	}
	// The log before the snapshot is gone: starting empty would lose the city, so
	// Open must refuse rather than serve a partial twin.
	if s, _, err := twin.Open(context.Background(), testConfig(), d); err == nil {
		s.Close()
		t.Fatal("opened a twin whose only snapshot is damaged and whose log was compacted")
	}
}

func TestDurableTornLogTail(t *testing.T) {
	batches := durableOps(t)
	d := testDurability(t.TempDir())
	d.SnapshotOnClose = false
	s, _ := openTwin(t, d)
	applyAll(t, s, batches)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	segs, _ := filepath.Glob(filepath.Join(d.Dir, "wal", "*.wal"))
	sort.Strings(segs)
	last := segs[len(segs)-1]
	info, _ := os.Stat(last)
	if err := os.Truncate(last, info.Size()-5); err != nil {
		t.Fatal(err)
	}
	s2, rec := openTwin(t, d)
	defer s2.Close()
	if !rec.Log.Truncated {
		t.Fatalf("torn tail not reported: %+v", rec.Log)
	}
	// Everything up to the last whole record is there.
	oracle, _ := twin.New(testConfig())
	applyAll(t, oracle, batches[:len(batches)-1])
	sameTwin(t, s2, oracle)
}

func TestApplyEach(t *testing.T) {
	d := testDurability(t.TempDir())
	s, _ := openTwin(t, d)
	now := time.Now().UnixNano()
	ops := []twin.Op{
		{Type: twin.OpUpsert, Entity: &twin.Entity{ID: "s:1", Kind: twin.KindSensor, Geometry: orb.Point{24.9, 60.1}}},
		{Type: twin.OpObserve, Observations: []twin.Observation{{ID: "s:1", Metric: "pm25", T: now, V: 3}}},
		{Type: twin.OpObserve, Observations: []twin.Observation{{ID: "s:unknown", Metric: "pm25", T: now, V: 3}}},
		{Type: twin.OpObserve, Observations: []twin.Observation{{ID: "s:1", Metric: "pm25", T: now + 1, V: math.NaN()}}},
		{Type: twin.OpObserve, Observations: []twin.Observation{{ID: "s:1", Metric: "pm25", T: now + 2, V: 4}}},
	}
	errs, seq, err := s.ApplyEach(context.Background(), ops)
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []bool{true, true, false, false, true} {
		if (errs[i] == nil) != want {
			t.Errorf("op %d: err %v", i, errs[i])
		}
	}
	if seq != 3 {
		t.Errorf("seq %d, want 3", seq)
	}
	d.SnapshotOnClose = false
	s.Close()
	s2, _ := openTwin(t, d)
	defer s2.Close()
	pts, err := s2.Range("s:1", "pm25", math.MinInt64, math.MaxInt64)
	if err != nil || len(pts) != 2 {
		t.Fatalf("after reopen: %v points, err %v; want 2", pts, err)
	}
}

// Snapshots taken while readings keep arriving read the channels in chunks, so
// they may hold readings of ops after their seq; start-up replays those ops
// again. The twin that comes back must be exactly the one that was fed.
func TestDurableSnapshotUnderLoad(t *testing.T) {
	defer twin.SetChannelsPerLock(4)() // let writes in between the chunks
	batches := durableOps(t)
	d := testDurability(t.TempDir())
	d.SnapshotOnClose = false
	d.KeepSnapshots = 3
	s, _ := openTwin(t, d)
	oracle, _ := twin.New(testConfig())
	entities := 0
	for entities < len(batches) && batches[entities][0].Type == twin.OpUpsert {
		entities++
	}
	applyAll(t, s, batches[:entities])
	applyAll(t, oracle, batches[:entities])

	// Ticks of the live stream, replayed again and again with fresh times, on
	// one goroutine; snapshots on another.
	ticks := batches[entities : len(batches)-1]
	done := make(chan struct{})
	var applied [][]twin.Op
	go func() {
		defer close(done)
		for round := range 30 {
			for _, b := range ticks {
				b = shiftOps(b, time.Duration(round+1)*time.Hour)
				if _, err := s.Apply(b...); err != nil {
					t.Error(err)
					return
				}
				applied = append(applied, b)
			}
		}
	}()
	snaps := 0
	for {
		select {
		case <-done:
		default:
			if _, err := s.Snapshot(context.Background()); err != nil {
				t.Fatal(err)
			}
			snaps++
			continue
		}
		break
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	applyAll(t, oracle, applied)
	s2, rec := openTwin(t, d)
	defer s2.Close()
	t.Logf("%d snapshots taken while %d batches went in; recovered from %s, replaying %d records", snaps, len(applied), filepath.Base(rec.Snapshot), rec.Records)
	if snaps < 2 || rec.Snapshot == "" {
		t.Fatalf("the test took %d snapshots during the load; it needs some to test anything", snaps)
	}
	sameTwin(t, s2, oracle)
}

// shiftOps copies a batch of readings and moves with their times shifted.
func shiftOps(ops []twin.Op, by time.Duration) []twin.Op {
	out := make([]twin.Op, len(ops))
	for i, op := range ops {
		op.T += int64(by)
		if len(op.Observations) > 0 {
			obs := make([]twin.Observation, len(op.Observations))
			for j, o := range op.Observations {
				o.T += int64(by)
				obs[j] = o
			}
			op.Observations = obs
		}
		if len(op.Positions) > 0 {
			pos := make([]twin.Position, len(op.Positions))
			for j, p := range op.Positions {
				p.T += int64(by)
				pos[j] = p
			}
			op.Positions = pos
		}
		out[i] = op
	}
	return out
}

func TestDurableDirIsLocked(t *testing.T) {
	d := testDurability(t.TempDir())
	s, _ := openTwin(t, d)
	if s2, _, err := twin.Open(context.Background(), testConfig(), d); !errors.Is(err, twin.ErrLocked) {
		if s2 != nil {
			s2.Close()
		}
		t.Fatalf("second open of a directory in use: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s3, _ := openTwin(t, d) // free again
	s3.Close()
}

// Changes a reopened store replayed from its log were never in the change feed:
// a subscriber that asks for them is told how many it missed, and never gets
// empty changes in their place.
func TestFeedAfterReopenReportsReplayedChangesAsMissed(t *testing.T) {
	d := twin.DefaultDurability(t.TempDir())
	d.SnapshotEvery, d.SnapshotLogBytes = 0, 0
	s, _ := openTwin(t, d)
	for i := range 5 {
		e := &twin.Entity{ID: twin.ID("s:" + string(rune('a'+i))), Kind: twin.KindSensor, Geometry: orb.Point{1, 2}}
		if _, err := s.Apply(twin.Op{Type: twin.OpUpsert, Entity: e}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, _ = openTwin(t, d)
	defer s.Close()
	before := s.Seq()
	sub := s.Subscribe(2) // wants changes 3.. of which 3..5 were replayed
	if _, err := s.Apply(twin.Op{Type: twin.OpUpsert, Entity: &twin.Entity{ID: "s:new", Kind: twin.KindSensor, Geometry: orb.Point{1, 2}}}); err != nil {
		t.Fatal(err)
	}
	changes, missed, err := sub.Next(context.Background(), 100)
	if err != nil {
		t.Fatal(err)
	}
	if missed != before-2 || len(changes) != 1 || changes[0].Seq != before+1 || changes[0].Op.Entity.ID != "s:new" {
		t.Fatalf("missed %d (want %d), changes %+v", missed, before-2, changes)
	}
}
