package twin

import (
	"errors"
	"fmt"
	"time"

	"github.com/paulmach/orb"
)

// OpType names what an op does.
type OpType uint8

// The ops. Everything that changes the twin is one of these.
const (
	OpUpsert  OpType = iota + 1 // create or replace an entity (a new version)
	OpPatch                     // set or remove some properties (a new version)
	OpDelete                    // end an entity (a tombstone version)
	OpObserve                   // append observations to channels
	OpMove                      // report positions of moving entities
)

func (t OpType) String() string {
	switch t {
	case OpUpsert:
		return "upsert"
	case OpPatch:
		return "patch"
	case OpDelete:
		return "delete"
	case OpObserve:
		return "observe"
	case OpMove:
		return "move"
	}
	return fmt.Sprintf("op(%d)", uint8(t))
}

// Op is the unit of change and of the log. Ops are self-contained and applying them
// is deterministic: the same ops in the same order give the same twin.
type Op struct {
	Type OpType
	// T is when the op took effect, Unix nanoseconds. For upsert, patch and delete it
	// is the valid-from time of the new version; 0 means "when applied".
	T int64
	// Source names who said it (provenance), e.g. "osm", "mqtt:citytwin/aq".
	Source string

	Entity       *Entity       // OpUpsert
	ID           ID            // OpPatch, OpDelete
	Patch        Properties    // OpPatch: a Null value removes the key
	Observations []Observation // OpObserve
	Positions    []Position    // OpMove
}

// Observation is one reading of one metric of one entity. Values are in SI units.
type Observation struct {
	ID     ID
	Metric string
	T      int64 // Unix nanoseconds
	V      float64
}

// Position is where a moving entity was at T.
type Position struct {
	ID    ID
	T     int64 // Unix nanoseconds
	Point orb.Point
}

// items is the number of observations (OpObserve) or positions (OpMove) the op
// carries.
func (op *Op) items() int {
	switch op.Type {
	case OpObserve:
		return len(op.Observations)
	case OpMove:
		return len(op.Positions)
	}
	return 0
}

// itemID is the entity of observation or position i.
func (op *Op) itemID(i int) ID {
	if op.Type == OpMove {
		return op.Positions[i].ID
	}
	return op.Observations[i].ID
}

// ErrBadOp reports an op that can never apply, whatever the state.
var ErrBadOp = errors.New("twin: bad op")

// Validate checks what can be checked without the store's state, naming the
// record that is wrong.
func (op *Op) Validate() error {
	switch op.Type {
	case OpUpsert:
		if op.Entity == nil {
			return fmt.Errorf("%w: upsert without entity", ErrBadOp)
		}
		return op.Entity.Validate()
	case OpPatch:
		if op.ID == "" {
			return fmt.Errorf("%w: patch: %w", ErrBadOp, ErrNoID)
		}
		for i, p := range op.Patch {
			if p.Key == "" || i > 0 && op.Patch[i-1].Key >= p.Key {
				return fmt.Errorf("%w: patch %s: keys must be non-empty, sorted and unique", ErrBadOp, op.ID)
			}
			if p.Value.typ == Number && badFloat(p.Value.num) {
				return fmt.Errorf("%w: patch %s: property %q must be finite", ErrBadOp, op.ID, p.Key)
			}
		}
	case OpDelete:
		if op.ID == "" {
			return fmt.Errorf("%w: delete: %w", ErrBadOp, ErrNoID)
		}
	case OpObserve:
		for i, o := range op.Observations {
			switch {
			case o.ID == "":
				return fmt.Errorf("%w: observation %d: %w", ErrBadOp, i, ErrNoID)
			case o.Metric == "" || len(o.Metric) > 128:
				return fmt.Errorf("%w: observation %d (%s): metric must have 1..128 bytes", ErrBadOp, i, o.ID)
			case badFloat(o.V):
				return fmt.Errorf("%w: observation %d (%s %s): value %v is not finite", ErrBadOp, i, o.ID, o.Metric, o.V)
			}
		}
	case OpMove:
		for i, p := range op.Positions {
			switch {
			case p.ID == "":
				return fmt.Errorf("%w: position %d: %w", ErrBadOp, i, ErrNoID)
			case !validLonLat(p.Point):
				return fmt.Errorf("%w: position %d (%s): %v is not a WGS84 lon/lat", ErrBadOp, i, p.ID, p.Point)
			}
		}
	default:
		return fmt.Errorf("%w: unknown type %d", ErrBadOp, op.Type)
	}
	return nil
}

// Nanos converts a time to the ops' Unix nanoseconds; the zero time is 0.
func Nanos(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

// Time converts Unix nanoseconds back; 0 is the zero time.
func Time(ns int64) time.Time {
	if ns == 0 {
		return time.Time{}
	}
	return time.Unix(0, ns).UTC()
}
