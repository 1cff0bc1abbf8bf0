package senml

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"citytwin/twin"
)

// Errors that reject a whole payload. A bad record only rejects itself: see Reject.
var (
	ErrTooLarge       = errors.New("senml: payload too large")
	ErrTooManyRecords = errors.New("senml: too many records")
	ErrNotJSON        = errors.New("senml: payload is not JSON")
	ErrNotPack        = errors.New("senml: payload is not a SenML pack (a JSON array of records)")
	ErrNotPlain       = errors.New("senml: payload is not plain JSON records")
	ErrMustUnderstand = errors.New("senml: unknown must-understand field")
	ErrBadOptions     = errors.New("senml: bad options")
)

// Defaults of Options.
const (
	DefaultMaxBytes   = 1 << 20
	DefaultMaxRecords = 10_000
	DefaultMaxFuture  = 24 * time.Hour
)

// Options say where a payload came from and how much of it to take.
type Options struct {
	// Entity is the default entity: the one that records without an entity part
	// in their name belong to, e.g. "sensor:aq-17" from the MQTT topic
	// citytwin/<source>/<entity id>/senml or from the HTTP path. It may be empty
	// when every record names its entity.
	Entity twin.ID
	// IDPrefix qualifies entity parts that have no ':' of their own: with
	// IDPrefix "sensor:", the name "aq-18:pm25" is entity "sensor:aq-18". When
	// empty, the prefix of Entity up to and including its first ':' is used; when
	// that is empty too, entity parts are taken as they are.
	IDPrefix string
	// Source is the provenance of the ops (twin.Op.Source), e.g. "mqtt:citytwin/aq".
	Source string
	// Now is "now" for relative SenML times and for records without a time; the
	// zero time means time.Now() when Decode is called.
	Now time.Time
	// MaxFuture rejects records more than this far ahead of Now (0: 24 h).
	MaxFuture time.Duration
	// MaxBytes and MaxRecords bound a payload (0: 1 MiB and 10,000 records).
	MaxBytes   int
	MaxRecords int
}

// DefaultOptions returns Options with the default limits and no entity.
func DefaultOptions() Options {
	return Options{MaxFuture: DefaultMaxFuture, MaxBytes: DefaultMaxBytes, MaxRecords: DefaultMaxRecords}
}

// Validate reports options that can never work.
func (o Options) Validate() error {
	switch {
	case o.MaxFuture < 0 || o.MaxBytes < 0 || o.MaxRecords < 0:
		return fmt.Errorf("%w: negative limit", ErrBadOptions)
	case len(o.Entity) > twin.MaxIDLen:
		return fmt.Errorf("%w: entity id of %d bytes", ErrBadOptions, len(o.Entity))
	}
	return nil
}

// withDefaults fills in the zero fields.
func (o Options) withDefaults() Options {
	if o.MaxFuture == 0 {
		o.MaxFuture = DefaultMaxFuture
	}
	if o.MaxBytes == 0 {
		o.MaxBytes = DefaultMaxBytes
	}
	if o.MaxRecords == 0 {
		o.MaxRecords = DefaultMaxRecords
	}
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	if o.IDPrefix == "" {
		if i := strings.IndexByte(string(o.Entity), ':'); i >= 0 {
			o.IDPrefix = string(o.Entity[:i+1])
		}
	}
	return o
}

// Result is what a payload decoded to.
type Result struct {
	// Ops are, per entity in the order the entities first appear, an OpMove with
	// its positions (oldest first) and an OpObserve with its observations (in
	// payload order).
	Ops []twin.Op
	// Rejects are the records that were left out, and why, in payload order.
	Rejects []Reject
	// Units maps a metric to the unit it was sent in, before normalisation, for
	// provenance (the first unit seen for the metric wins).
	Units map[string]string
	// Props are the string and data values (vs, vd), by entity and metric, for
	// the caller to patch onto the entities if it wants.
	Props map[twin.ID]twin.Properties
	// Records is the number of records read, rejected ones included.
	Records int
}

// Reject is one record left out of a Result.
type Reject struct {
	Index  int    // the record's index in the payload (NDJSON: across lines); -1 for a whole line
	Line   int    // 1-based NDJSON line, 0 for a single JSON document
	Name   string // the record's resolved name or entity:metric, when known
	Reason string
}

func (r Reject) String() string {
	var where string
	switch {
	case r.Index < 0:
		where = fmt.Sprintf("line %d", r.Line)
	case r.Line > 0:
		where = fmt.Sprintf("line %d record %d", r.Line, r.Index)
	default:
		where = fmt.Sprintf("record %d", r.Index)
	}
	if r.Name != "" {
		return fmt.Sprintf("%s (%s): %s", where, r.Name, r.Reason)
	}
	return where + ": " + r.Reason
}
