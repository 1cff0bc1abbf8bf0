package history

import (
	"errors"
	"fmt"
	"time"
)

// Config sets up a Sink.
type Config struct {
	// DSN is the PostgreSQL connection string (postgres://user:password@host/db).
	DSN string
	// Name tells sinks writing into the same database apart: each keeps its own
	// position. One sink per name at a time (an advisory lock makes sure).
	Name string
	// BatchRows ends a batch once it holds this many rows (observations, moves
	// and versions together).
	BatchRows int
	// BatchWait ends a batch this long after its first change, full or not.
	BatchWait time.Duration
	// ReadMax is how many changes one read of the feed takes at most.
	ReadMax int
	// RetryMin and RetryMax bound the wait before reconnecting after a failure;
	// it doubles from RetryMin on every failure in a row.
	RetryMin, RetryMax time.Duration
	// CacheEntities bounds the entities whose current version the sink keeps in
	// memory between batches (it reads the others from the database).
	CacheEntities int
	// Layout is "native" (declarative partitioning by day), "timescale"
	// (hypertables and compression) or "" to use TimescaleDB when the server
	// has it. It matters only for a new database.
	Layout string
}

// DefaultConfig returns the defaults for dsn.
func DefaultConfig(dsn string) Config {
	return Config{
		DSN:           dsn,
		Name:          "citytwin",
		BatchRows:     200_000,
		BatchWait:     250 * time.Millisecond,
		ReadMax:       8192,
		RetryMin:      250 * time.Millisecond,
		RetryMax:      15 * time.Second,
		CacheEntities: 200_000,
	}
}

// Validate reports the first setting that is wrong.
func (c Config) Validate() error {
	switch {
	case c.DSN == "":
		return errors.New("history: no database (DSN)")
	case c.Name == "":
		return errors.New("history: the sink needs a name")
	case c.BatchRows < 1 || c.ReadMax < 1:
		return errors.New("history: batch rows and read max must be >= 1")
	case c.BatchWait <= 0:
		return errors.New("history: batch wait must be > 0")
	case c.RetryMin <= 0 || c.RetryMax < c.RetryMin:
		return errors.New("history: want 0 < retry min <= retry max")
	case c.CacheEntities < 0:
		return errors.New("history: cache size must be >= 0")
	}
	switch c.Layout {
	case "", LayoutNative, LayoutTimescale:
	default:
		return fmt.Errorf("history: layout %q: want native, timescale or empty", c.Layout)
	}
	return nil
}

// The layouts of the series tables.
const (
	LayoutNative    = "native"
	LayoutTimescale = "timescale"
)
