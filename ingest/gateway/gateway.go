package gateway

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"citytwin/ingest"
	"citytwin/ingest/senml"
	"citytwin/twin"
)

// Format names how a payload is encoded.
type Format string

// The payload formats.
const (
	FormatSenML        Format = "senml"        // one SenML JSON pack (RFC 8428)
	FormatSenMLLines   Format = "senml-ndjson" // SenML packs or records, one a line
	FormatJSON         Format = "json"         // the plain JSON form: an object, an array, or one a line
	maxReasonsInLetter        = 5
)

// ParseFormat reads a format name.
func ParseFormat(s string) (Format, error) {
	switch f := Format(strings.ToLower(s)); f {
	case FormatSenML, FormatSenMLLines, FormatJSON:
		return f, nil
	case "ndjson":
		return FormatJSON, nil
	}
	return "", fmt.Errorf("gateway: unknown format %q (want senml, senml-ndjson or json)", s)
}

// Input is one payload and where it came from.
type Input struct {
	Source   string  // "mqtt", "http", …: the dead letters and metrics count by it
	Where    string  // the topic or request path, for the dead letters and provenance
	Format   Format  // how the payload is encoded
	Entity   twin.ID // the default entity (from the topic or path), may be empty
	Payload  []byte
	Received time.Time // "now" for relative SenML times; zero means time.Now()
}

// Report says what happened to a payload's records.
type Report struct {
	Records  int               `json:"records"`  // records read
	Accepted int               `json:"accepted"` // records now in the twin (observations and positions)
	Rejected int               `json:"rejected"`
	Errors   []RecordError     `json:"errors,omitempty"`
	Units    map[string]string `json:"-"`
}

// RecordError is one rejected record.
type RecordError struct {
	Index  int    `json:"index"`          // record index in the payload; -1 for a whole line
	Line   int    `json:"line,omitempty"` // 1-based line of a line-delimited payload
	Name   string `json:"name,omitempty"` // entity and metric, when known
	Reason string `json:"reason"`
}

// Config sets up a Gateway.
type Config struct {
	// ParseTopic splits an MQTT topic into source, entity id and format; the
	// broker's convention (see ingest/mqtt.ParseTopic).
	ParseTopic func(topic string) (source, entity, format string, err error)
	MaxBytes   int           // payload bound (default 1 MiB)
	MaxRecords int           // records a payload (default 10,000)
	MaxFuture  time.Duration // how far ahead of now a time may be (default 24 h)
}

// Gateway decodes payloads into ops for a Sink.
type Gateway struct {
	cfg   Config
	sink  ingest.Sink
	dead  *ingest.DeadLetters
	store *twin.Store // read only: current units of channels
	log   *slog.Logger

	mu    sync.Mutex
	units map[unitKey]string // unit properties known to be set on the entity

	stats Stats
}

type unitKey struct {
	id     twin.ID
	metric string
}

// Stats counts what the gateway saw.
type Stats struct {
	Payloads, Records, Accepted, Rejected, Overloaded atomic.Uint64
}

// New makes a gateway. store is read to avoid patching units that are already
// recorded; dead receives the rejected records.
func New(cfg Config, sink ingest.Sink, store *twin.Store, dead *ingest.DeadLetters, log *slog.Logger) *Gateway {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Gateway{cfg: cfg, sink: sink, dead: dead, store: store, log: log, units: make(map[unitKey]string)}
}

// Stats returns the counters.
func (g *Gateway) Stats() *Stats { return &g.stats }

// DeadLetters returns where rejected records go.
func (g *Gateway) DeadLetters() *ingest.DeadLetters { return g.dead }

// ErrPayload wraps a payload that could not be read at all (not JSON, too
// large, not the format it claims).
var ErrPayload = errors.New("gateway: unreadable payload")

// Ingest decodes a payload and submits its ops. It returns once the accepted
// records are durable. err is ingest.ErrOverloaded when nothing was taken and the
// producer should retry, ErrPayload (wrapped) when the payload is unreadable;
// otherwise the report says which records were taken.
func (g *Gateway) Ingest(ctx context.Context, in Input) (Report, error) {
	g.stats.Payloads.Add(1)
	if in.Received.IsZero() {
		in.Received = time.Now()
	}
	opts := senml.Options{Entity: in.Entity, Source: in.Source + ":" + in.Where, Now: in.Received,
		MaxFuture: g.cfg.MaxFuture, MaxBytes: g.cfg.MaxBytes, MaxRecords: g.cfg.MaxRecords}
	var (
		res senml.Result
		err error
	)
	switch in.Format {
	case FormatSenML:
		res, err = senml.Decode(in.Payload, opts)
	case FormatSenMLLines:
		res, err = senml.DecodeNDJSON(in.Payload, opts)
	case FormatJSON:
		res, err = senml.DecodePlain(in.Payload, opts)
	default:
		err = fmt.Errorf("unknown format %q", in.Format)
	}
	if err != nil {
		g.stats.Rejected.Add(1)
		g.deadLetter(in, err.Error())
		return Report{}, fmt.Errorf("%w: %w", ErrPayload, err)
	}
	rep := Report{Records: res.Records, Units: res.Units}
	for _, r := range res.Rejects {
		rep.Errors = append(rep.Errors, RecordError{Index: r.Index, Line: r.Line, Name: r.Name, Reason: r.Reason})
	}
	patches, units := g.patches(res, in.Received)
	ops := append(res.Ops, patches...)
	if len(ops) > 0 {
		errs, err := g.sink.Submit(ctx, ops)
		if err != nil {
			if errors.Is(err, ingest.ErrOverloaded) {
				g.stats.Overloaded.Add(1)
			}
			return Report{}, err
		}
		for i, e := range errs {
			op := &ops[i]
			n := items(op)
			if e == nil {
				rep.Accepted += n
				if j := i - len(res.Ops); j >= 0 {
					g.rememberUnits(units[j])
				}
				continue
			}
			if n == 0 { // a patch of string values or units
				continue
			}
			reason := fmt.Sprintf("%d records refused: %v", n, e)
			if errors.Is(e, twin.ErrNotFound) {
				reason = fmt.Sprintf("%d records refused: entity %s is not in the twin; create it first (POST /api/v1/entities)", n, opEntity(op))
			}
			rep.Errors = append(rep.Errors, RecordError{Index: -1, Name: string(opEntity(op)), Reason: reason})
		}
	}
	rep.Rejected = rep.Records - rep.Accepted
	if rep.Rejected < 0 {
		rep.Rejected = 0
	}
	g.stats.Records.Add(uint64(rep.Records))
	g.stats.Accepted.Add(uint64(rep.Accepted))
	g.stats.Rejected.Add(uint64(rep.Rejected))
	if len(rep.Errors) > 0 {
		g.deadLetter(in, summarise(rep))
	}
	return rep, nil
}

func items(op *twin.Op) int { return len(op.Observations) + len(op.Positions) }

func opEntity(op *twin.Op) twin.ID {
	switch {
	case len(op.Observations) > 0:
		return op.Observations[0].ID
	case len(op.Positions) > 0:
		return op.Positions[0].ID
	}
	return op.ID
}

// summarise says in one line what went wrong with a payload's records.
func summarise(rep Report) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d of %d records rejected: ", rep.Rejected, rep.Records)
	for i, e := range rep.Errors {
		if i == maxReasonsInLetter {
			fmt.Fprintf(&b, "; and %d more", len(rep.Errors)-i)
			break
		}
		if i > 0 {
			b.WriteString("; ")
		}
		if e.Name != "" {
			b.WriteString(e.Name + ": ")
		}
		b.WriteString(e.Reason)
	}
	return b.String()
}

func (g *Gateway) deadLetter(in Input, reason string) {
	if g.dead == nil {
		return
	}
	g.dead.Add(ingest.DeadLetter{Time: in.Received.UTC(), Source: in.Source, Where: in.Where, Reason: reason, Raw: string(in.Payload)})
}

// patches records, as properties of the entity, string values of the payload
// and the unit each metric was sent in (unit_sent.<metric>; the values are in the
// canonical unit): the provenance of the numbers. A unit is patched only when
// the entity does not record it already, so that a sensor's steady stream does
// not make a new version of it with every message. units[i] are the units that
// patch i records.
func (g *Gateway) patches(res senml.Result, now time.Time) (ops []twin.Op, units [][]sentUnit) {
	for id, props := range res.Props {
		ops = append(ops, twin.Op{Type: twin.OpPatch, T: now.UnixNano(), Source: "senml", ID: id, Patch: props})
		units = append(units, nil)
	}
	if len(res.Units) == 0 {
		return ops, units
	}
	for _, op := range res.Ops {
		if op.Type != twin.OpObserve {
			continue
		}
		var (
			patch twin.Properties
			sent  []sentUnit
		)
		for _, o := range op.Observations {
			unit, ok := res.Units[o.Metric]
			k := unitKey{o.ID, o.Metric}
			if !ok || unit == "" || slices.ContainsFunc(sent, func(s sentUnit) bool { return s.key == k }) || g.unitKnown(k, unit) {
				continue
			}
			patch = patch.With("unit_sent."+o.Metric, twin.StringValue(unit))
			sent = append(sent, sentUnit{k, unit})
		}
		if len(patch) > 0 {
			ops = append(ops, twin.Op{Type: twin.OpPatch, T: now.UnixNano(), Source: "senml", ID: opEntity(&op), Patch: patch})
			units = append(units, sent)
		}
	}
	return ops, units
}

type sentUnit struct {
	key  unitKey
	unit string
}

// unitKnown reports whether the entity already records unit as the one its
// metric is sent in.
func (g *Gateway) unitKnown(k unitKey, unit string) bool {
	g.mu.Lock()
	known := g.units[k] == unit
	g.mu.Unlock()
	if known {
		return true
	}
	if e, err := g.store.Get(k.id); err == nil {
		if v, ok := e.Props.Get("unit_sent." + k.metric); ok {
			if s, _ := v.Str(); s == unit {
				g.rememberUnits([]sentUnit{{k, unit}})
				return true
			}
		}
	}
	return false
}

func (g *Gateway) rememberUnits(us []sentUnit) {
	g.mu.Lock()
	for _, u := range us {
		g.units[u.key] = u.unit
	}
	g.mu.Unlock()
}

// HandleMessage implements ingest.MessageHandler for the MQTT adapters: the
// topic gives the source, the default entity and the format.
func (g *Gateway) HandleMessage(ctx context.Context, m ingest.Message) error {
	in := Input{Source: m.Source, Where: m.Topic, Payload: m.Payload, Received: m.Received}
	if g.cfg.ParseTopic == nil {
		return errors.New("gateway: no topic convention configured")
	}
	_, entity, format, err := g.cfg.ParseTopic(m.Topic)
	if err != nil {
		g.stats.Payloads.Add(1)
		g.stats.Rejected.Add(1)
		g.deadLetter(in, err.Error())
		return err
	}
	in.Entity = twin.ID(entity)
	switch format {
	case "senml":
		in.Format = FormatSenML
	default:
		in.Format = FormatJSON
	}
	_, err = g.Ingest(ctx, in)
	return err
}
