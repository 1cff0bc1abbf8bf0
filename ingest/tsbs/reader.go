package tsbs

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/klauspost/compress/gzip"
)

// Format is the text format of a TSBS data file.
type Format uint8

// The formats the Reader understands.
const (
	// FormatTimescaleDB is TSBS's "timescaledb" pseudo-CSV: a header, a blank
	// line, then a "tags,..." line before every "<measurement>,<ns>,<fields>" line.
	FormatTimescaleDB Format = iota + 1
	// FormatInflux is InfluxDB line protocol with nanosecond timestamps.
	FormatInflux
)

func (f Format) String() string {
	switch f {
	case FormatTimescaleDB:
		return "timescaledb"
	case FormatInflux:
		return "influx"
	}
	return fmt.Sprintf("format(%d)", uint8(f))
}

// ErrHeader reports a timescaledb header that cannot be read; nothing after it
// can be either.
var ErrHeader = errors.New("tsbs: bad header")

// errLostLine reports an internal inconsistency: the line-protocol decoder and
// the Reader disagree about where a line ends. It is a bug, never input; the
// fuzz targets look for it.
var errLostLine = errors.New("tsbs: line-protocol decoder lost its line")

// The reasons a row is rejected: the keys of Stats.Rejected and SyntaxError.Reason.
const (
	RejectMalformed   = "malformed"           // not a line of the format
	RejectBadNumber   = "bad number"          // a field or numeric tag is not a finite number
	RejectBadTime     = "bad time"            // a missing, unparsable or non-positive timestamp
	RejectNoName      = "no name"             // the entity tag (name, or hostname for cpu) is blank
	RejectMeasurement = "unknown measurement" // not readings, diagnostics or cpu
)

// SyntaxError is a row the Reader could not read. Reading goes on after it: the
// next call to Reader.Next returns the next row.
type SyntaxError struct {
	File   string
	Line   int64  // the line at fault, 1-based
	Field  string // the field or tag at fault; "" when the line as a whole is
	Reason string // one of the Reject… constants
	Msg    string
	Raw    string // the input of the row (timescaledb: its tags line, "\n", its data line)
}

func (e *SyntaxError) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("tsbs: %s:%d: %s %q: %s", e.File, e.Line, e.Reason, e.Field, e.Msg)
	}
	return fmt.Sprintf("tsbs: %s:%d: %s: %s", e.File, e.Line, e.Reason, e.Msg)
}

// Tag is one tag of a row. Value is empty when the producer blanked the tag.
type Tag struct {
	Key, Value []byte
}

// Field is one field of a row. Present is false when the producer blanked the
// value (timescaledb: an empty column); line protocol leaves blanked fields out.
type Field struct {
	Key     []byte
	Value   float64
	Present bool
}

// Row is one data point as the file has it. The Reader reuses it: a Row and
// every byte slice in it are valid only until the next call to Next.
type Row struct {
	Measurement []byte
	Tags        []Tag
	Fields      []Field
	Time        int64 // Unix nanoseconds
	// Line is the line of the data; TagsLine that of its tags (timescaledb: the
	// line before; line protocol: Line).
	Line, TagsLine int64
	// Raw is the data line and TagsRaw the tags line (nil for line protocol).
	Raw, TagsRaw []byte

	set *tagSet // the parsed tags line (timescaledb), nil for line protocol
}

// raw is the row's input as one string, for a dead letter.
func (r *Row) raw() string {
	if r.TagsRaw == nil {
		return string(r.Raw)
	}
	return string(r.TagsRaw) + "\n" + string(r.Raw)
}

// Reader reads the data points of a TSBS data file, plain or gzip-compressed, in
// either format. It is not safe for concurrent use.
type Reader struct {
	name   string
	format Format
	file   io.Closer  // the file Open opened
	gz     *gunzipper // nil for plain input
	sc     *lineScanner
	row    Row
	ts     *tsdbParser // FormatTimescaleDB
	lp     *lpParser   // FormatInflux
	closed bool
}

// Open opens a TSBS data file; name it in messages by its base name.
func Open(path string) (*Reader, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("tsbs: %w", err)
	}
	r, err := NewReader(f, filepath.Base(path))
	if err != nil {
		f.Close()
		return nil, err
	}
	r.file = f
	return r, nil
}

// NewReader reads TSBS data from r, named name in messages (a file name). It
// decompresses gzip input, recognised by its magic bytes, in a goroutine of its
// own; Close stops it. It reads the start of the input to tell the format and,
// for timescaledb, the header, whose errors it returns (ErrHeader).
func NewReader(r io.Reader, name string) (*Reader, error) {
	br := bufio.NewReaderSize(r, 16<<10)
	rd := &Reader{name: name}
	var src io.Reader = br
	magic, err := br.Peek(len(gzipMagic))
	switch {
	case err == nil && bytes.Equal(magic, gzipMagic):
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("tsbs: %s: gzip: %w", name, err)
		}
		rd.gz = startGunzip(zr)
		src = rd.gz
	case err != nil && err != io.EOF:
		return nil, fmt.Errorf("tsbs: %s: %w", name, err)
	}
	rd.sc = newLineScanner(src)
	if err := rd.detect(); err != nil {
		rd.Close()
		return nil, err
	}
	return rd, nil
}

// detect tells the format by the first line that is not blank or a comment: a
// timescaledb header starts "tags," and, unlike a line-protocol measurement
// named tags, has no "=".
func (r *Reader) detect() error {
	for {
		line, tooLong, ok := r.sc.next()
		if !ok {
			if r.sc.err != nil {
				return r.readErr()
			}
			r.format = FormatInflux // empty input: no rows in any format
			r.lp = newLPParser(r, nil, 0)
			return nil
		}
		if !tooLong && (blank(line) || line[0] == '#') {
			continue
		}
		if !tooLong && bytes.HasPrefix(line, tagsPrefix) && bytes.IndexByte(line, '=') < 0 {
			r.format = FormatTimescaleDB
			h, err := readHeader(r.sc, line)
			if err != nil {
				if r.sc.err != nil {
					return r.readErr()
				}
				return fmt.Errorf("%w: %s: %w", ErrHeader, r.name, err)
			}
			r.ts = newTSDBParser(r, h)
			return nil
		}
		r.format = FormatInflux
		r.lp = newLPParser(r, line, r.sc.line)
		if tooLong {
			r.lp.first = nil
			r.lp.pending = r.tooLongError(r.sc.line, line)
		}
		return nil
	}
}

// Name is the name the Reader was given.
func (r *Reader) Name() string { return r.name }

// Format is the format of the input.
func (r *Reader) Format() Format { return r.format }

// Next returns the next data point. At the end of the input it returns io.EOF.
// A *SyntaxError reports a row that could not be read; reading may go on after
// it. Any other error is final. The Row is reused by the next call.
func (r *Reader) Next() (*Row, error) {
	if r.closed {
		return nil, errReaderClosed
	}
	if r.ts != nil {
		return r.ts.next()
	}
	return r.lp.next()
}

// Close stops the decompressing goroutine, waits for it, and closes the file
// that Open opened. It does not close the io.Reader given to NewReader.
func (r *Reader) Close() error {
	if r.closed {
		return nil
	}
	r.closed = true
	if r.gz != nil {
		r.gz.close()
	}
	if r.file != nil {
		return r.file.Close()
	}
	return nil
}

// readErr is the error that ended the input early.
func (r *Reader) readErr() error {
	return fmt.Errorf("tsbs: %s: after line %d: %w", r.name, r.sc.line, r.sc.err)
}

// endErr is what the Reader returns at the end of its input.
func (r *Reader) endErr() error {
	if r.sc.err != nil {
		return r.readErr()
	}
	return io.EOF
}

func (r *Reader) syntaxError(line int64, field, reason, msg string, raw string) *SyntaxError {
	if len(raw) > maxRaw {
		raw = raw[:maxRaw]
	}
	return &SyntaxError{File: r.name, Line: line, Field: field, Reason: reason, Msg: msg, Raw: raw}
}

func (r *Reader) tooLongError(line int64, b []byte) *SyntaxError {
	return r.syntaxError(line, "", RejectMalformed, fmt.Sprintf("line longer than %d bytes", MaxLineBytes), string(b[:min(len(b), maxRaw)]))
}

// maxRaw bounds the raw input kept with an error (ingest.MaxDeadLetterRaw).
const maxRaw = 4096
