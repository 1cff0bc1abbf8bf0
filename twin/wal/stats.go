package wal

import "sync/atomic"

// Stats is a snapshot of a Log's counters, for metrics.
type Stats struct {
	Segments     int    // segment files
	DiskBytes    int64  // their total size
	Appended     int64  // records appended since Open
	BytesWritten int64  // record bytes (frames) written since Open; segment headers excluded
	Writes       int64  // write(2) calls
	Fsyncs       int64  // fsyncs of segments and of the directory
	PendingBytes int64  // appended, not yet written
	LastIndex    uint64 // last index appended
	WrittenIndex uint64 // every record up to here is written to the OS
	SyncedIndex  uint64 // every record up to here is fsynced
}

type counters struct {
	appended     atomic.Int64
	bytesWritten atomic.Int64
	writes       atomic.Int64
	fsyncs       atomic.Int64
}

// Stats returns the current counters.
func (l *Log) Stats() Stats {
	st := Stats{
		Appended:     l.stats.appended.Load(),
		BytesWritten: l.stats.bytesWritten.Load(),
		Writes:       l.stats.writes.Load(),
		Fsyncs:       l.stats.fsyncs.Load(),
		PendingBytes: l.pending.Load(),
		LastIndex:    l.LastIndex(),
		WrittenIndex: l.written.Load(),
		SyncedIndex:  l.synced.Load(),
	}
	l.segMu.Lock()
	st.Segments = len(l.segs)
	for _, s := range l.segs {
		st.DiskBytes += s.size
	}
	l.segMu.Unlock()
	return st
}
