package twin_test

import (
	"context"
	"errors"
	"testing"

	"citytwin/twin"
)

func TestReadLog(t *testing.T) {
	ctx := context.Background()
	s, _ := openTwin(t, testDurability(t.TempDir()))
	defer s.Close()
	batches := durableOps(t)
	applyAll(t, s, batches)
	var want []twin.OpType
	for _, b := range batches {
		for _, op := range b {
			want = append(want, op.Type)
		}
	}
	if s.Seq() != uint64(len(want)) {
		t.Fatalf("seq %d, want %d", s.Seq(), len(want))
	}
	for _, after := range []uint64{0, 1, uint64(len(batches[0])) - 1, uint64(len(want)) - 3, uint64(len(want))} {
		next := after + 1
		err := s.ReadLog(ctx, after, func(c twin.Change) error {
			if c.Seq != next {
				t.Fatalf("after %d: change %d, want %d", after, c.Seq, next)
			}
			if c.Op.Type != want[c.Seq-1] {
				t.Fatalf("change %d is %v, want %v", c.Seq, c.Op.Type, want[c.Seq-1])
			}
			next++
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if next != uint64(len(want))+1 {
			t.Fatalf("after %d: read up to %d, want %d", after, next-1, len(want))
		}
	}
	n := 0
	if err := s.ReadLog(ctx, 0, func(twin.Change) error { n++; return twin.StopReading() }); err != nil || n != 1 {
		t.Fatalf("StopReading: read %d, err %v", n, err)
	}
	boom := errors.New("boom")
	if err := s.ReadLog(ctx, 0, func(twin.Change) error { return boom }); !errors.Is(err, boom) {
		t.Fatalf("fn's error: got %v", err)
	}
}

func TestReadLogNotDurable(t *testing.T) {
	s, err := twin.New(testConfig())
	if err != nil {
		t.Fatal(err)
	}
	if err := s.ReadLog(context.Background(), 0, func(twin.Change) error { return nil }); !errors.Is(err, twin.ErrNotDurable) {
		t.Fatalf("got %v, want ErrNotDurable", err)
	}
}

// TestHoldLog checks that snapshots compact the log past a follower only when
// nothing holds it.
func TestHoldLog(t *testing.T) {
	ctx := context.Background()
	for _, held := range []bool{true, false} {
		d := testDurability(t.TempDir())
		d.KeepSnapshots = 1
		s, _ := openTwin(t, d)
		if held {
			s.HoldLog(func() uint64 { return 0 })
		}
		batches := durableOps(t)
		for i, b := range batches {
			if _, err := s.Apply(b...); err != nil {
				t.Fatal(err)
			}
			if i%3 == 2 {
				if _, err := s.Snapshot(ctx); err != nil {
					t.Fatal(err)
				}
			}
		}
		if _, err := s.Snapshot(ctx); err != nil {
			t.Fatal(err)
		}
		n := 0
		err := s.ReadLog(ctx, 0, func(twin.Change) error { n++; return nil })
		switch {
		case held && (err != nil || uint64(n) != s.Seq()):
			t.Errorf("held: read %d of %d: %v", n, s.Seq(), err)
		case !held && !errors.Is(err, twin.ErrLogCompacted):
			t.Errorf("not held: read %d, err %v, want ErrLogCompacted", n, err)
		}
		start, ok := s.LogStart()
		if !ok || held && start != 1 || !held && start <= 1 {
			t.Errorf("held %v: log starts at %d (%v)", held, start, ok)
		}
		s.Close()
	}
}
