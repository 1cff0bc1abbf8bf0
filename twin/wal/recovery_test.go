package wal

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// lastSegment is a segment of five records the corruption tests damage.
var lastSegment = recs(1, 2, 3, 4, 5)

// TestTornTail cuts the last segment at byte offsets: Open must cut the file
// at the last whole record, and the log must go on taking and replaying records.
func TestTornTail(t *testing.T) {
	full := segmentBytes(1, lastSegment...)
	offs, end := frameOffsets(lastSegment)
	if end != int64(len(full)) {
		t.Fatal("frameOffsets disagrees with segmentBytes")
	}
	// Every offset of the header, of the first record and of the last two records.
	var cuts []int64
	for cut := int64(0); cut <= end; cut++ {
		if cut <= offs[1] || cut >= offs[3] {
			cuts = append(cuts, cut)
		}
	}
	for _, cut := range cuts {
		t.Run(fmt.Sprint(cut), func(t *testing.T) {
			dir := t.TempDir()
			path := segPath(dir, 1)
			writeFile(t, path, full[:cut])
			var logs bytes.Buffer
			opts := testOptions(SyncBatch)
			opts.Logger = slog.New(slog.NewTextHandler(&logs, nil))
			l, r, err := Open(dir, opts)
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			// Records that end at or before the cut survive.
			kept, goodEnd := 0, int64(segmentHeaderSize)
			for i := range offs {
				recEnd := end
				if i+1 < len(offs) {
					recEnd = offs[i+1]
				}
				if recEnd <= cut {
					kept, goodEnd = i+1, recEnd
				}
			}
			want := lastSegment[:kept]
			if r.Records != kept {
				t.Fatalf("recovered %d records, want %d (%+v)", r.Records, kept, r)
			}
			wantCut := cut > goodEnd || (cut > 0 && cut < segmentHeaderSize)
			if r.Truncated != wantCut {
				t.Fatalf("Truncated = %v, want %v (%+v)", r.Truncated, wantCut, r)
			}
			if wantCut {
				at := goodEnd
				if cut < segmentHeaderSize {
					at = 0
				}
				if r.TruncatedAt != at || r.TruncatedBytes != cut-at || r.TruncatedSegment != path || r.Reason == "" {
					t.Fatalf("recovery = %+v, want cut at %d of %d bytes", r, at, cut-at)
				}
				if !strings.Contains(logs.String(), "level=WARN") || !strings.Contains(logs.String(), path) {
					t.Fatalf("no warning logged: %q", logs.String())
				}
			}
			st, err := os.Stat(path)
			switch {
			case kept == 0 && !os.IsNotExist(err):
				t.Fatalf("segment without records kept: %v", err)
			case kept > 0 && (err != nil || st.Size() != goodEnd):
				t.Fatalf("segment after Open: %v, size %d, want %d", err, st.Size(), goodEnd)
			}
			checkReplay(t, l, 0, want)

			// The log carries on after the cut.
			more := recs(100, 101)
			appendWait(t, l, more)
			mustClose(t, l)
			l, r = mustOpen(t, dir, opts)
			defer mustClose(t, l)
			if r.Truncated {
				t.Fatalf("second Open cut again: %+v", r)
			}
			checkReplay(t, l, 0, append(append([]rec(nil), want...), more...))
		})
	}
}

// flipBit returns a copy of b with bit (bit%8) of byte at flipped.
func flipBit(b []byte, at int64, bit int) []byte {
	c := bytes.Clone(b)
	c[at] ^= 1 << (bit % 8)
	return c
}

// TestBitFlipLastRecord damages every byte of the last record: a torn tail.
func TestBitFlipLastRecord(t *testing.T) {
	full := segmentBytes(1, lastSegment...)
	offs, end := frameOffsets(lastSegment)
	last := offs[len(offs)-1]
	for at := last; at < end; at++ {
		dir := t.TempDir()
		writeFile(t, segPath(dir, 1), flipBit(full, at, int(at)))
		l, r, err := Open(dir, testOptions(SyncBatch))
		if err != nil {
			t.Fatalf("flip at %d: Open: %v", at, err)
		}
		if !r.Truncated || r.TruncatedAt != last || r.TruncatedBytes != end-last || r.Records != 4 {
			t.Fatalf("flip at %d: recovery = %+v, want cut at %d", at, r, last)
		}
		checkReplay(t, l, 0, lastSegment[:4])
		mustClose(t, l)
	}
}

// TestBitFlipMiddle damages every byte of an earlier record of the last segment:
// valid records follow, so it is corruption, reported where the damage is.
func TestBitFlipMiddle(t *testing.T) {
	full := segmentBytes(1, lastSegment...)
	offs, _ := frameOffsets(lastSegment)
	for _, victim := range []int{0, 1, 3} {
		for at := offs[victim]; at < offs[victim+1]; at++ {
			dir := t.TempDir()
			writeFile(t, segPath(dir, 1), flipBit(full, at, int(at)+victim))
			_, _, err := Open(dir, testOptions(SyncBatch))
			wantCorrupt(t, err, segPath(dir, 1), offs[victim])
		}
	}
}

func TestGarbageLength(t *testing.T) {
	offs, end := frameOffsets(lastSegment)
	for _, length := range []uint32{0xFFFFFFFF, MaxPayload + 1, 1 << 20} {
		t.Run(fmt.Sprint(length), func(t *testing.T) {
			// In the last record: a torn tail.
			dir := t.TempDir()
			b := segmentBytes(1, lastSegment...)
			binary.LittleEndian.PutUint32(b[offs[4]:], length)
			writeFile(t, segPath(dir, 1), b)
			l, r, err := Open(dir, testOptions(SyncBatch))
			if err != nil {
				t.Fatal(err)
			}
			if !r.Truncated || r.TruncatedAt != offs[4] || r.TruncatedBytes != end-offs[4] {
				t.Fatalf("recovery = %+v", r)
			}
			mustClose(t, l)

			// In the middle: corruption, never a skip.
			dir = t.TempDir()
			b = segmentBytes(1, lastSegment...)
			binary.LittleEndian.PutUint32(b[offs[2]:], length)
			writeFile(t, segPath(dir, 1), b)
			_, _, err = Open(dir, testOptions(SyncBatch))
			wantCorrupt(t, err, segPath(dir, 1), offs[2])
		})
	}
}

// TestNonLastSegment damages a segment that is not the last: always corruption,
// even at its very end.
func TestNonLastSegment(t *testing.T) {
	first := recs(1, 2, 3)
	offs, end := frameOffsets(first)
	second := segmentBytes(10, recs(10, 11)...)
	tests := []struct {
		name string
		seg  func() []byte
		off  int64
	}{
		{"bit flip in last record", func() []byte { return flipBit(segmentBytes(1, first...), offs[2]+20, 3) }, offs[2]},
		{"bit flip in first record", func() []byte { return flipBit(segmentBytes(1, first...), offs[0]+5, 0) }, offs[0]},
		{"torn end", func() []byte { return segmentBytes(1, first...)[:end-3] }, offs[2]},
		{"trailing garbage", func() []byte { return append(segmentBytes(1, first...), 1, 2, 3) }, end},
		{"bad magic", func() []byte { b := segmentBytes(1, first...); b[0] = 'X'; return b }, 0},
		{"header only", func() []byte { return segmentBytes(1) }, segmentHeaderSize},
		{"empty", func() []byte { return nil }, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			writeFile(t, segPath(dir, 1), tt.seg())
			writeFile(t, segPath(dir, 10), second)
			_, _, err := Open(dir, testOptions(SyncBatch))
			wantCorrupt(t, err, segPath(dir, 1), tt.off)
		})
	}
}

func TestEmptyLastSegment(t *testing.T) {
	for _, tt := range []struct {
		name string
		b    []byte
		cut  bool
	}{
		{"zero length", nil, false},
		{"header only", segmentBytes(20), false},
		{"torn header", segmentBytes(20)[:7], true},
		{"zeroed header", make([]byte, segmentHeaderSize), true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			want := recs(1, 2, 3)
			writeFile(t, segPath(dir, 1), segmentBytes(1, want...))
			writeFile(t, segPath(dir, 20), tt.b)
			l, r := mustOpen(t, dir, testOptions(SyncBatch))
			if r.Records != 3 || r.Segments != 1 || r.Truncated != tt.cut {
				t.Fatalf("recovery = %+v", r)
			}
			if _, err := os.Stat(segPath(dir, 20)); !os.IsNotExist(err) {
				t.Fatalf("empty last segment still there: %v", err)
			}
			more := recs(20, 21)
			appendWait(t, l, more)
			mustClose(t, l)
			l, _ = mustOpen(t, dir, testOptions(SyncBatch))
			defer mustClose(t, l)
			checkReplay(t, l, 0, append(want, more...))
		})
	}
	t.Run("only segment", func(t *testing.T) {
		dir := t.TempDir()
		writeFile(t, segPath(dir, 7), nil)
		l, r := mustOpen(t, dir, testOptions(SyncBatch))
		defer mustClose(t, l)
		if r.Records != 0 || r.Segments != 0 || l.LastIndex() != 0 {
			t.Fatalf("recovery = %+v", r)
		}
		appendWait(t, l, recs(3))
		checkReplay(t, l, 0, recs(3))
	})
}

func TestBadLastHeader(t *testing.T) {
	// A full-length segment with a bad header is not a torn creation.
	dir := t.TempDir()
	b := segmentBytes(1, lastSegment...)
	b[5] = 99
	writeFile(t, segPath(dir, 1), b)
	_, _, err := Open(dir, testOptions(SyncBatch))
	wantCorrupt(t, err, segPath(dir, 1), 0)

	// The header's first index must match the file name.
	dir = t.TempDir()
	writeFile(t, segPath(dir, 2), segmentBytes(1, lastSegment...))
	_, _, err = Open(dir, testOptions(SyncBatch))
	wantCorrupt(t, err, segPath(dir, 2), 0)
}

func TestSegmentOrder(t *testing.T) {
	tests := []struct {
		name    string
		files   map[uint64][]rec // segment name → records
		corrupt uint64           // segment expected in the CorruptError, 0 if none
		off     int64
	}{
		{"gap between segments", map[uint64][]rec{1: recs(1, 2), 10: recs(10, 11)}, 0, 0},
		{"missing middle segment", map[uint64][]rec{1: recs(1, 2), 20: recs(20, 21)}, 0, 0},
		{"overlapping segments", map[uint64][]rec{1: recs(1, 2, 3), 3: recs(3, 4)}, 3, 0},
		{"first record not the name", map[uint64][]rec{1: recs(1, 2), 5: recs(6, 7)}, 5, segmentHeaderSize},
		{"index goes back", map[uint64][]rec{1: recs(1, 3, 2, 4)}, 1, 0},
		{"index repeats", map[uint64][]rec{1: recs(1, 2, 2, 4)}, 1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			var all []rec
			for _, first := range []uint64{1, 3, 5, 10, 20} {
				if rs, ok := tt.files[first]; ok {
					writeFile(t, segPath(dir, first), segmentBytes(first, rs...))
					all = append(all, rs...)
				}
			}
			l, _, err := Open(dir, testOptions(SyncBatch))
			if tt.corrupt == 0 {
				if err != nil {
					t.Fatal(err)
				}
				defer mustClose(t, l)
				checkReplay(t, l, 0, all)
				return
			}
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("Open = %v, want ErrCorrupt", err)
			}
			var ce *CorruptError
			errors.As(err, &ce)
			if ce.Segment != segPath(dir, tt.corrupt) {
				t.Fatalf("corrupt segment %s, want %s (%v)", ce.Segment, segPath(dir, tt.corrupt), err)
			}
			if tt.off != 0 && ce.Offset != tt.off {
				t.Fatalf("corrupt offset %d, want %d", ce.Offset, tt.off)
			}
		})
	}
}

func TestOtherFilesIgnored(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, segPath(dir, 1), segmentBytes(1, recs(1, 2)...))
	writeFile(t, filepath.Join(dir, "snapshot-000001.bin"), []byte("not a segment"))
	writeFile(t, filepath.Join(dir, "42.wal"), []byte("short name"))
	if err := os.Mkdir(filepath.Join(dir, segmentName(9)), 0o755); err != nil {
		t.Fatal(err)
	}
	l, r := mustOpen(t, dir, testOptions(SyncBatch))
	defer mustClose(t, l)
	if r.Segments != 1 || r.Records != 2 {
		t.Fatalf("recovery = %+v", r)
	}
}

func TestSegmentName(t *testing.T) {
	for _, x := range []uint64{0, 1, 42, 1<<64 - 1} {
		got, ok := parseSegmentName(segmentName(x))
		if !ok || got != x {
			t.Errorf("parseSegmentName(segmentName(%d)) = %d, %v", x, got, ok)
		}
	}
	if n := segmentName(42); n != "00000000000000000042.wal" {
		t.Errorf("segmentName(42) = %q", n)
	}
	for _, bad := range []string{"42.wal", "0000000000000000004x.wal", "00000000000000000042.log", "99999999999999999999.wal"} {
		if _, ok := parseSegmentName(bad); ok {
			t.Errorf("parseSegmentName(%q) accepted", bad)
		}
	}
}
