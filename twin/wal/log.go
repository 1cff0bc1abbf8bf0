package wal

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
)

// Log is a segmented write-ahead log. Append, Wait, Full, WaitRoom, LastIndex and
// Stats are safe for concurrent use; Append must be called with strictly increasing
// indexes, which callers ensure by appending under their own lock.
type Log struct {
	dir  string
	opts Options
	log  *slog.Logger

	// mu guards the append side.
	mu       sync.Mutex
	fill     *batch // where Append puts records
	spare    *batch // the other buffer, nil while the writer holds it
	last     uint64 // index of the last appended record
	segSize  int64  // size the segment receiving the next record will have once all pending bytes are written
	needRoll bool   // no segment is open: the next record starts one
	closing  bool

	kick chan struct{} // wakes the writer; capacity 1 so a kick is never lost nor blocks
	done chan struct{} // closed when the writer has exited

	// Published by the writer, read without locks.
	written atomic.Uint64         // every record up to here is written to the OS
	synced  atomic.Uint64         // every record up to here is fsynced
	pending atomic.Int64          // bytes appended and not yet written
	failed  atomic.Pointer[error] // the sticky I/O error
	durable *signal               // broadcast when written/synced advance, on failure and exit
	room    *signal               // broadcast when pending shrinks, on failure and exit

	// compactMu keeps Compact from deleting segments under Replay; segMu guards segs,
	// which the writer appends to and Compact trims.
	compactMu sync.RWMutex
	segMu     sync.Mutex
	segs      []segment

	// Owned by the writer goroutine (and by Close once it has exited).
	active *os.File
	wIndex uint64 // last index written
	sIndex uint64 // SyncAlways: last index fsynced
	dirty  bool   // written since the last fsync

	// The syncer (batch and off policies; see syncer.go).
	syncMu   sync.Mutex
	ss       syncState
	syncKick chan struct{}
	syncStop chan struct{}
	syncDone chan struct{}

	stats counters
}

// batch is one group of encoded records: what appenders fill and the writer writes
// with a single write(2) per segment it touches.
type batch struct {
	buf   []byte
	last  uint64
	rolls []roll
}

// roll marks where in a batch a new segment begins.
type roll struct {
	off      int    // position in buf of the segment's first record
	first    uint64 // that record's index, which names the segment
	prevLast uint64 // index of the record before it
}

func (b *batch) reset() {
	b.buf = b.buf[:0]
	b.rolls = b.rolls[:0]
	b.last = 0
}

// Open opens or creates the log in dir, checks it (see Recovery) and starts its
// writer goroutine. Zero option fields take DefaultOptions values.
func Open(dir string, opts Options) (*Log, Recovery, error) {
	opts = opts.withDefaults()
	if err := opts.Validate(); err != nil {
		return nil, Recovery{}, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, Recovery{}, fmt.Errorf("wal: create dir: %w", err)
	}
	r, err := recoverDir(dir, opts)
	if err != nil {
		return nil, Recovery{}, err
	}
	l := &Log{
		dir:      dir,
		opts:     opts,
		log:      opts.Logger,
		fill:     &batch{},
		spare:    &batch{},
		last:     r.rec.LastIndex,
		needRoll: r.active == nil,
		kick:     make(chan struct{}, 1),
		done:     make(chan struct{}),
		durable:  newSignal(),
		room:     newSignal(),
		segs:     r.segs,
		active:   r.active,
		wIndex:   r.rec.LastIndex,
		sIndex:   r.rec.LastIndex,
	}
	if r.active != nil {
		l.segSize = r.segs[len(r.segs)-1].size
	}
	l.written.Store(r.rec.LastIndex)
	l.synced.Store(r.rec.LastIndex)
	l.syncKick, l.syncStop, l.syncDone = make(chan struct{}, 1), make(chan struct{}), make(chan struct{})
	l.ss = syncState{cur: r.active, curLast: r.rec.LastIndex}
	if opts.Sync == SyncAlways {
		close(l.syncDone) // the writer fsyncs itself
	} else {
		go l.syncLoop()
	}
	go l.run()
	return l, r.rec, nil
}

// Append buffers a record and returns without waiting for I/O; the payload is
// copied. index must exceed every index appended before. Append fails once the log
// is closed or has failed. Call Wait to learn when the record is durable.
func (l *Log) Append(index uint64, payload []byte) error {
	if len(payload) > MaxPayload {
		return fmt.Errorf("%w: %d bytes, the limit is %d", ErrTooLarge, len(payload), MaxPayload)
	}
	crc := recordCRC(index, payload)
	n := int64(recordHeaderSize + len(payload))

	l.mu.Lock()
	if err := l.failure(); err != nil {
		l.mu.Unlock()
		return err
	}
	if l.closing {
		l.mu.Unlock()
		return ErrClosed
	}
	if index <= l.last {
		last := l.last
		l.mu.Unlock()
		return fmt.Errorf("%w: %d after %d", ErrOutOfOrder, index, last)
	}
	b := l.fill
	// A segment always takes its first record, however large.
	if l.needRoll || l.segSize+n > l.opts.SegmentBytes {
		b.rolls = append(b.rolls, roll{off: len(b.buf), first: index, prevLast: l.last})
		l.segSize = segmentHeaderSize
		l.needRoll = false
	}
	b.buf = appendRecord(b.buf, index, crc, payload)
	b.last = index
	l.last = index
	l.segSize += n
	l.pending.Add(n)
	l.mu.Unlock()

	l.stats.appended.Add(1)
	select {
	case l.kick <- struct{}{}:
	default:
	}
	return nil
}

// Wait blocks until the record with this index, and every one before it, is durable
// per the sync policy (see the package doc). It returns ctx.Err() if ctx ends
// first, the sticky I/O error if the log failed before the record was fsynced, and
// ErrClosed if the log closed without the index ever being appended.
func (l *Log) Wait(ctx context.Context, index uint64) error {
	for {
		ch := l.durable.wait()
		if err := l.failure(); err != nil {
			if index <= l.synced.Load() {
				return nil
			}
			return err
		}
		if l.durableIndex() >= index {
			return nil
		}
		select {
		case <-l.done:
			return ErrClosed
		default:
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// durableIndex is the mark Wait compares against.
func (l *Log) durableIndex() uint64 {
	if l.opts.Sync == SyncAlways {
		return l.synced.Load()
	}
	return l.written.Load()
}

// Full reports whether more than Options.MaxPending bytes are appended but not yet
// written. It is advice: Append does not refuse records when the log is full.
func (l *Log) Full() bool { return l.pending.Load() > l.opts.MaxPending }

// WaitRoom blocks until the log is not Full, ctx ends, or the log fails or closes.
func (l *Log) WaitRoom(ctx context.Context) error {
	for {
		ch := l.room.wait()
		if err := l.failure(); err != nil {
			return err
		}
		if !l.Full() {
			return nil
		}
		select {
		case <-l.done:
			return ErrClosed
		default:
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// LastIndex returns the index of the last record appended (or recovered by Open).
func (l *Log) LastIndex() uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.last
}

// Close writes and fsyncs everything pending, stops the writer and closes the
// active segment. It returns the sticky I/O error if the log failed. Closing twice
// is harmless.
func (l *Log) Close() error {
	l.mu.Lock()
	if l.closing {
		l.mu.Unlock()
		<-l.done
		return nil
	}
	l.closing = true
	l.mu.Unlock()
	select {
	case l.kick <- struct{}{}:
	default:
	}
	<-l.done
	// Then the syncer's last pass: everything written is fsynced (all policies).
	select {
	case <-l.syncDone:
	default:
		close(l.syncStop)
		<-l.syncDone
	}

	var err error
	if l.active != nil {
		if cerr := l.active.Close(); cerr != nil {
			err = fmt.Errorf("wal: close segment: %w", cerr)
		}
		l.active = nil
	}
	if ferr := l.failure(); ferr != nil {
		return ferr
	}
	return err
}

// failure returns the sticky I/O error, if any.
func (l *Log) failure() error {
	if p := l.failed.Load(); p != nil {
		return *p
	}
	return nil
}
