package wal

import (
	"testing"
)

func TestCompact(t *testing.T) {
	dir := t.TempDir()
	opts := testOptions(SyncBatch)
	opts.SegmentBytes = 300
	l, _ := mustOpen(t, dir, opts)
	all := recs(seq(2, 400, 2)...)
	appendWait(t, l, all)
	before := len(segmentFiles(t, dir))

	for _, upTo := range []uint64{0, 1, 57, 58, 150, 151, 399, 400, 1000} {
		if err := l.Compact(upTo); err != nil {
			t.Fatalf("Compact(%d): %v", upTo, err)
		}
		// Everything after upTo is kept.
		var want []rec
		for _, r := range all {
			if r.index > upTo {
				want = append(want, r)
			}
		}
		checkReplay(t, l, upTo+1, want)
		// Only fully covered segments went, and never the last one.
		l.segMu.Lock()
		segs := append([]segment(nil), l.segs...)
		l.segMu.Unlock()
		if len(segs) == 0 {
			t.Fatalf("Compact(%d) removed the active segment", upTo)
		}
		for _, s := range segs[:len(segs)-1] {
			if s.last <= upTo {
				t.Fatalf("Compact(%d) kept segment %d..%d", upTo, s.first, s.last)
			}
		}
		if files := segmentFiles(t, dir); len(files) != len(segs) || files[0] != segmentName(segs[0].first) {
			t.Fatalf("files %v, log has %d segments from %d", files, len(segs), segs[0].first)
		}
	}
	if after := len(segmentFiles(t, dir)); after != 1 || before < 10 {
		t.Fatalf("%d segments before, %d after compacting everything", before, after)
	}
	// The log goes on, and reopens from its compacted start.
	more := recs(401, 402)
	appendWait(t, l, more)
	st := l.Stats()
	mustClose(t, l)
	l, r := mustOpen(t, dir, opts)
	defer mustClose(t, l)
	if r.Segments != st.Segments || r.LastIndex != 402 {
		t.Fatalf("recovery = %+v, stats before close = %+v", r, st)
	}
	got := replayAll(t, l, 0)
	if len(got) == 0 || got[len(got)-1].index != 402 {
		t.Fatalf("replay after compaction = %v", indexesOf(got))
	}
}

// TestCompactFreshLog compacts a log with nothing or one segment.
func TestCompactFreshLog(t *testing.T) {
	l, _ := mustOpen(t, t.TempDir(), testOptions(SyncBatch))
	defer mustClose(t, l)
	if err := l.Compact(100); err != nil {
		t.Fatal(err)
	}
	appendWait(t, l, recs(1, 2))
	if err := l.Compact(100); err != nil {
		t.Fatal(err)
	}
	checkReplay(t, l, 0, recs(1, 2))
}
