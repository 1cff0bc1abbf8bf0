package render

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"math"

	"github.com/paulmach/orb"
	"google.golang.org/protobuf/encoding/protowire"
)

// A strict MVT 2.1 decoder for the tests, written from the specification
// rather than from the encoder: it checks what the encoder must get right
// (command counts, closed rings, winding, key and value indexes).

type decodedLayer struct {
	Name     string
	Version  uint64
	Extent   uint64
	Features []decodedFeature
}

type decodedFeature struct {
	ID    uint64
	Type  uint64
	Props map[string]any
	// Geometry in tile coordinates: points, lines, or rings (exterior rings
	// have a positive area, holes a negative one, as MVT says).
	Points []orb.Point
	Lines  []orb.LineString
	Rings  []orb.Ring
}

func (f *decodedFeature) exteriors() int {
	n := 0
	for _, r := range f.Rings {
		if ringArea(r) > 0 {
			n++
		}
	}
	return n
}

func ringArea(r orb.Ring) float64 {
	a := 0.0
	for i := range len(r) - 1 {
		a += r[i][0]*r[i+1][1] - r[i+1][0]*r[i][1]
	}
	return a / 2
}

func decodeTile(b []byte) (map[string]*decodedLayer, error) {
	if len(b) >= 2 && b[0] == 0x1f && b[1] == 0x8b {
		zr, err := gzip.NewReader(bytes.NewReader(b))
		if err != nil {
			return nil, err
		}
		if b, err = io.ReadAll(zr); err != nil {
			return nil, err
		}
	}
	out := map[string]*decodedLayer{}
	err := fields(b, func(num protowire.Number, typ protowire.Type, v []byte, _ uint64) error {
		if num != mvtTileLayers || typ != protowire.BytesType {
			return fmt.Errorf("unexpected tile field %d", num)
		}
		l, err := decodeLayer(v)
		if err != nil {
			return err
		}
		if out[l.Name] != nil {
			return fmt.Errorf("layer %q twice", l.Name)
		}
		out[l.Name] = l
		return nil
	})
	return out, err
}

func fields(b []byte, fn func(num protowire.Number, typ protowire.Type, bytes []byte, varint uint64) error) error {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return protowire.ParseError(n)
		}
		b = b[n:]
		var v []byte
		var x uint64
		switch typ {
		case protowire.BytesType:
			v, n = protowire.ConsumeBytes(b)
		case protowire.VarintType:
			x, n = protowire.ConsumeVarint(b)
		case protowire.Fixed64Type:
			x, n = protowire.ConsumeFixed64(b)
		case protowire.Fixed32Type:
			var y uint32
			y, n = protowire.ConsumeFixed32(b)
			x = uint64(y)
		default:
			return fmt.Errorf("wire type %d", typ)
		}
		if n < 0 {
			return protowire.ParseError(n)
		}
		b = b[n:]
		if err := fn(num, typ, v, x); err != nil {
			return err
		}
	}
	return nil
}

func packed(v []byte) ([]uint32, error) {
	var out []uint32
	for len(v) > 0 {
		x, n := protowire.ConsumeVarint(v)
		if n < 0 {
			return nil, protowire.ParseError(n)
		}
		out = append(out, uint32(x))
		v = v[n:]
	}
	return out, nil
}

func decodeLayer(b []byte) (*decodedLayer, error) {
	l := &decodedLayer{Extent: 4096, Version: 1}
	var keys []string
	var vals []any
	var raw []struct {
		id, typ    uint64
		tags, geom []uint32
	}
	err := fields(b, func(num protowire.Number, typ protowire.Type, v []byte, x uint64) error {
		switch num {
		case mvtLayerName:
			l.Name = string(v)
		case mvtLayerVersion:
			l.Version = x
		case mvtLayerExtent:
			l.Extent = x
		case mvtLayerKeys:
			keys = append(keys, string(v))
		case mvtLayerValues:
			var val any
			err := fields(v, func(num protowire.Number, _ protowire.Type, v []byte, x uint64) error {
				switch num {
				case mvtValueString:
					val = string(v)
				case mvtValueDouble:
					val = math.Float64frombits(x)
				case mvtValueSint:
					val = float64(protowire.DecodeZigZag(x))
				case mvtValueBool:
					val = x != 0
				default:
					return fmt.Errorf("value field %d", num)
				}
				return nil
			})
			if err != nil {
				return err
			}
			vals = append(vals, val)
		case mvtLayerFeatures:
			var f struct {
				id, typ    uint64
				tags, geom []uint32
			}
			err := fields(v, func(num protowire.Number, _ protowire.Type, v []byte, x uint64) error {
				var err error
				switch num {
				case mvtFeatureID:
					f.id = x
				case mvtFeatureType:
					f.typ = x
				case mvtFeatureTags:
					f.tags, err = packed(v)
				case mvtFeatureGeometry:
					f.geom, err = packed(v)
				}
				return err
			})
			if err != nil {
				return err
			}
			raw = append(raw, f)
		default:
			return fmt.Errorf("layer field %d", num)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if l.Version != 2 || l.Name == "" {
		return nil, fmt.Errorf("layer %q version %d", l.Name, l.Version)
	}
	for _, r := range raw {
		f := decodedFeature{ID: r.id, Type: r.typ, Props: map[string]any{}}
		if len(r.tags)%2 != 0 {
			return nil, errors.New("odd tags")
		}
		for i := 0; i < len(r.tags); i += 2 {
			if int(r.tags[i]) >= len(keys) || int(r.tags[i+1]) >= len(vals) {
				return nil, errors.New("tag index out of range")
			}
			f.Props[keys[r.tags[i]]] = vals[r.tags[i+1]]
		}
		if err := decodeGeometry(&f, r.geom); err != nil {
			return nil, fmt.Errorf("feature %d: %w", r.id, err)
		}
		l.Features = append(l.Features, f)
	}
	return l, nil
}

func decodeGeometry(f *decodedFeature, g []uint32) error {
	var x, y int64
	var cur []orb.Point
	for i := 0; i < len(g); {
		id, count := g[i]&7, int(g[i]>>3)
		i++
		switch id {
		case mvtMoveTo, mvtLineTo:
			if i+2*count > len(g) || count == 0 {
				return errors.New("short parameters")
			}
			if id == mvtMoveTo {
				if f.Type == mvtLineString && len(cur) > 0 {
					f.Lines = append(f.Lines, cur)
				}
				if f.Type != mvtPoint {
					if count != 1 {
						return errors.New("MoveTo of more than one point in a line or polygon")
					}
					if f.Type == mvtPolygon && len(cur) > 0 {
						return errors.New("ring without ClosePath")
					}
					cur = nil
				}
			} else if len(cur) == 0 {
				return errors.New("LineTo without MoveTo")
			}
			for range count {
				x += int64(protowire.DecodeZigZag(uint64(g[i])))
				y += int64(protowire.DecodeZigZag(uint64(g[i+1])))
				i += 2
				p := orb.Point{float64(x), float64(y)}
				if f.Type == mvtPoint {
					f.Points = append(f.Points, p)
				} else {
					cur = append(cur, p)
				}
			}
		case mvtClosePath:
			if f.Type != mvtPolygon || len(cur) < 3 || count != 1 {
				return errors.New("bad ClosePath")
			}
			r := orb.Ring(append(cur, cur[0]))
			if ringArea(r) == 0 {
				return errors.New("ring of no area")
			}
			if len(f.Rings) == 0 && ringArea(r) < 0 {
				return errors.New("first ring is not exterior")
			}
			f.Rings = append(f.Rings, r)
			cur = nil
		default:
			return fmt.Errorf("command %d", id)
		}
	}
	switch {
	case f.Type == mvtLineString && len(cur) > 0:
		if len(cur) < 2 {
			return errors.New("line of one point")
		}
		f.Lines = append(f.Lines, cur)
	case f.Type == mvtPolygon && len(cur) > 0:
		return errors.New("ring without ClosePath")
	}
	if len(f.Points)+len(f.Lines)+len(f.Rings) == 0 {
		return errors.New("no geometry")
	}
	return nil
}
