package twin

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
)

// ValueType is the type of a property value.
type ValueType uint8

// Property value types.
const (
	Null ValueType = iota
	Bool
	Number
	String
)

func (t ValueType) String() string {
	switch t {
	case Bool:
		return "bool"
	case Number:
		return "number"
	case String:
		return "string"
	}
	return "null"
}

// Value is a typed property value: null, bool, number (float64) or string.
type Value struct {
	typ ValueType
	num float64
	str string
}

// NumberValue, StringValue and BoolValue make values.
func NumberValue(f float64) Value { return Value{typ: Number, num: f} }
func StringValue(s string) Value  { return Value{typ: String, str: s} }
func BoolValue(b bool) Value {
	if b {
		return Value{typ: Bool, num: 1}
	}
	return Value{typ: Bool}
}

// Type of the value.
func (v Value) Type() ValueType { return v.typ }

// Number returns the value as a number, if it is one.
func (v Value) Number() (float64, bool) { return v.num, v.typ == Number }

// Bool returns the value as a bool, if it is one.
func (v Value) Bool() (bool, bool) { return v.num != 0, v.typ == Bool }

// Str returns the string, if the value is one.
func (v Value) Str() (string, bool) { return v.str, v.typ == String }

// String formats the value for people and for text filters.
func (v Value) String() string {
	switch v.typ {
	case Number:
		return strconv.FormatFloat(v.num, 'g', -1, 64)
	case String:
		return v.str
	case Bool:
		return strconv.FormatBool(v.num != 0)
	}
	return "null"
}

// Any returns the value as the Go value encoding/json would decode it to.
func (v Value) Any() any {
	switch v.typ {
	case Number:
		return v.num
	case String:
		return v.str
	case Bool:
		return v.num != 0
	}
	return nil
}

// ValueOf converts a decoded JSON value (or a Go number, string or bool).
func ValueOf(x any) (Value, error) {
	switch x := x.(type) {
	case nil:
		return Value{}, nil
	case bool:
		return BoolValue(x), nil
	case string:
		return StringValue(x), nil
	case float64:
		return NumberValue(x), nil
	case float32:
		return NumberValue(float64(x)), nil
	case int:
		return NumberValue(float64(x)), nil
	case int64:
		return NumberValue(float64(x)), nil
	case json.Number:
		f, err := x.Float64()
		if err != nil {
			return Value{}, fmt.Errorf("twin: number %q: %w", x, err)
		}
		return NumberValue(f), nil
	}
	return Value{}, fmt.Errorf("twin: property value of type %T: want null, bool, number or string", x)
}

// Compare orders two values: nulls, then bools, numbers, strings. It returns -1, 0, 1.
func (v Value) Compare(w Value) int {
	if v.typ != w.typ {
		if v.typ < w.typ {
			return -1
		}
		return 1
	}
	switch v.typ {
	case String:
		switch {
		case v.str < w.str:
			return -1
		case v.str > w.str:
			return 1
		}
		return 0
	case Number, Bool:
		switch {
		case v.num < w.num:
			return -1
		case v.num > w.num:
			return 1
		}
	}
	return 0
}

// MarshalJSON writes the value as plain JSON.
func (v Value) MarshalJSON() ([]byte, error) {
	if v.typ == Number && badFloat(v.num) {
		return []byte("null"), nil
	}
	return json.Marshal(v.Any())
}

// UnmarshalJSON reads a plain JSON scalar.
func (v *Value) UnmarshalJSON(b []byte) error {
	var x any
	if err := json.Unmarshal(b, &x); err != nil {
		return err
	}
	val, err := ValueOf(x)
	if err != nil {
		return err
	}
	*v = val
	return nil
}

// Prop is one named property.
type Prop struct {
	Key   string
	Value Value
}

// Properties are an entity's typed properties, sorted by key, keys unique.
type Properties []Prop

// PropertiesOf converts a decoded JSON object. Nested objects and arrays are
// rejected with the key that holds them.
func PropertiesOf(m map[string]any) (Properties, error) {
	ps := make(Properties, 0, len(m))
	for k, x := range m {
		v, err := ValueOf(x)
		if err != nil {
			return nil, fmt.Errorf("property %q: %w", k, err)
		}
		ps = append(ps, Prop{k, v})
	}
	sort.Slice(ps, func(i, j int) bool { return ps[i].Key < ps[j].Key })
	return ps, nil
}

// Get returns the value of key.
func (ps Properties) Get(key string) (Value, bool) {
	i := sort.Search(len(ps), func(i int) bool { return ps[i].Key >= key })
	if i < len(ps) && ps[i].Key == key {
		return ps[i].Value, true
	}
	return Value{}, false
}

// With returns a copy of ps with key set to v (a Null value removes the key).
func (ps Properties) With(key string, v Value) Properties {
	i := sort.Search(len(ps), func(i int) bool { return ps[i].Key >= key })
	found := i < len(ps) && ps[i].Key == key
	out := make(Properties, 0, len(ps)+1)
	out = append(out, ps[:i]...)
	if v.typ != Null {
		out = append(out, Prop{key, v})
	}
	if found {
		i++
	}
	return append(out, ps[i:]...)
}

// Merge returns ps with every key of patch set; a Null in patch removes the key.
func (ps Properties) Merge(patch Properties) Properties {
	out := ps
	for _, p := range patch {
		out = out.With(p.Key, p.Value)
	}
	return out
}

// Map returns the properties as a JSON-ready map.
func (ps Properties) Map() map[string]any {
	m := make(map[string]any, len(ps))
	for _, p := range ps {
		m[p.Key] = p.Value.Any()
	}
	return m
}

// Validate checks order, uniqueness, keys and finite numbers.
func (ps Properties) Validate() error {
	for i, p := range ps {
		if p.Key == "" || len(p.Key) > 256 {
			return fmt.Errorf("property %d: key must have 1..256 bytes", i)
		}
		if i > 0 && ps[i-1].Key >= p.Key {
			return fmt.Errorf("property %q: keys must be sorted and unique", p.Key)
		}
		if p.Value.typ == Number && badFloat(p.Value.num) {
			return fmt.Errorf("property %q: number must be finite", p.Key)
		}
	}
	return nil
}

func badFloat(f float64) bool { return math.IsNaN(f) || math.IsInf(f, 0) }
