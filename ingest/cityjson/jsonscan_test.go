package cityjson

import (
	"encoding/binary"
	"math/rand/v2"
	"testing"
)

// TestDigitsOnly checks the SWAR test against a byte loop: every byte value
// at every position of a word of digits.
func TestDigitsOnly(t *testing.T) {
	want := func(b []byte) bool {
		for _, c := range b {
			if !(c >= '0' && c <= '9' || c == ',' || c == '-') {
				return false
			}
		}
		return true
	}
	for pos := range 8 {
		for c := range 256 {
			b := []byte("01234567")
			b[pos] = byte(c)
			if got := digitsOnly(binary.LittleEndian.Uint64(b)); got != want(b) {
				t.Fatalf("digitsOnly(%q) = %v", b, got)
			}
		}
	}
}

// skipNumbersBytewise is skipNumbers without the eight-byte steps: the oracle.
func skipNumbersBytewise(s *scanner) bool {
	depth := 0
	for ; s.i < len(s.b); s.i++ {
		switch c := s.b[s.i]; c {
		case '[':
			depth++
			if depth > maxDepth {
				return false
			}
		case ']':
			depth--
			if depth == 0 {
				s.i++
				return true
			}
		case ',', ' ', '\t', '\n', '\r', '-', '+', '.', 'e', 'E', 'n', 'u', 'l':
		default:
			if c < '0' || c > '9' {
				return false
			}
		}
	}
	return false
}

// TestSkipNumbers compares skipNumbers with the byte loop on random arrays
// of brackets, digits and separators, now and then with a byte that does not
// belong; a fixed seed.
func TestSkipNumbers(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	const alphabet = "[[[]]],,,,,0123456789012345678901234567890123456789--. enul/\"x"
	for it := 0; it < 20000; it++ {
		b := []byte{'['}
		for n := rng.IntN(80); n > 0; n-- {
			b = append(b, alphabet[rng.IntN(len(alphabet))])
		}
		b = append(b, "]]]]"[:rng.IntN(5)]...)
		s1, s2 := scanner{b: b}, scanner{b: b}
		ok1, ok2 := s1.skipNumbers(), skipNumbersBytewise(&s2)
		if ok1 != ok2 || ok1 && s1.i != s2.i {
			t.Fatalf("skipNumbers(%q) = %v at %d, byte loop %v at %d", b, ok1, s1.i, ok2, s2.i)
		}
	}
}
