package cityjson

import (
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// A JSON reader over the scanner: CityJSON files are large and regular, and
// reading them without reflection (boundaries kept as sub-slices of the input,
// parsed once into index lists) is several times faster than encoding/json.

const maxDepth = 256

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
		k, err := s.str()
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
		m := map[string]any{}
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
		return s.str()
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
				if s.null() {
					d.CityObjects[id] = nil
					return nil
				}
				o, err := s.cityObject()
				d.CityObjects[id] = o
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
			v, err = s.value(2)
			if m, ok := v.(map[string]any); ok {
				o.Attributes = m
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
func (s *scanner) skipNumbers() bool {
	depth := 0
	for ; s.i < len(s.b); s.i++ {
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
