package cityjson

import (
	"encoding/binary"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// A JSON reader over the scanner: CityJSON files are large and regular, and
// reading them without reflection (boundaries kept as sub-slices of the input,
// parsed once into index lists) is several times faster than encoding/json.

const maxDepth = 256

// Strings of a file repeat: attribute names and many of their values (dates,
// codes, statuses) are the same in every object. A scanner with an intern
// table gives them out once, which saves an allocation (and a box, for
// attribute values) a string.
const (
	internMax = 24      // longest string interned, in bytes; ids are longer
	internCap = 1 << 14 // strings held at most
)

// strFast scans a string without escapes and returns its bytes, a sub-slice of
// the input; ok is false, with the position unchanged but for white space, for
// anything else (str then parses it, or reports the error).
func (s *scanner) strFast() (b []byte, ok bool) {
	if s.peek() != '"' {
		return nil, false
	}
	for j := s.i + 1; j < len(s.b); j++ {
		switch c := s.b[j]; {
		case c == '"':
			b = s.b[s.i+1 : j]
			s.i = j + 1
			return b, true
		case c == '\\' || c < 0x20:
			return nil, false
		}
	}
	return nil, false
}

// internAny is the string of b as a value, from the intern table when it is
// there or fits.
func (s *scanner) internAny(b []byte) any {
	if s.intern == nil || len(b) > internMax {
		return string(b)
	}
	if v, ok := s.intern[string(b)]; ok {
		return v
	}
	str := string(b)
	var v any = str
	if len(s.intern) < internCap {
		s.intern[str] = v
	}
	return v
}

// strValue parses a JSON string as a value (see internAny).
func (s *scanner) strValue() (any, error) {
	if b, ok := s.strFast(); ok {
		return s.internAny(b), nil
	}
	return s.str()
}

// key parses the key of an object member (see internAny).
func (s *scanner) key() (string, error) {
	if b, ok := s.strFast(); ok {
		if s.intern == nil || len(b) > internMax {
			return string(b), nil
		}
		return s.internAny(b).(string), nil
	}
	return s.str()
}

// str parses a JSON string.
func (s *scanner) str() (string, error) {
	if s.peek() != '"' {
		return "", s.errf("want string")
	}
	s.i++
	start := s.i
	for s.i < len(s.b) {
		c := s.b[s.i]
		switch {
		case c == '"':
			out := string(s.b[start:s.i])
			s.i++
			return out, nil
		case c == '\\':
			return s.strSlow(start)
		case c < 0x20:
			return "", s.errf("control character in string")
		}
		s.i++
	}
	return "", s.errf("unterminated string")
}

func (s *scanner) strSlow(start int) (string, error) {
	buf := append([]byte(nil), s.b[start:s.i]...)
	for s.i < len(s.b) {
		c := s.b[s.i]
		switch {
		case c == '"':
			s.i++
			if !utf8.Valid(buf) {
				return string([]rune(string(buf))), nil
			}
			return string(buf), nil
		case c < 0x20:
			return "", s.errf("control character in string")
		case c != '\\':
			buf = append(buf, c)
			s.i++
			continue
		}
		if s.i+1 >= len(s.b) {
			return "", s.errf("bad escape")
		}
		e := s.b[s.i+1]
		s.i += 2
		switch e {
		case '"', '\\', '/':
			buf = append(buf, e)
		case 'b':
			buf = append(buf, '\b')
		case 'f':
			buf = append(buf, '\f')
		case 'n':
			buf = append(buf, '\n')
		case 'r':
			buf = append(buf, '\r')
		case 't':
			buf = append(buf, '\t')
		case 'u':
			r, ok := s.hex4()
			if !ok {
				return "", s.errf("bad \\u escape")
			}
			if utf16.IsSurrogate(r) {
				r2 := rune(-1)
				if s.i+1 < len(s.b) && s.b[s.i] == '\\' && s.b[s.i+1] == 'u' {
					s.i += 2
					if r2, ok = s.hex4(); !ok {
						return "", s.errf("bad \\u escape")
					}
				}
				r = utf16.DecodeRune(r, r2)
			}
			buf = utf8.AppendRune(buf, r)
		default:
			return "", s.errf("bad escape")
		}
	}
	return "", s.errf("unterminated string")
}

func (s *scanner) hex4() (rune, bool) {
	if s.i+4 > len(s.b) {
		return 0, false
	}
	n, err := strconv.ParseUint(string(s.b[s.i:s.i+4]), 16, 32)
	if err != nil {
		return 0, false
	}
	s.i += 4
	return rune(n), true
}

// object parses { "key": value, ... }, calling field for each key; field must
// consume the value.
func (s *scanner) object(field func(key string) error) error {
	if s.peek() != '{' {
		return s.errf("want object")
	}
	s.i++
	if s.peek() == '}' {
		s.i++
		return nil
	}
	for {
		k, err := s.key()
		if err != nil {
			return err
		}
		if s.peek() != ':' {
			return s.errf("want :")
		}
		s.i++
		if err := field(k); err != nil {
			return err
		}
		switch s.peek() {
		case ',':
			s.i++
		case '}':
			s.i++
			return nil
		default:
			return s.errf("want , or }")
		}
	}
}

// value parses any JSON value into the types encoding/json would use.
func (s *scanner) value(depth int) (any, error) {
	if depth > maxDepth {
		return nil, s.errf("too deeply nested")
	}
	switch c := s.peek(); {
	case c == '{':
		m := make(map[string]any, s.mapHint)
		s.mapHint = 0
		err := s.object(func(k string) error {
			v, err := s.value(depth + 1)
			m[k] = v
			return err
		})
		return m, err
	case c == '[':
		a := []any{}
		err := s.list(func() error {
			v, err := s.value(depth + 1)
			a = append(a, v)
			return err
		})
		return a, err
	case c == '"':
		return s.strValue()
	case c == 't' || c == 'f':
		if s.i+4 <= len(s.b) && string(s.b[s.i:s.i+4]) == "true" {
			s.i += 4
			return true, nil
		}
		if s.i+5 <= len(s.b) && string(s.b[s.i:s.i+5]) == "false" {
			s.i += 5
			return false, nil
		}
		return nil, s.errf("bad literal")
	case c == 'n':
		if s.null() {
			return nil, nil
		}
		return nil, s.errf("bad literal")
	case c == '-' || c >= '0' && c <= '9':
		return s.number()
	}
	return nil, s.errf("want a value")
}

// raw skips a value and returns its bytes (a sub-slice of the input).
func (s *scanner) raw(depth int) ([]byte, error) {
	if depth > maxDepth {
		return nil, s.errf("too deeply nested")
	}
	s.ws()
	start := s.i
	if s.i < len(s.b) && s.b[s.i] == '[' && s.skipNumbers() {
		return s.b[start:s.i], nil
	}
	s.i = start
	var err error
	switch c := s.peek(); {
	case c == '[':
		err = s.list(func() error { _, err := s.raw(depth + 1); return err })
	case c == '{':
		err = s.object(func(string) error { _, err := s.raw(depth + 1); return err })
	case c == '"':
		_, err = s.str()
	case c == '-' || c >= '0' && c <= '9':
		_, err = s.number()
	default:
		_, err = s.value(depth)
	}
	return s.b[start:s.i], err
}

func (s *scanner) strings() ([]string, error) {
	var out []string
	if s.null() {
		return nil, nil
	}
	err := s.list(func() error {
		v, err := s.str()
		out = append(out, v)
		return err
	})
	return out, err
}

func (s *scanner) floats() ([]float64, error) {
	var out []float64
	err := s.list(func() error {
		v, err := s.number()
		out = append(out, v)
		return err
	})
	return out, err
}

func (s *scanner) float3() ([3]float64, error) {
	var out [3]float64
	f, err := s.floats()
	if err == nil && len(f) != 3 {
		err = s.errf("want 3 numbers")
	}
	copy(out[:], f)
	return out, err
}

// doc parses a CityJSON document, header or feature.
func (s *scanner) doc() (*docJSON, error) {
	d := &docJSON{}
	err := s.object(func(k string) error {
		var err error
		switch k {
		case "type":
			d.Type, err = s.str()
		case "version":
			d.Version, err = s.str()
		case "id":
			d.ID, err = s.str()
		case "transform":
			d.Transform = &transformJSON{}
			err = s.object(func(k string) error {
				switch k {
				case "scale":
					d.Transform.Scale, err = s.float3()
				case "translate":
					d.Transform.Translate, err = s.float3()
				default:
					_, err = s.raw(1)
				}
				return err
			})
		case "metadata":
			var v any
			v, err = s.value(1)
			if m, ok := v.(map[string]any); ok {
				d.Metadata = m
			} else if err == nil && v != nil {
				err = s.errf("metadata is not an object")
			}
		case "CityObjects":
			d.CityObjects = map[string]*objectJSON{}
			err = s.object(func(id string) error {
				if s.progress != nil && len(d.CityObjects)%256 == 255 {
					s.progress(s.i)
				}
				if s.null() {
					d.CityObjects[id] = nil
					return nil
				}
				o, err := s.cityObject()
				d.CityObjects[id] = o
				if err == nil && s.onObject != nil {
					s.onObject(o)
				}
				return err
			})
		case "vertices":
			d.Vertices, err = s.raw(1)
		case "geometry-templates":
			t := &templatesJSON{}
			d.GeometryTemplates = t
			err = s.object(func(k string) error {
				var err error
				switch k {
				case "templates":
					err = s.list(func() error {
						g, err := s.geometry()
						t.Templates = append(t.Templates, g)
						return err
					})
				case "vertices-templates":
					err = s.list(func() error {
						f, err := s.floats()
						t.VerticesTemplates = append(t.VerticesTemplates, f)
						return err
					})
				default:
					_, err = s.raw(1)
				}
				return err
			})
		default:
			_, err = s.raw(1)
		}
		return err
	})
	return d, err
}

func (s *scanner) cityObject() (*objectJSON, error) {
	o := &objectJSON{}
	err := s.object(func(k string) error {
		var err error
		switch k {
		case "type":
			o.Type, err = s.str()
		case "attributes":
			var v any
			s.mapHint = s.lastAttrs // objects of a file tend to have the same attributes
			v, err = s.value(2)
			if m, ok := v.(map[string]any); ok {
				o.Attributes = m
				s.lastAttrs = len(m)
			} else if err == nil && v != nil {
				err = s.errf("attributes is not an object")
			}
		case "parents":
			o.Parents, err = s.strings()
		case "children":
			o.Children, err = s.strings()
		case "geometry":
			err = s.list(func() error {
				g, err := s.geometry()
				o.Geometry = append(o.Geometry, g)
				return err
			})
		default:
			_, err = s.raw(2)
		}
		return err
	})
	return o, err
}

func (s *scanner) geometry() (geomJSON, error) {
	var g geomJSON
	err := s.object(func(k string) error {
		var err error
		switch k {
		case "type":
			g.Type, err = s.str()
		case "lod":
			g.LoD, err = s.raw(3)
		case "boundaries":
			g.Boundaries, err = s.raw(3)
		case "template":
			var f float64
			f, err = s.number()
			if f < 0 || f > 1<<30 || f != float64(int(f)) {
				return s.errf("bad template index")
			}
			n := int(f)
			g.Template = &n
		case "transformationMatrix":
			g.TransformationMatrix, err = s.floats()
		case "semantics":
			if s.null() {
				return nil
			}
			g.Semantics = &semanticsJSON{}
			err = s.object(func(k string) error {
				var err error
				switch k {
				case "surfaces":
					err = s.list(func() error {
						v, err := s.value(4)
						m, ok := v.(map[string]any)
						if err == nil && !ok {
							err = s.errf("semantic surface is not an object")
						}
						g.Semantics.Surfaces = append(g.Semantics.Surfaces, m)
						return err
					})
				case "values":
					g.Semantics.Values, err = s.raw(4)
				default:
					_, err = s.raw(4)
				}
				return err
			})
		default:
			_, err = s.raw(3)
		}
		return err
	})
	return g, err
}

// skipNumbers skips an array that holds only arrays, numbers and nulls
// (boundaries, semantic values, vertices) with a byte loop; it is false, with
// the position undefined, for anything else, which the caller then parses.
// The array's syntax is checked when it is parsed (parseNested, parseVertices).
// Runs of digits, commas and minus signs, most of such an array, are skipped
// eight bytes at a time.
func (s *scanner) skipNumbers() bool {
	depth := 0
	for ; s.i < len(s.b); s.i++ {
		for s.i+8 <= len(s.b) && digitsOnly(binary.LittleEndian.Uint64(s.b[s.i:])) {
			s.i += 8
		}
		if s.i >= len(s.b) {
			break
		}
		switch c := s.b[s.i]; c {
		case '[':
			depth++
			if depth > maxDepth {
				return false
			}
		case ']':
			depth--
			if depth == 0 {
				s.i++
				return true
			}
		case ',', ' ', '\t', '\n', '\r', '-', '+', '.', 'e', 'E', 'n', 'u', 'l':
		default:
			if c < '0' || c > '9' {
				return false
			}
		}
	}
	return false
}

// digitsOnly says whether all eight bytes of w are digits, commas or minus
// signs (0x2c to 0x39 but for '.' and '/'), by SWAR arithmetic: no byte of
// w has its top bit set, every byte plus 0x54 does (>= 0x2c), no byte plus
// 0x46 does (< 0x3a), and none is 0x2e or 0x2f.
func digitsOnly(w uint64) bool {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	if w&highs != 0 || (w+0x54*ones)&highs != highs || (w+0x46*ones)&highs != 0 {
		return false
	}
	x := (w | ones) ^ 0x2f*ones // 0x2e and 0x2f both become 0
	return (x-ones)&^x&highs == 0
}
