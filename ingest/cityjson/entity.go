package cityjson

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
	"unicode"

	"citytwin/twin"
)

// KindOf names the twin kind of a CityJSON object type: Building ->
// building, BuildingPart -> building_part, WaterBody -> water_body, TINRelief ->
// tin_relief, an extension type "+NoiseBarrier" -> noise_barrier.
func KindOf(typ string) twin.Kind {
	rs := []rune(strings.TrimPrefix(typ, "+"))
	var sb strings.Builder
	for i, r := range rs {
		if unicode.IsUpper(r) {
			prevLower := i > 0 && (unicode.IsLower(rs[i-1]) || unicode.IsDigit(rs[i-1]))
			acronymEnd := i > 0 && unicode.IsUpper(rs[i-1]) && i+1 < len(rs) && unicode.IsLower(rs[i+1])
			if prevLower || acronymEnd {
				sb.WriteByte('_')
			}
			sb.WriteRune(unicode.ToLower(r))
			continue
		}
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			sb.WriteRune(r)
		} else {
			sb.WriteByte('_')
		}
	}
	k := sb.String()
	if k == "" {
		k = "city_object"
	}
	if len(k) > 64 {
		k = k[:64]
	}
	return twin.Kind(k)
}

// Props turns attributes into properties: numbers, strings and bools as they
// are, nested objects and arrays as JSON text, nulls left out.
func Props(attrs map[string]any) twin.Properties {
	ps := make(twin.Properties, 0, len(attrs))
	for k, x := range attrs {
		if k == "" || len(k) > 256 {
			continue
		}
		var v twin.Value
		switch x := x.(type) {
		case nil:
			continue
		case float64:
			if math.IsNaN(x) || math.IsInf(x, 0) {
				continue
			}
			v = twin.NumberValue(x)
		case string:
			v = twin.StringValue(x)
		case bool:
			v = twin.BoolValue(x)
		default:
			b, err := json.Marshal(x)
			if err != nil {
				continue
			}
			v = twin.StringValue(string(b))
		}
		ps = append(ps, twin.Prop{Key: k, Value: v})
	}
	slices.SortFunc(ps, func(a, b twin.Prop) int { return strings.Compare(a.Key, b.Key) })
	return ps
}

// op makes the upsert of an object. Besides the attributes the properties hold
// cityjson_type, lod, ground_elevation (absolute, the source's vertical system)
// and roof_height.
func (b *builder) op(o *Object, note string) (twin.Op, error) {
	attrs := make(map[string]any, len(o.Attributes)+5)
	for k, v := range o.Attributes {
		attrs[k] = v
	}
	// Derived values win over attributes of the same name.
	attrs["cityjson_type"] = o.Type
	if o.LoD != "" {
		attrs["lod"] = o.LoD
	}
	if o.hasHeight {
		attrs["ground_elevation"] = o.Ground
		attrs["roof_height"] = o.RoofHeight
		attrs["height_source"] = o.HeightSource
	}
	props := Props(attrs)
	e := &twin.Entity{
		ID:         twin.ID(b.opts.IDPrefix + o.ID),
		Kind:       o.Kind,
		Geometry:   o.Footprint,
		Height:     o.Height,
		MinHeight:  o.MinHeight,
		Props:      props,
		Provenance: []twin.Provenance{{Source: b.opts.Source, Time: b.opts.Now, Note: note}},
	}
	for _, p := range o.Parents {
		e.Links = append(e.Links, twin.Link{Rel: "part_of", To: twin.ID(b.opts.IDPrefix + p)})
	}
	if err := e.Validate(); err != nil {
		return twin.Op{}, err
	}
	return twin.Op{Type: twin.OpUpsert, T: b.opts.Now.UnixNano(), Source: b.opts.Source, Entity: e}, nil
}

// note is the provenance note: format, version, system and the metadata that
// names the data set.
func (b *builder) note() string {
	m := b.res.Meta
	kind := "CityJSON"
	if m.Seq {
		kind = "CityJSONSeq"
	}
	parts := []string{fmt.Sprintf("%s %s %s", kind, m.Version, m.CRS)}
	for _, k := range []string{"title", "identifier", "referenceDate", "fileIdentifier", "datasetTitle"} {
		if s, ok := m.Raw[k].(string); ok && s != "" {
			parts = append(parts, k+"="+s)
		}
	}
	if poc, ok := m.Raw["pointOfContact"].(map[string]any); ok {
		if s, ok := poc["contactName"].(string); ok && s != "" {
			parts = append(parts, "contact="+s)
		}
	}
	return strings.Join(parts, "; ")
}
