package cityjson

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
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
	keys := make([]string, 0, len(attrs))
	for k := range attrs {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return props(keys, func(k string) any { return attrs[k] })
}

// props makes the properties of keys (sorted, each once); get gives a key's
// value.
func props(keys []string, get func(string) any) twin.Properties {
	ps := make(twin.Properties, 0, len(keys))
	for _, k := range keys {
		if k == "" || len(k) > 256 {
			continue
		}
		if v, ok := propValue(get(k)); ok {
			ps = append(ps, twin.Prop{Key: k, Value: v})
		}
	}
	return ps
}

// propValue is the property value of an attribute; false for none.
func propValue(x any) (twin.Value, bool) {
	switch x := x.(type) {
	case nil:
		return twin.Value{}, false
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return twin.Value{}, false
		}
		return twin.NumberValue(x), true
	case string:
		return twin.StringValue(x), true
	case bool:
		return twin.BoolValue(x), true
	default:
		b, err := json.Marshal(x)
		if err != nil {
			return twin.Value{}, false
		}
		return twin.StringValue(string(b)), true
	}
}

// derivedKeys are the properties op adds to the attributes.
var derivedKeys = []string{"cityjson_type", "lod", "ground_elevation", "roof_height", "height_source"}

// keyOrder is the sorted keys of the last object op made, one per goroutine
// through keyOrderPool; op only reads them once they are there.
type keyOrder struct{ keys []string }

var keyOrderPool = sync.Pool{New: func() any { return new(keyOrder) }}

// op makes the upsert of an object. Besides the attributes the properties hold
// cityjson_type, lod, ground_elevation (absolute, the source's vertical system)
// and roof_height.
func (b *builder) op(o *Object, note string) (twin.Op, error) {
	// Derived values win over attributes of the same name.
	derived := func(k string) (any, bool) {
		switch k {
		case "cityjson_type":
			return o.Type, true
		case "lod":
			return o.LoD, o.LoD != ""
		case "ground_elevation":
			return o.Ground, o.hasHeight
		case "roof_height":
			return o.RoofHeight, o.hasHeight
		case "height_source":
			return o.HeightSource, o.hasHeight
		}
		return nil, false
	}
	// The keys are the attributes' and the derived values'. Objects of a file
	// mostly have the same ones: when they are those of the last object, they
	// are in the order found then, which saves sorting them.
	ko := keyOrderPool.Get().(*keyOrder)
	defer keyOrderPool.Put(ko)
	n := len(o.Attributes)
	for _, k := range derivedKeys {
		if _, ok := derived(k); ok {
			if _, dup := o.Attributes[k]; !dup {
				n++
			}
		}
	}
	keys := ko.keys
	same := len(keys) == n
	for i := 0; same && i < len(keys); i++ {
		_, ok := derived(keys[i])
		if !ok {
			_, ok = o.Attributes[keys[i]]
		}
		same = ok
	}
	if !same {
		keys = make([]string, 0, n)
		for k := range o.Attributes {
			if _, ok := derived(k); !ok {
				keys = append(keys, k)
			}
		}
		for _, k := range derivedKeys {
			if _, ok := derived(k); ok {
				keys = append(keys, k)
			}
		}
		slices.Sort(keys)
		ko.keys = keys
	}
	props := props(keys, func(k string) any {
		if v, ok := derived(k); ok {
			return v
		}
		return o.Attributes[k]
	})
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
