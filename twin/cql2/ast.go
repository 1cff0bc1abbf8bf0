package cql2

import (
	"math"
	"strconv"
	"strings"

	"citytwin/twin"
)

// The tree. Conditions (cond) are true, false or unknown for an entity; values
// (value) are what conditions compare. The parser builds it, String writes it
// back, and eval.go evaluates it.

type cond interface {
	eval(e *twin.Entity) tri
	write(b *strings.Builder)
}

type value interface {
	eval(e *twin.Entity) val
	typ() vtype
	write(b *strings.Builder)
}

// vtype is the static type of a value: what it is known to be before any
// entity is seen.
type vtype uint8

const (
	tyAny  vtype = iota // a property of the entity's Props: any scalar, or missing
	tyBool              // TRUE, FALSE
	tyNum
	tyStr
	tyTime // DATE, TIMESTAMP, validFrom
	tyInterval
	tyGeom
)

func (t vtype) String() string {
	return [...]string{"a property", "a boolean", "a number", "a string", "a time", "an interval", "a geometry"}[t]
}

// Conditions.

type andCond struct{ xs []cond }
type orCond struct{ xs []cond }
type notCond struct{ x cond }

// truth is a boolean value used as a condition: TRUE, FALSE or a property.
type truth struct{ x value }

type cmpOp uint8

const (
	opEq cmpOp = iota
	opNe
	opLt
	opLe
	opGt
	opGe
)

var cmpText = [...]string{"=", "<>", "<", "<=", ">", ">="}

type cmpCond struct {
	op   cmpOp
	l, r value
}

type likeCond struct {
	x   value
	pat *pattern
	neg bool
}

type betweenCond struct {
	x, lo, hi value
	neg       bool
}

type inCond struct {
	x    value
	list []value
	neg  bool
}

type nullCond struct {
	x   value
	neg bool
}

type spatialOp uint8

const (
	sIntersects spatialOp = iota
	sDisjoint
	sEquals
	sWithin
	sContains
	sTouches
	sOverlaps
	sCrosses
)

var spatialNames = [...]string{"S_INTERSECTS", "S_DISJOINT", "S_EQUALS", "S_WITHIN", "S_CONTAINS", "S_TOUCHES", "S_OVERLAPS", "S_CROSSES"}

type spatialCond struct {
	op   spatialOp
	a, b value
}

type temporalOp uint8

const (
	tAfter temporalOp = iota
	tBefore
	tContains
	tDisjoint
	tDuring
	tEquals
	tFinishedBy
	tFinishes
	tIntersects
	tMeets
	tMetBy
	tOverlappedBy
	tOverlaps
	tStartedBy
	tStarts
)

var temporalNames = [...]string{"T_AFTER", "T_BEFORE", "T_CONTAINS", "T_DISJOINT", "T_DURING", "T_EQUALS",
	"T_FINISHEDBY", "T_FINISHES", "T_INTERSECTS", "T_MEETS", "T_METBY", "T_OVERLAPPEDBY", "T_OVERLAPS",
	"T_STARTEDBY", "T_STARTS"}

type temporalCond struct {
	op   temporalOp
	a, b value
}

// Values.

// lit is a literal. Its val is what it evaluates to.
type lit struct {
	v val
	// bbox holds the numbers of a BBOX literal (4 or 6 of them), whose
	// geometry is the box, split in two across the antimeridian.
	bbox []float64
}

// open is the '..' end of an interval.
type open struct{}

// field is an entity attribute that a property name may refer to.
type field uint8

const (
	fProp field = iota // e.Props.Get(name)
	fID
	fKind
	fHeight
	fMinHeight
	fLevels
	fVersion
	fValidFrom
	fGeometry
)

var fields = map[string]field{
	"id": fID, "kind": fKind, "height": fHeight, "minHeight": fMinHeight, "levels": fLevels,
	"version": fVersion, "validFrom": fValidFrom, "geometry": fGeometry, "geom": fGeometry,
}

type prop struct {
	name string
	f    field
}

// caseiVal folds the case of a string; c is the folded constant when x is a
// literal.
type caseiVal struct {
	x value
	c *val
}

type arithOp uint8

const (
	aAdd arithOp = iota
	aSub
	aMul
	aDiv
	aMod
	aIntDiv
)

var arithText = [...]string{"+", "-", "*", "/", "%", "DIV"}

type arith struct {
	op   arithOp
	l, r value
}

type neg struct{ x value }

type interval struct{ lo, hi value }

func (x *lit) typ() vtype {
	switch x.v.k {
	case kBool:
		return tyBool
	case kNum:
		return tyNum
	case kStr:
		return tyStr
	case kTime:
		return tyTime
	case kGeom:
		return tyGeom
	}
	return tyAny
}

func (open) typ() vtype { return tyTime }

func (x *prop) typ() vtype {
	switch x.f {
	case fID, fKind:
		return tyStr
	case fHeight, fMinHeight, fLevels, fVersion:
		return tyNum
	case fValidFrom:
		return tyTime
	case fGeometry:
		return tyGeom
	}
	return tyAny
}

func (*caseiVal) typ() vtype { return tyStr }
func (*arith) typ() vtype    { return tyNum }
func (*neg) typ() vtype      { return tyNum }
func (*interval) typ() vtype { return tyInterval }

// Writing. The text is normalised: keywords in upper case, one space around
// operators, and parentheses wherever a nested AND, OR or arithmetic operation
// needs or might seem to need them, so that Parse gives back the same tree.

func (x *andCond) write(b *strings.Builder) { writeJoin(b, x.xs, " AND ") }
func (x *orCond) write(b *strings.Builder)  { writeJoin(b, x.xs, " OR ") }

func writeJoin(b *strings.Builder, xs []cond, sep string) {
	for i, x := range xs {
		if i > 0 {
			b.WriteString(sep)
		}
		writeOperand(b, x)
	}
}

func writeOperand(b *strings.Builder, x cond) {
	switch x.(type) {
	case *andCond, *orCond:
		b.WriteByte('(')
		x.write(b)
		b.WriteByte(')')
	default:
		x.write(b)
	}
}

func (x *notCond) write(b *strings.Builder) {
	b.WriteString("NOT ")
	writeOperand(b, x.x)
}

func (x *truth) write(b *strings.Builder) { x.x.write(b) }

func (x *cmpCond) write(b *strings.Builder) {
	x.l.write(b)
	b.WriteByte(' ')
	b.WriteString(cmpText[x.op])
	b.WriteByte(' ')
	x.r.write(b)
}

func writeNot(b *strings.Builder, neg bool) {
	if neg {
		b.WriteString(" NOT")
	}
}

func (x *likeCond) write(b *strings.Builder) {
	x.x.write(b)
	writeNot(b, x.neg)
	b.WriteString(" LIKE ")
	x.pat.write(b)
}

func (x *betweenCond) write(b *strings.Builder) {
	x.x.write(b)
	writeNot(b, x.neg)
	b.WriteString(" BETWEEN ")
	x.lo.write(b)
	b.WriteString(" AND ")
	x.hi.write(b)
}

func (x *inCond) write(b *strings.Builder) {
	x.x.write(b)
	writeNot(b, x.neg)
	b.WriteString(" IN (")
	for i, v := range x.list {
		if i > 0 {
			b.WriteString(", ")
		}
		v.write(b)
	}
	b.WriteByte(')')
}

func (x *nullCond) write(b *strings.Builder) {
	x.x.write(b)
	b.WriteString(" IS")
	writeNot(b, x.neg)
	b.WriteString(" NULL")
}

func writeCall(b *strings.Builder, name string, args ...value) {
	b.WriteString(name)
	b.WriteByte('(')
	for i, a := range args {
		if i > 0 {
			b.WriteString(", ")
		}
		a.write(b)
	}
	b.WriteByte(')')
}

func (x *spatialCond) write(b *strings.Builder)  { writeCall(b, spatialNames[x.op], x.a, x.b) }
func (x *temporalCond) write(b *strings.Builder) { writeCall(b, temporalNames[x.op], x.a, x.b) }

func (x *lit) write(b *strings.Builder) {
	switch v := x.v; v.k {
	case kBool:
		if v.num != 0 {
			b.WriteString("TRUE")
		} else {
			b.WriteString("FALSE")
		}
	case kNum:
		b.WriteString(formatNum(v.num))
	case kStr:
		b.WriteString(quoteString(v.str))
	case kTime:
		if v.date {
			b.WriteString("DATE(")
		} else {
			b.WriteString("TIMESTAMP(")
		}
		b.WriteString(quoteString(formatTime(v)))
		b.WriteByte(')')
	case kGeom:
		if x.bbox != nil {
			b.WriteString("BBOX(")
			for i, f := range x.bbox {
				if i > 0 {
					b.WriteString(", ")
				}
				b.WriteString(formatNum(f))
			}
			b.WriteByte(')')
			return
		}
		writeWKT(b, v.g)
	}
}

func (open) write(b *strings.Builder) { b.WriteString("'..'") }

func (x *prop) write(b *strings.Builder) {
	if bareIdent(x.name) {
		b.WriteString(x.name)
	} else {
		b.WriteString(quoteIdent(x.name))
	}
}

func (x *caseiVal) write(b *strings.Builder) { writeCall(b, "CASEI", x.x) }

// Arithmetic is written with only the parentheses that precedence and left
// associativity need: never more than the text it was parsed from had, so
// that the written text never nests deeper than the parsed one (MaxDepth).
func (x *arith) write(b *strings.Builder) {
	p := x.prec()
	writeArithOperand(b, x.l, p, false)
	b.WriteByte(' ')
	b.WriteString(arithText[x.op])
	b.WriteByte(' ')
	writeArithOperand(b, x.r, p, true)
}

func (x *arith) prec() int {
	if x.op == aAdd || x.op == aSub {
		return 1
	}
	return 2
}

func writeArithOperand(b *strings.Builder, x value, parent int, right bool) {
	if a, ok := x.(*arith); ok && (a.prec() < parent || right && a.prec() == parent) {
		b.WriteByte('(')
		x.write(b)
		b.WriteByte(')')
		return
	}
	x.write(b)
}

func (x *neg) write(b *strings.Builder) {
	b.WriteByte('-')
	switch v := x.x.(type) {
	case *prop, *neg:
		// "--a" is two minus signs: the lexer never joins them.
		v.write(b)
		return
	case *lit:
		if v.v.k == kNum && math.Signbit(v.v.num) {
			v.write(b) // "--5" is neg(-5); "-5" would be the literal -5
			return
		}
	}
	b.WriteByte('(')
	x.x.write(b)
	b.WriteByte(')')
}

func (x *interval) write(b *strings.Builder) {
	b.WriteString("INTERVAL(")
	writeInstant(b, x.lo)
	b.WriteString(", ")
	writeInstant(b, x.hi)
	b.WriteByte(')')
}

// writeInstant writes an end of an interval: a date or timestamp literal as a
// plain string, the form the standard's examples use.
func writeInstant(b *strings.Builder, x value) {
	if l, ok := x.(*lit); ok && l.v.k == kTime {
		b.WriteString(quoteString(formatTime(l.v)))
		return
	}
	x.write(b)
}

func formatNum(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

func quoteString(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

func quoteIdent(s string) string {
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

// bareIdent reports whether a property name can be written without quotes.
func bareIdent(s string) bool {
	if s == "" || reserved[strings.ToUpper(s)] {
		return false
	}
	for i, r := range s {
		if i == 0 && !identStart(r) || i > 0 && !identPart(r) {
			return false
		}
	}
	return true
}

// reserved are the words that cannot be bare property names.
var reserved = map[string]bool{
	"AND": true, "OR": true, "NOT": true, "LIKE": true, "BETWEEN": true, "IN": true, "IS": true,
	"NULL": true, "TRUE": true, "FALSE": true, "DIV": true,
}
