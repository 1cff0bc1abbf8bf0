package wal

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// rec is a record as tests build and expect them.
type rec struct {
	index   uint64
	payload []byte
}

// payloadFor is a deterministic payload of varying length (0 to 60 bytes).
func payloadFor(index uint64) []byte {
	n := int(index*7) % 61
	p := make([]byte, n)
	for i := range p {
		p[i] = byte(index) + byte(i)*31
	}
	return p
}

// recs returns records with the given indexes and payloadFor payloads.
func recs(indexes ...uint64) []rec {
	out := make([]rec, len(indexes))
	for i, x := range indexes {
		out[i] = rec{x, payloadFor(x)}
	}
	return out
}

func seq(from, to, step uint64) []uint64 {
	var out []uint64
	for i := from; i <= to; i += step {
		out = append(out, i)
	}
	return out
}

// segmentBytes encodes a segment file by hand: header then frames.
func segmentBytes(first uint64, rs ...rec) []byte {
	b := encodeSegmentHeader(first)
	for _, r := range rs {
		b = appendRecord(b, r.index, recordCRC(r.index, r.payload), r.payload)
	}
	return b
}

// frameOffsets returns the offset of each frame in a segment built from rs, and the
// end of the last one.
func frameOffsets(rs []rec) ([]int64, int64) {
	off := int64(segmentHeaderSize)
	var offs []int64
	for _, r := range rs {
		offs = append(offs, off)
		off += recordHeaderSize + int64(len(r.payload))
	}
	return offs, off
}

func segPath(dir string, first uint64) string { return filepath.Join(dir, segmentName(first)) }

func writeFile(t testing.TB, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func testOptions(p SyncPolicy) Options {
	o := DefaultOptions()
	o.Sync = p
	o.SyncInterval = 2 * time.Millisecond
	return o
}

func mustOpen(t testing.TB, dir string, opts Options) (*Log, Recovery) {
	t.Helper()
	l, r, err := Open(dir, opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return l, r
}

func mustClose(t testing.TB, l *Log) {
	t.Helper()
	if err := l.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
}

// appendWait appends each record and waits for it.
func appendWait(t testing.TB, l *Log, rs []rec) {
	t.Helper()
	for _, r := range rs {
		if err := l.Append(r.index, r.payload); err != nil {
			t.Fatalf("Append(%d): %v", r.index, err)
		}
	}
	if len(rs) > 0 {
		if err := l.Wait(context.Background(), rs[len(rs)-1].index); err != nil {
			t.Fatalf("Wait: %v", err)
		}
	}
}

func replayAll(t testing.TB, l *Log, from uint64) []rec {
	t.Helper()
	var got []rec
	err := l.Replay(from, func(index uint64, payload []byte) error {
		got = append(got, rec{index, bytes.Clone(payload)})
		return nil
	})
	if err != nil {
		t.Fatalf("Replay(%d): %v", from, err)
	}
	return got
}

// sameRecs reports the first difference between two record lists.
func sameRecs(got, want []rec) error {
	if len(got) != len(want) {
		return fmt.Errorf("%d records, want %d (got %v)", len(got), len(want), indexesOf(got))
	}
	for i := range got {
		if got[i].index != want[i].index || !bytes.Equal(got[i].payload, want[i].payload) {
			return fmt.Errorf("record %d: got index %d payload %x, want %d %x",
				i, got[i].index, got[i].payload, want[i].index, want[i].payload)
		}
	}
	return nil
}

func indexesOf(rs []rec) []uint64 {
	out := make([]uint64, len(rs))
	for i, r := range rs {
		out[i] = r.index
	}
	return out
}

func checkReplay(t testing.TB, l *Log, from uint64, want []rec) {
	t.Helper()
	if err := sameRecs(replayAll(t, l, from), want); err != nil {
		t.Fatalf("Replay(%d): %v", from, err)
	}
}

// wantCorrupt checks that err is a *CorruptError at segment path and offset.
func wantCorrupt(t testing.TB, err error, path string, off int64) {
	t.Helper()
	if !errors.Is(err, ErrCorrupt) {
		t.Fatalf("err = %v, want ErrCorrupt", err)
	}
	var ce *CorruptError
	if !errors.As(err, &ce) {
		t.Fatalf("err = %T, want *CorruptError", err)
	}
	if ce.Segment != path || ce.Offset != off {
		t.Fatalf("CorruptError at %s:%d, want %s:%d (%v)", ce.Segment, ce.Offset, path, off, err)
	}
}

func segmentFiles(t testing.TB, dir string) []string {
	t.Helper()
	segs, err := listSegments(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range segs {
		names = append(names, filepath.Base(s.path))
	}
	return names
}
