package tsbs

import (
	"math"
	"math/rand/v2"
	"strconv"
	"testing"
)

// parseNumber must agree bit for bit with strconv.ParseFloat, the oracle, so that
// both formats give the same values whichever path parsed them.
func TestParseNumberMatchesStrconv(t *testing.T) {
	cases := []string{
		"0", "-0", "1", "-1", "12", "52.31854", "4.72037", "0.1", "0.00001", "-89.99999",
		"179.99999", "999999999999999", "9999999999999999", "123456789012345.6", ".5", "5.",
		"-.5", "1e3", "1E-3", "+7", "0x1p-2", "1_000", "inf", "-Inf", "NaN", "", "-", ".",
		"1.2.3", "--1", "1-", " 1", "1 ", "1e400", "4.9e-324", "00000000000000000001.5",
	}
	rng := rand.New(rand.NewPCG(123, 456))
	for range 20000 {
		// TSBS-like decimals: up to 15 digits, up to 10 decimals
		digits := 1 + rng.IntN(15)
		b := make([]byte, 0, 20)
		if rng.IntN(4) == 0 {
			b = append(b, '-')
		}
		point := rng.IntN(digits + 1)
		for i := range digits {
			if i == point && i > 0 {
				b = append(b, '.')
			}
			b = append(b, byte('0'+rng.IntN(10)))
		}
		cases = append(cases, string(b))
	}
	for _, c := range cases {
		got, ok := parseNumber([]byte(c))
		want, err := strconv.ParseFloat(c, 64)
		wantOK := err == nil && !math.IsInf(want, 0) && !math.IsNaN(want)
		if ok != wantOK {
			t.Fatalf("parseNumber(%q) ok = %v, want %v (%v)", c, ok, wantOK, err)
		}
		if ok && math.Float64bits(got) != math.Float64bits(want) {
			t.Fatalf("parseNumber(%q) = %v (%x), want %v (%x)", c, got, math.Float64bits(got), want, math.Float64bits(want))
		}
	}
}

func TestParseInt(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"0", 0, true},
		{"1451606400000000000", 1451606400000000000, true},
		{"-5", -5, true},
		{"9223372036854775807", math.MaxInt64, true},
		{"9223372036854775808", 0, false},
		{"-9223372036854775808", math.MinInt64, true},
		{"-9223372036854775809", 0, false},
		{"99999999999999999999", 0, false},
		{"", 0, false},
		{"-", 0, false},
		{"1.5", 0, false},
		{"+1", 0, false},
		{"12a", 0, false},
	}
	for _, tt := range tests {
		got, ok := parseInt([]byte(tt.in))
		if got != tt.want || ok != tt.ok {
			t.Errorf("parseInt(%q) = %d, %v; want %d, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func BenchmarkParseNumber(b *testing.B) {
	in := [][]byte{[]byte("52.31854"), []byte("4.72037"), []byte("124"), []byte("0"), []byte("221"), []byte("25.5")}
	b.ReportAllocs()
	for b.Loop() {
		for _, v := range in {
			parseNumber(v)
		}
	}
}

// BenchmarkParseNumberStrconv is the baseline parseNumber is measured against.
func BenchmarkParseNumberStrconv(b *testing.B) {
	in := [][]byte{[]byte("52.31854"), []byte("4.72037"), []byte("124"), []byte("0"), []byte("221"), []byte("25.5")}
	b.ReportAllocs()
	for b.Loop() {
		for _, v := range in {
			strconv.ParseFloat(string(v), 64)
		}
	}
}
