package cql2

import (
	"fmt"
	"strings"
)

// parser is a recursive-descent parser with one token of lookahead. Every
// level of the grammar returns an item, which is either a condition or a
// value: "(" can open either, and only what follows tells which it was.
//
//	or      = and {OR and}
//	and     = not {AND not}
//	not     = NOT not | pred
//	pred    = sum [cmpOp sum | [NOT] LIKE pattern | [NOT] BETWEEN sum AND sum
//	          | [NOT] IN "(" sum {"," sum} ")" | IS [NOT] NULL]
//	sum     = product {("+" | "-") product}
//	product = unary {("*" | "/" | "%" | DIV) unary}
//	unary   = "-" unary | primary
//	primary = "(" or ")" | number | string | TRUE | FALSE | property | function
type parser struct {
	lx     lexer
	tok    token // the current token, not yet consumed
	prev   token // the token consumed last
	depth  int
	points int
	props  map[string]bool
}

type item struct {
	c   cond
	v   value
	pos int
}

func (p *parser) advance() error {
	p.prev = p.tok
	t, err := p.lx.next()
	if err != nil {
		return err
	}
	p.tok = t
	return nil
}

// peek returns the token after the current one.
func (p *parser) peek() token {
	l := p.lx
	t, err := l.next()
	if err != nil {
		return token{kind: tEOF, pos: l.pos}
	}
	return t
}

func (p *parser) errf(pos int, format string, args ...any) error {
	return &SyntaxError{Offset: pos, Msg: fmt.Sprintf(format, args...)}
}

func (p *parser) unsupported(pos int, what string) error {
	return &SyntaxError{Offset: pos, Msg: what + " is not supported", Err: ErrUnsupported}
}

func (p *parser) expected(what string) error {
	if p.prev.text != "" || p.prev.kind == tString {
		return p.errf(p.tok.pos, "expected %s after %s, found %s", what, describe(p.prev), describe(p.tok))
	}
	return p.errf(p.tok.pos, "expected %s, found %s", what, describe(p.tok))
}

func (p *parser) enter() error {
	p.depth++
	if p.depth > MaxDepth {
		return &SyntaxError{Offset: p.tok.pos, Msg: fmt.Sprintf("nested deeper than %d", MaxDepth), Err: ErrLimit}
	}
	return nil
}

func (p *parser) leave() { p.depth-- }

func (p *parser) keyword(k string) bool {
	// Upper-casing, not strings.EqualFold, so that keywords are recognised
	// exactly as bareIdent and parsePrimary recognise them.
	return p.tok.kind == tIdent && strings.ToUpper(p.tok.text) == k
}

func (p *parser) expect(k tokKind, what string) error {
	if p.tok.kind != k {
		return p.expected(what)
	}
	return p.advance()
}

func (p *parser) asCond(it item) (cond, error) {
	if it.c != nil {
		return it.c, nil
	}
	switch it.v.(type) {
	case *lit, *prop:
		if t := it.v.typ(); t == tyBool || t == tyAny {
			return &truth{it.v}, nil
		}
	}
	return nil, p.errf(it.pos, "expected a condition, found %s", it.v.typ())
}

func (p *parser) asValue(it item) (value, error) {
	if it.c != nil {
		return nil, p.errf(it.pos, "expected a value, found a condition")
	}
	return it.v, nil
}

func (p *parser) parseOr() (item, error) {
	return p.parseChain("OR", p.parseAnd, func(xs []cond) cond { return &orCond{xs} })
}

func (p *parser) parseAnd() (item, error) {
	return p.parseChain("AND", p.parseNot, func(xs []cond) cond { return &andCond{xs} })
}

func (p *parser) parseChain(kw string, sub func() (item, error), mk func([]cond) cond) (item, error) {
	first, err := sub()
	if err != nil || !p.keyword(kw) {
		return first, err
	}
	c, err := p.asCond(first)
	if err != nil {
		return item{}, err
	}
	xs := []cond{c}
	for p.keyword(kw) {
		if err := p.advance(); err != nil {
			return item{}, err
		}
		it, err := sub()
		if err != nil {
			return item{}, err
		}
		c, err := p.asCond(it)
		if err != nil {
			return item{}, err
		}
		xs = append(xs, c)
	}
	return item{c: mk(xs), pos: first.pos}, nil
}

func (p *parser) parseNot() (item, error) {
	if !p.keyword("NOT") {
		return p.parsePred()
	}
	pos := p.tok.pos
	if err := p.enter(); err != nil {
		return item{}, err
	}
	defer p.leave()
	if err := p.advance(); err != nil {
		return item{}, err
	}
	it, err := p.parseNot()
	if err != nil {
		return item{}, err
	}
	c, err := p.asCond(it)
	if err != nil {
		return item{}, err
	}
	return item{c: &notCond{c}, pos: pos}, nil
}

var cmpTokens = map[tokKind]cmpOp{tEq: opEq, tNe: opNe, tLt: opLt, tLe: opLe, tGt: opGt, tGe: opGe}

func (p *parser) parsePred() (item, error) {
	left, err := p.parseSum()
	if err != nil {
		return item{}, err
	}
	if op, ok := cmpTokens[p.tok.kind]; ok {
		l, err := p.asValue(left)
		if err != nil {
			return item{}, err
		}
		opTok := p.tok
		if err := p.advance(); err != nil {
			return item{}, err
		}
		right, err := p.parseSum()
		if err != nil {
			return item{}, err
		}
		r, err := p.asValue(right)
		if err != nil {
			return item{}, err
		}
		if err := p.comparable(op, l, r, opTok); err != nil {
			return item{}, err
		}
		return item{c: &cmpCond{op, l, r}, pos: left.pos}, nil
	}
	negated := false
	if p.keyword("NOT") {
		next := p.peek()
		if next.kind != tIdent {
			return left, nil
		}
		switch strings.ToUpper(next.text) {
		case "LIKE", "BETWEEN", "IN":
		default:
			return left, nil
		}
		negated = true
		if err := p.advance(); err != nil {
			return item{}, err
		}
	}
	var kw string
	if p.tok.kind == tIdent {
		kw = strings.ToUpper(p.tok.text)
	}
	switch kw {
	case "LIKE", "BETWEEN", "IN", "IS":
	default:
		return left, nil
	}
	x, err := p.asValue(left)
	if err != nil {
		return item{}, err
	}
	if err := p.advance(); err != nil {
		return item{}, err
	}
	var c cond
	switch kw {
	case "LIKE":
		c, err = p.parseLike(x, left.pos, negated)
	case "BETWEEN":
		c, err = p.parseBetween(x, left.pos, negated)
	case "IN":
		c, err = p.parseIn(x, negated)
	case "IS":
		c, err = p.parseIsNull(x)
	}
	if err != nil {
		return item{}, err
	}
	return item{c: c, pos: left.pos}, nil
}

// comparable checks that l op r can ever be true.
func (p *parser) comparable(op cmpOp, l, r value, at token) error {
	lt, rt := l.typ(), r.typ()
	for _, t := range []vtype{lt, rt} {
		switch {
		case t == tyGeom:
			return p.errf(at.pos, "%q cannot compare geometries; use S_EQUALS or another spatial function", at.text)
		case t == tyInterval:
			return p.errf(at.pos, "%q cannot compare intervals; use T_EQUALS or another temporal function", at.text)
		case t == tyBool && op != opEq && op != opNe:
			return p.errf(at.pos, "%q cannot order booleans", at.text)
		}
	}
	if lt != rt && lt != tyAny && rt != tyAny && !(lt == tyStr && rt == tyTime || lt == tyTime && rt == tyStr) {
		return p.errf(at.pos, "%q cannot compare %s with %s", at.text, lt, rt)
	}
	return nil
}

func (p *parser) parseLike(x value, pos int, negated bool) (cond, error) {
	if t := x.typ(); t != tyStr && t != tyAny {
		return nil, p.errf(pos, "LIKE needs a string, found %s", t)
	}
	pat, err := p.parsePattern()
	if err != nil {
		return nil, err
	}
	return &likeCond{x: x, pat: pat, neg: negated}, nil
}

// parsePattern reads a string literal, possibly wrapped in CASEI.
func (p *parser) parsePattern() (*pattern, error) {
	switch {
	case p.tok.kind == tString:
		t := p.tok
		if err := p.advance(); err != nil {
			return nil, err
		}
		return compilePattern(t.text, false, t.pos)
	case p.tok.kind == tIdent && p.peek().kind == tLParen:
		name := strings.ToUpper(p.tok.text)
		pos := p.tok.pos
		switch name {
		case "CASEI":
		case "ACCENTI":
			return nil, p.unsupported(pos, "ACCENTI (accent-insensitive comparison)")
		default:
			return nil, p.expected("a pattern string")
		}
		if err := p.enter(); err != nil {
			return nil, err
		}
		defer p.leave()
		if err := p.advance(); err != nil { // name
			return nil, err
		}
		if err := p.advance(); err != nil { // (
			return nil, err
		}
		pat, err := p.parsePattern()
		if err != nil {
			return nil, err
		}
		if err := p.expect(tRParen, `")"`); err != nil {
			return nil, err
		}
		return compilePattern(pat.src, true, pos)
	}
	return nil, p.expected("a pattern string")
}

func (p *parser) numeric(it item, what string) (value, error) {
	v, err := p.asValue(it)
	if err != nil {
		return nil, err
	}
	if t := v.typ(); t != tyNum && t != tyAny {
		return nil, p.errf(it.pos, "%s needs a number, found %s", what, t)
	}
	return v, nil
}

func (p *parser) parseBetween(x value, pos int, negated bool) (cond, error) {
	if t := x.typ(); t != tyNum && t != tyAny {
		return nil, p.errf(pos, "BETWEEN needs a number, found %s", t)
	}
	lo, err := p.parseSum()
	if err != nil {
		return nil, err
	}
	lv, err := p.numeric(lo, "BETWEEN")
	if err != nil {
		return nil, err
	}
	if !p.keyword("AND") {
		return nil, p.expected("AND")
	}
	if err := p.advance(); err != nil {
		return nil, err
	}
	hi, err := p.parseSum()
	if err != nil {
		return nil, err
	}
	hv, err := p.numeric(hi, "BETWEEN")
	if err != nil {
		return nil, err
	}
	return &betweenCond{x: x, lo: lv, hi: hv, neg: negated}, nil
}

func (p *parser) parseIn(x value, negated bool) (cond, error) {
	open := p.tok
	if err := p.expect(tLParen, `"("`); err != nil {
		return nil, err
	}
	var list []value
	for {
		if len(list) == MaxList {
			return nil, &SyntaxError{Offset: p.tok.pos, Msg: fmt.Sprintf("IN list longer than %d", MaxList), Err: ErrLimit}
		}
		it, err := p.parseSum()
		if err != nil {
			return nil, err
		}
		v, err := p.asValue(it)
		if err != nil {
			return nil, err
		}
		if err := p.comparable(opEq, x, v, token{pos: it.pos, text: "IN"}); err != nil {
			return nil, err
		}
		list = append(list, v)
		if p.tok.kind != tComma {
			break
		}
		if err := p.advance(); err != nil {
			return nil, err
		}
	}
	if p.tok.kind != tRParen {
		return nil, p.errf(p.tok.pos, `expected "," or ")" to close the IN list at %d, found %s`, open.pos, describe(p.tok))
	}
	if err := p.advance(); err != nil {
		return nil, err
	}
	return &inCond{x: x, list: list, neg: negated}, nil
}

func (p *parser) parseIsNull(x value) (cond, error) {
	negated := false
	if p.keyword("NOT") {
		negated = true
		if err := p.advance(); err != nil {
			return nil, err
		}
	}
	if !p.keyword("NULL") {
		return nil, p.expected("NULL")
	}
	if err := p.advance(); err != nil {
		return nil, err
	}
	return &nullCond{x: x, neg: negated}, nil
}

func (p *parser) parseSum() (item, error) {
	ops := map[tokKind]arithOp{tPlus: aAdd, tMinus: aSub}
	return p.parseArith(p.parseProduct, func() (arithOp, bool) {
		op, ok := ops[p.tok.kind]
		return op, ok
	})
}

func (p *parser) parseProduct() (item, error) {
	ops := map[tokKind]arithOp{tStar: aMul, tSlash: aDiv, tPercent: aMod}
	return p.parseArith(p.parseUnary, func() (arithOp, bool) {
		if p.keyword("DIV") {
			return aIntDiv, true
		}
		op, ok := ops[p.tok.kind]
		return op, ok
	})
}

// parseArith reads a left-associative chain of one precedence level. Each
// operator deepens the tree by one, so a chain counts towards MaxDepth.
func (p *parser) parseArith(sub func() (item, error), opAt func() (arithOp, bool)) (item, error) {
	left, err := sub()
	if err != nil {
		return item{}, err
	}
	depth := p.depth
	defer func() { p.depth = depth }()
	for {
		op, ok := opAt()
		if !ok {
			return left, nil
		}
		l, err := p.numeric(left, arithText[op])
		if err != nil {
			return item{}, err
		}
		if err := p.enter(); err != nil {
			return item{}, err
		}
		if err := p.advance(); err != nil {
			return item{}, err
		}
		right, err := sub()
		if err != nil {
			return item{}, err
		}
		r, err := p.numeric(right, arithText[op])
		if err != nil {
			return item{}, err
		}
		left = item{v: &arith{op, l, r}, pos: left.pos}
	}
}

func (p *parser) parseUnary() (item, error) {
	if p.tok.kind != tMinus {
		return p.parsePrimary()
	}
	pos := p.tok.pos
	if err := p.advance(); err != nil {
		return item{}, err
	}
	if p.tok.kind == tNumber {
		f := -p.tok.num
		if err := p.advance(); err != nil {
			return item{}, err
		}
		return item{v: &lit{v: num(f)}, pos: pos}, nil
	}
	if err := p.enter(); err != nil {
		return item{}, err
	}
	defer p.leave()
	it, err := p.parseUnary()
	if err != nil {
		return item{}, err
	}
	v, err := p.numeric(it, "-")
	if err != nil {
		return item{}, err
	}
	return item{v: &neg{v}, pos: pos}, nil
}

func (p *parser) parsePrimary() (item, error) {
	t := p.tok
	switch t.kind {
	case tLParen:
		if err := p.enter(); err != nil {
			return item{}, err
		}
		defer p.leave()
		if err := p.advance(); err != nil {
			return item{}, err
		}
		it, err := p.parseOr()
		if err != nil {
			return item{}, err
		}
		if p.tok.kind != tRParen {
			return item{}, p.errf(p.tok.pos, `expected ")" to close "(" at %d, found %s`, t.pos, describe(p.tok))
		}
		if err := p.advance(); err != nil {
			return item{}, err
		}
		it.pos = t.pos
		return it, nil
	case tNumber:
		return item{v: &lit{v: num(t.num)}, pos: t.pos}, p.advance()
	case tString:
		return item{v: &lit{v: str(t.text)}, pos: t.pos}, p.advance()
	case tQuoted:
		if t.text == "" {
			return item{}, p.errf(t.pos, "empty property name")
		}
		return item{v: p.prop(t.text), pos: t.pos}, p.advance()
	case tIdent:
		name := strings.ToUpper(t.text)
		switch name {
		case "TRUE", "FALSE":
			return item{v: &lit{v: boolean(name == "TRUE")}, pos: t.pos}, p.advance()
		}
		next := p.peek()
		if next.kind == tLParen || wktNames[name] && next.kind == tIdent && strings.ToUpper(next.text) == "Z" {
			return p.parseCall(name, t.pos)
		}
		if reserved[name] {
			return item{}, p.expected("a value")
		}
		return item{v: p.prop(t.text), pos: t.pos}, p.advance()
	}
	return item{}, p.expected("a value")
}

func (p *parser) prop(name string) *prop {
	p.props[name] = true
	f, ok := fields[name]
	if !ok {
		f = fProp
	}
	return &prop{name: name, f: f}
}

var spatialOps = map[string]spatialOp{}
var temporalOps = map[string]temporalOp{}

func init() {
	for i, n := range spatialNames {
		spatialOps[n] = spatialOp(i)
	}
	for i, n := range temporalNames {
		temporalOps[n] = temporalOp(i)
	}
}

// parseCall reads a function call; the current token is its name.
func (p *parser) parseCall(name string, pos int) (item, error) {
	if err := p.enter(); err != nil {
		return item{}, err
	}
	defer p.leave()
	if wktNames[name] {
		if err := p.advance(); err != nil {
			return item{}, err
		}
		g, err := p.parseWKT(name, pos)
		if err != nil {
			return item{}, err
		}
		return item{v: &lit{v: geom(g)}, pos: pos}, nil
	}
	if op, ok := spatialOps[name]; ok {
		switch op {
		case sTouches, sOverlaps, sCrosses:
			return item{}, p.unsupported(pos, name)
		}
		a, b, err := p.parseTwo(name, func(v value, at int) error {
			if v.typ() == tyGeom {
				return nil
			}
			if pr, ok := v.(*prop); ok {
				return p.errf(at, "%s: property %s is not a geometry (the geometry is \"geometry\")", name, quoteIdent(pr.name))
			}
			return p.errf(at, "%s needs a geometry, found %s", name, v.typ())
		})
		if err != nil {
			return item{}, err
		}
		return item{c: &spatialCond{op: op, a: a, b: b}, pos: pos}, nil
	}
	if op, ok := temporalOps[name]; ok {
		a, b, err := p.parseTwo(name, func(v value, at int) error {
			switch v.typ() {
			case tyTime, tyInterval, tyAny:
				return nil
			}
			return p.errf(at, "%s needs a time or an interval, found %s", name, v.typ())
		})
		if err != nil {
			return item{}, err
		}
		return item{c: &temporalCond{op: op, a: a, b: b}, pos: pos}, nil
	}
	switch {
	case name == "CASEI":
		return p.parseCasei(pos)
	case name == "DATE" || name == "TIMESTAMP":
		return p.parseTimeLit(name, pos)
	case name == "INTERVAL":
		return p.parseInterval(pos)
	case name == "BBOX":
		return p.parseBBox(pos)
	case name == "ACCENTI":
		return item{}, p.unsupported(pos, "ACCENTI (accent-insensitive comparison)")
	case strings.HasPrefix(name, "A_"):
		return item{}, p.unsupported(pos, "the array function "+name)
	}
	return item{}, p.unsupported(pos, fmt.Sprintf("the function %q", p.tok.text))
}

// args reads "(" and n values separated by commas, and ")".
func (p *parser) args(name string, n int) ([]item, error) {
	if err := p.advance(); err != nil { // name
		return nil, err
	}
	if err := p.expect(tLParen, `"("`); err != nil {
		return nil, err
	}
	var out []item
	for i := range n {
		if i > 0 {
			if p.tok.kind != tComma {
				return nil, p.errf(p.tok.pos, "%s takes %d arguments: expected \",\", found %s", name, n, describe(p.tok))
			}
			if err := p.advance(); err != nil {
				return nil, err
			}
		}
		it, err := p.parseSum()
		if err != nil {
			return nil, err
		}
		if it.c != nil {
			return nil, p.errf(it.pos, "expected a value, found a condition")
		}
		out = append(out, it)
	}
	if p.tok.kind != tRParen {
		return nil, p.errf(p.tok.pos, "%s takes %d argument(s): expected \")\", found %s", name, n, describe(p.tok))
	}
	return out, p.advance()
}

func (p *parser) parseTwo(name string, check func(value, int) error) (value, value, error) {
	its, err := p.args(name, 2)
	if err != nil {
		return nil, nil, err
	}
	for _, it := range its {
		if err := check(it.v, it.pos); err != nil {
			return nil, nil, err
		}
	}
	return its[0].v, its[1].v, nil
}

func (p *parser) parseCasei(pos int) (item, error) {
	its, err := p.args("CASEI", 1)
	if err != nil {
		return item{}, err
	}
	x := its[0].v
	if t := x.typ(); t != tyStr && t != tyAny {
		return item{}, p.errf(its[0].pos, "CASEI needs a string, found %s", t)
	}
	c := &caseiVal{x: x}
	if l, ok := x.(*lit); ok {
		v := str(fold(l.v.str))
		c.c = &v
	}
	if in, ok := x.(*caseiVal); ok && in.c != nil {
		c.c = in.c
	}
	return item{v: c, pos: pos}, nil
}

func (p *parser) parseTimeLit(name string, pos int) (item, error) {
	if err := p.advance(); err != nil {
		return item{}, err
	}
	if err := p.expect(tLParen, `"("`); err != nil {
		return item{}, err
	}
	if p.tok.kind != tString {
		return item{}, p.expected("a quoted " + strings.ToLower(name))
	}
	s := p.tok
	v, ok := parseInstant(s.text, name == "DATE")
	if !ok {
		if name == "DATE" {
			return item{}, p.errf(s.pos, "expected a date YYYY-MM-DD between 1678 and 2261, found %s", describe(s))
		}
		return item{}, p.errf(s.pos, "expected an RFC 3339 timestamp between 1678 and 2261, found %s", describe(s))
	}
	if err := p.advance(); err != nil {
		return item{}, err
	}
	if err := p.expect(tRParen, `")"`); err != nil {
		return item{}, err
	}
	return item{v: &lit{v: v}, pos: pos}, nil
}

func (p *parser) parseInterval(pos int) (item, error) {
	its, err := p.args("INTERVAL", 2)
	if err != nil {
		return item{}, err
	}
	var ends [2]value
	for i, it := range its {
		switch v := it.v.(type) {
		case *lit:
			switch v.v.k {
			case kTime:
				ends[i] = v
				continue
			case kStr:
				if v.v.str == ".." {
					ends[i] = open{}
					continue
				}
				t, ok := parseInstant(v.v.str, len(v.v.str) == len("2006-01-02"))
				if !ok {
					return item{}, p.errf(it.pos, "expected a date, an RFC 3339 timestamp or '..', found %s", describe(token{kind: tString, text: v.v.str}))
				}
				ends[i] = &lit{v: t}
				continue
			}
		case *prop:
			if t := v.typ(); t == tyTime || t == tyAny {
				ends[i] = v
				continue
			}
		}
		return item{}, p.errf(it.pos, "INTERVAL needs a date, a timestamp, '..' or a property, found %s", it.v.typ())
	}
	lo, lok := ends[0].(*lit)
	hi, hok := ends[1].(*lit)
	if lok && hok && startOf(lo.v) > endOf(hi.v) {
		return item{}, p.errf(pos, "INTERVAL ends before it starts")
	}
	return item{v: &interval{lo: ends[0], hi: ends[1]}, pos: pos}, nil
}
