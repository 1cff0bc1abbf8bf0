package twin

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// Readers for entities that configure something with their properties
// (geofences, alert rules): lenient about how a client typed a value, strict
// about what it says.

// Float reads key as a number; a string holding a finite number counts too,
// for clients that send every property as text. ok is false when key is
// absent or null.
func (ps Properties) Float(key string) (f float64, ok bool, err error) {
	v, found := ps.Get(key)
	if !found || v.Type() == Null {
		return 0, false, nil
	}
	if f, ok := v.Number(); ok {
		return f, true, nil
	}
	if s, ok := v.Str(); ok {
		f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return 0, false, fmt.Errorf("want a number, got %q", s)
		}
		return f, true, nil
	}
	return 0, false, fmt.Errorf("want a number, got %s", v.Type())
}

// Text reads key as a string, without surrounding spaces. ok is false when
// key is absent or null.
func (ps Properties) Text(key string) (s string, ok bool, err error) {
	v, found := ps.Get(key)
	if !found || v.Type() == Null {
		return "", false, nil
	}
	s, isStr := v.Str()
	if !isStr {
		return "", false, fmt.Errorf("want a string, got %s", v.Type())
	}
	return strings.TrimSpace(s), true, nil
}

// SplitList splits a list written in one string ("vehicle, sensor") at sep,
// dropping empty items and the spaces around them.
func SplitList(s, sep string) []string {
	var out []string
	for _, p := range strings.Split(s, sep) {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// ParseKinds reads a comma-separated list of kinds, each checked as entity
// kinds are, without repeats.
func ParseKinds(s string) ([]Kind, error) {
	var out []Kind
	for _, k := range SplitList(s, ",") {
		if err := validKind(Kind(k)); err != nil {
			return nil, err
		}
		if !slices.Contains(out, Kind(k)) {
			out = append(out, Kind(k))
		}
	}
	return out, nil
}

// ParseFilters reads conditions in the syntax of ParseFilter separated by
// ";", all of which must hold ("route=42;speed>3").
func ParseFilters(s string) ([]Filter, error) {
	var out []Filter
	for _, w := range SplitList(s, ";") {
		f, err := ParseFilter(w)
		if err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, nil
}
