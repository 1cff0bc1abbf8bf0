package wal

import (
	"fmt"
	"log/slog"
	"time"
)

// SyncPolicy says when a record counts as durable; see the package doc.
// The zero value is SyncBatch.
type SyncPolicy uint8

const (
	// SyncBatch acknowledges after write(2) and fsyncs within SyncInterval.
	SyncBatch SyncPolicy = iota
	// SyncAlways acknowledges after write(2) and fsync (group commit).
	SyncAlways
	// SyncOff acknowledges after write(2) and fsyncs only on segment roll and Close.
	SyncOff
)

// String returns the name ParseSyncPolicy accepts.
func (p SyncPolicy) String() string {
	switch p {
	case SyncBatch:
		return "batch"
	case SyncAlways:
		return "always"
	case SyncOff:
		return "off"
	}
	return fmt.Sprintf("SyncPolicy(%d)", uint8(p))
}

// ParseSyncPolicy parses "always", "batch" or "off".
func ParseSyncPolicy(s string) (SyncPolicy, error) {
	switch s {
	case "batch":
		return SyncBatch, nil
	case "always":
		return SyncAlways, nil
	case "off":
		return SyncOff, nil
	}
	return 0, fmt.Errorf("wal: unknown sync policy %q (want always, batch or off)", s)
}

// MarshalText makes a SyncPolicy usable in text configs and with flag.TextVar.
func (p SyncPolicy) MarshalText() ([]byte, error) {
	if p > SyncOff {
		return nil, fmt.Errorf("wal: invalid sync policy %d", uint8(p))
	}
	return []byte(p.String()), nil
}

// UnmarshalText is the inverse of MarshalText.
func (p *SyncPolicy) UnmarshalText(b []byte) error {
	v, err := ParseSyncPolicy(string(b))
	if err != nil {
		return err
	}
	*p = v
	return nil
}

// Defaults. MaxPayload bounds a record so that a corrupt length field can never make
// Open allocate more than this.
const (
	DefaultSyncInterval       = 10 * time.Millisecond
	DefaultSegmentBytes int64 = 64 << 20
	DefaultMaxPending   int64 = 64 << 20
	MaxPayload                = 256 << 20

	minSegmentBytes = segmentHeaderSize + recordHeaderSize
)

// Options configure a Log. Zero fields take their defaults in Open.
type Options struct {
	// Sync is the durability policy.
	Sync SyncPolicy
	// SyncInterval bounds, under SyncBatch, the delay from a write(2) to the fsync
	// that covers it.
	SyncInterval time.Duration
	// SegmentBytes is the size past which a new segment is started. A segment is
	// larger only when it holds a single record that is.
	SegmentBytes int64
	// MaxPending is the number of bytes appended but not yet written beyond which
	// Full reports true. Append itself never blocks; callers use WaitRoom.
	MaxPending int64
	// Logger receives recovery warnings. Nil discards.
	Logger *slog.Logger

	// hooks inject I/O faults in tests.
	hooks *hooks
}

// DefaultOptions returns the options Open uses for zero fields.
func DefaultOptions() Options {
	return Options{
		Sync:         SyncBatch,
		SyncInterval: DefaultSyncInterval,
		SegmentBytes: DefaultSegmentBytes,
		MaxPending:   DefaultMaxPending,
	}
}

// withDefaults fills zero fields.
func (o Options) withDefaults() Options {
	d := DefaultOptions()
	if o.SyncInterval == 0 {
		o.SyncInterval = d.SyncInterval
	}
	if o.SegmentBytes == 0 {
		o.SegmentBytes = d.SegmentBytes
	}
	if o.MaxPending == 0 {
		o.MaxPending = d.MaxPending
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o
}

// Validate reports the first invalid field. Zero durations and sizes are invalid
// here; Open replaces them with defaults before validating.
func (o Options) Validate() error {
	if o.Sync > SyncOff {
		return fmt.Errorf("wal: invalid sync policy %d", uint8(o.Sync))
	}
	if o.SyncInterval <= 0 {
		return fmt.Errorf("wal: sync interval %v must be positive", o.SyncInterval)
	}
	if o.SegmentBytes < minSegmentBytes {
		return fmt.Errorf("wal: segment bytes %d below the minimum %d", o.SegmentBytes, minSegmentBytes)
	}
	if o.MaxPending <= 0 {
		return fmt.Errorf("wal: max pending %d must be positive", o.MaxPending)
	}
	return nil
}

// hooks let tests fail or stall the writer's I/O. Nil funcs do nothing.
type hooks struct {
	beforeWrite func() error
	beforeSync  func() error
}
