package senml

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"citytwin/twin"
)

// plainRecord is one record of the plain JSON form (see the package
// documentation).
type plainRecord struct {
	ID      *string                `json:"id"`
	T       plainTime              `json:"t"`
	Metrics map[string]plainMetric `json:"metrics"`
	Lat     *float64               `json:"lat"`
	Lon     *float64               `json:"lon"`
}

// plainTime is an RFC 3339 string or a number of seconds since 1970. It never
// fails to decode: a bad time is kept in bad, so that the record is rejected
// with a reason rather than the payload.
type plainTime struct {
	set bool
	sec float64
	str bool // given as a string: t holds it
	t   time.Time
	bad string
}

func (pt *plainTime) UnmarshalJSON(b []byte) error {
	*pt = plainTime{}
	switch {
	case string(b) == "null":
	case b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			pt.bad = err.Error()
			return nil
		}
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			pt.bad = fmt.Sprintf("time %q is not RFC 3339", s)
			return nil
		}
		pt.set, pt.str, pt.t = true, true, t
	case b[0] == '-' || b[0] >= '0' && b[0] <= '9':
		f, err := strconv.ParseFloat(string(b), 64)
		if err != nil {
			pt.bad = fmt.Sprintf("time %s is not a number of seconds", b)
			return nil
		}
		pt.set, pt.sec = true, f
	default:
		pt.bad = fmt.Sprintf("time %.40s: want an RFC 3339 string or seconds since 1970", b)
	}
	return nil
}

// metricKind says what a plain metric holds.
type metricKind uint8

const (
	kindBad metricKind = iota
	kindNumber
	kindBool
	kindString
)

// plainMetric is a metric of the plain form: a number, a bool, a string, or an
// object {"v": number, "u": unit} / {"vs": string} / {"vb": bool}. Like
// plainTime it never fails to decode.
type plainMetric struct {
	kind metricKind
	v    float64
	s    string
	u    string
	bad  string
}

type plainObject struct {
	V  *float64 `json:"v"`
	U  string   `json:"u"`
	VS *string  `json:"vs"`
	VB *bool    `json:"vb"`
}

func (m *plainMetric) UnmarshalJSON(b []byte) error {
	*m = plainMetric{}
	switch c := b[0]; {
	case c == '{':
		var o plainObject
		if err := json.Unmarshal(b, &o); err != nil {
			m.bad = err.Error()
			return nil
		}
		n := 0
		if o.V != nil {
			m.kind, m.v, n = kindNumber, *o.V, n+1
		}
		if o.VS != nil {
			m.kind, m.s, n = kindString, *o.VS, n+1
		}
		if o.VB != nil {
			m.kind, n = kindBool, n+1
			if *o.VB {
				m.v = 1
			}
		}
		switch n {
		case 0:
			m.kind, m.bad = kindBad, "object has no value (v, vs or vb)"
		case 1:
			m.u = o.U
		default:
			m.kind, m.bad = kindBad, "object has more than one of v, vs and vb"
		}
	case c == 't' || c == 'f':
		m.kind = kindBool
		if c == 't' {
			m.v = 1
		}
	case c == '"':
		if err := json.Unmarshal(b, &m.s); err != nil {
			m.bad = err.Error()
			return nil
		}
		m.kind = kindString
	case c == '-' || c >= '0' && c <= '9':
		f, err := strconv.ParseFloat(string(b), 64)
		if err != nil {
			m.bad = fmt.Sprintf("value %s is out of range", b)
			return nil
		}
		m.kind, m.v = kindNumber, f
	case c == 'n':
		m.bad = "value is null"
	default:
		m.bad = "value is an array: want a number, bool, string or object"
	}
	return nil
}

// DecodePlain reads the plain JSON form: one record object, an array of them, or
// NDJSON with one record (or array of records) per line. See the package
// documentation for the record. Errors and rejects are as for Decode and
// DecodeNDJSON.
func DecodePlain(data []byte, opts Options) (Result, error) {
	b, err := begin(data, opts)
	if err != nil {
		return Result{}, err
	}
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) == 0 {
		return Result{}, fmt.Errorf("%w: empty payload", ErrNotPlain)
	}
	switch trimmed[0] {
	case '[':
		if _, err := b.plainArray(trimmed, 0, 0); err != nil {
			return Result{}, err
		}
	case '{':
		if json.Valid(trimmed) {
			b.plainOne(trimmed, 0, 0)
			break
		}
		n, read := 0, 0
		for ln, line := range lines(trimmed) {
			if !json.Valid(line) {
				b.rejectLine(ln, syntaxReason(line))
				continue
			}
			read++
			switch line[0] {
			case '{':
				if b.res.Records >= b.o.MaxRecords {
					return Result{}, fmt.Errorf("%w: more than %d", ErrTooManyRecords, b.o.MaxRecords)
				}
				b.plainOne(line, n, ln)
				n++
			case '[':
				k, err := b.plainArray(line, n, ln)
				if errors.Is(err, ErrTooManyRecords) {
					return Result{}, err
				}
				n += k
			default:
				b.rejectLine(ln, "line is not a record object or an array of them")
			}
		}
		if read == 0 {
			return Result{}, fmt.Errorf("%w: no line is JSON", ErrNotJSON)
		}
	default:
		return Result{}, fmt.Errorf("%w: it starts with %q", ErrNotPlain, trimmed[0])
	}
	return b.finish(), nil
}

// syntaxReason says why a line is not JSON.
func syntaxReason(line []byte) string {
	var v struct{}
	if err := json.Unmarshal(line, &v); err != nil {
		return "not JSON: " + err.Error()
	}
	return "not JSON"
}

// plainArray decodes an array of plain records.
func (b *builder) plainArray(data []byte, first, line int) (int, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	if _, err := dec.Token(); err != nil {
		return 0, fmt.Errorf("%w: %w", ErrNotJSON, err)
	}
	n := 0
	var rec plainRecord
	for dec.More() {
		if b.res.Records >= b.o.MaxRecords {
			return n, fmt.Errorf("%w: more than %d", ErrTooManyRecords, b.o.MaxRecords)
		}
		rec = plainRecord{}
		b.start(first+n, line)
		n++
		if err := dec.Decode(&rec); err != nil {
			var te *json.UnmarshalTypeError
			if !errors.As(err, &te) {
				return n, fmt.Errorf("%w: record %d: %w", ErrNotJSON, first+n-1, err)
			}
			b.reject(plainName(&rec), "%v", err)
			continue
		}
		b.plain(&rec)
	}
	if _, err := dec.Token(); err != nil {
		return n, fmt.Errorf("%w: %w", ErrNotJSON, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return n, fmt.Errorf("%w: data after the array", ErrNotJSON)
	}
	return n, nil
}

// plainOne decodes a single plain record.
func (b *builder) plainOne(data []byte, index, line int) {
	var rec plainRecord
	b.start(index, line)
	if err := json.Unmarshal(data, &rec); err != nil {
		b.reject(plainName(&rec), "%v", err)
		return
	}
	b.plain(&rec)
}

func plainName(r *plainRecord) string {
	if r.ID != nil {
		return *r.ID
	}
	return ""
}

// plain adds one decoded plain record. A bad id or time rejects the record; a
// bad metric only itself.
func (b *builder) plain(r *plainRecord) {
	name := plainName(r)
	id := b.o.Entity
	if r.ID != nil {
		var why string
		if id, why = b.plainID(*r.ID); why != "" {
			b.reject(name, "%s", why)
			return
		}
	}
	if id == "" {
		b.reject("", "record has no id and there is no default entity")
		return
	}
	name = string(id)
	t, why := b.nowNs, ""
	switch {
	case r.T.bad != "":
		why = r.T.bad
	case r.T.str:
		t, why = b.checkTime(r.T.t)
	case r.T.set:
		t, why = b.checkSec(r.T.sec)
	}
	if why != "" {
		b.reject(name, "%s", why)
		return
	}
	if len(r.Metrics) == 0 && r.Lat == nil && r.Lon == nil {
		b.reject(name, "record has no metrics and no lat/lon")
		return
	}
	if r.Lat != nil {
		b.location(name+":lat", id, "lat", "", t, *r.Lat)
		b.failed = false
	}
	if r.Lon != nil {
		b.location(name+":lon", id, "lon", "", t, *r.Lon)
		b.failed = false
	}
	keys := make([]string, 0, len(r.Metrics))
	for k := range r.Metrics {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		b.failed = false // each metric is rejected on its own
		b.plainMetric(id, name+":"+k, k, r.Metrics[k], t)
	}
}

// plainID checks and qualifies the id of a plain record.
func (b *builder) plainID(s string) (twin.ID, string) {
	if s == "" {
		return "", "id is empty"
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] == 0x7f {
			return "", "id has a space or control character"
		}
	}
	return b.entity(s)
}

func (b *builder) plainMetric(id twin.ID, name, key string, m plainMetric, t int64) {
	if !validName(key) || strings.IndexByte(key, ':') >= 0 {
		b.reject(name, "metric name must be letters, digits and - . / _, starting with a letter or digit")
		return
	}
	metric, why := metricName(key)
	if why != "" {
		b.reject(name, "%s", why)
		return
	}
	switch m.kind {
	case kindBad:
		b.reject(name, "%s", m.bad)
	case kindString:
		b.prop(id, metric, twin.StringValue(m.s))
	case kindBool:
		b.observe(id, metric, "", t, m.v)
	case kindNumber:
		if isLocation(metric) {
			b.location(name, id, metric, m.u, t, m.v)
			return
		}
		v, why := convert(m.u, m.v)
		if why != "" {
			b.reject(name, "%s", why)
			return
		}
		b.observe(id, metric, m.u, t, v)
	}
}
