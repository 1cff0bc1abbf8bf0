package gtfs

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Reject is one row (or one field of a row) of a feed left out, and why.
type Reject struct {
	File   string // "stops.txt"
	Line   int    // 1-based line of the row in the file
	Column string // the column at fault, "" for the whole row
	Reason string
}

func (r Reject) String() string {
	if r.Column == "" {
		return fmt.Sprintf("%s:%d: %s", r.File, r.Line, r.Reason)
	}
	return fmt.Sprintf("%s:%d: %s: %s", r.File, r.Line, r.Column, r.Reason)
}

// errRow marks a row rejected by a field parser; the reject is already recorded.
var errRow = errors.New("gtfs: row rejected")

// table reads one CSV file of a feed by column name: a UTF-8 BOM is dropped,
// header names are trimmed, unknown columns are ignored and short rows read as
// empty trailing fields.
type table struct {
	file    string
	r       *csv.Reader
	cols    map[string]int
	rec     []string
	line    int
	rejects *[]Reject
}

func newTable(file string, rd io.Reader, rejects *[]Reject) (*table, error) {
	br := bufio.NewReaderSize(rd, 64<<10)
	if b, err := br.Peek(3); err == nil && bytes.Equal(b, []byte("\uFEFF")) {
		br.Discard(3)
	}
	r := csv.NewReader(br)
	r.FieldsPerRecord = -1
	r.ReuseRecord = true
	r.LazyQuotes = true
	header, err := r.Read()
	if err == io.EOF {
		return nil, fmt.Errorf("%s: %w: empty file, no header", file, ErrFormat)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: header: %w: %v", file, ErrFormat, err)
	}
	t := &table{file: file, r: r, cols: make(map[string]int, len(header)), rejects: rejects}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(h))
		if _, dup := t.cols[h]; !dup && h != "" {
			t.cols[h] = i
		}
	}
	return t, nil
}

// require fails when a column the file cannot do without is absent.
func (t *table) require(cols ...string) error {
	for _, c := range cols {
		if _, ok := t.cols[c]; !ok {
			return fmt.Errorf("%s: %w: required column %s missing", t.file, ErrFormat, c)
		}
	}
	return nil
}

// next reads the next row; false at the end. Rows the CSV reader cannot parse
// (a bare quote, say) are rejected and skipped.
func (t *table) next() bool {
	for {
		rec, err := t.r.Read()
		if err == io.EOF {
			return false
		}
		if err != nil {
			var pe *csv.ParseError
			line := 0
			if errors.As(err, &pe) {
				line = pe.Line
			}
			t.reject(line, "", err.Error())
			if pe == nil {
				return false
			}
			continue
		}
		t.rec = rec
		t.line, _ = t.r.FieldPos(0)
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue // a blank line
		}
		return true
	}
}

func (t *table) reject(line int, col, reason string) {
	*t.rejects = append(*t.rejects, Reject{File: t.file, Line: line, Column: col, Reason: reason})
}

// rejectRow records a reject for the current row.
func (t *table) rejectRow(col, format string, args ...any) {
	t.reject(t.line, col, fmt.Sprintf(format, args...))
}

// str is a field, trimmed; "" when the column or field is absent.
func (t *table) str(col string) string {
	i, ok := t.cols[col]
	if !ok || i >= len(t.rec) {
		return ""
	}
	return strings.TrimSpace(t.rec[i])
}

// need is a field that must not be empty.
func (t *table) need(col string) (string, error) {
	s := t.str(col)
	if s == "" {
		t.rejectRow(col, "required field empty")
		return "", errRow
	}
	return s, nil
}

// intOr parses an integer field, def when empty.
func (t *table) intOr(col string, def int) (int, error) {
	s := t.str(col)
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		t.rejectRow(col, "%q is not an integer", s)
		return 0, errRow
	}
	return n, nil
}

// float parses a required finite number in [lo, hi].
func (t *table) float(col string, lo, hi float64) (float64, error) {
	s, err := t.need(col)
	if err != nil {
		return 0, err
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || !(f >= lo && f <= hi) {
		t.rejectRow(col, "%q is not a number in %v..%v", s, lo, hi)
		return 0, errRow
	}
	return f, nil
}

// timeOr parses an H:MM:SS time, which may pass 24:00:00, to seconds since the
// service day's midnight; -1 when empty.
func (t *table) timeOr(col string) (int32, error) {
	s := t.str(col)
	if s == "" {
		return -1, nil
	}
	sec, ok := ParseTime(s)
	if !ok {
		t.rejectRow(col, "%q is not a time H:MM:SS", s)
		return 0, errRow
	}
	return sec, nil
}

// date parses a YYYYMMDD date.
func (t *table) date(col string) (Date, error) {
	s, err := t.need(col)
	if err != nil {
		return 0, err
	}
	d, ok := ParseDate(s)
	if !ok {
		t.rejectRow(col, "%q is not a date YYYYMMDD", s)
		return 0, errRow
	}
	return d, nil
}

// ParseTime parses a GTFS time "H:MM:SS" or "HH:MM:SS" (hours may exceed 23 for
// trips past midnight, up to 240) to seconds since the service day's midnight.
func ParseTime(s string) (int32, bool) {
	h, rest, ok := strings.Cut(s, ":")
	if !ok || len(h) < 1 || len(h) > 3 || len(rest) != 5 || rest[2] != ':' {
		return 0, false
	}
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(rest[:2])
	ss, err3 := strconv.Atoi(rest[3:])
	if err1 != nil || err2 != nil || err3 != nil || hh < 0 || hh > 240 || mm < 0 || mm > 59 || ss < 0 || ss > 59 {
		return 0, false
	}
	return int32(hh*3600 + mm*60 + ss), true
}

// FormatTime writes seconds since the service day's midnight as HH:MM:SS.
func FormatTime(sec int32) string {
	if sec < 0 {
		return ""
	}
	return fmt.Sprintf("%02d:%02d:%02d", sec/3600, sec/60%60, sec%60)
}
