package geojson

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"time"

	"citytwin/twin"

	"github.com/paulmach/orb/geojson"
)

// Options set how features become entities.
type Options struct {
	Source      string    // provenance source, e.g. "http" or a file name
	IDPrefix    string    // put in front of every feature id, e.g. "city:"
	DefaultKind twin.Kind // for features without properties.kind; "" rejects them
	Now         time.Time // valid-from of versions without properties.valid_from
	MaxFeatures int       // at most this many features (default 100,000)
}

// Reject is a feature that did not become an entity.
type Reject struct {
	Index  int    `json:"index"`
	ID     string `json:"id,omitempty"`
	Reason string `json:"reason"`
}

// Result holds an upsert op per good feature (Index[i] is the feature of
// Ops[i]) and the rejected features.
type Result struct {
	Ops     []twin.Op
	Index   []int
	Rejects []Reject
	Total   int // features seen
}

// Errors for input that holds no features at all.
var (
	ErrNotGeoJSON  = errors.New("geojson: not a FeatureCollection, a Feature or newline-delimited Features")
	ErrTooMany     = errors.New("geojson: too many features")
	errNoID        = errors.New("feature has no id")
	errNoKind      = errors.New(`feature has no properties.kind (e.g. "building", "sensor")`)
	defaultMaxFeat = 100_000
)

// Decode reads features from data.
func Decode(data []byte, opts Options) (Result, error) {
	if opts.MaxFeatures <= 0 {
		opts.MaxFeatures = defaultMaxFeat
	}
	if opts.Now.IsZero() {
		opts.Now = time.Now()
	}
	var head struct {
		Type     string            `json:"type"`
		Features []json.RawMessage `json:"features"`
	}
	trimmed := bytes.TrimSpace(data)
	// A whole document is one JSON value; NDJSON is several, one a line.
	if err := json.Unmarshal(trimmed, &head); err == nil {
		switch head.Type {
		case "FeatureCollection":
			if len(head.Features) > opts.MaxFeatures {
				return Result{}, fmt.Errorf("%w: %d, at most %d a request", ErrTooMany, len(head.Features), opts.MaxFeatures)
			}
			var r Result
			for i, f := range head.Features {
				r.add(i, f, &opts)
			}
			return r, nil
		case "Feature":
			var r Result
			r.add(0, trimmed, &opts)
			return r, nil
		}
		return Result{}, fmt.Errorf("%w: type %q", ErrNotGeoJSON, head.Type)
	}
	var r Result
	sc := bufio.NewScanner(bytes.NewReader(trimmed))
	sc.Buffer(make([]byte, 0, 64<<10), len(trimmed)+1)
	i := 0
	for sc.Scan() {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		if i == opts.MaxFeatures {
			return Result{}, fmt.Errorf("%w: more than %d", ErrTooMany, opts.MaxFeatures)
		}
		if i == 0 && line[0] != '{' {
			return Result{}, ErrNotGeoJSON
		}
		r.add(i, line, &opts)
		i++
	}
	if i == 0 {
		return Result{}, ErrNotGeoJSON
	}
	return r, nil
}

func (r *Result) add(i int, raw []byte, opts *Options) {
	r.Total++
	f, err := geojson.UnmarshalFeature(raw)
	if err != nil {
		r.Rejects = append(r.Rejects, Reject{Index: i, Reason: "not a GeoJSON feature: " + err.Error()})
		return
	}
	op, err := FeatureOp(f, opts)
	if err != nil {
		r.Rejects = append(r.Rejects, Reject{Index: i, ID: featureID(f), Reason: err.Error()})
		return
	}
	r.Ops = append(r.Ops, op)
	r.Index = append(r.Index, i)
}

func featureID(f *geojson.Feature) string {
	switch id := f.ID.(type) {
	case string:
		return id
	case float64:
		return strconv.FormatFloat(id, 'f', -1, 64)
	case json.Number:
		return id.String()
	}
	return ""
}

// FeatureOp makes the upsert of one feature.
func FeatureOp(f *geojson.Feature, opts *Options) (twin.Op, error) {
	id := featureID(f)
	if id == "" {
		return twin.Op{}, errNoID
	}
	e := &twin.Entity{ID: twin.ID(opts.IDPrefix + id), Kind: opts.DefaultKind, Geometry: f.Geometry}
	valid := opts.Now
	keys := make([]string, 0, len(f.Properties))
	for k := range f.Properties {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		v := f.Properties[k]
		var err error
		switch k {
		case "kind":
			s, ok := v.(string)
			if !ok {
				return twin.Op{}, fmt.Errorf("properties.kind: want a string, got %T", v)
			}
			e.Kind = twin.Kind(s)
		case "height":
			e.Height, err = metres(k, v)
		case "min_height":
			e.MinHeight, err = metres(k, v)
		case "levels":
			var l float64
			if l, err = metres(k, v); err == nil {
				if l != math.Trunc(l) {
					err = fmt.Errorf("properties.levels: %v is not a whole number", l)
				}
				e.Levels = int(l)
			}
		case "links":
			e.Links, err = links(v)
		case "valid_from":
			s, ok := v.(string)
			if !ok {
				return twin.Op{}, fmt.Errorf("properties.valid_from: want an RFC 3339 time, got %T", v)
			}
			if valid, err = time.Parse(time.RFC3339Nano, s); err != nil {
				err = fmt.Errorf("properties.valid_from: %w", err)
			}
		default:
			var pv twin.Value
			switch x := v.(type) {
			case nil:
				continue
			case map[string]any, []any:
				b, _ := json.Marshal(x)
				pv = twin.StringValue(string(b))
			default:
				if pv, err = twin.ValueOf(x); err != nil {
					err = fmt.Errorf("properties.%s: %w", k, err)
				}
			}
			e.Props = append(e.Props, twin.Prop{Key: k, Value: pv})
		}
		if err != nil {
			return twin.Op{}, err
		}
	}
	if e.Kind == "" {
		return twin.Op{}, errNoKind
	}
	e.Provenance = []twin.Provenance{{Source: opts.Source, Time: opts.Now.UTC()}}
	op := twin.Op{Type: twin.OpUpsert, T: valid.UnixNano(), Source: opts.Source, Entity: e}
	if err := op.Validate(); err != nil {
		return twin.Op{}, err
	}
	return op, nil
}

func metres(key string, v any) (float64, error) {
	f, ok := v.(float64)
	if !ok {
		return 0, fmt.Errorf("properties.%s: want a number, got %T", key, v)
	}
	return f, nil
}

func links(v any) ([]twin.Link, error) {
	arr, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf(`properties.links: want an array of {"rel": …, "to": …}, got %T`, v)
	}
	out := make([]twin.Link, 0, len(arr))
	for i, x := range arr {
		m, ok := x.(map[string]any)
		rel, _ := m["rel"].(string)
		to, _ := m["to"].(string)
		if !ok || rel == "" || to == "" {
			return nil, fmt.Errorf(`properties.links[%d]: want {"rel": "…", "to": "…"}`, i)
		}
		out = append(out, twin.Link{Rel: rel, To: twin.ID(to)})
	}
	return out, nil
}
