package wal

import (
	"fmt"
	"os"
	"slices"
)

// Compact deletes the segments all of whose records have index <= upTo, oldest
// first, then fsyncs the directory. The segment being written is never deleted, so
// records after upTo always survive. A crash part-way leaves a suffix of the log,
// which Open accepts. Compact waits for running Replays to finish.
func (l *Log) Compact(upTo uint64) error {
	l.compactMu.Lock()
	defer l.compactMu.Unlock()

	l.segMu.Lock()
	n := 0
	for n < len(l.segs)-1 && l.segs[n].last <= upTo {
		n++
	}
	victims := slices.Clone(l.segs[:n])
	l.segMu.Unlock()
	if n == 0 {
		return nil
	}

	removed := 0
	var err error
	for _, s := range victims {
		if rerr := os.Remove(s.path); rerr != nil && !os.IsNotExist(rerr) {
			err = fmt.Errorf("wal: compact: %w", rerr)
			break
		}
		removed++
	}
	l.segMu.Lock()
	l.segs = slices.Delete(l.segs, 0, removed)
	l.segMu.Unlock()
	if serr := syncDir(l.dir); err == nil {
		err = serr
	}
	return err
}
