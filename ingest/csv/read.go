package csv

import (
	"bufio"
	"context"
	stdcsv "encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"citytwin/twin"
)

// Options set how rows become entities.
type Options struct {
	Source      string    // provenance source, e.g. a file name
	IDPrefix    string    // put in front of every id, e.g. "aq:"
	DefaultKind twin.Kind // for rows without a kind cell; "" rejects them
	Now         time.Time // valid-from of every version (default time.Now())
	MaxFeatures int       // at most this many data rows (default 1,000,000)

	// Comma is the delimiter; 0 sniffs it from the header line.
	Comma rune
	// Column overrides, matched case-insensitively against the header.
	IDColumn  string
	LatColumn string
	LonColumn string
	WKTColumn string
	// AllowNoGeometry keeps rows whose geometry cells are empty as entities
	// without a place, instead of rejecting them.
	AllowNoGeometry bool
}

// Reject is a row that did not become an entity.
type Reject struct {
	Index  int    `json:"index"`            // data row, from 0
	Line   int    `json:"line"`             // line in the file, the header is line 1
	Column string `json:"column,omitempty"` // the column at fault, when one is
	ID     string `json:"id,omitempty"`
	Reason string `json:"reason"` // names line and column; stands alone
}

// Result holds an upsert op per good row (Index[i] is the data row of Ops[i])
// and the rejected rows.
type Result struct {
	Ops     []twin.Op
	Index   []int
	Rejects []Reject
	Total   int // data rows seen
}

// Errors for files that cannot be read at all.
var (
	ErrNoHeader    = errors.New("csv: no header row")
	ErrHeader      = errors.New("csv: bad header")
	ErrNoGeometry  = errors.New("csv: no geometry columns (want latitude/lat/y and longitude/lon/lng/long/x, or wkt/geometry/geom/the_geom)")
	ErrNoIDColumn  = errors.New("csv: no id column (want id/identifier/fid or Options.IDColumn)")
	ErrNoColumn    = errors.New("csv: column not in header")
	ErrTooMany     = errors.New("csv: too many rows")
	defaultMaxRows = 1_000_000
)

// checkEvery is how many rows go by between looks at the context.
const checkEvery = 1024

// Read reads a CSV file with a header row into upsert ops, one per good row.
// Bad rows are rejected with their line; a file whose header cannot serve (no
// geometry or id column, an override naming no column) is an error.
func Read(ctx context.Context, r io.Reader, opts Options) (Result, error) {
	if opts.MaxFeatures <= 0 {
		opts.MaxFeatures = defaultMaxRows
	}
	if opts.Now.IsZero() {
		opts.Now = time.Now()
	}
	br := bufio.NewReaderSize(r, 64<<10)
	if b, _ := br.Peek(3); len(b) == 3 && b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF {
		br.Discard(3)
	}
	comma := opts.Comma
	if comma == 0 {
		comma = sniff(br)
	}
	cr := stdcsv.NewReader(br)
	cr.Comma = comma
	cr.FieldsPerRecord = -1 // ragged rows are checked here, to reject them with their line
	cr.ReuseRecord = true

	header, err := cr.Read()
	if err == io.EOF {
		return Result{}, ErrNoHeader
	}
	if err != nil {
		return Result{}, fmt.Errorf("csv: header: %w", err)
	}
	s, err := newSchema(header, &opts)
	if err != nil {
		return Result{}, err
	}

	var res Result
	for row := 0; ; row++ {
		if row%checkEvery == 0 {
			if err := ctx.Err(); err != nil {
				return Result{}, err
			}
		}
		rec, err := cr.Read()
		if err == io.EOF {
			return res, nil
		}
		if row == opts.MaxFeatures {
			return Result{}, fmt.Errorf("%w: more than %d", ErrTooMany, opts.MaxFeatures)
		}
		res.Total++
		if err != nil {
			var pe *stdcsv.ParseError
			if !errors.As(err, &pe) {
				return Result{}, fmt.Errorf("csv: row %d: %w", row, err)
			}
			// The reader has moved past the bad record; the next one still reads.
			res.Rejects = append(res.Rejects, Reject{Index: row, Line: pe.StartLine,
				Reason: fmt.Sprintf("line %d: %v", pe.StartLine, pe.Err)})
			continue
		}
		line, _ := cr.FieldPos(0)
		op, rej := s.op(rec, line, &opts)
		if rej != nil {
			rej.Index, rej.Line = row, line
			res.Rejects = append(res.Rejects, *rej)
			continue
		}
		res.Ops = append(res.Ops, op)
		res.Index = append(res.Index, row)
	}
}

// op makes the upsert of one record, or the reason it cannot be one.
func (s *schema) op(rec []string, line int, opts *Options) (twin.Op, *Reject) {
	if len(rec) != s.width {
		return twin.Op{}, &Reject{Reason: fmt.Sprintf("line %d: %d fields, the header has %d", line, len(rec), s.width)}
	}
	id := cell(rec, s.id)
	if id == "" {
		return twin.Op{}, rejectf(line, s.name(s.id), "", "no id")
	}
	e := &twin.Entity{ID: twin.ID(opts.IDPrefix + id), Kind: opts.DefaultKind}
	if k := cell(rec, s.kind); k != "" {
		e.Kind = twin.Kind(k)
	}
	if e.Kind == "" {
		return twin.Op{}, rejectf(line, "kind", id, "no kind (no kind cell and no Options.DefaultKind)")
	}
	g, col, err := s.geometry(rec)
	switch {
	case err != nil:
		return twin.Op{}, rejectf(line, col, id, "%v", err)
	case g == nil && !opts.AllowNoGeometry:
		return twin.Op{}, rejectf(line, col, id, "no geometry")
	}
	e.Geometry = g

	var bad error
	if e.Height, bad = metres(cell(rec, s.height)); bad != nil {
		return twin.Op{}, rejectf(line, s.name(s.height), id, "%v", bad)
	}
	if e.MinHeight, bad = metres(cell(rec, s.minHeight)); bad != nil {
		return twin.Op{}, rejectf(line, s.name(s.minHeight), id, "%v", bad)
	}
	if lv, err := metres(cell(rec, s.levels)); err != nil || lv != math.Trunc(lv) || lv > math.MaxInt32 {
		return twin.Op{}, rejectf(line, s.name(s.levels), id, "levels %q: want a whole number", cell(rec, s.levels))
	} else {
		e.Levels = int(lv)
	}

	e.Props = make(twin.Properties, 0, len(s.props))
	for _, pc := range s.props {
		if v, ok := value(rec[pc.index]); ok {
			e.Props = append(e.Props, twin.Prop{Key: pc.key, Value: v})
		}
	}
	e.Provenance = []twin.Provenance{{Source: opts.Source, Time: opts.Now.UTC(), Note: "line " + strconv.Itoa(line)}}
	op := twin.Op{Type: twin.OpUpsert, T: opts.Now.UnixNano(), Source: opts.Source, Entity: e}
	if err := op.Validate(); err != nil {
		return twin.Op{}, rejectf(line, "", id, "%v", err)
	}
	return op, nil
}

func rejectf(line int, col, id, format string, args ...any) *Reject {
	msg := fmt.Sprintf(format, args...)
	if col != "" {
		msg = fmt.Sprintf("line %d: column %q: %s", line, col, msg)
	} else {
		msg = fmt.Sprintf("line %d: %s", line, msg)
	}
	return &Reject{Column: col, ID: id, Reason: msg}
}

// cell is the trimmed text of column i; "" when the column is absent (i < 0).
func cell(rec []string, i int) string {
	if i < 0 {
		return ""
	}
	return strings.TrimSpace(rec[i])
}

// metres parses a height; an empty cell is 0, unknown.
func metres(s string) (float64, error) {
	if s == "" {
		return 0, nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, fmt.Errorf("%q: want a finite number", s)
	}
	return f, nil
}
