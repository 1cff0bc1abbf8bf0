package wal

import "fmt"

// run is the writer goroutine: it takes whatever is pending, writes it, fsyncs per
// policy and publishes the new marks, until Close has been called and nothing is
// left. It stops at the first I/O error, which becomes sticky.
func (l *Log) run() {
	defer func() {
		close(l.done)
		// Waiters check done after taking the channel; wake them to see it.
		l.durable.broadcast()
		l.room.broadcast()
	}()
	for {
		b, closing := l.take()
		if b != nil {
			err := l.write(b)
			l.recycle(b)
			if err != nil {
				l.fail(err)
				return
			}
			continue
		}
		if closing {
			if l.opts.Sync == SyncAlways {
				if err := l.sync(); err != nil {
					l.fail(err)
					return
				}
				l.publish()
			}
			return // the syncer's last pass fsyncs for the other policies
		}
		<-l.kick
	}
}

// take swaps the filled batch for the spare one. It returns nil if nothing is
// pending, and whether Close has been called.
func (l *Log) take() (*batch, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.fill.buf) == 0 {
		return nil, l.closing
	}
	b := l.fill
	l.fill, l.spare = l.spare, nil
	return b, l.closing
}

// recycle hands a written batch back to the appenders as the spare buffer.
func (l *Log) recycle(b *batch) {
	b.reset()
	// Keep the buffer for the next group unless a burst past the back-pressure
	// bound grew it: then let it go rather than hold it for the life of the log.
	if int64(cap(b.buf)) > 2*l.opts.MaxPending {
		b.buf = nil
	}
	l.mu.Lock()
	l.spare = b
	l.mu.Unlock()
}

// write writes a batch, rolling segments where Append marked it, then fsyncs per
// policy and publishes the marks.
func (l *Log) write(b *batch) error {
	off := 0
	for _, r := range b.rolls {
		if r.off > off {
			if err := l.writeActive(b.buf[off:r.off], r.prevLast); err != nil {
				return err
			}
		}
		if err := l.roll(r.first); err != nil {
			return err
		}
		off = r.off
	}
	if off < len(b.buf) {
		if err := l.writeActive(b.buf[off:], b.last); err != nil {
			return err
		}
	}
	l.pending.Add(-int64(len(b.buf)))
	if l.opts.Sync == SyncAlways {
		if err := l.sync(); err != nil {
			return err
		}
	} else {
		l.handOver(l.wIndex)
	}
	l.publish()
	return nil
}

// writeActive writes p, whose last record has index last, to the active segment.
func (l *Log) writeActive(p []byte, last uint64) error {
	if h := l.opts.hooks; h != nil && h.beforeWrite != nil {
		if err := h.beforeWrite(); err != nil {
			return fmt.Errorf("wal: write: %w", err)
		}
	}
	n, err := l.active.Write(p)
	l.stats.bytesWritten.Add(int64(n))
	l.stats.writes.Add(1)
	if err != nil {
		// The segment now ends in a partial frame; Replay must not read it and the
		// next Open will cut it.
		return fmt.Errorf("wal: write: %w", err)
	}
	l.segMu.Lock()
	s := &l.segs[len(l.segs)-1]
	s.size += int64(n)
	s.last = last
	l.segMu.Unlock()
	l.wIndex = last
	l.dirty = true
	return nil
}

// roll starts the segment named first. With SyncAlways the active segment is
// fsynced and closed first; otherwise it goes to the syncer, which does both
// while the writer goes on.
func (l *Log) roll(first uint64) error {
	if l.active != nil && l.opts.Sync == SyncAlways {
		if err := l.sync(); err != nil {
			return err
		}
		err := l.active.Close()
		l.active = nil
		if err != nil {
			return fmt.Errorf("wal: close segment: %w", err)
		}
	}
	f, path, err := createSegment(l.dir, first)
	if err != nil {
		return err
	}
	if l.opts.Sync != SyncAlways {
		l.retire(f)
	}
	l.active = f
	l.stats.fsyncs.Add(2) // the header and the directory
	l.segMu.Lock()
	l.segs = append(l.segs, segment{first: first, path: path, size: segmentHeaderSize})
	l.segMu.Unlock()
	return nil
}

// sync fsyncs the active segment if anything was written since the last fsync.
func (l *Log) sync() error {
	if !l.dirty {
		return nil
	}
	if h := l.opts.hooks; h != nil && h.beforeSync != nil {
		if err := h.beforeSync(); err != nil {
			return fmt.Errorf("wal: fsync: %w", err)
		}
	}
	if err := l.active.Sync(); err != nil {
		return fmt.Errorf("wal: fsync: %w", err)
	}
	l.stats.fsyncs.Add(1)
	l.sIndex = l.wIndex
	l.dirty = false
	return nil
}

// publish makes the writer's marks visible and wakes waiters. The synced mark is
// the writer's only with SyncAlways; otherwise the syncer moves it.
func (l *Log) publish() {
	l.written.Store(l.wIndex)
	if l.opts.Sync == SyncAlways {
		l.synced.Store(l.sIndex)
	}
	l.durable.broadcast()
	l.room.broadcast()
}

// fail records the sticky error and wakes everyone so they see it. Marks already
// published stay: records fsynced before the failure are still durable.
func (l *Log) fail(err error) {
	if l.opts.Sync == SyncAlways {
		l.synced.Store(l.sIndex) // before the error, so a waiter that sees one sees the other
	}
	l.failed.Store(&err)
	l.log.Error("wal: writer stopped", "dir", l.dir, "err", err)
	l.durable.broadcast()
	l.room.broadcast()
}
