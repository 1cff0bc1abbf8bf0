package wal

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// Segment files: "<first index, 20 digits>.wal", starting with
// [magic "CTWAL"][version uint8][reserved 2 bytes][first index uint64 LE].
const (
	segmentHeaderSize = 16
	segmentMagic      = "CTWAL"
	formatVersion     = 1
	segmentExt        = ".wal"
	segmentDigits     = 20
)

// segment is one file of the log as far as it has been written.
type segment struct {
	first uint64 // index of its first record, which names it
	last  uint64 // index of its last record; 0 while it has none
	path  string
	size  int64 // bytes written, header included
}

func segmentName(first uint64) string {
	return fmt.Sprintf("%0*d%s", segmentDigits, first, segmentExt)
}

// parseSegmentName returns the first index a segment file name encodes.
func parseSegmentName(name string) (uint64, bool) {
	digits, ok := strings.CutSuffix(name, segmentExt)
	if !ok || len(digits) != segmentDigits {
		return 0, false
	}
	first, err := strconv.ParseUint(digits, 10, 64)
	if err != nil {
		return 0, false
	}
	return first, true
}

func encodeSegmentHeader(first uint64) []byte {
	h := make([]byte, segmentHeaderSize)
	copy(h, segmentMagic)
	h[5] = formatVersion
	binary.LittleEndian.PutUint64(h[8:], first)
	return h
}

// checkSegmentHeader returns why h is not the header of the segment starting at
// first, or "".
func checkSegmentHeader(h []byte, first uint64) string {
	switch {
	case len(h) < segmentHeaderSize:
		return fmt.Sprintf("segment header cut short (%d of %d bytes)", len(h), segmentHeaderSize)
	case !bytes.Equal(h[:5], []byte(segmentMagic)):
		return fmt.Sprintf("bad magic %q", h[:5])
	case h[5] != formatVersion:
		return fmt.Sprintf("unknown format version %d", h[5])
	case binary.LittleEndian.Uint64(h[8:]) != first:
		return fmt.Sprintf("header says first index %d, file name says %d", binary.LittleEndian.Uint64(h[8:]), first)
	}
	return ""
}

// listSegments returns the segment files in dir in index order, sizes unset. Other
// files are ignored.
func listSegments(dir string) ([]segment, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("wal: list %s: %w", dir, err)
	}
	var segs []segment
	for _, e := range entries {
		first, ok := parseSegmentName(e.Name())
		if !ok || !e.Type().IsRegular() {
			continue
		}
		segs = append(segs, segment{first: first, path: filepath.Join(dir, e.Name())})
	}
	slices.SortFunc(segs, func(a, b segment) int { return cmpUint64(a.first, b.first) })
	return segs, nil
}

func cmpUint64(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// createSegment creates the segment for first, writes and fsyncs its header, and
// fsyncs dir so that the file survives a crash. The file is open for appending.
func createSegment(dir string, first uint64) (*os.File, string, error) {
	path := filepath.Join(dir, segmentName(first))
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, "", fmt.Errorf("wal: create segment: %w", err)
	}
	if _, err := f.Write(encodeSegmentHeader(first)); err != nil {
		f.Close()
		return nil, "", fmt.Errorf("wal: write segment header %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return nil, "", fmt.Errorf("wal: sync segment %s: %w", path, err)
	}
	if err := syncDir(dir); err != nil {
		f.Close()
		return nil, "", err
	}
	return f, path, nil
}

// syncDir fsyncs a directory so that file creations and removals in it are durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("wal: open dir: %w", err)
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("wal: sync dir %s: %w", dir, err)
	}
	return nil
}
