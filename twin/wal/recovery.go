package wal

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
)

// Recovery describes what Open found on disk.
type Recovery struct {
	Segments   int    // segment files kept
	Records    int    // valid records in them
	FirstIndex uint64 // index of the first record, 0 if none
	LastIndex  uint64 // index of the last record, 0 if none

	// A torn tail cut from the last segment, if any.
	Truncated        bool
	TruncatedSegment string // path of the segment that was cut (or removed, if nothing was left)
	TruncatedAt      int64  // offset of the first damaged byte, the new length of the file
	TruncatedBytes   int64  // bytes removed
	Reason           string // what was wrong at TruncatedAt
}

// recovered is the outcome of scanning a log directory.
type recovered struct {
	segs   []segment
	rec    Recovery
	active *os.File // the last segment, open for appending; nil to start a new one
}

// recoverDir checks every record of every segment in dir, cuts a torn tail from the
// last one and removes a last segment that holds no record.
func recoverDir(dir string, opts Options) (recovered, error) {
	var out recovered
	segs, err := listSegments(dir)
	if err != nil {
		return out, err
	}
	rr := newRecordReader()
	var prevLast uint64
	for i := range segs {
		s := &segs[i]
		isLast := i == len(segs)-1
		f, keep, err := scanSegment(dir, s, isLast, prevLast, rr, &out.rec, opts.Logger)
		if err != nil {
			return out, err
		}
		if !keep {
			segs = segs[:i]
			break
		}
		prevLast = s.last
		if isLast && s.size < opts.SegmentBytes {
			if _, err := f.Seek(0, io.SeekEnd); err != nil {
				f.Close()
				return out, fmt.Errorf("wal: seek %s: %w", s.path, err)
			}
			out.active = f
		} else {
			f.Close()
		}
	}
	out.segs = segs
	out.rec.Segments = len(segs)
	if len(segs) > 0 {
		out.rec.FirstIndex = segs[0].first
		out.rec.LastIndex = segs[len(segs)-1].last
	}
	return out, nil
}

// scanSegment checks the segment s, filling in its last index and size and adding
// its records to rec. It returns the file (open read-write if s is the last one) and
// whether the segment is kept: a last segment left without records is removed.
func scanSegment(dir string, s *segment, isLast bool, prevLast uint64, rr *recordReader, rec *Recovery, log *slog.Logger) (*os.File, bool, error) {
	flag := os.O_RDONLY
	if isLast {
		flag = os.O_RDWR
	}
	f, err := os.OpenFile(s.path, flag, 0)
	if err != nil {
		return nil, false, fmt.Errorf("wal: open segment: %w", err)
	}
	fail := func(err error) (*os.File, bool, error) {
		f.Close()
		return nil, false, err
	}
	st, err := f.Stat()
	if err != nil {
		return fail(fmt.Errorf("wal: stat segment: %w", err))
	}
	size := st.Size()

	hb := make([]byte, min(size, segmentHeaderSize))
	if _, err := io.ReadFull(f, hb); err != nil {
		return fail(fmt.Errorf("wal: read segment header %s: %w", s.path, err))
	}
	if reason := checkSegmentHeader(hb, s.first); reason != "" {
		if !isLast || size > segmentHeaderSize {
			return fail(&CorruptError{Segment: s.path, Offset: 0, Reason: reason})
		}
		// Creation of the last segment was cut short; it never held a record.
		if size == 0 {
			log.Info("wal: removing empty last segment", "segment", s.path)
		} else {
			log.Warn("wal: removing torn segment", "segment", s.path, "bytes", size, "reason", reason)
			rec.noteCut(s.path, 0, size, reason)
		}
		return nil, false, removeSegment(dir, f, s.path)
	}
	if s.first <= prevLast {
		return fail(&CorruptError{Segment: s.path, Offset: 0,
			Reason: fmt.Sprintf("segment starts at index %d, not after %d where the previous one ends", s.first, prevLast)})
	}

	rr.reset(f, segmentHeaderSize, size)
	var last uint64
	records := 0
	cut := false
	for {
		off, index, _, err := rr.next()
		if err == io.EOF {
			break
		}
		if fe, ok := errors.AsType[*frameError](err); ok {
			if !isLast {
				return fail(&CorruptError{Segment: s.path, Offset: fe.off, Reason: fe.reason})
			}
			if err := cutTornTail(f, s.path, fe, size, max(last, prevLast), rec, log); err != nil {
				return fail(err)
			}
			size, cut = fe.off, true
			break
		}
		if err != nil {
			return fail(fmt.Errorf("wal: read segment %s: %w", s.path, err))
		}
		// The frame verifies, so a wrong index is not a torn write.
		if records == 0 && index != s.first {
			return fail(&CorruptError{Segment: s.path, Offset: off,
				Reason: fmt.Sprintf("first record has index %d, the segment name says %d", index, s.first)})
		}
		if records > 0 && index <= last {
			return fail(&CorruptError{Segment: s.path, Offset: off,
				Reason: fmt.Sprintf("record index %d does not follow %d", index, last)})
		}
		last = index
		records++
	}
	if records == 0 {
		if !isLast {
			return fail(&CorruptError{Segment: s.path, Offset: segmentHeaderSize, Reason: "segment holds no record"})
		}
		// Rolled to but never written: nothing to keep. The next append starts a
		// segment named after its own index.
		log.Info("wal: removing empty last segment", "segment", s.path)
		return nil, false, removeSegment(dir, f, s.path)
	}
	if isLast && !cut { // cutTornTail has fsynced
		// The previous process may have died before fsyncing what it wrote; make it
		// durable now, since it is about to be acknowledged as part of the log.
		if err := f.Sync(); err != nil {
			return fail(fmt.Errorf("wal: sync segment %s: %w", s.path, err))
		}
	}
	s.last, s.size = last, size
	rec.Records += records
	return f, true, nil
}

// cutTornTail handles the damaged frame fe in the last segment: if any valid record
// with an index after lastGood follows it, the damage is in the middle of the log
// and is a *CorruptError; otherwise the file is cut at fe.off and fsynced.
func cutTornTail(f *os.File, path string, fe *frameError, size int64, lastGood uint64, rec *Recovery, log *slog.Logger) error {
	if start := fe.off + 1; start < size {
		// The tail of one segment: bounded by the segment size plus one record.
		tail := make([]byte, size-start)
		if _, err := f.ReadAt(tail, start); err != nil {
			return fmt.Errorf("wal: read segment %s: %w", path, err)
		}
		if p := findRecord(tail, lastGood); p >= 0 {
			return &CorruptError{Segment: path, Offset: fe.off,
				Reason: fmt.Sprintf("%s, yet a valid record follows at offset %d", fe.reason, start+int64(p))}
		}
	}
	if err := f.Truncate(fe.off); err != nil {
		return fmt.Errorf("wal: truncate segment %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("wal: sync segment %s: %w", path, err)
	}
	cut := size - fe.off
	log.Warn("wal: cut torn tail", "segment", path, "offset", fe.off, "bytes", cut, "reason", fe.reason)
	rec.noteCut(path, fe.off, cut, fe.reason)
	return nil
}

func (r *Recovery) noteCut(path string, at, bytes int64, reason string) {
	r.Truncated = true
	r.TruncatedSegment = path
	r.TruncatedAt = at
	r.TruncatedBytes = bytes
	r.Reason = reason
}

// removeSegment closes and removes a segment file and makes the removal durable.
func removeSegment(dir string, f *os.File, path string) error {
	f.Close()
	if err := os.Remove(path); err != nil {
		return fmt.Errorf("wal: remove segment: %w", err)
	}
	return syncDir(dir)
}
