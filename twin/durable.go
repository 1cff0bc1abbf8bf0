package twin

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"citytwin/twin/wal"
)

// Durability configures where and how a store opened with Open keeps what it was
// given: the write-ahead log (every batch before it is acknowledged) and the
// snapshots (the whole twin now and then, so that start-up replays only the log
// after the newest one).
type Durability struct {
	Dir string      // holds the log (Dir/wal) and the snapshots
	Log wal.Options // fsync policy, segment size, back-pressure bound
	// SnapshotEvery takes a snapshot on this interval (0: not on a timer).
	SnapshotEvery time.Duration
	// SnapshotLogBytes takes a snapshot once the log has grown by this many bytes
	// since the last one (0: not by size).
	SnapshotLogBytes int64
	// KeepSnapshots is how many snapshots are kept (>= 1). The log is kept back to
	// the oldest of them, so that a damaged newest snapshot still leaves a way to
	// recover everything.
	KeepSnapshots int
	// SnapshotOnClose takes a snapshot when the store is closed, so that the next
	// start replays nothing.
	SnapshotOnClose bool
	Logger          *slog.Logger
	// Hold, when set, is the seq up to which snapshots may compact the log: a
	// follower that reads the log (the history sink, see ReadLog) keeps the
	// records after its position this way.
	Hold func() uint64
}

// DefaultDurability returns the defaults for dir.
func DefaultDurability(dir string) Durability {
	return Durability{
		Dir:              dir,
		Log:              wal.DefaultOptions(),
		SnapshotEvery:    10 * time.Minute,
		SnapshotLogBytes: 256 << 20,
		KeepSnapshots:    2,
		SnapshotOnClose:  true,
	}
}

// Validate checks the durability settings.
func (d Durability) Validate() error {
	switch {
	case d.Dir == "":
		return errors.New("twin: durability needs a directory")
	case d.KeepSnapshots < 1:
		return errors.New("twin: keep at least one snapshot")
	case d.SnapshotEvery < 0 || d.SnapshotLogBytes < 0:
		return errors.New("twin: snapshot interval and size must be >= 0")
	}
	return d.Log.Validate()
}

// Recovery says what Open found and did.
type Recovery struct {
	Snapshot    string        // the snapshot loaded, "" when none
	SnapshotSeq uint64        // the sequence number it was taken at
	Skipped     []string      // snapshots that could not be loaded, and why
	Records     int           // log records replayed after the snapshot
	Ops         int           // ops in them
	Seq         uint64        // the sequence number after recovery
	Log         wal.Recovery  // what the log found (a torn tail cut, …)
	Took        time.Duration // from Open to ready
}

// durable is the part of a Store that exists when it was opened with Open.
type durable struct {
	cfg  Durability
	log  *wal.Log
	logr *slog.Logger

	snapMu   sync.Mutex    // one snapshot at a time
	lastSnap atomic.Uint64 // seq of the newest snapshot
	lastLogB atomic.Int64  // log bytes written when it was taken
	lastTime atomic.Int64  // when it was written, Unix nanoseconds (0: not in this run)
	paused   atomic.Int64  // how long taking its view held the read lock, ns
	openSeq  uint64        // seq after recovery: everything up to it is durable

	hold atomic.Pointer[func() uint64] // see HoldLog

	stop   chan struct{}
	done   chan struct{}
	unlock func() error // releases the data directory
}

// ErrClosed is returned by a store after Close.
var ErrClosed = errors.New("twin: store closed")

// ErrLocked says that another process has the data directory open.
var ErrLocked = errors.New("twin: the data directory is in use by another process")

// Open opens the twin kept in d.Dir, creating it if it is empty: it loads the
// newest snapshot that is whole, replays the log after it and starts the
// background snapshots. Every Apply afterwards is logged before it returns.
// Close the store when done.
func Open(ctx context.Context, cfg Config, d Durability) (*Store, *Recovery, error) {
	start := time.Now()
	if err := d.Validate(); err != nil {
		return nil, nil, err
	}
	logr := d.Logger
	if logr == nil {
		logr = slog.New(slog.DiscardHandler)
	}
	if d.Log.Logger == nil {
		d.Log.Logger = logr
	}
	if err := os.MkdirAll(d.Dir, 0o755); err != nil {
		return nil, nil, err
	}
	unlock, err := lockDir(d.Dir)
	if err != nil {
		return nil, nil, err
	}
	fail := func(err error) (*Store, *Recovery, error) {
		unlock()
		return nil, nil, err
	}
	rec := &Recovery{}
	s, err := loadNewestSnapshot(cfg, d.Dir, rec, logr)
	if err != nil {
		return fail(err)
	}
	log, lrec, err := wal.Open(filepath.Join(d.Dir, "wal"), d.Log)
	if err != nil {
		return fail(fmt.Errorf("open log: %w", err))
	}
	rec.Log = lrec
	if err := s.replay(ctx, log, rec); err != nil {
		log.Close()
		return fail(err)
	}
	rec.Seq = s.seq
	rec.Took = time.Since(start)
	s.durable = &durable{
		cfg: d, log: log, logr: logr, openSeq: rec.Seq, unlock: unlock,
		stop: make(chan struct{}), done: make(chan struct{}),
	}
	s.durable.lastSnap.Store(rec.SnapshotSeq)
	s.durable.lastLogB.Store(log.Stats().BytesWritten)
	go s.snapshotLoop()
	logr.Info("twin opened", "dir", d.Dir, "snapshot", rec.Snapshot, "snapshot_seq", rec.SnapshotSeq,
		"replayed_records", rec.Records, "replayed_ops", rec.Ops, "seq", rec.Seq, "took", rec.Took)
	return s, rec, nil
}

// loadNewestSnapshot loads the newest snapshot in dir that is whole, or returns
// an empty store when there is none.
func loadNewestSnapshot(cfg Config, dir string, rec *Recovery, logr *slog.Logger) (*Store, error) {
	snaps, err := listSnapshots(dir)
	if err != nil {
		return nil, err
	}
	for i := len(snaps) - 1; i >= 0; i-- {
		path := filepath.Join(dir, snapshotName(snaps[i]))
		s, err := loadSnapshot(path, cfg)
		if err != nil {
			logr.Error("snapshot not loaded; trying an older one", "snapshot", path, "err", err)
			rec.Skipped = append(rec.Skipped, fmt.Sprintf("%s: %v", path, err))
			continue
		}
		if s.seq != snaps[i] {
			err := fmt.Errorf("%s holds seq %d, its name says %d", path, s.seq, snaps[i])
			rec.Skipped = append(rec.Skipped, err.Error())
			continue
		}
		rec.Snapshot, rec.SnapshotSeq = path, s.seq
		return s, nil
	}
	return New(cfg)
}

// listSnapshots returns the seqs of the snapshots in dir, oldest first.
func listSnapshots(dir string) ([]uint64, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var seqs []uint64
	for _, e := range entries {
		name, ok := strings.CutPrefix(e.Name(), "snapshot-")
		if name, ok2 := strings.CutSuffix(name, ".ctsnap"); ok && ok2 {
			if seq, err := strconv.ParseUint(name, 10, 64); err == nil {
				seqs = append(seqs, seq)
			}
		}
	}
	slices.Sort(seqs)
	return seqs, nil
}

// replay applies the log records after the snapshot.
func (s *Store) replay(ctx context.Context, log *wal.Log, rec *Recovery) error {
	from := s.seq + 1
	err := log.Replay(from, func(index uint64, payload []byte) error {
		if rec.Records%1024 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		ops, err := DecodeOps(payload)
		if err != nil {
			return fmt.Errorf("log record %d: %w", index, err)
		}
		if s.seq+uint64(len(ops)) != index {
			return fmt.Errorf("log record %d holds %d ops, but the twin is at seq %d: the log does not continue the snapshot (a segment is missing?)",
				index, len(ops), s.seq)
		}
		s.mu.Lock()
		err = s.applyChecked(ops, false)
		s.mu.Unlock()
		if err != nil {
			return fmt.Errorf("log record %d does not apply: %w", index, err)
		}
		rec.Records++
		rec.Ops += len(ops)
		return nil
	})
	if err != nil {
		return fmt.Errorf("replay log: %w", err)
	}
	if last := log.LastIndex(); last > s.seq {
		return fmt.Errorf("replay log: the log ends at %d but replay reached only %d", last, s.seq)
	}
	return nil
}

// Snapshot writes a snapshot of the twin now and removes what it makes
// redundant: older snapshots beyond KeepSnapshots and the log segments before the
// oldest kept one. The store is read-locked only while the view is taken; the
// file is written while the store goes on.
func (s *Store) Snapshot(ctx context.Context) (string, error) {
	d := s.durable
	if d == nil {
		return "", errors.New("twin: snapshot needs a store opened with Open")
	}
	d.snapMu.Lock()
	defer d.snapMu.Unlock()
	start := time.Now()
	s.mu.RLock()
	v := s.capture()
	logBytes := d.log.Stats().BytesWritten
	s.mu.RUnlock()
	paused := time.Since(start)
	if v.seq == d.lastSnap.Load() && v.seq > 0 {
		return filepath.Join(d.cfg.Dir, snapshotName(v.seq)), nil
	}
	// Everything the snapshot holds must be in the log first: a snapshot of ops
	// not yet durable could outlive them. The channels may hold ops up to
	// v.maxSeq (see view), so the file is put in place only once the log has
	// those.
	path, err := v.writeFile(d.cfg.Dir, func() error {
		if v.maxSeq <= d.openSeq {
			return nil
		}
		return d.log.Wait(ctx, v.maxSeq)
	})
	if err != nil {
		return "", err
	}
	d.lastSnap.Store(v.seq)
	d.lastLogB.Store(logBytes)
	d.lastTime.Store(time.Now().UnixNano())
	d.paused.Store(int64(paused))
	d.logr.Info("snapshot written", "path", path, "seq", v.seq, "entities", len(v.ids),
		"channels", len(v.metrics), "paused", paused, "took", time.Since(start))
	return path, s.pruneSnapshots()
}

// pruneSnapshots keeps the newest KeepSnapshots snapshots and the log from the
// oldest kept one on.
func (s *Store) pruneSnapshots() error {
	d := s.durable
	seqs, err := listSnapshots(d.cfg.Dir)
	if err != nil {
		return err
	}
	for len(seqs) > d.cfg.KeepSnapshots {
		if err := os.Remove(filepath.Join(d.cfg.Dir, snapshotName(seqs[0]))); err != nil {
			return err
		}
		seqs = seqs[1:]
	}
	if len(seqs) == 0 {
		return nil
	}
	return d.log.Compact(d.logHeld(seqs[0]))
}

func (s *Store) snapshotLoop() {
	d := s.durable
	defer close(d.done)
	check := time.NewTicker(time.Second)
	defer check.Stop()
	last := time.Now()
	for {
		select {
		case <-d.stop:
			return
		case <-check.C:
		}
		grown := d.log.Stats().BytesWritten - d.lastLogB.Load()
		due := d.cfg.SnapshotEvery > 0 && time.Since(last) >= d.cfg.SnapshotEvery
		if d.cfg.SnapshotLogBytes > 0 && grown >= d.cfg.SnapshotLogBytes {
			due = true
		}
		if !due || grown == 0 {
			continue
		}
		last = time.Now()
		if _, err := s.Snapshot(context.Background()); err != nil {
			d.logr.Error("snapshot failed", "err", err)
		}
	}
}

// Close stops the background snapshots, takes a last snapshot if configured,
// and closes the log. A store made with New has nothing to close.
func (s *Store) Close() error {
	d := s.durable
	if d == nil {
		return nil
	}
	s.mu.Lock()
	closed := s.closed
	s.closed = true
	s.mu.Unlock()
	if closed {
		return nil
	}
	close(d.stop)
	<-d.done
	var errs []error
	if d.cfg.SnapshotOnClose && s.failed == nil {
		if _, err := s.Snapshot(context.Background()); err != nil {
			errs = append(errs, fmt.Errorf("snapshot on close: %w", err))
		}
	}
	errs = append(errs, d.log.Close(), d.unlock())
	return errors.Join(errs...)
}

// Overloaded reports whether the log has more waiting to be written than its
// bound: producers should slow down or retry later.
func (s *Store) Overloaded() bool {
	return s.durable != nil && s.durable.log.Full()
}

// DurableStatus is what a store opened with Open says about its durability.
type DurableStatus struct {
	Dir              string     `json:"dir"`
	Fsync            string     `json:"fsync"`
	Seq              uint64     `json:"seq"`                     // ops applied
	SyncedSeq        uint64     `json:"synced_seq"`              // ops fsynced
	SnapshotSeq      uint64     `json:"snapshot_seq"`            // the newest snapshot's seq
	SnapshotTime     *time.Time `json:"snapshot_time,omitempty"` // when this run wrote it (nil: loaded at start, or none yet)
	SnapshotPauseMS  float64    `json:"snapshot_pause_ms"`       // how long writers waited while it was taken
	LogSegments      int        `json:"log_segments"`            // segment files
	LogBytes         int64      `json:"log_bytes"`               // their size
	LogPendingBytes  int64      `json:"log_pending_bytes"`       // appended, not yet written
	LogSinceSnapshot int64      `json:"log_since_snapshot_bytes"`
	Failed           string     `json:"failed,omitempty"` // why the store takes no more changes
}

// Durability reports the log and snapshots; ok is false for a store made with
// New.
func (s *Store) Durability() (st DurableStatus, ok bool) {
	d := s.durable
	if d == nil {
		return st, false
	}
	ls := d.log.Stats()
	st = DurableStatus{
		Dir: d.cfg.Dir, Fsync: d.cfg.Log.Sync.String(), Seq: s.Seq(), SyncedSeq: ls.SyncedIndex,
		SnapshotSeq: d.lastSnap.Load(), LogSegments: ls.Segments, LogBytes: ls.DiskBytes,
		LogPendingBytes: ls.PendingBytes, LogSinceSnapshot: ls.BytesWritten - d.lastLogB.Load(),
		SnapshotPauseMS: float64(d.paused.Load()) / 1e6,
	}
	if t := d.lastTime.Load(); t != 0 {
		at := time.Unix(0, t).UTC()
		st.SnapshotTime = &at
	}
	s.mu.RLock()
	if s.failed != nil {
		st.Failed = s.failed.Error()
	}
	s.mu.RUnlock()
	return st, true
}

// LogStats returns the log's counters, zero for a store made with New.
func (s *Store) LogStats() wal.Stats {
	if s.durable == nil {
		return wal.Stats{}
	}
	return s.durable.log.Stats()
}
