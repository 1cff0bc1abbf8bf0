package wal

import (
	"bytes"
	"context"
	"errors"
	"os"
	"sync"
	"syscall"
	"testing"
	"time"
)

var policies = []SyncPolicy{SyncAlways, SyncBatch, SyncOff}

// appendConcurrently runs appenders goroutines that each append perG records with
// indexes ordered by a mutex, as the twin store does, and wait for them. Indexes
// step by 3 to leave gaps.
func appendConcurrently(t *testing.T, l *Log, start uint64, appenders, perG int) []rec {
	t.Helper()
	var (
		mu   sync.Mutex
		next = start
		wg   sync.WaitGroup
	)
	errs := make(chan error, appenders)
	for range appenders {
		wg.Go(func() {
			for range perG {
				mu.Lock()
				next += 3
				idx := next
				err := l.Append(idx, payloadFor(idx))
				mu.Unlock()
				if err == nil {
					err = l.Wait(context.Background(), idx)
				}
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	return recs(seq(start+3, next, 3)...)
}

func TestRoundTrip(t *testing.T) {
	for _, p := range policies {
		t.Run(p.String(), func(t *testing.T) {
			dir := t.TempDir()
			opts := testOptions(p)
			opts.SegmentBytes = 16 << 10 // roll while appenders race
			l, r := mustOpen(t, dir, opts)
			if r.Records != 0 || r.Segments != 0 || r.Truncated {
				t.Fatalf("fresh log recovery = %+v", r)
			}
			want := appendConcurrently(t, l, 0, 16, 100)
			if got := l.LastIndex(); got != want[len(want)-1].index {
				t.Fatalf("LastIndex = %d, want %d", got, want[len(want)-1].index)
			}
			checkReplay(t, l, 0, want) // replay of a live log
			mustClose(t, l)

			l, r = mustOpen(t, dir, opts)
			defer mustClose(t, l)
			if r.Records != len(want) || r.FirstIndex != want[0].index || r.LastIndex != want[len(want)-1].index || r.Truncated {
				t.Fatalf("recovery = %+v, want %d records %d..%d", r, len(want), want[0].index, want[len(want)-1].index)
			}
			if r.Segments < 2 {
				t.Fatalf("only %d segments with SegmentBytes %d", r.Segments, opts.SegmentBytes)
			}
			checkReplay(t, l, 1, want)
			mid := want[len(want)/2].index
			checkReplay(t, l, mid, want[len(want)/2:])
			checkReplay(t, l, mid+1, want[len(want)/2+1:]) // from an index in a gap
			checkReplay(t, l, want[len(want)-1].index+1, nil)

			// The reopened log takes more records and keeps them all.
			more := appendConcurrently(t, l, want[len(want)-1].index, 4, 20)
			checkReplay(t, l, 0, append(want, more...))
		})
	}
}

// TestFormat pins the on-disk bytes: a Log writes exactly what the format says.
func TestFormat(t *testing.T) {
	dir := t.TempDir()
	l, _ := mustOpen(t, dir, testOptions(SyncAlways))
	rs := recs(42, 43, 50)
	appendWait(t, l, rs)
	mustClose(t, l)
	got, err := os.ReadFile(segPath(dir, 42))
	if err != nil {
		t.Fatal(err)
	}
	if want := segmentBytes(42, rs...); !bytes.Equal(got, want) {
		t.Fatalf("segment bytes\n got %x\nwant %x", got, want)
	}
	if names := segmentFiles(t, dir); len(names) != 1 || names[0] != "00000000000000000042.wal" {
		t.Fatalf("segments = %v", names)
	}
}

func TestSegmentRoll(t *testing.T) {
	dir := t.TempDir()
	opts := testOptions(SyncBatch)
	opts.SegmentBytes = 256
	l, _ := mustOpen(t, dir, opts)
	want := recs(seq(1, 200, 1)...)
	big := rec{201, bytes.Repeat([]byte{7}, 1000)} // larger than a segment: gets one of its own
	want = append(want, big)
	appendWait(t, l, want)
	mustClose(t, l)

	segs, err := listSegments(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(segs) < 10 {
		t.Fatalf("%d segments, want many", len(segs))
	}
	for i, s := range segs {
		st, err := os.Stat(s.path)
		if err != nil {
			t.Fatal(err)
		}
		if st.Size() > opts.SegmentBytes && s.first != big.index {
			t.Errorf("segment %d (%s) is %d bytes, over %d", i, s.path, st.Size(), opts.SegmentBytes)
		}
	}
	if last := segs[len(segs)-1]; last.first != big.index {
		t.Errorf("last segment starts at %d, want the big record %d alone", last.first, big.index)
	}

	l, r := mustOpen(t, dir, opts)
	defer mustClose(t, l)
	if r.Segments != len(segs) || r.Records != len(want) {
		t.Fatalf("recovery = %+v, want %d segments %d records", r, len(segs), len(want))
	}
	checkReplay(t, l, 0, want)
	// Each segment is named after its first record.
	for _, s := range segs {
		got := replayAll(t, l, s.first)
		if len(got) == 0 || got[0].index != s.first {
			t.Fatalf("replay from segment %d starts at %v", s.first, indexesOf(got[:min(1, len(got))]))
		}
	}
}

func TestReopenAppendsToLastSegment(t *testing.T) {
	dir := t.TempDir()
	opts := testOptions(SyncBatch)
	l, _ := mustOpen(t, dir, opts)
	appendWait(t, l, recs(1, 2, 3))
	mustClose(t, l)
	l, _ = mustOpen(t, dir, opts)
	if err := l.Append(3, nil); !errors.Is(err, ErrOutOfOrder) {
		t.Fatalf("Append(3) after reopen = %v, want ErrOutOfOrder", err)
	}
	appendWait(t, l, recs(4, 9))
	mustClose(t, l)
	if names := segmentFiles(t, dir); len(names) != 1 {
		t.Fatalf("segments = %v, want the first one reused", names)
	}
	l, _ = mustOpen(t, dir, opts)
	defer mustClose(t, l)
	checkReplay(t, l, 0, recs(1, 2, 3, 4, 9))
}

func TestAppendErrors(t *testing.T) {
	l, _ := mustOpen(t, t.TempDir(), testOptions(SyncBatch))
	tests := []struct {
		name    string
		index   uint64
		payload []byte
		want    error
	}{
		{"index zero", 0, nil, ErrOutOfOrder},
		{"first", 5, []byte("a"), nil},
		{"same index", 5, []byte("b"), ErrOutOfOrder},
		{"smaller index", 4, nil, ErrOutOfOrder},
		{"empty payload", 6, nil, nil},
		{"too large", 7, make([]byte, MaxPayload+1), ErrTooLarge},
		{"after too large", 7, []byte("c"), nil},
	}
	for _, tt := range tests {
		if err := l.Append(tt.index, tt.payload); !errors.Is(err, tt.want) {
			t.Errorf("%s: Append(%d) = %v, want %v", tt.name, tt.index, err, tt.want)
		}
	}
	if err := l.Wait(context.Background(), 7); err != nil {
		t.Fatal(err)
	}
	mustClose(t, l)
	if err := l.Append(8, nil); !errors.Is(err, ErrClosed) {
		t.Fatalf("Append after Close = %v, want ErrClosed", err)
	}
	if err := l.Wait(context.Background(), 8); !errors.Is(err, ErrClosed) {
		t.Fatalf("Wait for a never appended index after Close = %v, want ErrClosed", err)
	}
	if err := l.Wait(context.Background(), 7); err != nil {
		t.Fatalf("Wait for a written index after Close = %v", err)
	}
	if err := l.Close(); err != nil {
		t.Fatalf("second Close = %v", err)
	}
}

// TestCloseFlushes checks that Close writes and fsyncs records nobody waited for.
func TestCloseFlushes(t *testing.T) {
	for _, p := range policies {
		t.Run(p.String(), func(t *testing.T) {
			dir := t.TempDir()
			l, _ := mustOpen(t, dir, testOptions(p))
			want := recs(seq(1, 500, 1)...)
			for _, r := range want {
				if err := l.Append(r.index, r.payload); err != nil {
					t.Fatal(err)
				}
			}
			mustClose(t, l)
			if st := l.Stats(); st.SyncedIndex != 500 || st.PendingBytes != 0 {
				t.Fatalf("after Close: %+v", st)
			}
			l, _ = mustOpen(t, dir, testOptions(p))
			defer mustClose(t, l)
			checkReplay(t, l, 0, want)
		})
	}
}

func TestSyncPolicies(t *testing.T) {
	ctx := context.Background()
	t.Run("always", func(t *testing.T) {
		l, _ := mustOpen(t, t.TempDir(), testOptions(SyncAlways))
		defer mustClose(t, l)
		appendWait(t, l, recs(1))
		if st := l.Stats(); st.SyncedIndex < 1 {
			t.Fatalf("always: Wait returned before fsync: %+v", st)
		}
		// Group commit: concurrent appenders share fsyncs.
		before := l.Stats().Fsyncs
		want := appendConcurrently(t, l, 1, 64, 20)
		st := l.Stats()
		if fs := st.Fsyncs - before; fs >= int64(len(want)) {
			t.Errorf("%d fsyncs for %d records from 64 appenders: no group commit", fs, len(want))
		}
		t.Logf("%d records, %d fsyncs", len(want), st.Fsyncs-before)
	})
	t.Run("batch", func(t *testing.T) {
		opts := testOptions(SyncBatch)
		opts.SyncInterval = 20 * time.Millisecond
		l, _ := mustOpen(t, t.TempDir(), opts)
		defer mustClose(t, l)
		start := time.Now()
		appendWait(t, l, recs(1))
		if st := l.Stats(); st.WrittenIndex < 1 {
			t.Fatalf("batch: Wait returned before write: %+v", st)
		}
		for l.Stats().SyncedIndex < 1 {
			if time.Since(start) > 5*time.Second {
				t.Fatal("batch: no fsync 5s after the write")
			}
			time.Sleep(time.Millisecond)
		}
		// Many quick appends share the interval's fsync.
		before := l.Stats().Fsyncs
		for i := uint64(2); i < 200; i++ {
			appendWait(t, l, recs(i))
		}
		if fs := l.Stats().Fsyncs - before; fs > 100 {
			t.Errorf("batch: %d fsyncs for 198 appends", fs)
		}
	})
	t.Run("off", func(t *testing.T) {
		l, _ := mustOpen(t, t.TempDir(), testOptions(SyncOff))
		appendWait(t, l, recs(1, 2))
		time.Sleep(20 * time.Millisecond)
		st := l.Stats()
		if st.WrittenIndex != 2 || st.SyncedIndex != 0 {
			t.Fatalf("off: written %d synced %d, want 2 and 0", st.WrittenIndex, st.SyncedIndex)
		}
		mustClose(t, l)
		if st := l.Stats(); st.SyncedIndex != 2 {
			t.Fatalf("off: Close did not fsync: %+v", st)
		}
		_ = ctx
	})
}

func TestManyWaiters(t *testing.T) {
	l, _ := mustOpen(t, t.TempDir(), testOptions(SyncAlways))
	defer mustClose(t, l)
	want := appendConcurrently(t, l, 0, 2000, 2)
	if got := l.Stats().WrittenIndex; got != want[len(want)-1].index {
		t.Fatalf("written %d, want %d", got, want[len(want)-1].index)
	}
}

// stall returns hooks whose writes block until release is closed.
func stall() (*hooks, chan struct{}) {
	release := make(chan struct{})
	return &hooks{beforeWrite: func() error { <-release; return nil }}, release
}

func TestWaitContext(t *testing.T) {
	opts := testOptions(SyncBatch)
	h, release := stall()
	opts.hooks = h
	l, _ := mustOpen(t, t.TempDir(), opts)
	defer mustClose(t, l)
	if err := l.Append(1, []byte("x")); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := l.Wait(ctx, 1); !errors.Is(err, context.Canceled) {
		t.Fatalf("Wait(cancelled) = %v, want context.Canceled", err)
	}
	ctx, cancel = context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	if err := l.Wait(ctx, 1); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Wait(timeout) = %v, want context.DeadlineExceeded", err)
	}
	close(release)
	if err := l.Wait(context.Background(), 1); err != nil {
		t.Fatalf("Wait after release = %v", err)
	}
}

func TestBackPressure(t *testing.T) {
	opts := testOptions(SyncBatch)
	opts.MaxPending = 1 << 10
	h, release := stall()
	opts.hooks = h
	l, _ := mustOpen(t, t.TempDir(), opts)
	defer mustClose(t, l)
	payload := make([]byte, 300)
	for i := uint64(1); i <= 5; i++ {
		if err := l.Append(i, payload); err != nil {
			t.Fatal(err)
		}
	}
	if !l.Full() {
		t.Fatalf("not Full with %d bytes pending over %d", l.Stats().PendingBytes, opts.MaxPending)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	if err := l.WaitRoom(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("WaitRoom while stalled = %v, want deadline exceeded", err)
	}
	done := make(chan error)
	go func() { done <- l.WaitRoom(context.Background()) }()
	close(release)
	if err := <-done; err != nil {
		t.Fatalf("WaitRoom after release = %v", err)
	}
	if l.Full() {
		t.Fatal("still Full after WaitRoom")
	}
}

func TestStickyErrors(t *testing.T) {
	eio := syscall.EIO
	tests := []struct {
		name   string
		policy SyncPolicy
		hooks  func(calls *int) *hooks
	}{
		{"write fails", SyncBatch, func(calls *int) *hooks {
			return &hooks{beforeWrite: func() error {
				if *calls++; *calls >= 2 {
					return eio
				}
				return nil
			}}
		}},
		{"fsync fails", SyncAlways, func(calls *int) *hooks {
			return &hooks{beforeSync: func() error {
				if *calls++; *calls >= 2 {
					return eio
				}
				return nil
			}}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			calls := 0 // touched only by the writer goroutine
			opts := testOptions(tt.policy)
			opts.hooks = tt.hooks(&calls)
			l, _ := mustOpen(t, t.TempDir(), opts)
			ctx := context.Background()
			appendWait(t, l, recs(1))
			// With SyncBatch record 1 may still be unsynced; wait for its fsync.
			for l.Stats().SyncedIndex < 1 {
				time.Sleep(time.Millisecond)
			}
			if err := l.Append(2, []byte("x")); err != nil {
				t.Fatal(err)
			}
			if err := l.Wait(ctx, 2); !errors.Is(err, eio) {
				t.Fatalf("Wait(2) = %v, want EIO", err)
			}
			for range 3 { // forever
				if err := l.Append(3, nil); !errors.Is(err, eio) {
					t.Fatalf("Append after failure = %v, want EIO", err)
				}
				if err := l.Wait(ctx, 2); !errors.Is(err, eio) {
					t.Fatalf("Wait after failure = %v, want EIO", err)
				}
				if err := l.WaitRoom(ctx); !errors.Is(err, eio) {
					t.Fatalf("WaitRoom after failure = %v, want EIO", err)
				}
			}
			if err := l.Wait(ctx, 1); err != nil {
				t.Fatalf("Wait for a record fsynced before the failure = %v", err)
			}
			if err := l.Close(); !errors.Is(err, eio) {
				t.Fatalf("Close = %v, want EIO", err)
			}
		})
	}

	t.Run("file closed under the log", func(t *testing.T) {
		l, _ := mustOpen(t, t.TempDir(), testOptions(SyncBatch))
		appendWait(t, l, recs(1))
		l.active.Close() // the writer owns it; Wait above ordered us after its last use
		if err := l.Append(2, []byte("x")); err != nil {
			t.Fatal(err)
		}
		err := l.Wait(context.Background(), 2)
		if !errors.Is(err, os.ErrClosed) {
			t.Fatalf("Wait = %v, want os.ErrClosed", err)
		}
		if err2 := l.Append(3, nil); !errors.Is(err2, os.ErrClosed) {
			t.Fatalf("Append = %v, want the sticky %v", err2, err)
		}
		if err := l.Close(); !errors.Is(err, os.ErrClosed) {
			t.Fatalf("Close = %v", err)
		}
	})
}

// TestReplayWhileAppending runs Replay against a log being written and rolled.
func TestReplayWhileAppending(t *testing.T) {
	opts := testOptions(SyncBatch)
	opts.SegmentBytes = 2 << 10
	l, _ := mustOpen(t, t.TempDir(), opts)
	defer mustClose(t, l)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			var prev uint64
			err := l.Replay(0, func(index uint64, payload []byte) error {
				if index <= prev || !bytes.Equal(payload, payloadFor(index)) {
					t.Errorf("replay saw %d after %d, payload %x", index, prev, payload)
				}
				prev = index
				return nil
			})
			if err != nil {
				t.Error(err)
				return
			}
		}
	})
	appendConcurrently(t, l, 0, 4, 200)
	close(stop)
	wg.Wait()
}

func TestReplayStopsOnError(t *testing.T) {
	l, _ := mustOpen(t, t.TempDir(), testOptions(SyncBatch))
	defer mustClose(t, l)
	appendWait(t, l, recs(1, 2, 3))
	stop := errors.New("stop")
	n := 0
	err := l.Replay(0, func(uint64, []byte) error {
		n++
		if n == 2 {
			return stop
		}
		return nil
	})
	if err != stop || n != 2 {
		t.Fatalf("Replay = %v after %d calls, want stop after 2", err, n)
	}
}
