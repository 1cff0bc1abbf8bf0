package pgload

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
)

// ErrRow reports a row the loader cannot place.
var ErrRow = errors.New("pgload: bad row")

// Tag is a tag of a row as written; an empty Value is a blanked tag.
type Tag struct {
	Key, Value []byte
}

// Field is a field of a row; Present is false for a blanked value.
type Field struct {
	Key     []byte
	Value   float64
	Present bool
}

// Row is one TSBS data point. The Loader copies what it keeps: the slices may
// be reused once Add returns.
type Row struct {
	Measurement []byte // readings or diagnostics
	Time        int64  // Unix nanoseconds
	Tags        []Tag
	Fields      []Field
}

// table holds the rows of one data table, column by column, until COPY.
type table struct {
	name   string
	fields []string
	index  map[string]int
	times  []int64
	tagIDs []int32 // 0: no name (NULL)
	vals   []float64
	nulls  []bool
}

func newTable(name string, fields []string) *table {
	t := &table{name: name, fields: fields, index: map[string]int{}}
	for i, f := range fields {
		t.index[f] = i
	}
	return t
}

// truck is a tags row being built.
type truck struct {
	id    int32
	text  map[string]string
	num   map[string]float64
	order int
}

// Loader gathers rows, then writes them to PostgreSQL (Load). It is not safe
// for concurrent use.
type Loader struct {
	readings, diagnostics *table
	trucks                map[string]*truck
	names                 []string // in order of first sight: ids 1, 2, …
}

// NewLoader returns an empty loader.
func NewLoader() *Loader {
	return &Loader{
		readings:    newTable("readings", readingsFields),
		diagnostics: newTable("diagnostics", diagFields),
		trucks:      map[string]*truck{},
	}
}

// Rows is the number of data rows added.
func (l *Loader) Rows() int { return len(l.readings.times) + len(l.diagnostics.times) }

// Add keeps one row.
func (l *Loader) Add(r Row) error {
	var t *table
	switch string(r.Measurement) {
	case "readings":
		t = l.readings
	case "diagnostics":
		t = l.diagnostics
	default:
		return fmt.Errorf("%w: measurement %q", ErrRow, r.Measurement)
	}
	var id int32
	for _, tg := range r.Tags {
		if string(tg.Key) == "name" && len(tg.Value) > 0 {
			id = l.truck(string(tg.Value), r.Tags)
		}
	}
	base := len(t.vals)
	for range t.fields {
		t.vals = append(t.vals, 0)
		t.nulls = append(t.nulls, true)
	}
	for _, f := range r.Fields {
		i, ok := t.index[string(f.Key)]
		if !ok {
			if numericTag[string(f.Key)] {
				continue // line protocol's attribute fields
			}
			t.vals, t.nulls = t.vals[:base], t.nulls[:base]
			return fmt.Errorf("%w: %s has no field %q", ErrRow, t.name, f.Key)
		}
		if f.Present {
			t.vals[base+i], t.nulls[base+i] = f.Value, false
		}
	}
	t.times = append(t.times, r.Time)
	t.tagIDs = append(t.tagIDs, id)
	return nil
}

// truck returns the id of a named truck, filling in the attributes it lacks
// from the row's tags.
func (l *Loader) truck(name string, tags []Tag) int32 {
	tr := l.trucks[name]
	if tr == nil {
		l.names = append(l.names, name)
		tr = &truck{id: int32(len(l.names)), text: map[string]string{}, num: map[string]float64{}}
		l.trucks[name] = tr
	}
	for _, tg := range tags {
		k := string(tg.Key)
		if len(tg.Value) == 0 {
			continue
		}
		if numericTag[k] {
			if _, ok := tr.num[k]; !ok {
				if f, err := strconv.ParseFloat(string(tg.Value), 64); err == nil {
					tr.num[k] = f
				}
			}
			continue
		}
		if _, ok := tr.text[k]; !ok {
			tr.text[k] = string(tg.Value)
		}
	}
	return tr.id
}

// Stats is what Load wrote and how long it took.
type Stats struct {
	Trucks, Readings, Diagnostics int
	Copy, Index                   time.Duration
}

// Load creates the schema in the connection's database (which must not have
// it yet), copies the rows in, then builds the indexes and analyses the
// tables.
func (l *Loader) Load(ctx context.Context, conn *pgx.Conn) (Stats, error) {
	st := Stats{Trucks: len(l.names), Readings: len(l.readings.times), Diagnostics: len(l.diagnostics.times)}
	if err := CreateSchema(ctx, conn); err != nil {
		return st, err
	}
	start := time.Now()
	tagRows := make([][]any, 0, len(l.names))
	for _, name := range l.names {
		tr := l.trucks[name]
		row := []any{tr.id}
		for _, c := range tagColumns {
			if numericTag[c] {
				if v, ok := tr.num[c]; ok {
					row = append(row, v)
				} else {
					row = append(row, nil)
				}
				continue
			}
			if v, ok := tr.text[c]; ok {
				row = append(row, v)
			} else {
				row = append(row, nil)
			}
		}
		tagRows = append(tagRows, row)
	}
	if _, err := conn.CopyFrom(ctx, pgx.Identifier{"tags"}, append([]string{"id"}, tagColumns...), pgx.CopyFromRows(tagRows)); err != nil {
		return st, fmt.Errorf("pgload: copy tags: %w", err)
	}
	for _, t := range []*table{l.readings, l.diagnostics} {
		cols := append([]string{"time", "tags_id"}, t.fields...)
		if _, err := conn.CopyFrom(ctx, pgx.Identifier{t.name}, cols, &source{t: t, row: make([]any, len(cols)), i: -1}); err != nil {
			return st, fmt.Errorf("pgload: copy %s: %w", t.name, err)
		}
	}
	st.Copy = time.Since(start)
	start = time.Now()
	for _, q := range indexes {
		if _, err := conn.Exec(ctx, q); err != nil {
			return st, fmt.Errorf("pgload: %s: %w", q, err)
		}
	}
	st.Index = time.Since(start)
	return st, nil
}

// source feeds a table to COPY, one reused row of values at a time.
type source struct {
	t   *table
	row []any
	i   int
}

func (s *source) Next() bool {
	s.i++
	return s.i < len(s.t.times)
}

func (s *source) Values() ([]any, error) {
	t, i := s.t, s.i
	s.row[0] = time.Unix(0, t.times[i]).UTC()
	if t.tagIDs[i] == 0 {
		s.row[1] = nil
	} else {
		s.row[1] = t.tagIDs[i]
	}
	n := len(t.fields)
	for k := range n {
		if t.nulls[i*n+k] {
			s.row[2+k] = nil
		} else {
			s.row[2+k] = t.vals[i*n+k]
		}
	}
	return s.row, nil
}

func (s *source) Err() error { return nil }
