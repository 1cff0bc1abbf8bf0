package ifc

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"unsafe"
)

// ValueKind says what a STEP parameter holds.
type ValueKind uint8

// The kinds of STEP parameters.
const (
	Null    ValueKind = iota // $
	Derived                  // *
	Integer                  // 42
	Real                     // 4.2E1
	String                   // 'text', decoded to UTF-8
	Enum                     // .ELEMENT. (Str holds ELEMENT)
	Binary                   // "0A1F" (Str holds the hex digits)
	Ref                      // #12
	List                     // (a, b, …)
	Typed                    // IFCLABEL('x'): Str is the type, List[0] the value
)

// Value is one parameter of an entity instance.
type Value struct {
	Kind ValueKind
	Num  float64 // Integer and Real
	Ref  uint64  // Ref
	Str  string  // String, Enum, Binary; the type name of Typed
	List []Value // List; the single wrapped value of Typed
}

// Number is the value as a float when it is a number (a typed number counts).
func (v Value) Number() (float64, bool) {
	switch v.Kind {
	case Integer, Real:
		return v.Num, true
	case Typed:
		if len(v.List) == 1 {
			return v.List[0].Number()
		}
	}
	return 0, false
}

// Text is the value as a string when it is a string (a typed string counts).
func (v Value) Text() (string, bool) {
	switch v.Kind {
	case String:
		return v.Str, true
	case Typed:
		if len(v.List) == 1 {
			return v.List[0].Text()
		}
	}
	return "", false
}

// Instance is one entity instance of the DATA section: #ID=TYPE(Args);
type Instance struct {
	ID   uint64
	Type string // upper case as written, e.g. "IFCWALL"
	Args []Value
	Line int // line of the instance's first character, from 1
}

// Arg is argument i, or a Null value when there are fewer arguments.
func (in *Instance) Arg(i int) Value {
	if in == nil || i < 0 || i >= len(in.Args) {
		return Value{}
	}
	return in.Args[i]
}

// Header is what the HEADER section says about the file.
type Header struct {
	Description         []string // FILE_DESCRIPTION
	ImplementationLevel string
	Name                string // FILE_NAME
	TimeStamp           string
	Author              []string
	Organization        []string
	Preprocessor        string
	OriginatingSystem   string
	Authorization       string
	Schemas             []string // FILE_SCHEMA, e.g. ["IFC4"]
}

// SyntaxError is a statement that could not be read; the decoder skips it
// and goes on with the next one.
type SyntaxError struct {
	Line int    // line of the statement's first character
	ID   uint64 // entity id, 0 when not known
	Msg  string
}

func (e *SyntaxError) Error() string {
	if e.ID != 0 {
		return fmt.Sprintf("ifc: line %d: #%d: %s", e.Line, e.ID, e.Msg)
	}
	return fmt.Sprintf("ifc: line %d: %s", e.Line, e.Msg)
}

// Errors of the STEP reader.
var (
	ErrNotSTEP = errors.New("ifc: not an ISO 10303-21 (STEP) file")
	ErrNoEnd   = errors.New("ifc: file ends before END-ISO-10303-21")
)

// Limits that keep hostile input bounded.
const (
	MaxDepth          = 32       // nesting of lists and typed parameters
	MaxStatementBytes = 64 << 20 // one entity instance
	readBufferSize    = 1 << 20
	arenaChunk        = 4096
)

type section uint8

const (
	secStart section = iota
	secHeader
	secBetween
	secData
	secEnd
)

// Decoder reads entity instances from a STEP file one at a time, holding
// only the current statement in memory.
type Decoder struct {
	Header Header

	br      *bufio.Reader
	sec     section
	line    int    // current line while scanning
	stmt    []byte // current statement without comments and the final ';'
	stLine  int
	names   map[string]string // interned type names and enumerations
	arena   []Value
	scratch []Value
	sb      []byte // string decoding

	// parse state
	p     []byte
	pos   int
	depth int
}

// NewDecoder reads from r through a large buffer.
func NewDecoder(r io.Reader) *Decoder { return newDecoder(r, bufferSize(r)) }

func newDecoder(r io.Reader, size int) *Decoder {
	return &Decoder{br: bufio.NewReaderSize(r, size), line: 1, names: make(map[string]string, 64)}
}

// bufferSize is readBufferSize, or less for in-memory input that is smaller.
func bufferSize(r io.Reader) int {
	if l, ok := r.(interface{ Len() int }); ok && l.Len() < readBufferSize {
		return max(l.Len(), 4096)
	}
	return readBufferSize
}

// Next returns the next entity instance of the DATA section. A *SyntaxError
// reports one bad statement; calling Next again goes on after it. At the end
// Next returns io.EOF, or ErrNoEnd when the file stops early.
func (d *Decoder) Next() (Instance, error) {
	for {
		if d.sec == secEnd {
			return Instance{}, io.EOF
		}
		ok, over, err := d.readStatement()
		if err != nil {
			return Instance{}, err
		}
		if !ok {
			if d.sec == secStart {
				return Instance{}, ErrNotSTEP
			}
			d.sec = secEnd
			return Instance{}, ErrNoEnd
		}
		if over {
			return Instance{}, &SyntaxError{Line: d.stLine, Msg: fmt.Sprintf("statement longer than %d bytes", MaxStatementBytes)}
		}
		in, isInst, err := d.statement()
		if err != nil {
			return Instance{}, err
		}
		if isInst {
			return in, nil
		}
	}
}

// statement handles the statement in d.stmt.
func (d *Decoder) statement() (Instance, bool, error) {
	d.p, d.pos, d.depth = d.stmt, 0, 0
	d.skipSpace()
	if d.pos >= len(d.p) {
		return Instance{}, false, d.errf(0, "empty statement")
	}
	if d.p[d.pos] == '#' {
		if d.sec != secData {
			return Instance{}, false, d.errf(0, "entity instance outside DATA")
		}
		return d.instance()
	}
	kw := d.keyword()
	switch kw {
	case "ISO-10303-21":
		if d.sec != secStart {
			return Instance{}, false, d.errf(0, "repeated ISO-10303-21")
		}
		d.sec = secBetween
	case "HEADER":
		d.sec = secHeader
	case "DATA":
		d.sec = secData
	case "ENDSEC":
		d.sec = secBetween
	case "END-ISO-10303-21":
		d.sec = secEnd
	default:
		if d.sec == secStart {
			return Instance{}, false, ErrNotSTEP
		}
		if d.sec == secHeader {
			return Instance{}, false, d.header(kw)
		}
		return Instance{}, false, d.errf(0, fmt.Sprintf("unexpected %.40q", kw))
	}
	return Instance{}, false, nil
}

func (d *Decoder) header(kw string) error {
	d.skipSpace()
	args, err := d.args(0)
	if err != nil {
		return err
	}
	s := func(i int) string {
		if i < len(args) {
			t, _ := args[i].Text()
			return t
		}
		return ""
	}
	ss := func(i int) []string {
		if i >= len(args) || args[i].Kind != List {
			return nil
		}
		var out []string
		for _, v := range args[i].List {
			if t, ok := v.Text(); ok {
				out = append(out, t)
			}
		}
		return out
	}
	h := &d.Header
	switch kw {
	case "FILE_DESCRIPTION":
		h.Description, h.ImplementationLevel = ss(0), s(1)
	case "FILE_NAME":
		h.Name, h.TimeStamp, h.Author, h.Organization = s(0), s(1), ss(2), ss(3)
		h.Preprocessor, h.OriginatingSystem, h.Authorization = s(4), s(5), s(6)
	case "FILE_SCHEMA":
		h.Schemas = ss(0)
	}
	return nil
}

func (d *Decoder) instance() (Instance, bool, error) {
	d.pos++ // '#'
	id, ok := d.uint()
	if !ok || id == 0 {
		return Instance{}, false, d.errf(0, "bad entity id")
	}
	d.skipSpace()
	if d.pos >= len(d.p) || d.p[d.pos] != '=' {
		return Instance{}, false, d.errf(id, "want '=' after the id")
	}
	d.pos++
	d.skipSpace()
	if d.pos < len(d.p) && d.p[d.pos] == '(' {
		return Instance{}, false, d.errf(id, "complex entity instances are not supported")
	}
	typ := d.keyword()
	if typ == "" {
		return Instance{}, false, d.errf(id, "want an entity type")
	}
	d.skipSpace()
	args, err := d.args(id)
	if err != nil {
		return Instance{}, false, err
	}
	d.skipSpace()
	if d.pos != len(d.p) {
		return Instance{}, false, d.errf(id, "text after the parameters")
	}
	return Instance{ID: id, Type: typ, Args: args, Line: d.stLine}, true, nil
}

// args reads a parenthesised parameter list.
func (d *Decoder) args(id uint64) ([]Value, error) {
	v, err := d.value(id)
	if err != nil {
		return nil, err
	}
	if v.Kind != List {
		return nil, d.errf(id, "want '(' for the parameters")
	}
	return v.List, nil
}

func (d *Decoder) errf(id uint64, msg string) error {
	return &SyntaxError{Line: d.stLine, ID: id, Msg: msg}
}

func (d *Decoder) skipSpace() {
	for d.pos < len(d.p) {
		switch d.p[d.pos] {
		case ' ', '\t', '\r', '\n':
			d.pos++
		default:
			return
		}
	}
}

// keyword reads a name of letters, digits, '_' and '-' and interns it.
func (d *Decoder) keyword() string {
	start := d.pos
	for d.pos < len(d.p) {
		c := d.p[d.pos]
		if c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '-' {
			d.pos++
			continue
		}
		break
	}
	return d.intern(d.p[start:d.pos])
}

func (d *Decoder) intern(b []byte) string {
	if s, ok := d.names[string(b)]; ok {
		return s
	}
	s := string(b)
	if len(d.names) < 1<<16 {
		d.names[s] = s
	}
	return s
}

func (d *Decoder) uint() (uint64, bool) {
	start := d.pos
	var n uint64
	for d.pos < len(d.p) && d.p[d.pos] >= '0' && d.p[d.pos] <= '9' {
		c := uint64(d.p[d.pos] - '0')
		if n > (math.MaxUint64-c)/10 {
			return 0, false
		}
		n = n*10 + c
		d.pos++
	}
	return n, d.pos > start
}

func (d *Decoder) alloc(n int) []Value {
	if cap(d.arena)-len(d.arena) < n {
		d.arena = make([]Value, 0, max(arenaChunk, n))
	}
	s := d.arena[len(d.arena) : len(d.arena)+n : len(d.arena)+n]
	d.arena = d.arena[:len(d.arena)+n]
	return s
}

func (d *Decoder) value(id uint64) (Value, error) {
	if d.pos >= len(d.p) {
		return Value{}, d.errf(id, "statement ends inside the parameters")
	}
	switch c := d.p[d.pos]; {
	case c == '$':
		d.pos++
		return Value{Kind: Null}, nil
	case c == '*':
		d.pos++
		return Value{Kind: Derived}, nil
	case c == '#':
		d.pos++
		r, ok := d.uint()
		if !ok {
			return Value{}, d.errf(id, "bad reference")
		}
		return Value{Kind: Ref, Ref: r}, nil
	case c == '\'':
		s, err := d.str(id)
		return Value{Kind: String, Str: s}, err
	case c == '.':
		d.pos++
		start := d.pos
		for d.pos < len(d.p) && d.p[d.pos] != '.' {
			d.pos++
		}
		if d.pos >= len(d.p) {
			return Value{}, d.errf(id, "unterminated enumeration")
		}
		s := d.intern(d.p[start:d.pos])
		d.pos++
		return Value{Kind: Enum, Str: s}, nil
	case c == '"':
		d.pos++
		start := d.pos
		for d.pos < len(d.p) && d.p[d.pos] != '"' {
			d.pos++
		}
		if d.pos >= len(d.p) {
			return Value{}, d.errf(id, "unterminated binary")
		}
		s := string(d.p[start:d.pos])
		d.pos++
		return Value{Kind: Binary, Str: s}, nil
	case c == '(':
		return d.list(id)
	case c == '-' || c == '+' || c >= '0' && c <= '9':
		return d.number(id)
	case c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c == '_':
		name := d.keyword()
		d.skipSpace()
		if d.pos >= len(d.p) || d.p[d.pos] != '(' {
			return Value{}, d.errf(id, fmt.Sprintf("want '(' after %.40s", name))
		}
		if d.depth >= MaxDepth {
			return Value{}, d.errf(id, fmt.Sprintf("nested deeper than %d", MaxDepth))
		}
		d.depth++
		d.pos++
		d.skipSpace()
		inner, err := d.value(id)
		if err != nil {
			return Value{}, err
		}
		d.skipSpace()
		if d.pos >= len(d.p) || d.p[d.pos] != ')' {
			return Value{}, d.errf(id, fmt.Sprintf("want ')' after the value of %.40s", name))
		}
		d.pos++
		d.depth--
		l := d.alloc(1)
		l[0] = inner
		return Value{Kind: Typed, Str: name, List: l}, nil
	default:
		return Value{}, d.errf(id, fmt.Sprintf("unexpected %q", c))
	}
}

func (d *Decoder) list(id uint64) (Value, error) {
	if d.depth >= MaxDepth {
		return Value{}, d.errf(id, fmt.Sprintf("nested deeper than %d", MaxDepth))
	}
	d.depth++
	d.pos++ // '('
	mark := len(d.scratch)
	defer func() { d.scratch = d.scratch[:mark] }()
	d.skipSpace()
	if d.pos < len(d.p) && d.p[d.pos] == ')' {
		d.pos++
		d.depth--
		return Value{Kind: List, List: []Value{}}, nil
	}
	for {
		d.skipSpace()
		v, err := d.value(id)
		if err != nil {
			return Value{}, err
		}
		d.scratch = append(d.scratch, v)
		d.skipSpace()
		if d.pos >= len(d.p) {
			return Value{}, d.errf(id, "unclosed '('")
		}
		switch d.p[d.pos] {
		case ',':
			d.pos++
		case ')':
			d.pos++
			d.depth--
			l := d.alloc(len(d.scratch) - mark)
			copy(l, d.scratch[mark:])
			return Value{Kind: List, List: l}, nil
		default:
			return Value{}, d.errf(id, fmt.Sprintf("want ',' or ')', got %q", d.p[d.pos]))
		}
	}
}

func (d *Decoder) number(id uint64) (Value, error) {
	start := d.pos
	real := false
	for d.pos < len(d.p) {
		c := d.p[d.pos]
		if c >= '0' && c <= '9' || c == '-' || c == '+' {
			d.pos++
			continue
		}
		if c == '.' || c == 'E' || c == 'e' {
			real = true
			d.pos++
			continue
		}
		break
	}
	b := d.p[start:d.pos]
	if !real {
		// Fast path for the common small integer.
		neg, digits := false, b
		if len(digits) > 0 && (digits[0] == '-' || digits[0] == '+') {
			neg, digits = digits[0] == '-', digits[1:]
		}
		if len(digits) > 0 && len(digits) <= 15 {
			var n int64
			ok := true
			for _, c := range digits {
				if c < '0' || c > '9' {
					ok = false
					break
				}
				n = n*10 + int64(c-'0')
			}
			if ok {
				if neg {
					n = -n
				}
				return Value{Kind: Integer, Num: float64(n)}, nil
			}
		}
	}
	// STEP allows "1." which ParseFloat accepts; no allocation for the text.
	f, err := strconv.ParseFloat(unsafe.String(unsafe.SliceData(b), len(b)), 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return Value{}, d.errf(id, fmt.Sprintf("bad number %.40q", string(b)))
	}
	k := Real
	if !real {
		k = Integer
	}
	return Value{Kind: k, Num: f}, nil
}

// str reads a quoted string, decoding ” and the \X\, \X2\, \X4\, \S\ and
// \\ escapes to UTF-8.
func (d *Decoder) str(id uint64) (string, error) {
	d.pos++ // opening quote
	start := d.pos
	plain := true
	for {
		if d.pos >= len(d.p) {
			return "", d.errf(id, "unterminated string")
		}
		c := d.p[d.pos]
		if c == '\'' {
			if d.pos+1 < len(d.p) && d.p[d.pos+1] == '\'' {
				plain = false
				d.pos += 2
				continue
			}
			break
		}
		if c == '\\' || c >= 0x80 {
			plain = false
		}
		d.pos++
	}
	raw := d.p[start:d.pos]
	d.pos++ // closing quote
	if plain {
		return string(raw), nil
	}
	s, ok := decodeString(raw, d.sb[:0])
	if !ok {
		return "", d.errf(id, fmt.Sprintf("bad escape in string %.40q", string(raw)))
	}
	d.sb = s[:0]
	return string(s), nil
}

type scanState uint8

const (
	stNormal scanState = iota
	stString
	stSlash   // a '/' that may open a comment
	stComment // inside /* */
	stStar    // a '*' inside a comment
)

// readStatement reads up to the next ';' outside strings and comments into
// d.stmt, dropping comments. ok is false at the end of input with nothing
// read; over reports a statement longer than MaxStatementBytes (skipped).
func (d *Decoder) readStatement() (ok, over bool, err error) {
	d.stmt = d.stmt[:0]
	st := stNormal
	started := false
	for {
		if d.br.Buffered() == 0 {
			if _, err := d.br.Peek(1); err != nil {
				if err == io.EOF {
					if started {
						return false, false, &SyntaxError{Line: d.stLine, Msg: "file ends inside a statement (missing ';')"}
					}
					return false, false, nil
				}
				return false, false, fmt.Errorf("ifc: read: %w", err)
			}
		}
		chunk, _ := d.br.Peek(d.br.Buffered())
		from := 0
		appendTo := func(to int) {
			if to > from && !over {
				if len(d.stmt)+to-from > MaxStatementBytes {
					over = true
					return
				}
				d.stmt = append(d.stmt, chunk[from:to]...)
			}
		}
		for i := 0; i < len(chunk); i++ {
			c := chunk[i]
			if c == '\n' {
				d.line++
			}
			switch st {
			case stNormal:
				switch c {
				case '\'':
					st = stString
				case '/':
					appendTo(i)
					from = i + 1
					st = stSlash
					continue
				case ';':
					appendTo(i)
					_, _ = d.br.Discard(i + 1)
					return true, over, nil
				}
				if !started && c != ' ' && c != '\n' && c != '\r' && c != '\t' {
					started = true
					d.stLine = d.line
				}
			case stString:
				if c == '\'' {
					st = stNormal
				}
			case stSlash:
				if c == '*' {
					st = stComment
					continue
				}
				if !over {
					d.stmt = append(d.stmt, '/')
				}
				if !started {
					started = true
					d.stLine = d.line
				}
				from = i
				st = stNormal
				i-- // read c again as normal text
				if c == '\n' {
					d.line--
				}
			case stComment:
				if c == '*' {
					st = stStar
				}
			case stStar:
				switch c {
				case '/':
					st = stNormal
					from = i + 1
				case '*':
				default:
					st = stComment
				}
			}
		}
		if st == stNormal || st == stString {
			appendTo(len(chunk))
		}
		_, _ = d.br.Discard(len(chunk))
	}
}
