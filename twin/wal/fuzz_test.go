package wal

import (
	"context"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"os"
	"testing"
)

// FuzzOpen writes arbitrary bytes into a log after a valid prefix and checks that
// Open either cuts a clean torn tail or reports a *CorruptError, never panics, and
// that what it keeps verifies byte for byte and replays.
//
// mode%3 selects where the bytes go:
//
//	0: appended to the last (only) segment, after records 1..3;
//	1: as the whole of a second, last segment named 10, after a segment of 1..3;
//	2: appended to a first segment holding 1..3, before a valid segment at 1000.
func FuzzOpen(f *testing.F) {
	frame := func(index uint64, payload string) []byte {
		return appendRecord(nil, index, recordCRC(index, []byte(payload)), []byte(payload))
	}
	valid := append(frame(4, "four"), frame(7, "seven")...)
	f.Add([]byte{}, uint8(0))
	f.Add(valid, uint8(0))
	f.Add(valid[:len(valid)-3], uint8(0))
	f.Add(flipBit(valid, 20, 1), uint8(0))
	f.Add(append(flipBit(valid, 2, 0), frame(9, "nine")...), uint8(0))
	f.Add(frame(2, "back"), uint8(0))
	f.Add([]byte("\xff\xff\xff\xffgarbage garbage garbage"), uint8(0))
	f.Add(make([]byte, 64), uint8(0))
	f.Add(segmentBytes(10, recs(10, 11)...), uint8(1))
	f.Add(segmentBytes(10, recs(10, 11)...)[:40], uint8(1))
	f.Add(segmentBytes(10)[:9], uint8(1))
	f.Add(valid, uint8(2))
	f.Add(valid[:5], uint8(2))

	prefix := recs(1, 2, 3)
	f.Fuzz(func(t *testing.T, data []byte, mode uint8) {
		dir := t.TempDir()
		first := segmentBytes(1, prefix...)
		switch mode % 3 {
		case 0:
			writeFile(t, segPath(dir, 1), append(first, data...))
		case 1:
			writeFile(t, segPath(dir, 1), first)
			writeFile(t, segPath(dir, 10), data)
		case 2:
			writeFile(t, segPath(dir, 1), append(first, data...))
			writeFile(t, segPath(dir, 1000), segmentBytes(1000, recs(1000)...))
		}
		opts := testOptions(SyncBatch)
		l, r, err := Open(dir, opts)
		if err != nil {
			if _, ok := errors.AsType[*CorruptError](err); !ok {
				t.Fatalf("Open = %v (%T), want nil or *CorruptError", err, err)
			}
			return
		}
		onDisk := verifyDir(t, dir)
		if len(onDisk) != r.Records || r.Records < len(prefix) {
			t.Fatalf("recovery says %d records, %d on disk", r.Records, len(onDisk))
		}
		if err := sameRecs(onDisk[:len(prefix)], prefix); err != nil {
			t.Fatalf("valid prefix damaged: %v", err)
		}
		if r.Truncated {
			if st, err := os.Stat(r.TruncatedSegment); err == nil && st.Size() != r.TruncatedAt {
				t.Fatalf("cut at %d but the file is %d bytes", r.TruncatedAt, st.Size())
			}
		}
		if err := sameRecs(replayAll(t, l, 0), onDisk); err != nil {
			t.Fatalf("replay differs from disk: %v", err)
		}
		next := r.LastIndex + 1
		if err := l.Append(next, []byte("after")); err != nil {
			t.Fatal(err)
		}
		if err := l.Wait(context.Background(), next); err != nil {
			t.Fatal(err)
		}
		mustClose(t, l)
		l, r2, err := Open(dir, opts)
		if err != nil {
			t.Fatalf("reopen: %v", err)
		}
		defer mustClose(t, l)
		if r2.Truncated || r2.Records != r.Records+1 {
			t.Fatalf("reopen recovery = %+v after %+v", r2, r)
		}
	})
}

// verifyDir decodes every segment in dir without the package's reader and fails
// on any byte that is not part of a verified frame.
func verifyDir(t *testing.T, dir string) []rec {
	t.Helper()
	table := crc32.MakeTable(crc32.Castagnoli)
	segs, err := listSegments(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []rec
	for _, s := range segs {
		b, err := os.ReadFile(s.path)
		if err != nil {
			t.Fatal(err)
		}
		if len(b) < 16 || string(b[:5]) != "CTWAL" || binary.LittleEndian.Uint64(b[8:16]) != s.first {
			t.Fatalf("%s: bad header %x", s.path, b[:min(len(b), 16)])
		}
		for p := 16; p < len(b); {
			if len(b)-p < 16 {
				t.Fatalf("%s: %d stray bytes at %d", s.path, len(b)-p, p)
			}
			n := int(binary.LittleEndian.Uint32(b[p:]))
			sum := binary.LittleEndian.Uint32(b[p+4:])
			if n > len(b)-p-16 {
				t.Fatalf("%s: frame at %d runs past the end", s.path, p)
			}
			body := b[p+8 : p+16+n] // index then payload
			if crc32.Checksum(body, table) != sum {
				t.Fatalf("%s: frame at %d does not verify", s.path, p)
			}
			index := binary.LittleEndian.Uint64(body)
			if len(out) > 0 && index <= out[len(out)-1].index {
				t.Fatalf("%s: index %d after %d", s.path, index, out[len(out)-1].index)
			}
			out = append(out, rec{index, append([]byte(nil), body[8:]...)})
			p += 16 + n
		}
	}
	return out
}

// TestRecordCRC checks the hand-rolled index step against hash/crc32 over the bytes
// as they sit in the frame.
func TestRecordCRC(t *testing.T) {
	table := crc32.MakeTable(crc32.Castagnoli)
	for _, index := range []uint64{0, 1, 42, 1<<64 - 1, 0x0102030405060708} {
		for _, payload := range [][]byte{nil, []byte("x"), benchPayload(4096)} {
			body := binary.LittleEndian.AppendUint64(nil, index)
			body = append(body, payload...)
			if got, want := recordCRC(index, payload), crc32.Checksum(body, table); got != want {
				t.Errorf("recordCRC(%d, %d bytes) = %08x, want %08x", index, len(payload), got, want)
			}
		}
	}
}
