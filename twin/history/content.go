package history

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"time"

	"citytwin/twin"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/ewkb"
	"github.com/paulmach/orb/encoding/wkb"
)

// What an entity version says, as the twin keeps it: heights are float32 in
// memory, an empty geometry places nothing. The sink compares versions by a hash
// of this, as the twin compares states (an unchanged re-import makes no new
// version).

// content is one version's data, normalised as the twin stores it.
type content struct {
	kind       twin.Kind
	geom       orb.Geometry // nil: none
	height     float64
	minHeight  float64
	levels     int
	props      twin.Properties
	links      []twin.Link
	provenance []twin.Provenance
}

// contentOf normalises an entity as the store would keep it.
func contentOf(e *twin.Entity) content {
	c := content{
		kind:       e.Kind,
		geom:       e.Geometry,
		height:     twin.Widen(float32(e.Height)),
		minHeight:  twin.Widen(float32(e.MinHeight)),
		levels:     int(int16(e.Levels)),
		props:      e.Props,
		links:      e.Links,
		provenance: e.Provenance,
	}
	if c.geom != nil && twin.EmptyGeometry(c.geom) {
		c.geom = nil
	}
	return c
}

// hash is a digest of everything the version says.
func (c *content) hash() []byte {
	h := sha256.New()
	var buf []byte
	str := func(s string) {
		buf = binary.AppendUvarint(buf, uint64(len(s)))
		buf = append(buf, s...)
	}
	str(string(c.kind))
	if c.geom != nil {
		g, _ := wkb.Marshal(geometryForWKB(c.geom))
		str(string(g))
	} else {
		str("")
	}
	buf = binary.LittleEndian.AppendUint32(buf, math.Float32bits(float32(c.height)))
	buf = binary.LittleEndian.AppendUint32(buf, math.Float32bits(float32(c.minHeight)))
	buf = binary.AppendVarint(buf, int64(c.levels))
	buf = binary.AppendUvarint(buf, uint64(len(c.props)))
	for _, p := range c.props {
		str(p.Key)
		buf = append(buf, byte(p.Value.Type()))
		switch p.Value.Type() {
		case twin.Number:
			f, _ := p.Value.Number()
			buf = binary.LittleEndian.AppendUint64(buf, math.Float64bits(f))
		case twin.Bool:
			b, _ := p.Value.Bool()
			if b {
				buf = append(buf, 1)
			} else {
				buf = append(buf, 0)
			}
		case twin.String:
			s, _ := p.Value.Str()
			str(s)
		}
	}
	buf = binary.AppendUvarint(buf, uint64(len(c.links)))
	for _, l := range c.links {
		str(l.Rel)
		str(string(l.To))
	}
	buf = binary.AppendUvarint(buf, uint64(len(c.provenance)))
	for _, p := range c.provenance {
		str(p.Source)
		buf = binary.AppendVarint(buf, twin.Nanos(p.Time))
		str(p.Note)
	}
	h.Write(buf)
	return h.Sum(nil)[:16]
}

// geometryForWKB turns the types WKB has no word for into ones it has.
func geometryForWKB(g orb.Geometry) orb.Geometry {
	switch g := g.(type) {
	case orb.Ring:
		return orb.Polygon{g}
	case orb.Bound:
		return g.ToPolygon()
	}
	return g
}

// ewkbOf is the geometry as PostGIS takes it in binary: EWKB with SRID 4326.
func ewkbOf(g orb.Geometry) ([]byte, error) {
	return ewkb.Marshal(geometryForWKB(g), 4326)
}

// propsJSON is the properties as a JSON object; nil for none.
func propsJSON(ps twin.Properties) ([]byte, error) {
	if len(ps) == 0 {
		return nil, nil
	}
	return json.Marshal(ps.Map())
}

// propsFromJSON reads propsJSON back.
func propsFromJSON(b []byte) (twin.Properties, error) {
	if len(b) == 0 {
		return nil, nil
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("history: properties: %w", err)
	}
	if len(m) == 0 {
		return nil, nil
	}
	return twin.PropertiesOf(m)
}

type provenanceJSON struct {
	Source string `json:"source"`
	Time   int64  `json:"time"` // Unix ns, 0 when unknown
	Note   string `json:"note,omitempty"`
}

func linksJSON(ls []twin.Link) ([]byte, error) {
	if len(ls) == 0 {
		return nil, nil
	}
	return json.Marshal(ls)
}

func provenanceToJSON(ps []twin.Provenance) ([]byte, error) {
	if len(ps) == 0 {
		return nil, nil
	}
	out := make([]provenanceJSON, len(ps))
	for i, p := range ps {
		out[i] = provenanceJSON{Source: p.Source, Time: twin.Nanos(p.Time), Note: p.Note}
	}
	return json.Marshal(out)
}

func linksFromJSON(b []byte) ([]twin.Link, error) {
	if len(b) == 0 {
		return nil, nil
	}
	var ls []twin.Link
	return ls, json.Unmarshal(b, &ls)
}

func provenanceFromJSON(b []byte) ([]twin.Provenance, error) {
	if len(b) == 0 {
		return nil, nil
	}
	var ps []provenanceJSON
	if err := json.Unmarshal(b, &ps); err != nil {
		return nil, err
	}
	out := make([]twin.Provenance, len(ps))
	for i, p := range ps {
		out[i] = twin.Provenance{Source: p.Source, Time: timeOf(p.Time), Note: p.Note}
	}
	return out, nil
}

// timeOf is twin.Time but keeps the zero time for 0 as Provenance does.
func timeOf(ns int64) time.Time { return twin.Time(ns) }
