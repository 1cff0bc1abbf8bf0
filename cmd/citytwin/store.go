package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"time"

	"citytwin/twin"
	"citytwin/twin/wal"
)

// storeFlags are the flags that say where and how the twin keeps its data; serve
// and import share them.
type storeFlags struct {
	data          *string
	fsync         *string
	fsyncInterval *time.Duration
	snapshotEvery *time.Duration
	retention     *time.Duration
}

func addStoreFlags(fs *flag.FlagSet) *storeFlags {
	return &storeFlags{
		data: fs.String("data", "", "directory of the twin's write-ahead log and snapshots; created if missing.\n"+
			"Without it the twin lives in memory only and is gone when the process ends"),
		fsync: fs.String("fsync", "batch", "when the log is flushed to disk: always (before every acknowledgement),\n"+
			"batch (acknowledged once written to the OS, flushed within --fsync-interval) or off.\n"+
			"A killed process loses nothing acknowledged with any of them; only a power cut can lose the last --fsync-interval with batch"),
		fsyncInterval: fs.Duration("fsync-interval", 10*time.Millisecond, "with --fsync batch: the longest time between a write and its flush to disk"),
		snapshotEvery: fs.Duration("snapshot-every", 10*time.Minute, "take a snapshot this often (also after every 256 MiB of log), so that a restart replays little"),
		retention:     fs.Duration("retention", 24*time.Hour, "how long observations and positions stay in memory (0 = forever)"),
	}
}

// open opens the twin: durable in --data, or in memory without it. The closer
// takes a last snapshot and closes the log.
func (f *storeFlags) open(ctx context.Context, cfg twin.Config, log *slog.Logger) (*twin.Store, error) {
	cfg.Retention = *f.retention
	if *f.data == "" {
		log.Warn("no --data directory: the twin lives in memory only and is lost when the process ends")
		return twin.New(cfg)
	}
	policy, err := wal.ParseSyncPolicy(*f.fsync)
	if err != nil {
		return nil, fmt.Errorf("--fsync: %w", err)
	}
	d := twin.DefaultDurability(*f.data)
	d.Log.Sync, d.Log.SyncInterval = policy, *f.fsyncInterval
	d.SnapshotEvery = *f.snapshotEvery
	d.Logger = log
	store, rec, err := twin.Open(ctx, cfg, d)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", *f.data, err)
	}
	if rec.Log.Truncated {
		log.Warn("the log ended in a torn record, cut at the last whole one",
			"segment", rec.Log.TruncatedSegment, "offset", rec.Log.TruncatedAt, "bytes_cut", rec.Log.TruncatedBytes, "reason", rec.Log.Reason)
	}
	for _, s := range rec.Skipped {
		log.Warn("snapshot skipped", "reason", s)
	}
	return store, nil
}
