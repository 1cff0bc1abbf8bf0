package tsbs

import (
	"math"
	"strconv"
)

// pow10 holds the powers of ten that a float64 represents exactly.
var pow10 = [...]float64{1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
	1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22}

// parseNumber parses a decimal number as strconv.ParseFloat does, bit for bit, and
// refuses what is not finite. TSBS writes plain decimals of at most 15 digits, so
// the fast path does all the work: the digits as an integer below 2^53 divided by
// an exact power of ten is one correctly rounded IEEE operation, the same answer
// as ParseFloat's (Clinger's fast path). Anything else goes to ParseFloat.
func parseNumber(b []byte) (float64, bool) {
	i, neg := 0, false
	if len(b) > 0 && b[0] == '-' {
		neg, i = true, 1
	}
	var (
		m      uint64
		digits int
		frac   = -1 // digits after the point, -1 without one
	)
	for ; i < len(b); i++ {
		c := b[i]
		switch {
		case c >= '0' && c <= '9':
			m = m*10 + uint64(c-'0')
			digits++
			if frac >= 0 {
				frac++
			}
		case c == '.' && frac < 0:
			frac = 0
		default:
			return parseNumberSlow(b)
		}
	}
	if digits == 0 || digits > 15 {
		return parseNumberSlow(b)
	}
	f := float64(m)
	if frac > 0 {
		f /= pow10[frac] // frac <= digits <= 15
	}
	if neg {
		f = -f
	}
	return f, true
}

func parseNumberSlow(b []byte) (float64, bool) {
	// string(b) does not escape, so the conversion uses a stack buffer for short
	// inputs and does not allocate.
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, false
	}
	return f, true
}

// parseInt parses an optionally negative decimal integer that fits an int64.
func parseInt(b []byte) (int64, bool) {
	i, neg := 0, false
	if len(b) > 0 && b[0] == '-' {
		neg, i = true, 1
	}
	if i == len(b) || len(b)-i > 19 {
		return 0, false
	}
	var u uint64
	for ; i < len(b); i++ {
		c := b[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		u = u*10 + uint64(c-'0') // 19 digits cannot overflow a uint64
	}
	if neg {
		if u > 1<<63 {
			return 0, false
		}
		return -int64(u), true
	}
	if u > math.MaxInt64 {
		return 0, false
	}
	return int64(u), true
}

// parseUint parses an unsigned decimal integer as a float64.
func parseUint(b []byte) (float64, bool) {
	u, err := strconv.ParseUint(string(b), 10, 64)
	if err != nil {
		return 0, false
	}
	return float64(u), true
}
