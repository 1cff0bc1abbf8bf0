package cql2

import (
	"math"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

type tokKind uint8

const (
	tEOF    tokKind = iota
	tIdent          // bare identifier or keyword
	tQuoted         // "double-quoted" identifier
	tString         // 'character literal'
	tNumber
	tLParen
	tRParen
	tComma
	tEq
	tNe
	tLt
	tLe
	tGt
	tGe
	tPlus
	tMinus
	tStar
	tSlash
	tPercent
)

type token struct {
	kind tokKind
	pos  int
	text string // source text; the value for tString and tQuoted
	num  float64
}

// lexer turns the text into tokens one at a time; the parser looks one ahead.
type lexer struct {
	src string
	pos int
}

func (l *lexer) next() (token, error) {
	for l.pos < len(l.src) {
		r, w := utf8.DecodeRuneInString(l.src[l.pos:])
		if !unicode.IsSpace(r) {
			break
		}
		l.pos += w
	}
	start := l.pos
	if start >= len(l.src) {
		return token{kind: tEOF, pos: start}, nil
	}
	c := l.src[start]
	one := func(k tokKind) (token, error) {
		l.pos++
		return token{kind: k, pos: start, text: l.src[start:l.pos]}, nil
	}
	two := func(k tokKind) (token, error) {
		l.pos += 2
		return token{kind: k, pos: start, text: l.src[start:l.pos]}, nil
	}
	peek := byte(0)
	if start+1 < len(l.src) {
		peek = l.src[start+1]
	}
	switch c {
	case '(':
		return one(tLParen)
	case ')':
		return one(tRParen)
	case ',':
		return one(tComma)
	case '=':
		return one(tEq)
	case '+':
		return one(tPlus)
	case '-':
		return one(tMinus)
	case '*':
		return one(tStar)
	case '/':
		return one(tSlash)
	case '%':
		return one(tPercent)
	case '<':
		switch peek {
		case '>':
			return two(tNe)
		case '=':
			return two(tLe)
		}
		return one(tLt)
	case '>':
		if peek == '=' {
			return two(tGe)
		}
		return one(tGt)
	case '\'':
		return l.quoted('\'', tString)
	case '"':
		return l.quoted('"', tQuoted)
	}
	if isDigit(c) || c == '.' && isDigit(peek) {
		return l.number()
	}
	r, w := utf8.DecodeRuneInString(l.src[start:])
	if !identStart(r) {
		if r == utf8.RuneError && w == 1 {
			return token{}, &SyntaxError{Offset: start, Msg: "invalid UTF-8"}
		}
		return token{}, &SyntaxError{Offset: start, Msg: "unexpected " + strconv.QuoteRune(r)}
	}
	l.pos += w
	for l.pos < len(l.src) {
		r, w := utf8.DecodeRuneInString(l.src[l.pos:])
		if !identPart(r) {
			break
		}
		l.pos += w
	}
	return token{kind: tIdent, pos: start, text: l.src[start:l.pos]}, nil
}

// quoted reads a literal between q, in which q is written twice.
func (l *lexer) quoted(q byte, k tokKind) (token, error) {
	start := l.pos
	l.pos++
	var b strings.Builder
	from := l.pos
	for {
		i := strings.IndexByte(l.src[l.pos:], q)
		if i < 0 {
			what := "string"
			if k == tQuoted {
				what = "quoted property name"
			}
			return token{}, &SyntaxError{Offset: start, Msg: "unterminated " + what}
		}
		l.pos += i
		if l.pos+1 < len(l.src) && l.src[l.pos+1] == q {
			b.WriteString(l.src[from : l.pos+1])
			l.pos += 2
			from = l.pos
			continue
		}
		b.WriteString(l.src[from:l.pos])
		l.pos++
		break
	}
	s := b.String()
	if !utf8.ValidString(s) {
		return token{}, &SyntaxError{Offset: start, Msg: "invalid UTF-8"}
	}
	return token{kind: k, pos: start, text: s}, nil
}

func (l *lexer) number() (token, error) {
	start := l.pos
	digits := func() {
		for l.pos < len(l.src) && isDigit(l.src[l.pos]) {
			l.pos++
		}
	}
	digits()
	if l.pos < len(l.src) && l.src[l.pos] == '.' {
		l.pos++
		digits()
	}
	if l.pos < len(l.src) && (l.src[l.pos] == 'e' || l.src[l.pos] == 'E') {
		p := l.pos + 1
		if p < len(l.src) && (l.src[p] == '+' || l.src[p] == '-') {
			p++
		}
		if p < len(l.src) && isDigit(l.src[p]) {
			l.pos = p
			digits()
		}
	}
	text := l.src[start:l.pos]
	f, err := strconv.ParseFloat(text, 64)
	if err != nil || math.IsInf(f, 0) {
		return token{}, &SyntaxError{Offset: start, Msg: "number " + text + " is out of range"}
	}
	return token{kind: tNumber, pos: start, text: text, num: f}, nil
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func identStart(r rune) bool {
	return r == '_' || r == ':' || r < utf8.RuneSelf && ('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z') ||
		r >= utf8.RuneSelf && unicode.IsLetter(r)
}

func identPart(r rune) bool {
	return identStart(r) || r == '.' || '0' <= r && r <= '9' || r >= utf8.RuneSelf && (unicode.IsDigit(r) || unicode.Is(unicode.Mn, r))
}

// describe names a token for an error message.
func describe(t token) string {
	switch t.kind {
	case tEOF:
		return "end of input"
	case tString:
		return "string " + clip(quoteString(t.text))
	case tQuoted:
		return "property " + clip(quoteIdent(t.text))
	}
	return strconv.Quote(clip(t.text))
}

func clip(s string) string {
	const max = 40
	if len(s) <= max {
		return s
	}
	i := max
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i] + "…"
}
