package tsbs

import (
	"context"
	"errors"
	"fmt"
	"math/bits"

	"citytwin/ingest"
	"citytwin/twin"
)

// ErrUnsupported reports a file of a TSBS use case other than iot and cpu-only.
var ErrUnsupported = errors.New("tsbs: unsupported use case")

// Options configure a Feed.
type Options struct {
	// BatchRows is the number of data rows, rejected ones included, read into
	// one batch.
	BatchRows int
	// Source names the producer in ops, provenance and dead letters.
	Source string
	// DeadLetter receives every rejected row, as it is read. Nil only counts
	// them (Stats.Rejected).
	DeadLetter func(ingest.DeadLetter)
}

// DefaultOptions returns batches of 4096 rows from source "tsbs".
func DefaultOptions() Options { return Options{BatchRows: 4096, Source: "tsbs"} }

// Validate checks the options.
func (o Options) Validate() error {
	switch {
	case o.BatchRows < 1 || o.BatchRows > 1<<20:
		return fmt.Errorf("tsbs: batch of %d rows: want 1..%d", o.BatchRows, 1<<20)
	case o.Source == "":
		return errors.New("tsbs: source must be named")
	}
	return nil
}

// Batch is the ops of a run of rows, ready for Store.Apply: every entity is
// upserted by an op before its first observation or position, in this batch or
// an earlier one. The batch belongs to the caller; the Feed keeps no reference
// to it or to anything in it.
type Batch struct {
	Ops  []twin.Op
	Rows int   // data rows read into the batch, rejected ones included
	Line int64 // the line of the last row read
}

// Feed turns the rows of a Reader into batches of twin ops. It remembers the
// entities it has upserted, so that it upserts each once. A Feed is not safe for
// concurrent use.
type Feed struct {
	r    *Reader
	opts Options

	classes []*classState
	meas    []*measState
	last    *measState // the measurement of the previous row
	metrics []string   // metric names by index
	metric  map[string]int32

	stats    Stats
	rejected map[string]int64

	// the row being read: its attributes, by attribute index, valid when gen
	// is rowGen.
	rowGen uint64
	ra     []rowAttr

	// the batch being read
	batchGen uint64
	local    []*entity // the entities of the batch, by local index
	entOps   []twin.Op // upserts and patches, in row order
	obs      []pendingObs
	pos      []pendingPos
	counts   []int32

	line int64 // the line of the last row read
	err  error // ends the feed once the rows before it are out
}

// NewFeed reads r with the options. A timescaledb header that declares anything
// but the iot or the cpu-only use case is an error (ErrUnsupported).
func NewFeed(r *Reader, opts Options) (*Feed, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	f := &Feed{
		r:        r,
		opts:     opts,
		metric:   make(map[string]int32),
		rejected: make(map[string]int64),
		batchGen: 1,
	}
	for _, spec := range classes {
		f.classes = append(f.classes, newClassState(spec))
	}
	defer func() {
		for _, c := range f.classes {
			f.growRowAttrs(len(c.attrs))
		}
	}()
	if r.Format() != FormatTimescaleDB {
		for _, c := range f.classes {
			for i := range c.spec.measurements {
				f.meas = append(f.meas, newMeasState(c, &c.spec.measurements[i], true))
			}
		}
		return f, nil
	}
	h := r.ts.h
	var c *classState
	for _, cand := range f.classes {
		for _, t := range h.tags {
			if t.key == cand.spec.attrs[keyAttr].key {
				c = cand
			}
		}
		if c != nil {
			break
		}
	}
	if c == nil {
		return nil, fmt.Errorf("%w: %s: the header has no name or hostname tag", ErrUnsupported, r.name)
	}
	for _, t := range h.tags {
		c.attr(t.key, t.number)
	}
	for _, hm := range h.measurements {
		var spec *measurementSpec
		for i := range c.spec.measurements {
			if c.spec.measurements[i].name == string(hm.name) {
				spec = &c.spec.measurements[i]
			}
		}
		if spec == nil {
			return nil, fmt.Errorf("%w: %s: measurement %q of the header is not a measurement of %s", ErrUnsupported, r.name, hm.name, c.spec.prefix)
		}
		// A blanked field is an empty column: the rows have every column.
		f.meas = append(f.meas, newMeasState(c, spec, false))
	}
	return f, nil
}

// checkEvery is how many rows go by between looks at the context.
const checkEvery = 1024

// Next reads the next batch. At the end of the input it returns io.EOF. It never
// returns ops and an error together: an error that ends the input (a read
// error, the context's) comes after the batch of the rows before it. Rejected
// rows go to Options.DeadLetter as they are read and do not end anything.
func (f *Feed) Next(ctx context.Context) (Batch, error) {
	if f.err != nil {
		return Batch{}, f.err
	}
	if err := ctx.Err(); err != nil {
		return Batch{}, err
	}
	rows := 0
	for rows < f.opts.BatchRows {
		if rows%checkEvery == checkEvery-1 {
			if err := ctx.Err(); err != nil {
				f.err = err
				break
			}
		}
		row, err := f.r.Next()
		if err != nil {
			if se, ok := err.(*SyntaxError); ok {
				rows++
				f.stats.Rows++
				f.line = se.Line
				f.rejected[se.Reason]++
				f.deadLetter(se.Line, describe(se.Reason, se.Field, se.Msg), se.Raw)
				continue
			}
			f.err = err
			break
		}
		rows++
		f.stats.Rows++
		f.line = row.Line
		f.add(row)
	}
	if rows == 0 {
		return Batch{}, f.err
	}
	return f.flush(rows), nil
}

func describe(reason, field, msg string) string {
	if field != "" {
		return fmt.Sprintf("%s %q: %s", reason, field, msg)
	}
	return reason + ": " + msg
}

func (f *Feed) deadLetter(line int64, reason, raw string) {
	if f.opts.DeadLetter == nil {
		return
	}
	if len(raw) > ingest.MaxDeadLetterRaw {
		raw = raw[:ingest.MaxDeadLetterRaw]
	}
	f.opts.DeadLetter(ingest.DeadLetter{
		Source: f.opts.Source,
		Where:  fmt.Sprintf("%s:%d", f.r.name, line),
		Reason: reason,
		Raw:    raw,
	})
}

// reject counts a row the feed cannot use and sends it to the dead letters.
func (f *Feed) reject(row *Row, line int64, reason, field, msg string) {
	f.rejected[reason]++
	if f.opts.DeadLetter != nil {
		f.deadLetter(line, describe(reason, field, msg), row.raw())
	}
}

// add turns one row into pending ops.
func (f *Feed) add(row *Row) {
	m := f.measurement(row.Measurement)
	if m == nil {
		f.reject(row, row.Line, RejectMeasurement, "", fmt.Sprintf("measurement %q is not one of readings, diagnostics, cpu", cut(row.Measurement)))
		return
	}
	m.rows++
	c := m.cls
	f.rowGen++
	gen := f.rowGen

	// Fields first: they are the bulk of the work, and in line protocol they
	// carry numeric attributes too.
	start := len(f.obs)
	var (
		seen       uint64
		lat, lon   float64
		placed     uint8
		attrFields bool
	)
	blankFields := 0
	for i := range row.Fields {
		fl := &row.Fields[i]
		var fi *fieldInfo
		if i < len(m.fieldAt) && m.fieldAt[i].ok && m.fieldAt[i].key == string(fl.Key) {
			fi = &m.fieldAt[i].v // the key seen here last time: most rows
		} else {
			fi = f.fieldInfo(m, i, fl.Key)
		}
		seen |= fi.bit
		switch {
		case fi.badKey:
			f.obs = f.obs[:start]
			f.reject(row, row.Line, RejectMalformed, string(cut(fl.Key)), fmt.Sprintf("a field name of %d bytes is longer than %d", len(fl.Key), maxMetric))
			return
		case !fl.Present:
			blankFields++
		case fi.attr >= 0:
			f.ra[fi.attr] = rowAttr{gen: gen, num: fl.Value, parsed: true, fromField: true}
			attrFields = true
		default:
			f.obs = append(f.obs, pendingObs{metric: fi.metric, t: row.Time, v: fl.Value})
			switch fi.place {
			case placeLat:
				lat, placed = fl.Value, placed|placeLat
			case placeLon:
				lon, placed = fl.Value, placed|placeLon
			}
		}
	}
	blankFields += bits.OnesCount64(m.expected &^ seen)

	var (
		e         *entity
		blankTags int
	)
	if set := row.set; set != nil && set.memo.cls == c && !attrFields {
		e, blankTags = set.memo.ent, set.memo.blankTags
		f.stats.Disagreements += set.memo.disagree
	} else {
		var ok bool
		if e, blankTags, ok = f.entityOf(row, m, gen); !ok {
			f.obs = f.obs[:start]
			return
		}
	}

	local := f.localOf(e)
	for k := start; k < len(f.obs); k++ {
		f.obs[k].ent = local
	}
	if placed == placeLat|placeLon {
		if lon >= -180 && lon <= 180 && lat >= -90 && lat <= 90 {
			f.pos = append(f.pos, pendingPos{ent: local, t: row.Time, lon: lon, lat: lat})
			f.stats.Positions++
		} else {
			f.stats.BadPositions++
		}
	}
	f.stats.Observations += int64(len(f.obs) - start)
	f.stats.BlankFields += int64(blankFields)
	f.stats.BlankTags += int64(blankTags)
}

// localOf is the index of e among the entities of the batch.
func (f *Feed) localOf(e *entity) int32 {
	if e.gen != f.batchGen {
		e.gen, e.local = f.batchGen, int32(len(f.local))
		f.local = append(f.local, e)
	}
	return e.local
}
