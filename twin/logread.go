package twin

import (
	"context"
	"errors"
	"fmt"
)

// Reading the durable log back, for followers of the change feed (the history
// sink) that must not lose a change when they fall behind the feed's ring.

// ErrNotDurable says that a store made with New has no log to read.
var ErrNotDurable = errors.New("twin: the store has no log (made with New)")

// ErrLogCompacted says that the log no longer holds the changes asked for:
// snapshots compacted it past them.
var ErrLogCompacted = errors.New("twin: the log no longer holds the changes asked for")

// errStopRead ends a ReadLog early without an error.
var errStopRead = errors.New("twin: stop reading the log")

// StopReading, returned by ReadLog's fn, ends the read without an error.
func StopReading() error { return errStopRead }

// ReadLog calls fn, in order, for every change after seq after that the log has
// written, with the op exactly as it was logged (an upsert carries the entity as
// given, a patch only its properties: not the entity as the store holds it, as
// the change feed gives). It returns when it reaches the end of what is written,
// when fn returns StopReading() (nil then) or another error (returned), or with
// ErrLogCompacted when the log starts after after+1. Changes that are applied
// but not yet written are not seen: call again later.
func (s *Store) ReadLog(ctx context.Context, after uint64, fn func(Change) error) error {
	d := s.durable
	if d == nil {
		return ErrNotDurable
	}
	next := after + 1
	n := 0
	err := d.log.Replay(next, func(index uint64, payload []byte) error {
		if n++; n%64 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		ops, err := DecodeOps(payload)
		if err != nil {
			return fmt.Errorf("log record %d: %w", index, err)
		}
		if uint64(len(ops)) > index {
			return fmt.Errorf("log record %d holds %d ops", index, len(ops))
		}
		first := index - uint64(len(ops)) + 1
		if first > next {
			return fmt.Errorf("%w: want seq %d, the log goes on at %d", ErrLogCompacted, next, first)
		}
		for i := range ops {
			seq := first + uint64(i)
			if seq < next {
				continue
			}
			if err := fn(Change{Seq: seq, Op: ops[i]}); err != nil {
				return err
			}
			next = seq + 1
		}
		return nil
	})
	if errors.Is(err, errStopRead) {
		return nil
	}
	if err != nil {
		return err
	}
	return nil
}

// HoldLog makes snapshots keep the log after the seq that hold returns (as
// Durability.Hold does), for a follower started after the store was opened;
// nil lets go. It does nothing for a store made with New.
func (s *Store) HoldLog(hold func() uint64) {
	if s.durable == nil {
		return
	}
	if hold == nil {
		s.durable.hold.Store(nil)
		return
	}
	s.durable.hold.Store(&hold)
}

// logHeld is the seq up to which snapshots may compact the log: upTo (the
// oldest kept snapshot's), lowered to what Durability.Hold and HoldLog ask for.
func (d *durable) logHeld(upTo uint64) uint64 {
	if d.cfg.Hold != nil {
		upTo = min(upTo, d.cfg.Hold())
	}
	if h := d.hold.Load(); h != nil {
		upTo = min(upTo, (*h)())
	}
	return upTo
}

// LogStart is the seq of the oldest change the log still holds; ok is false
// for a store without a log or with an empty one.
func (s *Store) LogStart() (seq uint64, ok bool) {
	d := s.durable
	if d == nil {
		return 0, false
	}
	err := d.log.Replay(0, func(index uint64, payload []byte) error {
		ops, err := DecodeOps(payload)
		if err != nil {
			return fmt.Errorf("log record %d: %w", index, err)
		}
		seq, ok = index-uint64(len(ops))+1, true
		return errStopRead
	})
	if err != nil && !errors.Is(err, errStopRead) {
		return 0, false
	}
	return seq, ok
}
