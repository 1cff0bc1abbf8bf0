package csv

import (
	"math"
	"strconv"
	"strings"

	"citytwin/twin"
)

// value types a cell: a decimal number, true/false, or else the text. An empty
// cell is no value.
func value(raw string) (twin.Value, bool) {
	s := strings.TrimSpace(raw)
	if s == "" {
		return twin.Value{}, false
	}
	if looksNumeric(s) {
		if f, err := strconv.ParseFloat(s, 64); err == nil && !math.IsInf(f, 0) {
			return twin.NumberValue(f), true
		}
	}
	switch {
	case strings.EqualFold(s, "true"):
		return twin.BoolValue(true), true
	case strings.EqualFold(s, "false"):
		return twin.BoolValue(false), true
	}
	return twin.StringValue(s), true
}

// looksNumeric accepts plain decimals: [+-]digits[.digits][e[+-]digits], with
// digits on at least one side of the point. It refuses what ParseFloat would
// take but a person would not call a number here: "NaN", "Inf", hex, "1_000",
// and leading zeros ("007", a code whose zeros matter).
func looksNumeric(s string) bool {
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	start := i
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	intDigits := i - start
	if intDigits > 1 && s[start] == '0' {
		return false
	}
	fracDigits := 0
	if i < len(s) && s[i] == '.' {
		i++
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
			fracDigits++
		}
	}
	if intDigits+fracDigits == 0 {
		return false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		exp := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == exp {
			return false
		}
	}
	return i == len(s)
}
