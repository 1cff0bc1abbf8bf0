package twin

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// FilterOp compares a property with a value.
type FilterOp uint8

// Filter operators.
const (
	Eq FilterOp = iota + 1
	Ne
	Lt
	Le
	Gt
	Ge
	Exists
)

var filterOps = map[string]FilterOp{"=": Eq, "!=": Ne, "<": Lt, "<=": Le, ">": Gt, ">=": Ge}

func (op FilterOp) String() string {
	for s, o := range filterOps {
		if o == op {
			return s
		}
	}
	if op == Exists {
		return "exists"
	}
	return fmt.Sprintf("op(%d)", uint8(op))
}

// Filter is a condition on one property. Comparisons between different types are
// false (and != is true), so "height > 10" never matches a string height.
type Filter struct {
	Key   string
	Op    FilterOp
	Value Value
}

// ErrBadFilter reports a filter that cannot be parsed.
var ErrBadFilter = errors.New("twin: bad filter")

// ParseFilter reads "key=value", "key!=value", "key<value", "key<=value",
// "key>value", "key>=value" or "key" (exists). A value that parses as a number is
// compared as a number, "true"/"false" as bools; quote it ('10' or "10") to force a
// string.
func ParseFilter(s string) (Filter, error) {
	i := strings.IndexAny(s, "=!<>")
	if i < 0 {
		key := strings.TrimSpace(s)
		if key == "" {
			return Filter{}, fmt.Errorf("%w: empty", ErrBadFilter)
		}
		return Filter{Key: key, Op: Exists}, nil
	}
	key := strings.TrimSpace(s[:i])
	rest := s[i:]
	opLen := 1
	if len(rest) > 1 && rest[1] == '=' {
		opLen = 2
	}
	op, ok := filterOps[rest[:opLen]]
	if !ok || key == "" {
		return Filter{}, fmt.Errorf("%w %q: want key=value, key!=value, key<value, key<=value, key>value, key>=value or key", ErrBadFilter, s)
	}
	return Filter{Key: key, Op: op, Value: parseLiteral(strings.TrimSpace(rest[opLen:]))}, nil
}

func parseLiteral(s string) Value {
	if len(s) >= 2 && (s[0] == '\'' && s[len(s)-1] == '\'' || s[0] == '"' && s[len(s)-1] == '"') {
		return StringValue(s[1 : len(s)-1])
	}
	switch s {
	case "true":
		return BoolValue(true)
	case "false":
		return BoolValue(false)
	case "null":
		return Value{}
	}
	if isNumber(s) {
		if f, err := strconv.ParseFloat(s, 64); err == nil && !badFloat(f) {
			return NumberValue(f)
		}
	}
	return StringValue(s)
}

func isNumber(s string) bool {
	if s == "" {
		return false
	}
	seenDigit := false
	for i, r := range s {
		switch {
		case r >= '0' && r <= '9':
			seenDigit = true
		case r == '-' || r == '+':
			if i != 0 && s[i-1] != 'e' && s[i-1] != 'E' {
				return false
			}
		case r == '.' || r == 'e' || r == 'E':
		default:
			return false
		}
	}
	return seenDigit
}

// Match applies the filter to a value (ok is false when the property is absent).
func (f Filter) Match(v Value, ok bool) bool {
	if f.Op == Exists {
		return ok
	}
	if !ok {
		return f.Op == Ne
	}
	if v.typ != f.Value.typ {
		return f.Op == Ne
	}
	c := v.Compare(f.Value)
	switch f.Op {
	case Eq:
		return c == 0
	case Ne:
		return c != 0
	case Lt:
		return c < 0
	case Le:
		return c <= 0
	case Gt:
		return c > 0
	case Ge:
		return c >= 0
	}
	return false
}

// compiled filters use symbol ids, so that matching does not expand properties.
type compiledFilter struct {
	Filter
	key   uint32
	known bool // the key was ever used; unknown keys are absent everywhere
}

func (s *Store) compileFilters(fs []Filter) []compiledFilter {
	out := make([]compiledFilter, len(fs))
	for i, f := range fs {
		out[i].Filter = f
		out[i].key, out[i].known = s.sym.lookup(f.Key)
	}
	return out
}

func (s *Store) matchFilters(st *state, fs []compiledFilter) bool {
	for i := range fs {
		f := &fs[i]
		var (
			v  Value
			ok bool
		)
		if f.known {
			var p cprop
			if p, ok = st.prop(f.key); ok {
				v = p.value(s.sym)
			}
		}
		if !f.Match(v, ok) {
			return false
		}
	}
	return true
}
