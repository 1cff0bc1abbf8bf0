package tsbs

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"

	"github.com/influxdata/line-protocol/v2/lineprotocol"
)

// Line protocol goes through lineprotocol.Decoder, a chunk of lines at a time:
// the Reader splits the input into lines itself, so that every row knows its line
// number and raw text, copies a run of lines into a chunk and decodes the chunk.
// A decoder per line would allocate per row; a decoder over the whole stream
// would hide where each line starts. For the chunk's entries and lines to stay
// one to one, a line goes into a chunk only when the decoder cannot read past its
// end: no control characters (a lone "\r" ends an entry early) and no double
// quotes (a string field may span lines). TSBS writes neither; a line that has
// them is rejected before decoding.

const (
	lpChunkBytes = 256 << 10 // bytes of lines decoded at once
)

// lpRefused are the bytes that keep a line from the decoder (see above).
var lpRefused = func() (t [256]bool) {
	for c := range 0x20 {
		t[c] = true
	}
	t[0x7f], t['"'] = true, true
	return t
}()

// refusedFrom is where to look for refused bytes in line: past the 8-byte words
// that have none (control bytes, 0x7f, '"'), tested a word at a time.
func refusedFrom(line []byte) int {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	k := 0
	for ; k+8 <= len(line); k += 8 {
		x := binary.LittleEndian.Uint64(line[k:])
		below := (x - 0x20*ones) &^ x // a byte < 0x20 sets its high bit
		del := x ^ 0x7f*ones          // a zero byte where x has 0x7f
		quote := x ^ '"'*ones         // a zero byte where x has '"'
		zero := (del-ones)&^del | (quote-ones)&^quote
		if (below|zero)&highs != 0 {
			return k
		}
	}
	return k
}

type lpLine struct {
	off int   // where the line starts in the chunk
	num int64 // its line number
}

type lpParser struct {
	r        *Reader
	first    []byte // the line detect read, not yet decoded
	firstNum int64
	pending  *SyntaxError // a rejected line, reported after the lines before it
	chunk    []byte
	lines    []lpLine
	i        int // the next line of the chunk
	dec      *lineprotocol.Decoder
	eof      bool
}

func newLPParser(r *Reader, first []byte, num int64) *lpParser {
	p := &lpParser{r: r, firstNum: num}
	if first != nil {
		p.first = append([]byte(nil), first...)
	} else {
		p.eof = true
	}
	return p
}

func (p *lpParser) next() (*Row, error) {
	for {
		if p.i < len(p.lines) {
			ln := p.lines[p.i]
			p.i++
			if !p.dec.Next() {
				return nil, fmt.Errorf("%w: %s:%d", errLostLine, p.r.name, ln.num)
			}
			return p.parse(ln)
		}
		if p.dec != nil {
			if p.dec.Next() {
				return nil, fmt.Errorf("%w: %s: after line %d", errLostLine, p.r.name, p.lines[len(p.lines)-1].num)
			}
			p.dec = nil
		}
		if p.pending != nil {
			e := p.pending
			p.pending = nil
			return nil, e
		}
		if p.eof && p.first == nil {
			return nil, p.r.endErr()
		}
		p.fill()
	}
}

// fill reads the next chunk of lines, stopping early at a line to reject.
func (p *lpParser) fill() {
	p.chunk, p.lines, p.i = p.chunk[:0], p.lines[:0], 0
	if p.first != nil {
		p.add(p.first, p.firstNum)
		p.first = nil
	}
	sc := p.r.sc
	for !p.eof && p.pending == nil && len(p.chunk) < lpChunkBytes {
		line, tooLong, ok := sc.next()
		if !ok {
			p.eof = true
			break
		}
		if tooLong {
			p.pending = p.r.tooLongError(sc.line, line)
			break
		}
		p.add(line, sc.line)
	}
	if len(p.lines) > 0 {
		p.dec = lineprotocol.NewDecoderWithBytes(p.chunk)
	}
}

// add puts a line into the chunk, or skips it (blank, comment), or makes it the
// pending rejection.
func (p *lpParser) add(line []byte, num int64) {
	j := 0
	for j < len(line) && line[j] == ' ' {
		j++
	}
	if blank(line) || line[j] == '#' {
		return
	}
	for k := refusedFrom(line); k < len(line); k++ {
		c := line[k]
		if !lpRefused[c] {
			continue
		}
		msg := fmt.Sprintf("control character %q at column %d", c, k+1)
		if c == '"' {
			msg = fmt.Sprintf("string field value at column %d: TSBS fields are numbers", k+1)
		}
		p.pending = p.r.syntaxError(num, "", RejectMalformed, msg, string(line))
		return
	}
	p.lines = append(p.lines, lpLine{off: len(p.chunk), num: num})
	p.chunk = append(p.chunk, line...)
	p.chunk = append(p.chunk, '\n')
}

// parse decodes the chunk's current entry, which is line ln, into the row.
func (p *lpParser) parse(ln lpLine) (*Row, error) {
	end := len(p.chunk) - 1
	if p.i < len(p.lines) {
		end = p.lines[p.i].off - 1
	}
	row := &p.r.row
	row.Line, row.TagsLine = ln.num, ln.num
	row.Raw, row.TagsRaw, row.set = p.chunk[ln.off:end], nil, nil

	d := p.dec
	m, err := d.Measurement()
	if err != nil {
		return nil, p.decodeError(row, err)
	}
	row.Measurement = m
	row.Tags = row.Tags[:0]
	for {
		k, v, err := d.NextTag()
		if err != nil {
			return nil, p.decodeError(row, err)
		}
		if k == nil {
			break
		}
		row.Tags = append(row.Tags, Tag{Key: k, Value: v})
	}
	row.Fields = row.Fields[:0]
	for {
		k, kind, v, err := d.NextFieldBytes()
		if err != nil {
			return nil, p.decodeError(row, err)
		}
		if k == nil {
			break
		}
		var (
			f  float64
			ok bool
		)
		switch kind {
		case lineprotocol.Float:
			f, ok = parseNumber(v)
		case lineprotocol.Int:
			var n int64
			n, ok = parseInt(v)
			f = float64(n)
		case lineprotocol.Uint:
			f, ok = parseUint(v)
		}
		if !ok {
			return nil, p.r.syntaxError(row.Line, string(cut(k)), RejectBadNumber, fmt.Sprintf("%q is not a finite number", cut(v)), row.raw())
		}
		row.Fields = append(row.Fields, Field{Key: k, Value: f, Present: true})
	}
	tb, err := d.TimeBytes()
	if err != nil {
		return nil, p.decodeError(row, err)
	}
	t, ok := parseInt(tb)
	switch {
	case tb == nil:
		return nil, p.r.syntaxError(row.Line, "time", RejectBadTime, "no timestamp", row.raw())
	case !ok || t <= 0:
		return nil, p.r.syntaxError(row.Line, "time", RejectBadTime, fmt.Sprintf("%q is not a positive count of nanoseconds", cut(tb)), row.raw())
	}
	row.Time = t
	return row, nil
}

func (p *lpParser) decodeError(row *Row, err error) error {
	msg, field, reason := err.Error(), "", RejectMalformed
	if de := (*lineprotocol.DecodeError)(nil); errors.As(err, &de) {
		msg = fmt.Sprintf("column %d: %v", de.Column, de.Err)
		if field = fieldAt(row.Raw, de.Column); field != "" && strings.Contains(msg, "field value") {
			reason = RejectBadNumber // a value that is no number at all: "x=lots"
		}
	}
	return p.r.syntaxError(row.Line, field, reason, msg, row.raw())
}

// fieldAt names the field whose "key=value" holds the 1-based column of a line,
// "" when the column is not in the field set. TSBS escapes nothing, so the
// sections and fields are split at plain spaces and commas.
func fieldAt(line []byte, col int) string {
	i := col - 1
	sp := bytes.IndexByte(line, ' ')
	if sp < 0 || i <= sp || i >= len(line) {
		return ""
	}
	if end := bytes.IndexByte(line[sp+1:], ' '); end >= 0 && i > sp+1+end {
		return "" // in the timestamp
	}
	start := sp + 1 + bytes.LastIndexByte(line[sp+1:i], ',') + 1
	kv := line[start:]
	if j := bytes.IndexAny(kv, ", "); j >= 0 {
		kv = kv[:j]
	}
	key, _, ok := bytes.Cut(kv, []byte{'='})
	if !ok || len(key) == 0 {
		return ""
	}
	return string(cut(key))
}
