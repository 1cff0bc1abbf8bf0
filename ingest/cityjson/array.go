package cityjson

import (
	"errors"
	"fmt"
	"strconv"
	"sync"
)

// The nested integer arrays of CityJSON (boundaries, semantic values) and the
// vertex list are most of a file's bytes. They are decoded here by a small
// scanner instead of through interface{} trees, which is several times faster.

var errArray = errors.New("malformed array")

type scanner struct {
	b      []byte
	i      int
	intern map[string]any // nil: strings are not interned (see internAny)

	mapHint   int               // size of the next object value() makes
	lastAttrs int               // attributes of the last city object
	progress  func(int)         // called with the position every 256 city objects
	onObject  func(*objectJSON) // called with every city object read
}

func (s *scanner) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

func (s *scanner) peek() byte {
	s.ws()
	if s.i < len(s.b) {
		return s.b[s.i]
	}
	return 0
}

func (s *scanner) errf(what string) error {
	return fmt.Errorf("%w: %s at byte %d", errArray, what, s.i)
}

// list parses "[ elem, elem, ... ]", calling elem for each element.
func (s *scanner) list(elem func() error) error {
	if s.peek() != '[' {
		return s.errf("want [")
	}
	s.i++
	if s.peek() == ']' {
		s.i++
		return nil
	}
	for {
		if err := elem(); err != nil {
			return err
		}
		switch s.peek() {
		case ',':
			s.i++
		case ']':
			s.i++
			return nil
		default:
			return s.errf("want , or ]")
		}
	}
}

// null consumes a JSON null if one is next.
func (s *scanner) null() bool {
	if s.peek() == 'n' && s.i+4 <= len(s.b) && string(s.b[s.i:s.i+4]) == "null" {
		s.i += 4
		return true
	}
	return false
}

// number parses a JSON number; integers take a fast path.
func (s *scanner) number() (float64, error) {
	s.ws()
	start := s.i
	neg := false
	if s.i < len(s.b) && s.b[s.i] == '-' {
		neg = true
		s.i++
	}
	var n int64
	digits := 0
	for s.i < len(s.b) && s.b[s.i] >= '0' && s.b[s.i] <= '9' {
		if digits < 18 {
			n = n*10 + int64(s.b[s.i]-'0')
		}
		digits++
		s.i++
	}
	if digits == 0 {
		return 0, s.errf("want number")
	}
	if s.i < len(s.b) && (s.b[s.i] == '.' || s.b[s.i] == 'e' || s.b[s.i] == 'E') || digits >= 18 {
		for s.i < len(s.b) && (s.b[s.i] >= '0' && s.b[s.i] <= '9' || s.b[s.i] == '.' || s.b[s.i] == 'e' || s.b[s.i] == 'E' || s.b[s.i] == '+' || s.b[s.i] == '-') {
			s.i++
		}
		f, err := strconv.ParseFloat(string(s.b[start:s.i]), 64)
		if err != nil {
			return 0, s.errf("bad number")
		}
		return f, nil
	}
	if neg {
		n = -n
	}
	return float64(n), nil
}

// index parses a vertex or semantic index: a non-negative integer, or null
// (-1) when nullOK.
func (s *scanner) index(nullOK bool) (int, error) {
	if nullOK && s.null() {
		return -1, nil
	}
	s.ws()
	n, digits := 0, 0
	for s.i < len(s.b) && s.b[s.i] >= '0' && s.b[s.i] <= '9' {
		if digits > 9 {
			return 0, s.errf("index too large")
		}
		n = n*10 + int(s.b[s.i]-'0')
		digits++
		s.i++
	}
	if digits == 0 {
		return 0, s.errf("want a non-negative integer index")
	}
	return n, nil
}

func (s *scanner) end() error {
	s.ws()
	if s.i != len(s.b) {
		return s.errf("trailing data")
	}
	return nil
}

// parseVertices decodes [[x,y,z], ...] into a flat x,y,z slice.
func parseVertices(raw []byte, dst []float64) ([]float64, error) {
	if len(raw) == 0 {
		return dst, nil
	}
	if out, ok := verticesFast(raw, dst); ok {
		return out, nil
	}
	s := scanner{b: raw}
	err := s.list(func() error {
		k := 0
		err := s.list(func() error {
			f, err := s.number()
			if err != nil {
				return err
			}
			if k < 3 {
				dst = append(dst, f)
			}
			k++
			return nil
		})
		if err == nil && k != 3 {
			return s.errf("vertex without 3 coordinates")
		}
		return err
	})
	if err == nil {
		err = s.end()
	}
	return dst, err
}

// verticesFast is parseVertices for well-formed input, in straight-line code;
// false for anything it does not take, which parseVertices then parses (and
// reports) the general way.
func verticesFast(raw []byte, dst []float64) ([]float64, bool) {
	n0 := len(dst)
	s := scanner{b: raw}
	fail := func() ([]float64, bool) { return dst[:n0], false }
	if s.peek() != '[' {
		return fail()
	}
	s.i++
	if s.peek() == ']' {
		s.i++
		return dst, s.end() == nil
	}
	for {
		if s.peek() != '[' {
			return fail()
		}
		s.i++
		for k := 0; k < 3; k++ {
			f, err := s.number()
			if err != nil {
				return fail()
			}
			dst = append(dst, f)
			c := s.peek()
			if k < 2 && c != ',' || k == 2 && c != ']' {
				return fail()
			}
			s.i++
		}
		switch s.peek() {
		case ',':
			s.i++
		case ']':
			s.i++
			if s.end() != nil {
				return fail()
			}
			return dst, true
		default:
			return fail()
		}
	}
}

// ring parses [i, i, ...]; with nullOK a null element is -1.
func (s *scanner) ring(nullOK bool) ([]int, error) {
	var r []int
	err := s.list(func() error {
		v, err := s.index(nullOK)
		r = append(r, v)
		return err
	})
	return r, err
}

// surface parses [[i...], ...]; with nullOK a null in place of a list is nil.
func (s *scanner) surface(nullOK bool) ([][]int, error) {
	var out [][]int
	err := s.list(func() error {
		if nullOK && s.null() {
			out = append(out, nil)
			return nil
		}
		r, err := s.ring(nullOK)
		out = append(out, r)
		return err
	})
	return out, err
}

func (s *scanner) surfaces(nullOK bool) ([][][]int, error) {
	var out [][][]int
	err := s.list(func() error {
		if nullOK && s.null() {
			out = append(out, nil)
			return nil
		}
		r, err := s.surface(nullOK)
		out = append(out, r)
		return err
	})
	return out, err
}

// nested parses D levels of nested arrays of vertex indices in one pass,
// without a slice per ring: idx holds the leaves in order and ends[d] the end
// of every list of level d (level 0 is the outermost), counted in elements of
// level d+1 (leaves for the last level), cumulatively. Ring k of a MultiSurface
// (D = 3) is idx[ends[2][k-1]:ends[2][k]], surface k holds rings
// ends[1][k-1]:ends[1][k].
func parseNested(raw []byte, D int) (idx []int, ends [][]int, err error) {
	var nb nested
	if err := nb.parse(raw, D); err != nil {
		return nil, nil, err
	}
	return nb.idx, nb.ends[:D], nil
}

// nested holds what parseNested parses; its slices are reused from one
// parse to the next (see nestedPool), so a geometry copies out what it keeps.
type nested struct {
	idx  []int
	ends [5][]int
}

var nestedPool = sync.Pool{New: func() any { return new(nested) }}

func (nb *nested) parse(raw []byte, D int) error {
	s := scanner{b: raw}
	if D > len(nb.ends) {
		return s.errf("too deeply nested")
	}
	nb.idx = nb.idx[:0]
	for d := range nb.ends {
		nb.ends[d] = nb.ends[d][:0]
	}
	idx, ends := nb.idx, &nb.ends
	defer func() { nb.idx = idx }()
	d := -1
	wantElem := true // after [ or ,: an element (or ] right after [)
	afterOpen := false
	for {
		c := s.peek()
		switch {
		case c == '[' && wantElem:
			if d == D-1 {
				return s.errf("too deeply nested")
			}
			d++
			s.i++
			afterOpen = true
			continue
		case c == ']' && (!wantElem || afterOpen):
			s.i++
			if d == D-1 {
				ends[d] = append(ends[d], len(idx))
			} else {
				ends[d] = append(ends[d], len(ends[d+1]))
			}
			d--
			if d < 0 {
				return s.end()
			}
			wantElem, afterOpen = false, false
		case c == ',' && !wantElem && d >= 0:
			s.i++
			wantElem = true
		case wantElem && d == D-1 && c >= '0' && c <= '9':
			v, err := s.index(false)
			if err != nil {
				return err
			}
			idx = append(idx, v)
			wantElem, afterOpen = false, false
		default:
			return s.errf("malformed boundaries")
		}
	}
}
