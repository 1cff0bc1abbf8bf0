package tsbs

import (
	"bytes"
	"fmt"
)

var tagsPrefix = []byte("tags,")

// header is what a timescaledb file declares before its data: the tag columns
// with their types, and each measurement's field columns.
type header struct {
	tags         []headerTag
	measurements []*headerMeasurement
}

type headerTag struct {
	key    string
	number bool // declared float32, float64, int32 or int64
}

type headerMeasurement struct {
	name   []byte
	fields [][]byte
	row    []Field // the fields of a row, keys set: the parser fills in values
}

// readHeader reads the header whose first line is first, up to and including
// the blank line that ends it.
func readHeader(sc *lineScanner, first []byte) (*header, error) {
	h := &header{}
	seen := make(map[string]bool)
	for i, col := range bytes.Split(first[len(tagsPrefix):], []byte{','}) {
		key, typ, ok := bytes.Cut(col, []byte{' '})
		if !ok || len(key) == 0 {
			return nil, fmt.Errorf("line %d: tag column %d %q: want \"<key> <type>\"", sc.line, i+1, col)
		}
		var number bool
		switch string(typ) {
		case "string":
		case "float32", "float64", "int32", "int64":
			number = true
		default:
			return nil, fmt.Errorf("line %d: tag %q: unknown type %q", sc.line, key, typ)
		}
		if seen[string(key)] {
			return nil, fmt.Errorf("line %d: tag %q declared twice", sc.line, key)
		}
		seen[string(key)] = true
		h.tags = append(h.tags, headerTag{key: string(key), number: number})
	}
	clear(seen)
	for {
		line, tooLong, ok := sc.next()
		switch {
		case !ok:
			return nil, fmt.Errorf("after line %d: the input ends before the blank line that ends the header", sc.line)
		case tooLong:
			return nil, fmt.Errorf("line %d: longer than %d bytes", sc.line, MaxLineBytes)
		case len(line) == 0:
			if len(h.measurements) == 0 {
				return nil, fmt.Errorf("line %d: no measurement declared before the blank line", sc.line)
			}
			return h, nil
		}
		cols := bytes.Split(line, []byte{','})
		name := cols[0]
		switch {
		case len(name) == 0 || bytes.Equal(name, tagsPrefix[:4]):
			return nil, fmt.Errorf("line %d: want \"<measurement>,<field>,...\", got %q", sc.line, cut(line))
		case seen[string(name)]:
			return nil, fmt.Errorf("line %d: measurement %q declared twice", sc.line, name)
		case len(cols) < 2:
			return nil, fmt.Errorf("line %d: measurement %q has no fields", sc.line, name)
		}
		seen[string(name)] = true
		m := &headerMeasurement{name: bytes.Clone(name)}
		fields := make(map[string]bool, len(cols)-1)
		for _, c := range cols[1:] {
			if len(c) == 0 || bytes.ContainsAny(c, " =") || fields[string(c)] {
				return nil, fmt.Errorf("line %d: measurement %q: bad or repeated field name %q", sc.line, name, c)
			}
			fields[string(c)] = true
			m.fields = append(m.fields, bytes.Clone(c))
		}
		for _, k := range m.fields {
			m.row = append(m.row, Field{Key: k})
		}
		h.measurements = append(h.measurements, m)
	}
}

// cut shortens input quoted in a message.
func cut(b []byte) []byte {
	if len(b) > 80 {
		return b[:80]
	}
	return b
}

// tsdbParser reads the data of a timescaledb file: a tags line, then the data
// line it belongs to.
//
// The tags line of a truck repeats before every one of its rows, so parsed tags
// lines are kept by their text: most rows then cost one map lookup for their
// tags, and the Feed keeps what it worked out about a tags line with it (memo).
type tsdbParser struct {
	r    *Reader
	h    *header
	last *headerMeasurement // the measurement of the previous row
	sets map[string]*tagSet

	// the pending tags line: parsed (set), or not parsable (bad, a copy)
	haveTags bool
	set      *tagSet
	bad      []byte
	badField string
	tagsLine int64
}

// tagSet is a parsed tags line.
type tagSet struct {
	line []byte
	tags []Tag // into line
	memo memo
}

// maxTagSets bounds the parsed tags lines kept; past it the cache starts over.
const maxTagSets = 1 << 16

func newTSDBParser(r *Reader, h *header) *tsdbParser {
	return &tsdbParser{r: r, h: h, last: h.measurements[0], sets: make(map[string]*tagSet)}
}

func (p *tsdbParser) next() (*Row, error) {
	sc := p.r.sc
	for {
		line, tooLong, ok := sc.next()
		switch {
		case !ok:
			if p.haveTags && sc.err == nil {
				p.haveTags = false
				return nil, p.orphan()
			}
			return nil, p.r.endErr()
		case tooLong:
			p.haveTags = false
			return nil, p.r.tooLongError(sc.line, line)
		case blank(line):
			continue
		case bytes.HasPrefix(line, tagsPrefix):
			var orphan error
			if p.haveTags {
				orphan = p.orphan()
			}
			p.tagsLine, p.haveTags = sc.line, true
			p.takeTags(line)
			if orphan != nil {
				return nil, orphan
			}
			continue
		case !p.haveTags:
			return nil, p.r.syntaxError(sc.line, "", RejectMalformed, "data line without a tags line before it", string(line))
		}
		p.haveTags = false
		return p.parse(line, sc.line)
	}
}

// orphan is the error of a pending tags line that no data line followed.
func (p *tsdbParser) orphan() error {
	raw := p.bad
	if p.set != nil {
		raw = p.set.line
	}
	return p.r.syntaxError(p.tagsLine, "", RejectMalformed, "tags line without a data line after it", string(raw))
}

// takeTags makes line the pending tags line.
func (p *tsdbParser) takeTags(line []byte) {
	if set := p.sets[string(line)]; set != nil {
		p.set = set
		return
	}
	set := &tagSet{line: bytes.Clone(line)}
	rest := set.line[len(tagsPrefix):]
	for len(rest) > 0 {
		var kv []byte
		if i := bytes.IndexByte(rest, ','); i >= 0 {
			kv, rest = rest[:i], rest[i+1:]
		} else {
			kv, rest = rest, nil
		}
		i := bytes.IndexByte(kv, '=')
		if i <= 0 {
			p.set, p.bad, p.badField = nil, append(p.bad[:0], line...), string(cut(kv))
			return
		}
		set.tags = append(set.tags, Tag{Key: kv[:i], Value: kv[i+1:]})
	}
	if len(p.sets) >= maxTagSets {
		clear(p.sets)
	}
	p.sets[string(set.line)] = set
	p.set = set
}

// parse reads a data line and the pending tags line into the Reader's row.
func (p *tsdbParser) parse(line []byte, num int64) (*Row, error) {
	row := &p.r.row
	row.Line, row.TagsLine, row.Raw = num, p.tagsLine, line
	if p.set == nil {
		row.TagsRaw = p.bad
		return nil, p.r.syntaxError(row.TagsLine, p.badField, RejectMalformed, "want <key>=<value>", row.raw())
	}
	row.TagsRaw, row.Tags, row.set = p.set.line, p.set.tags, p.set

	i := bytes.IndexByte(line, ',')
	if i < 0 {
		return nil, p.r.syntaxError(num, "", RejectMalformed, "want <measurement>,<time>,<fields...>", row.raw())
	}
	name := line[:i]
	m := p.last
	if !bytes.Equal(name, m.name) {
		if m = p.measurement(name); m == nil {
			return nil, p.r.syntaxError(num, "", RejectMeasurement, fmt.Sprintf("measurement %q is not declared in the header", cut(name)), row.raw())
		}
		p.last = m
	}
	row.Measurement = m.name

	rest := line[i+1:]
	var tb []byte
	more := false
	if i := bytes.IndexByte(rest, ','); i >= 0 {
		tb, rest, more = rest[:i], rest[i+1:], true
	} else {
		tb, rest = rest, nil
	}
	t, ok := parseInt(tb)
	if !ok || t <= 0 {
		return nil, p.r.syntaxError(num, "time", RejectBadTime, fmt.Sprintf("%q is not a positive count of nanoseconds", cut(tb)), row.raw())
	}
	row.Time = t

	// The keys of m.row are set once; a row writes only values, which keeps
	// the garbage collector's write barrier off the hot path.
	fields := m.row
	for k := range fields {
		if !more {
			return nil, p.r.syntaxError(num, "", RejectMalformed, fmt.Sprintf("%d fields, want %d", k, len(fields)), row.raw())
		}
		var v []byte
		if i := bytes.IndexByte(rest, ','); i >= 0 {
			v, rest = rest[:i], rest[i+1:]
		} else {
			v, rest, more = rest, nil, false
		}
		fl := &fields[k]
		if len(v) == 0 {
			fl.Value, fl.Present = 0, false
			continue
		}
		f, ok := parseNumber(v)
		if !ok {
			return nil, p.r.syntaxError(num, string(fl.Key), RejectBadNumber, fmt.Sprintf("%q is not a finite number", cut(v)), row.raw())
		}
		fl.Value, fl.Present = f, true
	}
	if more {
		return nil, p.r.syntaxError(num, "", RejectMalformed, fmt.Sprintf("more than the %d fields of %s", len(fields), m.name), row.raw())
	}
	row.Fields = fields
	return row, nil
}

func (p *tsdbParser) measurement(name []byte) *headerMeasurement {
	for _, m := range p.h.measurements {
		if bytes.Equal(name, m.name) {
			return m
		}
	}
	return nil
}
