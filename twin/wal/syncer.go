package wal

import (
	"fmt"
	"os"
	"time"
)

// The syncer goroutine fsyncs for the batch and off policies, so that the writer
// never stops writing while the disk flushes: with batch, an fsync of the active
// segment every SyncInterval; with both, an fsync and close of every segment the
// writer has rolled away from; and, on Close, a last fsync of everything. (With
// SyncAlways the writer fsyncs itself: an acknowledgement waits for the fsync
// anyway, and group commit lets one fsync cover every record written before it.)
//
// The writer hands over what it wrote through syncMu: the active file, the last
// index written to it, and the files it rolled away from, which from then on
// belong to the syncer. The synced mark only moves once every byte up to it is
// fsynced: rolled segments first, oldest first, then the active one.

// syncState is what the writer shares with the syncer. Guarded by Log.syncMu.
type syncState struct {
	cur         *os.File   // the active segment
	curLast     uint64     // last index written to it (or to an earlier segment)
	retired     []*os.File // rolled segments not yet fsynced and closed, oldest first
	retiredLast uint64     // last index in them
}

// handOver tells the syncer that every record up to last is written to cur.
func (l *Log) handOver(last uint64) {
	l.syncMu.Lock()
	l.ss.curLast = last
	l.syncMu.Unlock()
}

// retire hands the active segment to the syncer (which fsyncs and closes it)
// and makes next the active one.
func (l *Log) retire(next *os.File) {
	l.syncMu.Lock()
	if l.ss.cur != nil {
		l.ss.retired = append(l.ss.retired, l.ss.cur)
		l.ss.retiredLast = l.ss.curLast
	}
	l.ss.cur = next
	l.syncMu.Unlock()
	select {
	case l.syncKick <- struct{}{}:
	default:
	}
}

func (l *Log) syncLoop() {
	defer close(l.syncDone)
	var tick <-chan time.Time
	if l.opts.Sync == SyncBatch {
		t := time.NewTicker(l.opts.SyncInterval)
		defer t.Stop()
		tick = t.C
	}
	for {
		final := false
		select {
		case <-l.syncKick:
		case <-tick:
		case <-l.syncStop:
			final = true
		}
		if err := l.syncPass(final); err != nil {
			l.fail(err)
			l.closeRetired()
			return
		}
		if final {
			return
		}
	}
}

// syncPass fsyncs what is due and moves the synced mark.
func (l *Log) syncPass(final bool) error {
	l.syncMu.Lock()
	retired, cur, curLast, retiredLast := l.ss.retired, l.ss.cur, l.ss.curLast, l.ss.retiredLast
	l.ss.retired = nil
	l.syncMu.Unlock()
	mark := l.synced.Load()
	for i, f := range retired {
		if err := l.fsync(f); err != nil {
			l.syncMu.Lock()
			l.ss.retired = append(retired[i:], l.ss.retired...)
			l.syncMu.Unlock()
			return err
		}
		if err := f.Close(); err != nil {
			return fmt.Errorf("wal: close segment: %w", err)
		}
	}
	if len(retired) > 0 {
		mark = max(mark, retiredLast)
	}
	if (l.opts.Sync == SyncBatch || final) && curLast > mark && cur != nil {
		if err := l.fsync(cur); err != nil {
			return err
		}
		mark = curLast
	}
	if mark > l.synced.Load() {
		l.synced.Store(mark)
		l.durable.broadcast()
	}
	return nil
}

// fsync fsyncs one segment file.
func (l *Log) fsync(f *os.File) error {
	if h := l.opts.hooks; h != nil && h.beforeSync != nil {
		if err := h.beforeSync(); err != nil {
			return fmt.Errorf("wal: fsync: %w", err)
		}
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("wal: fsync: %w", err)
	}
	l.stats.fsyncs.Add(1)
	return nil
}

// closeRetired closes the rolled segments a failed syncer leaves behind.
func (l *Log) closeRetired() {
	l.syncMu.Lock()
	defer l.syncMu.Unlock()
	for _, f := range l.ss.retired {
		f.Close()
	}
	l.ss.retired = nil
}
