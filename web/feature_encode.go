package web

import (
	"errors"
	"math"
	"slices"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"

	"citytwin/twin"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
)

// Features are most of what the server sends, and encoding/json spent two
// thirds of a bbox query's time on them (reflection, a map per feature, a
// geojson.Geometry per geometry). The appenders here write the same bytes as
// json.Encoder with SetEscapeHTML(false), including its trailing newline; the
// property tests in feature_encode_test.go hold them to it. Whatever they do
// not know (a property value of another Go type, a NaN coordinate, a year
// past 9999) is errFeatureEncoding, and the caller falls back to
// encoding/json, which then succeeds or fails exactly as before.

// errFeatureEncoding says that the feature appenders cannot write a value as
// encoding/json would.
var errFeatureEncoding = errors.New("web: value not supported by the feature encoder")

// bufPool holds the buffers responses are encoded into; one kept buffer serves
// a page of about a hundred features without growing.
var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 32<<10); return &b }}

// maxPooledBuf keeps the buffers of city-wide answers out of the pool.
const maxPooledBuf = 1 << 20

func getBuf() *[]byte { return bufPool.Get().(*[]byte) }

func putBuf(b *[]byte) {
	if cap(*b) > maxPooledBuf {
		return
	}
	*b = (*b)[:0]
	bufPool.Put(b)
}

// appendJSON appends v as json.Encoder (SetEscapeHTML(false)) writes it, for
// the feature types; errFeatureEncoding for anything else.
func appendJSON(b []byte, v any) ([]byte, error) {
	var err error
	switch v := v.(type) {
	case Feature:
		b, err = appendFeature(b, &v)
	case *Feature:
		b, err = appendFeature(b, v)
	case FeatureCollection:
		b, err = appendFeatureCollection(b, &v, "")
	case *FeatureCollection:
		b, err = appendFeatureCollection(b, v, "")
	case *entityPage:
		b, err = appendFeatureCollection(b, &v.FeatureCollection, v.Next)
	default:
		return b, errFeatureEncoding
	}
	if err != nil {
		return b, err
	}
	return append(b, '\n'), nil
}

// appendFeatureCollection writes fc, with the next member of an entityPage
// when next is not empty.
func appendFeatureCollection(b []byte, fc *FeatureCollection, next string) ([]byte, error) {
	b = appendCollectionHead(b, fc)
	if fc.Features == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i := range fc.Features {
			if i > 0 {
				b = append(b, ',')
			}
			var err error
			if b, err = appendFeature(b, &fc.Features[i]); err != nil {
				return b, err
			}
		}
		b = append(b, ']')
	}
	return appendCollectionTail(b, fc, next), nil
}

// appendEntityCollection writes fc with the features featureOf would make of
// entities (fc.Features is ignored), without making them, and the trailing
// newline.
func appendEntityCollection(b []byte, fc *FeatureCollection, entities []twin.Entity, next string) ([]byte, error) {
	b = appendCollectionHead(b, fc)
	b = append(b, '[')
	for i := range entities {
		if i > 0 {
			b = append(b, ',')
		}
		var err error
		if b, err = appendEntityFeature(b, &entities[i]); err != nil {
			return b, err
		}
	}
	b = append(b, ']')
	return append(appendCollectionTail(b, fc, next), '\n'), nil
}

func appendCollectionHead(b []byte, fc *FeatureCollection) []byte {
	b = append(b, `{"type":`...)
	b = appendJSONString(b, fc.Type, false)
	return append(b, `,"features":`...)
}

func appendCollectionTail(b []byte, fc *FeatureCollection, next string) []byte {
	b = append(b, `,"numberMatched":`...)
	b = strconv.AppendInt(b, int64(fc.NumberMatched), 10)
	b = append(b, `,"numberReturned":`...)
	b = strconv.AppendInt(b, int64(fc.NumberReturned), 10)
	b = append(b, `,"timeStamp":`...)
	b = appendJSONString(b, fc.TimeStamp, false)
	b = append(b, `,"links":`...)
	if fc.Links == nil {
		b = append(b, "null"...)
	} else {
		b = appendLinks(b, fc.Links)
	}
	if next != "" {
		b = append(b, `,"next":`...)
		b = appendJSONString(b, next, false)
	}
	return append(b, '}')
}

// appendFeature writes f.
func appendFeature(b []byte, f *Feature) ([]byte, error) {
	b = append(b, `{"type":`...)
	b = appendJSONString(b, f.Type, false)
	b = append(b, `,"id":`...)
	b = appendJSONString(b, string(f.ID), false)
	b = append(b, `,"geometry":`...)
	b, err := appendGeoJSONGeometry(b, f.Geometry)
	if err != nil {
		return b, err
	}
	b = append(b, `,"properties":`...)
	if b, err = appendPropertyMap(b, f.Properties); err != nil {
		return b, err
	}
	return appendFeatureTail(b, f.Relations, f.Provenance, f.Links)
}

// appendEntityFeature writes featureOf(e).
func appendEntityFeature(b []byte, e *twin.Entity) ([]byte, error) {
	b = append(b, `{"type":"Feature","id":`...)
	b = appendJSONString(b, string(e.ID), false)
	b = append(b, `,"geometry":`...)
	b, err := appendGeometry(b, e.Geometry)
	if err != nil {
		return b, err
	}
	b = append(b, `,"properties":`...)
	if b, err = appendEntityProperties(b, e); err != nil {
		return b, err
	}
	return appendFeatureTail(b, e.Links, e.Provenance, nil)
}

// appendFeatureTail writes the optional members of a feature and closes it.
func appendFeatureTail(b []byte, rel []twin.Link, prov []twin.Provenance, links []Link) ([]byte, error) {
	if len(rel) > 0 {
		b = append(b, `,"relations":[`...)
		for i, l := range rel {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"rel":`...)
			b = appendJSONString(b, l.Rel, false)
			b = append(b, `,"to":`...)
			b = appendJSONString(b, string(l.To), false)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	if len(prov) > 0 {
		b = append(b, `,"provenance":[`...)
		for i := range prov {
			p := &prov[i]
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"source":`...)
			b = appendJSONString(b, p.Source, false)
			b = append(b, `,"time":`...)
			var err error
			if b, err = appendJSONTime(b, p.Time); err != nil {
				return b, err
			}
			if p.Note != "" {
				b = append(b, `,"note":`...)
				b = appendJSONString(b, p.Note, false)
			}
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	if len(links) > 0 {
		b = append(b, `,"links":`...)
		b = appendLinks(b, links)
	}
	return append(b, '}'), nil
}

func appendLinks(b []byte, links []Link) []byte {
	b = append(b, '[')
	for i := range links {
		l := &links[i]
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"href":`...)
		b = appendJSONString(b, l.Href, false)
		b = append(b, `,"rel":`...)
		b = appendJSONString(b, l.Rel, false)
		if l.Type != "" {
			b = append(b, `,"type":`...)
			b = appendJSONString(b, l.Type, false)
		}
		if l.Title != "" {
			b = append(b, `,"title":`...)
			b = appendJSONString(b, l.Title, false)
		}
		b = append(b, '}')
	}
	return append(b, ']')
}

// serverMembers are the properties featureOf adds, in the order encoding/json
// sorts map keys (bytewise).
var serverMembers = [...]string{propHeight, propKind, propLevels, propMinHeight, propMoving, propValidFrom, propVersion}

// appendEntityProperties writes the properties featureOf makes of e: its own,
// merged in key order with the server's members, which win.
func appendEntityProperties(b []byte, e *twin.Entity) ([]byte, error) {
	present := [len(serverMembers)]bool{
		e.Height != 0, true, e.Levels != 0, e.MinHeight != 0, e.Moving, true, true,
	}
	b = append(b, '{')
	n := 0 // members written
	m := 0 // the next server member
	var err error
	for i := range e.Props {
		p := &e.Props[i]
		if i > 0 && e.Props[i-1].Key >= p.Key {
			return b, errFeatureEncoding // not sorted and unique: let the map decide
		}
		for ; m < len(serverMembers) && serverMembers[m] < p.Key; m++ {
			if present[m] {
				if b, err = appendServerMember(b, e, m, n); err != nil {
					return b, err
				}
				n++
			}
		}
		if m < len(serverMembers) && serverMembers[m] == p.Key && present[m] {
			continue // the server's member replaces the source's
		}
		if n > 0 {
			b = append(b, ',')
		}
		n++
		b = appendJSONString(b, p.Key, false)
		b = append(b, ':')
		b = appendValue(b, p.Value)
	}
	for ; m < len(serverMembers); m++ {
		if present[m] {
			if b, err = appendServerMember(b, e, m, n); err != nil {
				return b, err
			}
			n++
		}
	}
	return append(b, '}'), nil
}

// appendServerMember writes serverMembers[m] and its value, after n members.
func appendServerMember(b []byte, e *twin.Entity, m, n int) ([]byte, error) {
	if n > 0 {
		b = append(b, ',')
	}
	b = append(b, '"')
	b = append(b, serverMembers[m]...) // plain ASCII names
	b = append(b, '"', ':')
	switch serverMembers[m] {
	case propHeight:
		return appendJSONFloat(b, e.Height)
	case propKind:
		return appendJSONString(b, string(e.Kind), false), nil
	case propLevels:
		return strconv.AppendInt(b, int64(e.Levels), 10), nil
	case propMinHeight:
		return appendJSONFloat(b, e.MinHeight)
	case propMoving:
		return append(b, "true"...), nil
	case propValidFrom:
		// RFC 3339 digits and separators: nothing to escape.
		b = append(b, '"')
		b = e.ValidFrom.UTC().AppendFormat(b, time.RFC3339Nano)
		return append(b, '"'), nil
	case propVersion:
		return strconv.AppendUint(b, e.Version, 10), nil
	}
	return b, errFeatureEncoding
}

// appendPropertyMap writes a map of properties with its keys sorted, as
// encoding/json does.
func appendPropertyMap(b []byte, props map[string]any) ([]byte, error) {
	if props == nil {
		return append(b, "null"...), nil
	}
	var arr [32]string
	keys := arr[:0]
	for k := range props {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	b = append(b, '{')
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, k, false)
		b = append(b, ':')
		var err error
		if b, err = appendPropertyValue(b, props[k]); err != nil {
			return b, err
		}
	}
	return append(b, '}'), nil
}

// appendPropertyValue writes the values featureOf and the handlers put in
// properties.
func appendPropertyValue(b []byte, v any) ([]byte, error) {
	switch v := v.(type) {
	case nil:
		return append(b, "null"...), nil
	case twin.Value:
		return appendValue(b, v), nil
	case string:
		return appendJSONString(b, v, false), nil
	case twin.Kind:
		return appendJSONString(b, string(v), false), nil
	case twin.ID:
		return appendJSONString(b, string(v), false), nil
	case bool:
		return strconv.AppendBool(b, v), nil
	case float64:
		return appendJSONFloat(b, v)
	case int:
		return strconv.AppendInt(b, int64(v), 10), nil
	case int64:
		return strconv.AppendInt(b, v, 10), nil
	case uint64:
		return strconv.AppendUint(b, v, 10), nil
	}
	return b, errFeatureEncoding
}

// appendValue writes v as twin.Value.MarshalJSON does: through json.Marshal,
// which escapes HTML in strings, and null for a number JSON cannot hold.
func appendValue(b []byte, v twin.Value) []byte {
	switch v.Type() {
	case twin.Number:
		f, _ := v.Number()
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return append(b, "null"...)
		}
		b, _ = appendJSONFloat(b, f)
		return b
	case twin.String:
		s, _ := v.Str()
		return appendJSONString(b, s, true)
	case twin.Bool:
		t, _ := v.Bool()
		return strconv.AppendBool(b, t)
	}
	return append(b, "null"...)
}

// appendGeoJSONGeometry writes g as (*geojson.Geometry).MarshalJSON does, for
// the geometries geometryOf makes.
func appendGeoJSONGeometry(b []byte, g *geojson.Geometry) ([]byte, error) {
	switch {
	case g == nil || g.Coordinates == nil && len(g.Geometries) == 0:
		return append(b, "null"...), nil
	case g.Coordinates == nil:
		b = append(b, `{"type":"GeometryCollection","geometries":[`...)
		for i, c := range g.Geometries {
			if i > 0 {
				b = append(b, ',')
			}
			var err error
			if b, err = appendGeoJSONGeometry(b, c); err != nil {
				return b, err
			}
		}
		return append(b, "]}"...), nil
	case len(g.Geometries) > 0:
		return b, errFeatureEncoding // both members: leave it to geojson
	}
	if _, ok := g.Coordinates.(orb.Collection); ok {
		return b, errFeatureEncoding
	}
	return appendGeometry(b, g.Coordinates)
}

// appendGeometry writes g as geojson.NewGeometry(g) marshals: rings and
// bounds as polygons, an empty collection (like nil) as null.
func appendGeometry(b []byte, g orb.Geometry) ([]byte, error) {
	ok := true
	switch g := g.(type) {
	case nil:
		return append(b, "null"...), nil
	case orb.Point:
		b = append(b, `{"type":"Point","coordinates":`...)
		b, ok = appendPoint(b, g)
	case orb.MultiPoint:
		b = append(b, `{"type":"MultiPoint","coordinates":`...)
		b, ok = appendPoints(b, g)
	case orb.LineString:
		b = append(b, `{"type":"LineString","coordinates":`...)
		b, ok = appendPoints(b, g)
	case orb.MultiLineString:
		b = append(b, `{"type":"MultiLineString","coordinates":`...)
		if g == nil {
			b = append(b, "null"...)
			break
		}
		b = append(b, '[')
		for i, l := range g {
			if i > 0 {
				b = append(b, ',')
			}
			if b, ok = appendPoints(b, l); !ok {
				break
			}
		}
		b = append(b, ']')
	case orb.Ring:
		b = append(b, `{"type":"Polygon","coordinates":[`...)
		b, ok = appendPoints(b, g)
		b = append(b, ']')
	case orb.Polygon:
		b = append(b, `{"type":"Polygon","coordinates":`...)
		b, ok = appendRings(b, g)
	case orb.MultiPolygon:
		b = append(b, `{"type":"MultiPolygon","coordinates":`...)
		if g == nil {
			b = append(b, "null"...)
			break
		}
		b = append(b, '[')
		for i, p := range g {
			if i > 0 {
				b = append(b, ',')
			}
			if b, ok = appendRings(b, p); !ok {
				break
			}
		}
		b = append(b, ']')
	case orb.Bound:
		return appendGeometry(b, g.ToPolygon())
	case orb.Collection:
		if len(g) == 0 {
			return append(b, "null"...), nil
		}
		b = append(b, `{"type":"GeometryCollection","geometries":[`...)
		for i, c := range g {
			if i > 0 {
				b = append(b, ',')
			}
			var err error
			if b, err = appendGeometry(b, c); err != nil {
				return b, err
			}
		}
		b = append(b, ']')
	default:
		return b, errFeatureEncoding
	}
	if !ok {
		return b, errFeatureEncoding
	}
	return append(b, '}'), nil
}

func appendRings(b []byte, p orb.Polygon) ([]byte, bool) {
	if p == nil {
		return append(b, "null"...), true
	}
	b = append(b, '[')
	for i, r := range p {
		if i > 0 {
			b = append(b, ',')
		}
		var ok bool
		if b, ok = appendPoints(b, r); !ok {
			return b, false
		}
	}
	return append(b, ']'), true
}

// appendPoints writes a slice of points; nil is null, as encoding/json has it.
func appendPoints(b []byte, ps []orb.Point) ([]byte, bool) {
	if ps == nil {
		return append(b, "null"...), true
	}
	b = append(b, '[')
	for i, p := range ps {
		if i > 0 {
			b = append(b, ',')
		}
		var ok bool
		if b, ok = appendPoint(b, p); !ok {
			return b, false
		}
	}
	return append(b, ']'), true
}

func appendPoint(b []byte, p orb.Point) ([]byte, bool) {
	if !finite(p[0]) || !finite(p[1]) {
		return b, false
	}
	b = append(b, '[')
	b = appendFiniteFloat(b, p[0])
	b = append(b, ',')
	b = appendFiniteFloat(b, p[1])
	return append(b, ']'), true
}

func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }

// appendJSONFloat writes f as encoding/json does; it cannot write NaN or ±Inf.
func appendJSONFloat(b []byte, f float64) ([]byte, error) {
	if !finite(f) {
		return b, errFeatureEncoding
	}
	return appendFiniteFloat(b, f), nil
}

// appendFiniteFloat is encoding/json's float64 encoder: the shortest decimal
// that reads back as f, in exponent form only below 1e-6 and from 1e21 on.
func appendFiniteFloat(b []byte, f float64) []byte {
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' { // e-07 → e-7
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}

// appendJSONTime writes t as time.Time.MarshalJSON does, which refuses years
// past 9999 and zone offsets of a day or more.
func appendJSONTime(b []byte, t time.Time) ([]byte, error) {
	b = append(b, '"')
	n0 := len(b)
	b = t.AppendFormat(b, time.RFC3339Nano)
	switch {
	case b[n0+len("9999")] != '-':
		return b, errFeatureEncoding
	case b[len(b)-1] != 'Z':
		c := b[len(b)-len("Z07:00")]
		h := b[len(b)-len("07:00"):]
		if '0' <= c && c <= '9' || 10*(h[0]-'0')+(h[1]-'0') >= 24 {
			return b, errFeatureEncoding
		}
	}
	return append(b, '"'), nil
}

// appendJSONString writes s as encoding/json does: control characters, quotes
// and backslashes escaped, invalid UTF-8 as U+FFFD, U+2028 and U+2029 escaped,
// and <, > and & too when escapeHTML is set.
func appendJSONString(b []byte, s string, escapeHTML bool) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && (!escapeHTML || c != '<' && c != '>' && c != '&') {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '\\', '"':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

const hexDigits = "0123456789abcdef"
