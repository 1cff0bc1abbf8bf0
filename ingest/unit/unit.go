package unit

import (
	"errors"
	"fmt"
	"strings"
)

// ErrUnknownUnit is returned (wrapped, naming the unit) for a unit the table does
// not hold. Callers decide what to do with the value.
var ErrUnknownUnit = errors.New("unit: unknown unit")

// Conversion turns values in one unit into its canonical unit:
//
//	canonical = (v + Shift) * Mul / Div
//
// Mul and Div are kept apart so that common conversions stay exact in float64.
type Conversion struct {
	Symbol    string   // the spelling the table lists first: "km/h"
	Aliases   []string // other accepted spellings: "kmh", "kph"
	Quantity  string   // what is measured: "speed"
	Canonical string   // the unit values are stored in: "m/s"
	Shift     float64  // added before scaling (temperatures)
	Mul, Div  float64  // the scale factor, Mul/Div
}

// Factor is the scale of the conversion, Mul/Div.
func (c Conversion) Factor() float64 { return c.Mul / c.Div }

// Identity says whether values in this unit are already canonical.
func (c Conversion) Identity() bool { return c.Shift == 0 && c.Mul == c.Div }

// Apply converts v from c's unit to the canonical unit.
func (c Conversion) Apply(v float64) float64 {
	if c.Identity() {
		return v
	}
	return (v + c.Shift) * c.Mul / c.Div
}

// Invert converts v from the canonical unit back to c's unit.
func (c Conversion) Invert(v float64) float64 {
	if c.Identity() {
		return v
	}
	return v*c.Div/c.Mul - c.Shift
}

var (
	exact map[string]int // normalised spelling -> table index
	// folded holds lower-cased spellings that only one entry has; a spelling two
	// entries share ("mw": mW and MW, "s": s and S) is only accepted exactly.
	folded map[string]int
)

func init() {
	canon := make(map[string]string)
	exact = make(map[string]int)
	folded = make(map[string]int)
	ambiguous := make(map[string]bool)
	for i := range table {
		c := &table[i]
		if c.Mul == 0 {
			c.Mul = 1
		}
		if c.Div == 0 {
			c.Div = 1
		}
		if _, ok := canon[c.Quantity]; !ok {
			if !c.Identity() {
				panic("unit: first entry of " + c.Quantity + " is not canonical: " + c.Symbol)
			}
			canon[c.Quantity] = c.Symbol
		}
		c.Canonical = canon[c.Quantity]
		for _, s := range append([]string{c.Symbol}, c.Aliases...) {
			k := normal(s)
			if j, ok := exact[k]; ok && j != i {
				panic("unit: " + s + " is listed twice")
			}
			exact[k] = i
			f := strings.ToLower(k)
			if j, ok := folded[f]; ok && j != i {
				ambiguous[f] = true
			}
			folded[f] = i
		}
	}
	for f := range ambiguous {
		delete(folded, f)
	}
}

// normal rewrites the typographic variants of a spelling to plain ASCII: spaces
// and carets go, superscript digits and micro signs become 3, 2 and u.
func normal(s string) string {
	if isPlain(s) {
		return s
	}
	var b strings.Builder
	for _, r := range strings.TrimSpace(s) {
		switch r {
		case ' ', '\t', '^':
		case '²':
			b.WriteByte('2')
		case '³':
			b.WriteByte('3')
		case 'µ', 'μ':
			b.WriteByte('u')
		case 'º': // the ordinal indicator that keyboards give for a degree sign
			b.WriteRune('°')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// isPlain reports whether s has nothing for normal to rewrite, so that the common
// case does not allocate.
func isPlain(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= ' ' || c == '^' || c >= 0x80 {
			return false
		}
	}
	return true
}

// Lookup finds the conversion for a unit: an exact spelling first, then a
// case-insensitive one when only one entry matches it.
func Lookup(unit string) (Conversion, error) {
	k := normal(unit)
	if i, ok := exact[k]; ok {
		return table[i], nil
	}
	if i, ok := folded[strings.ToLower(k)]; ok {
		return table[i], nil
	}
	return Conversion{}, fmt.Errorf("%w %q", ErrUnknownUnit, unit)
}

// Normalize converts v in unit to the canonical unit of its quantity. An empty
// unit leaves v unchanged with canonical "". Values are not checked: a NaN stays a
// NaN, and a huge value may overflow to ±Inf, which callers must reject.
func Normalize(unit string, v float64) (canonical string, value float64, err error) {
	if unit == "" {
		return "", v, nil
	}
	c, err := Lookup(unit)
	if err != nil {
		return "", v, err
	}
	return c.Canonical, c.Apply(v), nil
}

// Inverse converts a value in the canonical unit back to unit: the inverse of
// Normalize.
func Inverse(unit string, canonical float64) (float64, error) {
	if unit == "" {
		return canonical, nil
	}
	c, err := Lookup(unit)
	if err != nil {
		return canonical, err
	}
	return c.Invert(canonical), nil
}

// Units returns the whole table in its documented order: quantities grouped, the
// canonical unit first in each. The slice is a copy.
func Units() []Conversion {
	out := make([]Conversion, len(table))
	for i, c := range table {
		c.Aliases = append([]string(nil), c.Aliases...)
		out[i] = c
	}
	return out
}
