package wal

import (
	"errors"
	"fmt"
)

// Sentinel errors.
var (
	// ErrCorrupt matches every *CorruptError.
	ErrCorrupt = errors.New("wal: corrupt log")
	// ErrClosed is returned by calls on a closed Log.
	ErrClosed = errors.New("wal: log closed")
	// ErrOutOfOrder is returned by Append when an index does not exceed the last one.
	ErrOutOfOrder = errors.New("wal: index not increasing")
	// ErrTooLarge is returned by Append for a payload longer than MaxPayload.
	ErrTooLarge = errors.New("wal: payload too large")
)

// CorruptError reports damage that is not a torn tail: a bad record in a segment
// other than the last, a bad record followed by valid ones, a bad segment header, or
// indexes out of order. The log cannot be opened until an operator intervenes.
type CorruptError struct {
	Segment string // path of the segment file
	Offset  int64  // byte offset of the damaged record or header in the file
	Reason  string
}

func (e *CorruptError) Error() string {
	return fmt.Sprintf("wal: corrupt segment %s at offset %d: %s", e.Segment, e.Offset, e.Reason)
}

// Is makes errors.Is(err, ErrCorrupt) true.
func (e *CorruptError) Is(target error) bool { return target == ErrCorrupt }
