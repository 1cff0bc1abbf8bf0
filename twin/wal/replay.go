package wal

import (
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
)

// Replay calls fn for every record with index >= from, in index order, reading one
// segment at a time through a reused buffer: payload is only valid during the call,
// so fn must copy what it keeps. Replay stops at the first error from fn and returns
// it unchanged. Records appended while Replay runs may or may not be seen; the
// records it reads were checked by Open, so damage found now is a *CorruptError.
func (l *Log) Replay(from uint64, fn func(index uint64, payload []byte) error) error {
	l.compactMu.RLock()
	defer l.compactMu.RUnlock()
	l.segMu.Lock()
	segs := slices.Clone(l.segs)
	l.segMu.Unlock()

	rr := newRecordReader()
	hb := make([]byte, segmentHeaderSize)
	for _, s := range segs {
		if s.last < from { // also skips a segment with no record yet
			continue
		}
		if err := replaySegment(s, from, rr, hb, fn); err != nil {
			return err
		}
	}
	return nil
}

func replaySegment(s segment, from uint64, rr *recordReader, hb []byte, fn func(uint64, []byte) error) error {
	f, err := os.Open(s.path)
	if err != nil {
		return fmt.Errorf("wal: replay: %w", err)
	}
	defer f.Close()
	if _, err := io.ReadFull(f, hb); err != nil {
		return fmt.Errorf("wal: replay %s: %w", s.path, err)
	}
	if reason := checkSegmentHeader(hb, s.first); reason != "" {
		return &CorruptError{Segment: s.path, Offset: 0, Reason: reason}
	}
	// Read only what had been written when Replay started.
	rr.reset(f, segmentHeaderSize, s.size)
	for {
		_, index, payload, err := rr.next()
		if err == io.EOF {
			return nil
		}
		if fe, ok := errors.AsType[*frameError](err); ok {
			return &CorruptError{Segment: s.path, Offset: fe.off, Reason: fe.reason}
		}
		if err != nil {
			return fmt.Errorf("wal: replay %s: %w", s.path, err)
		}
		if index < from {
			continue
		}
		if index > s.last {
			return nil
		}
		if err := fn(index, payload); err != nil {
			return err
		}
	}
}
