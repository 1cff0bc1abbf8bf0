// Package wal is a segmented write-ahead log of opaque, indexed records.
//
// The twin store appends one record per batch of ops: Append buffers it in memory
// and returns at once; a single writer goroutine owned by the Log takes everything
// pending, writes it with one write(2) per group and wakes the callers blocked in
// Wait. Appenders fill one buffer while the writer writes the other, so Append
// never waits for I/O. With SyncAlways the writer fsyncs each group before it
// wakes anyone; with SyncBatch and SyncOff a second goroutine, the syncer, does
// the fsyncs (and those of segments the writer rolls away from), so that writing
// never stops while the disk flushes.
//
// # Durability
//
// Wait(ctx, i) returns nil once every record with index <= i is durable in the sense
// of the policy:
//
//   - SyncAlways: the record has been written and fsynced. One fsync covers every
//     record pending when it starts (group commit), so concurrent appenders share
//     fsyncs. Nothing acknowledged is lost, not even on power loss.
//   - SyncBatch (the default): the record has been handed to the kernel (write(2)
//     returned), so killing the process loses nothing acknowledged; an fsync follows
//     within Options.SyncInterval of that write, so a power loss or kernel crash can
//     lose at most the records written in the last SyncInterval.
//   - SyncOff: like SyncBatch for the process, but fsync happens only when a segment
//     is rolled and on Close; a power loss can lose everything written since.
//
// Errors are sticky: after a failed write or fsync every later Append returns the
// error, and so does Wait for any record not already fsynced. A failed fsync is never
// retried: the kernel may have dropped the dirty pages, so the state of the page cache
// is unknown.
//
// # Format
//
// The log is a directory of segment files named after the index of their first
// record, zero padded to 20 digits ("00000000000000000042.wal") so that names sort
// in index order. A segment starts with a 16-byte header (magic "CTWAL", a format
// version, the first index) followed by records, each
//
//	[payload length uint32 LE][CRC-32C of index+payload uint32 LE][index uint64 LE][payload]
//
// Indexes strictly increase within and across segments; gaps are allowed. A new
// segment is started when the current one would grow past Options.SegmentBytes.
//
// # Recovery
//
// Open checks every record of every segment. A damaged record at the end of the last
// segment with no valid record after it is a torn write: the file is cut at the last
// good record and the cut is reported in Recovery and logged. Damage anywhere else, or
// damage followed by a valid record, is a *CorruptError: the log refuses to open
// rather than skip acknowledged records. A last segment that holds no record (a roll
// cut short by a crash) is removed. Gaps between segments are accepted, overlaps are
// not.
//
// Lock order: compactMu, then segMu; mu (the append side) and syncMu are never held
// with either or with each other.
package wal
