package cql2

import (
	"strings"
	"unicode/utf8"
)

// pattern is a compiled LIKE pattern: % matches any run of characters, _ one
// character, and a backslash makes the next %, _ or \ literal.
type pattern struct {
	src   string // as written, for String
	casei bool   // wrapped in CASEI: the pattern is case-folded
	parts []part
}

type partKind uint8

const (
	pLit  partKind = iota // a literal run
	pOne                  // _
	pMany                 // %
)

type part struct {
	kind partKind
	lit  string
}

func compilePattern(src string, casei bool, pos int) (*pattern, error) {
	s := src
	if casei {
		s = fold(s)
	}
	p := &pattern{src: src, casei: casei}
	var run strings.Builder
	flush := func() {
		if run.Len() > 0 {
			p.parts = append(p.parts, part{kind: pLit, lit: run.String()})
			run.Reset()
		}
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\':
			if i+1 == len(s) || (s[i+1] != '%' && s[i+1] != '_' && s[i+1] != '\\') {
				return nil, &SyntaxError{Offset: pos, Msg: `LIKE pattern: a backslash must escape %, _ or \`}
			}
			i++
			run.WriteByte(s[i])
		case '%':
			flush()
			// %% is %: keep one, so that matching never tries both.
			if n := len(p.parts); n == 0 || p.parts[n-1].kind != pMany {
				p.parts = append(p.parts, part{kind: pMany})
			}
		case '_':
			flush()
			p.parts = append(p.parts, part{kind: pOne})
		default:
			run.WriteByte(c)
		}
	}
	flush()
	return p, nil
}

func (p *pattern) write(b *strings.Builder) {
	if p.casei {
		b.WriteString("CASEI(")
		b.WriteString(quoteString(p.src))
		b.WriteByte(')')
		return
	}
	b.WriteString(quoteString(p.src))
}

// match reports whether s matches the whole pattern. It backtracks only to
// the last %, so it is O(len(s)·len(parts)) at worst.
func (p *pattern) match(s string) bool {
	parts := p.parts
	pi, si := 0, 0
	star, starSi := -1, 0
	for {
		if pi < len(parts) {
			switch pt := parts[pi]; pt.kind {
			case pMany:
				star, starSi = pi, si
				pi++
				continue
			case pOne:
				if si < len(s) {
					_, w := utf8.DecodeRuneInString(s[si:])
					si += w
					pi++
					continue
				}
			case pLit:
				if strings.HasPrefix(s[si:], pt.lit) {
					si += len(pt.lit)
					pi++
					continue
				}
			}
		} else if si == len(s) {
			return true
		}
		// Mismatch: let the last % take one more character.
		if star < 0 || starSi >= len(s) {
			return false
		}
		_, w := utf8.DecodeRuneInString(s[starSi:])
		starSi += w
		pi, si = star+1, starSi
	}
}
