package osm

import (
	"math"
	"strconv"
	"strings"
)

// Height rule constants (see the package documentation).
const (
	// LevelHeight is the storey height assumed when a building has levels but no
	// height: 3 m, the convention of the OSM wiki (Key:building:levels, Simple 3D
	// Buildings) followed by 3D renderers.
	LevelHeight = 3.0
	// RoofAllowance is added on top of the levels when roof:height is absent.
	RoofAllowance = 1.0
	// maxHeight bounds plausible heights and lengths; larger values are ignored.
	maxHeight = 2000.0
	// maxLevels is the twin's limit on Entity.Levels.
	maxLevels = 500
)

// ParseLength parses an OSM length in metres: "12", "12.5", "12 m", "12.5m",
// "12,5 m", "40'" or "40 ft" (feet), "40'6\"" (feet and inches). It is false for
// anything else, and for negative, non-finite or implausible (> 2000 m) values.
func ParseLength(s string) (float64, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, false
	}
	var v float64
	switch {
	case strings.HasSuffix(s, "\"") || strings.HasSuffix(s, "'"):
		ft, in, ok := parseFeetInches(s)
		if !ok {
			return 0, false
		}
		v = (ft*12 + in) * 0.0254
	case strings.HasSuffix(s, "ft"):
		f, ok := parseNumber(strings.TrimSuffix(s, "ft"))
		if !ok {
			return 0, false
		}
		v = f * 0.3048
	default:
		f, ok := parseNumber(strings.TrimSuffix(s, "m"))
		if !ok {
			return 0, false
		}
		v = f
	}
	if !(v >= 0) || v > maxHeight || math.IsInf(v, 0) {
		return 0, false
	}
	return v, true
}

// parseFeetInches reads 40', 40'6", 6".
func parseFeetInches(s string) (ft, in float64, ok bool) {
	if i := strings.IndexByte(s, '\''); i >= 0 {
		if ft, ok = parseNumber(s[:i]); !ok {
			return 0, 0, false
		}
		s = s[i+1:]
	}
	s = strings.TrimSpace(s)
	if s == "" {
		return ft, 0, true
	}
	if !strings.HasSuffix(s, "\"") {
		return 0, 0, false
	}
	in, ok = parseNumber(strings.TrimSuffix(s, "\""))
	return ft, in, ok
}

// parseNumber parses a plain decimal number (a comma counts as the decimal
// point), refusing hex, exponents, infinities and NaN.
func parseNumber(s string) (float64, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c == '.' || c == ',' || c == '-' && i == 0 || c == '+' && i == 0) {
			return 0, false
		}
	}
	f, err := strconv.ParseFloat(strings.ReplaceAll(s, ",", "."), 64)
	return f, err == nil && !math.IsInf(f, 0) && !math.IsNaN(f)
}

// parseLevels parses building:levels and building:min_level: a non-negative
// number of storeys up to 500, rounded to the nearest whole storey.
func parseLevels(s string) (int, bool) {
	f, ok := parseNumber(s)
	if !ok || f < 0 || f > maxLevels {
		return 0, false
	}
	return int(math.Round(f)), true
}

// Heights is what the height rule makes of a building's tags.
type Heights struct {
	Height, MinHeight float64 // metres above ground, 0 when unknown
	Levels            int     // storeys, 0 when unknown
}

// HeightsOf applies the height rule to a tag lookup (see the package
// documentation).
func HeightsOf(tag func(string) string) Heights {
	var h Heights
	levels, hasLevels := parseLevels(tag("building:levels"))
	minLevel, hasMinLevel := parseLevels(tag("building:min_level"))
	if hasLevels {
		h.Levels = levels
	}
	if v, ok := ParseLength(tag("height")); ok {
		h.Height = v
	} else if hasLevels && levels > 0 {
		roof := RoofAllowance
		if r, ok := ParseLength(tag("roof:height")); ok {
			roof = r
		}
		h.Height = float64(levels)*LevelHeight + roof
	}
	if v, ok := ParseLength(tag("min_height")); ok {
		h.MinHeight = v
	} else if hasMinLevel {
		h.MinHeight = float64(minLevel) * LevelHeight
	}
	if h.MinHeight > h.Height && h.Height > 0 {
		h.MinHeight = 0 // contradictory tags: trust the top, drop the bottom
	}
	return h
}
