package senml

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"sync"

	"citytwin/ingest/unit"
	"citytwin/twin"
)

// Version is the SenML version this package understands (RFC 8428).
const Version = 10

// relativeLimit is 2**28: SenML times below it are relative to now.
const relativeLimit = 1 << 28

// record is one SenML JSON record. Absent numbers are NaN (JSON cannot say NaN),
// absent strings that matter nil, so that reusing one record costs no
// allocations for the common fields.
type record struct {
	BN   *string `json:"bn"`
	BT   float64 `json:"bt"`
	BU   *string `json:"bu"`
	BV   float64 `json:"bv"`
	BS   float64 `json:"bs"`
	BVer float64 `json:"bver"`
	N    string  `json:"n"`
	U    string  `json:"u"`
	V    float64 `json:"v"`
	VS   *string `json:"vs"`
	VB   *bool   `json:"vb"`
	VD   *string `json:"vd"`
	S    float64 `json:"s"`
	T    float64 `json:"t"`

	// seen is set before decoding; json leaves it alone (it is unexported) but
	// zeroes the elements of an array beyond the JSON array's end.
	seen bool
}

var nan = math.NaN()

func (r *record) reset() {
	*r = record{BT: nan, BV: nan, BS: nan, BVer: nan, V: nan, S: nan, T: nan, seen: true}
}

func has(f float64) bool { return !math.IsNaN(f) }

// base holds the base fields of a pack as they apply to the current record.
type base struct {
	bn, bu     string
	bt, bv, bs float64
	bver       int
}

func newBase() base { return base{bver: Version} }

// Decode reads a SenML JSON pack (RFC 8428, an array of records) into ops. See
// the package documentation for how names map to entities and metrics.
// A payload that is too large, not JSON, not an array, longer than
// MaxRecords or carrying a must-understand field this package does not know is
// an error; a bad record is a Reject and the others are kept.
func Decode(data []byte, opts Options) (Result, error) {
	b, err := begin(data, opts)
	if err != nil {
		return Result{}, err
	}
	if err := checkMustUnderstand(data); err != nil {
		return Result{}, err
	}
	if _, err := b.pack(data, 0, 0); err != nil {
		return Result{}, err
	}
	return b.finish(), nil
}

// DecodeNDJSON reads newline-delimited SenML: each non-empty line is a pack (an
// array) or a single record (an object). Base fields do not carry from one line
// to the next. A line that cannot be read is a Reject with Index -1 and the
// others are kept; a payload none of whose lines is JSON is an error. The size
// limits apply to the whole payload.
func DecodeNDJSON(data []byte, opts Options) (Result, error) {
	b, err := begin(data, opts)
	if err != nil {
		return Result{}, err
	}
	n, read := 0, 0
	for ln, line := range lines(data) {
		if !json.Valid(line) {
			b.rejectLine(ln, syntaxReason(line))
			continue
		}
		read++
		if err := checkMustUnderstand(line); err != nil {
			b.rejectLine(ln, err.Error())
			continue
		}
		var lerr error
		if line[0] == '{' {
			lerr = b.single(line, n, ln)
			n++
		} else {
			var k int
			k, lerr = b.pack(line, n, ln)
			n += k
		}
		if errors.Is(lerr, ErrTooManyRecords) {
			return Result{}, lerr
		}
		if lerr != nil {
			b.rejectLine(ln, lerr.Error())
		}
	}
	if read == 0 {
		return Result{}, fmt.Errorf("%w: no line is JSON", ErrNotJSON)
	}
	return b.finish(), nil
}

// begin checks the options and the payload size.
func begin(data []byte, opts Options) (*builder, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	o := opts.withDefaults()
	if len(data) > o.MaxBytes {
		return nil, fmt.Errorf("%w: %d bytes, the limit is %d", ErrTooLarge, len(data), o.MaxBytes)
	}
	return newBuilder(o), nil
}

// lines yields the non-blank lines of data, trimmed, with 1-based numbers.
func lines(data []byte) func(yield func(int, []byte) bool) {
	return func(yield func(int, []byte) bool) {
		for ln := 1; len(data) > 0; ln++ {
			line := data
			if i := bytes.IndexByte(data, '\n'); i >= 0 {
				line, data = data[:i], data[i+1:]
			} else {
				data = nil
			}
			line = bytes.TrimSpace(line)
			if len(line) == 0 {
				continue
			}
			if !yield(ln, line) {
				return
			}
		}
	}
}

// smallPack is how many records fastPack reads at once: most stream payloads
// are a reading or a few.
const smallPack = 16

var packPool = sync.Pool{New: func() any { return new([smallPack]record) }}

// pack decodes one array of records, the first of which gets index first. It
// returns how many records it read.
func (b *builder) pack(data []byte, first, line int) (int, error) {
	recs := packPool.Get().(*[smallPack]record)
	defer packPool.Put(recs)
	if n, ok := fastPack(data, recs); ok {
		if b.res.Records+n > b.o.MaxRecords {
			return 0, fmt.Errorf("%w: more than %d", ErrTooManyRecords, b.o.MaxRecords)
		}
		bs := newBase()
		for i := range n {
			b.start(first+i, line)
			b.record(&recs[i], &bs)
		}
		return n, nil
	}
	return b.slowPack(data, first, line)
}

// fastPack decodes a pack of at most smallPack well-formed records with one
// json.Unmarshal into an array of reset records (json keeps the NaN of the
// fields a record lacks). It reports false for anything else: a longer pack,
// a record of the wrong shape, not an array; slowPack then reads it record by
// record, so that a bad record rejects only itself.
func fastPack(data []byte, recs *[smallPack]record) (int, bool) {
	for i := range recs {
		recs[i].reset()
	}
	if len(data) == 0 || data[0] != '[' || json.Unmarshal(data, recs) != nil {
		return 0, false
	}
	n := 0
	for n < smallPack && recs[n].seen {
		n++
	}
	return n, n < smallPack
}

// slowPack decodes a pack record by record with a json.Decoder.
func (b *builder) slowPack(data []byte, first, line int) (int, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	tok, err := dec.Token()
	if err != nil {
		return 0, fmt.Errorf("%w: %w", ErrNotJSON, err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '[' {
		return 0, fmt.Errorf("%w: it starts with %v", ErrNotPack, tok)
	}
	var (
		rec record
		bs  = newBase()
		n   int
	)
	for dec.More() {
		if b.res.Records >= b.o.MaxRecords {
			return n, fmt.Errorf("%w: more than %d", ErrTooManyRecords, b.o.MaxRecords)
		}
		rec.reset()
		b.start(first+n, line)
		n++
		if err := dec.Decode(&rec); err != nil {
			var te *json.UnmarshalTypeError
			if !errors.As(err, &te) {
				return n, fmt.Errorf("%w: record %d: %w", ErrNotJSON, first+n-1, err)
			}
			b.reject("", "%v", err)
			continue
		}
		b.record(&rec, &bs)
	}
	if _, err := dec.Token(); err != nil {
		return n, fmt.Errorf("%w: %w", ErrNotJSON, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return n, fmt.Errorf("%w: data after the pack", ErrNotJSON)
	}
	return n, nil
}

// single decodes one record on its own (an NDJSON line that is an object).
func (b *builder) single(data []byte, index, line int) error {
	if b.res.Records >= b.o.MaxRecords {
		return fmt.Errorf("%w: more than %d", ErrTooManyRecords, b.o.MaxRecords)
	}
	var rec record
	rec.reset()
	b.start(index, line)
	if err := json.Unmarshal(data, &rec); err != nil {
		var te *json.UnmarshalTypeError
		if !errors.As(err, &te) {
			b.res.Records-- // the line is rejected as a whole
			return fmt.Errorf("%w: %w", ErrNotJSON, err)
		}
		b.reject("", "%v", err)
		return nil
	}
	bs := newBase()
	b.record(&rec, &bs)
	return nil
}

// record resolves one record against the base fields (RFC 8428 section 4.6)
// and adds what it says.
func (b *builder) record(r *record, bs *base) {
	// Base fields apply to this record and the ones after it.
	if r.BN != nil {
		bs.bn = *r.BN
	}
	if r.BU != nil {
		bs.bu = *r.BU
	}
	if has(r.BT) {
		bs.bt = r.BT
	}
	if has(r.BV) {
		bs.bv = r.BV
	}
	if has(r.BS) {
		bs.bs = r.BS
	}
	if has(r.BVer) {
		if r.BVer != math.Trunc(r.BVer) || r.BVer < 1 || r.BVer > Version {
			bs.bver = -1
		} else {
			bs.bver = int(r.BVer)
		}
	}

	name := bs.bn + r.N
	if bs.bver < 0 {
		b.reject(name, "unsupported SenML version %v: this decoder reads up to %d", r.BVer, Version)
		return
	}
	if name == "" {
		b.reject("", "record has no name (bn + n is empty)")
		return
	}
	if !validName(name) {
		b.reject(name, "name has characters SenML does not allow (letters, digits and - : . / _, starting with a letter or digit)")
		return
	}
	id, metric, why := b.split(name)
	if why != "" {
		b.reject(name, "%s", why)
		return
	}

	u := r.U
	if u == "" {
		u = bs.bu
	}
	if m, ok := locationUnit(u); ok {
		metric = m
	}
	if metric == "" {
		if metric, why = unitMetric(u); why != "" {
			b.reject(name, "%s", why)
			return
		}
	}

	values := 0
	for _, ok := range [...]bool{has(r.V), r.VS != nil, r.VB != nil, r.VD != nil} {
		if ok {
			values++
		}
	}
	switch {
	case values > 1:
		b.reject(name, "record has more than one of v, vs, vb and vd")
		return
	case values == 0 && !has(r.S):
		b.reject(name, "record has no value (v, vs, vb, vd) and no sum (s)")
		return
	}

	t, why := b.resolveTime(bs.bt, r.T)
	if why != "" {
		b.reject(name, "%s", why)
		return
	}

	if isLocation(metric) {
		if !has(r.V) || has(r.S) {
			b.reject(name, "%s must be a numeric value (v) without a sum", metric)
			return
		}
		// Only the record's own unit counts: a base unit is for the measurements.
		b.location(name, id, metric, r.U, t, bs.bv+r.V)
		return
	}

	// Check everything before adding anything, so that a rejected record adds
	// nothing.
	var v, s float64
	if has(r.V) {
		if v, why = convert(u, bs.bv+r.V); why != "" {
			b.reject(name, "%s", why)
			return
		}
	}
	if has(r.S) {
		if len(metric)+len("_sum") > 128 {
			b.reject(name, "metric %s_sum is longer than 128 bytes", metric)
			return
		}
		// A sum is in unit × seconds: only the scale of the unit applies.
		if s, why = convertSum(u, bs.bs+r.S); why != "" {
			b.reject(name, "sum: %s", why)
			return
		}
	}
	switch {
	case has(r.V):
		b.observe(id, metric, u, t, v)
	case r.VB != nil:
		v = 0
		if *r.VB {
			v = 1
		}
		b.observe(id, metric, "", t, v)
	case r.VS != nil:
		b.prop(id, metric, twin.StringValue(*r.VS))
	case r.VD != nil:
		b.prop(id, metric, twin.StringValue(*r.VD))
	}
	if has(r.S) {
		b.observe(id, metric+"_sum", u, t, s)
	}
}

// resolveTime adds the base time and resolves relative times (below 2**28 s)
// against now.
func (b *builder) resolveTime(bt, t float64) (int64, string) {
	sec := bt
	if has(t) {
		sec += t
	}
	if math.IsNaN(sec) || sec >= relativeLimit || math.IsInf(sec, 0) {
		return b.checkSec(sec)
	}
	// Relative to now: |sec| < 2**28, so sec*1e9 fits an int64.
	ns := b.nowNs + int64(math.Round(sec*1e9))
	switch {
	case ns < 0:
		return 0, fmt.Sprintf("relative time %v s is before 1970", sec)
	case ns > b.maxNs:
		return 0, fmt.Sprintf("relative time %v s is more than %v ahead of now", sec, b.o.MaxFuture)
	}
	return ns, ""
}

// convertSum converts a sum, which is in unit × seconds: only the scale of the
// unit applies, not its shift.
func convertSum(u string, s float64) (float64, string) {
	if u == "" || math.IsNaN(s) || math.IsInf(s, 0) {
		return convert("", s)
	}
	c, err := unit.Lookup(u)
	if err != nil {
		return 0, err.Error()
	}
	out := s * c.Mul / c.Div
	if math.IsNaN(out) || math.IsInf(out, 0) {
		return 0, fmt.Sprintf("sum %v %s is not finite in the canonical unit", s, u)
	}
	return out, ""
}

// checkMustUnderstand rejects a payload with a field whose name ends in '_'
// (RFC 8428 section 4.4: such fields must be understood, and this package knows
// none). In valid JSON an unescaped quote after '_' ends a string, and a ':'
// after it makes that string a key.
func checkMustUnderstand(data []byte) error {
	for i := 0; ; {
		j := bytes.Index(data[i:], []byte(`_"`))
		if j < 0 {
			return nil
		}
		j += i
		k := j + 2
		for k < len(data) && (data[k] == ' ' || data[k] == '\t' || data[k] == '\n' || data[k] == '\r') {
			k++
		}
		if k < len(data) && data[k] == ':' {
			start := bytes.LastIndexByte(data[:j], '"')
			return fmt.Errorf("%w %q", ErrMustUnderstand, data[start+1:j+1])
		}
		i = j + 2
	}
}
