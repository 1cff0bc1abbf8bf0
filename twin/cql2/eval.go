package cql2

import (
	"math"
	"strings"

	"citytwin/geo"
	"citytwin/twin"

	"github.com/paulmach/orb"
)

// tri is the three-valued logic of SQL: a comparison with a missing property
// is unknown, and so is NOT of it. Match accepts only true.
type tri uint8

const (
	fls tri = iota
	tru
	unk
)

func truthOf(b bool) tri {
	if b {
		return tru
	}
	return fls
}

func (t tri) not() tri {
	switch t {
	case tru:
		return fls
	case fls:
		return tru
	}
	return unk
}

type kind uint8

const (
	kNull kind = iota
	kBool
	kNum
	kStr
	kTime
	kGeom
)

// val is what a value evaluates to for one entity.
type val struct {
	k    kind
	date bool    // kTime: a calendar day rather than an instant
	num  float64 // kNum; kBool is 0 or 1
	t    int64   // kTime: Unix nanoseconds (the start of the day for a date)
	str  string
	g    orb.Geometry
}

func num(f float64) val { return val{k: kNum, num: f} }
func str(s string) val  { return val{k: kStr, str: s} }
func geom(g orb.Geometry) val {
	return val{k: kGeom, g: g}
}
func boolean(b bool) val {
	if b {
		return val{k: kBool, num: 1}
	}
	return val{k: kBool}
}

// fold is the case folding of CASEI: upper then lower case, character by
// character, so that "ς" meets "Σ" and "σ" (but "ß" does not meet "SS").
func fold(s string) string { return strings.ToLower(strings.ToUpper(s)) }

// Values.

func (x *lit) eval(*twin.Entity) val { return x.v }
func (open) eval(*twin.Entity) val   { return val{} }

func (x *prop) eval(e *twin.Entity) val {
	switch x.f {
	case fID:
		return str(string(e.ID))
	case fKind:
		return str(string(e.Kind))
	case fHeight:
		return unknownZero(e.Height)
	case fMinHeight:
		return num(e.MinHeight)
	case fLevels:
		return unknownZero(float64(e.Levels))
	case fVersion:
		return num(float64(e.Version))
	case fValidFrom:
		if e.ValidFrom.IsZero() {
			return val{}
		}
		return val{k: kTime, t: e.ValidFrom.UnixNano()}
	case fGeometry:
		if e.Geometry == nil {
			return val{}
		}
		return geom(e.Geometry)
	}
	v, ok := e.Props.Get(x.name)
	if !ok {
		return val{}
	}
	switch v.Type() {
	case twin.Bool:
		b, _ := v.Bool()
		return boolean(b)
	case twin.Number:
		f, _ := v.Number()
		return num(f)
	case twin.String:
		s, _ := v.Str()
		return str(s)
	}
	return val{}
}

// unknownZero is a number for which the entity model writes 0 when unknown.
func unknownZero(f float64) val {
	if f == 0 {
		return val{}
	}
	return num(f)
}

func (x *caseiVal) eval(e *twin.Entity) val {
	if x.c != nil {
		return *x.c
	}
	v := x.x.eval(e)
	if v.k == kStr {
		v.str = fold(v.str)
	}
	return v
}

func (x *arith) eval(e *twin.Entity) val {
	l := x.l.eval(e)
	if l.k != kNum {
		return val{}
	}
	r := x.r.eval(e)
	if r.k != kNum {
		return val{}
	}
	var f float64
	switch x.op {
	case aAdd:
		f = l.num + r.num
	case aSub:
		f = l.num - r.num
	case aMul:
		f = l.num * r.num
	case aDiv:
		f = l.num / r.num
	case aMod:
		f = math.Mod(l.num, r.num)
	case aIntDiv:
		f = math.Trunc(l.num / r.num)
	}
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return val{} // division by zero and overflow are unknown
	}
	return num(f)
}

func (x *neg) eval(e *twin.Entity) val {
	v := x.x.eval(e)
	if v.k != kNum {
		return val{}
	}
	v.num = -v.num
	return v
}

// An interval is not a val; temporal functions read it with span.
func (x *interval) eval(*twin.Entity) val { return val{} }

// Conditions.

func (x *andCond) eval(e *twin.Entity) tri {
	r := tru
	for _, c := range x.xs {
		switch c.eval(e) {
		case fls:
			return fls
		case unk:
			r = unk
		}
	}
	return r
}

func (x *orCond) eval(e *twin.Entity) tri {
	r := fls
	for _, c := range x.xs {
		switch c.eval(e) {
		case tru:
			return tru
		case unk:
			r = unk
		}
	}
	return r
}

func (x *notCond) eval(e *twin.Entity) tri { return x.x.eval(e).not() }

func (x *truth) eval(e *twin.Entity) tri {
	v := x.x.eval(e)
	switch v.k {
	case kNull:
		return unk
	case kBool:
		return truthOf(v.num != 0)
	}
	return fls
}

func (x *cmpCond) eval(e *twin.Entity) tri {
	l := x.l.eval(e)
	if l.k == kNull {
		return unk
	}
	r := x.r.eval(e)
	if r.k == kNull {
		return unk
	}
	c, ok := compare(l, r)
	if !ok {
		// Values of different types are not equal, and neither is less.
		return truthOf(x.op == opNe)
	}
	switch x.op {
	case opEq:
		return truthOf(c == 0)
	case opNe:
		return truthOf(c != 0)
	case opLt:
		return truthOf(c < 0)
	case opLe:
		return truthOf(c <= 0)
	case opGt:
		return truthOf(c > 0)
	}
	return truthOf(c >= 0)
}

// compare orders two non-null values of the same type; ok is false when the
// types differ. A string meets a time by being read as one, and a time meets
// a date by its UTC calendar day.
func compare(a, b val) (c int, ok bool) {
	if a.k == kStr && b.k == kTime {
		if a, ok = parseInstant(a.str, isDateString(a.str)); !ok {
			return 0, false
		}
	} else if a.k == kTime && b.k == kStr {
		if b, ok = parseInstant(b.str, isDateString(b.str)); !ok {
			return 0, false
		}
	}
	if a.k != b.k {
		return 0, false
	}
	switch a.k {
	case kNum, kBool:
		return cmpOrdered(a.num, b.num), true
	case kStr:
		return strings.Compare(a.str, b.str), true
	case kTime:
		if a.date || b.date {
			return cmpOrdered(dayOf(a.t), dayOf(b.t)), true
		}
		return cmpOrdered(a.t, b.t), true
	}
	return 0, false
}

func cmpOrdered[T int64 | float64](a, b T) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func (x *likeCond) eval(e *twin.Entity) tri {
	v := x.x.eval(e)
	var r tri
	switch v.k {
	case kNull:
		return unk
	case kStr:
		r = truthOf(x.pat.match(v.str))
	default:
		r = fls
	}
	if x.neg {
		return r.not()
	}
	return r
}

func (x *betweenCond) eval(e *twin.Entity) tri {
	v, lo, hi := x.x.eval(e), x.lo.eval(e), x.hi.eval(e)
	var r tri
	switch {
	case v.k == kNull || lo.k == kNull || hi.k == kNull:
		return unk
	case v.k != kNum || lo.k != kNum || hi.k != kNum:
		r = fls
	default:
		r = truthOf(lo.num <= v.num && v.num <= hi.num)
	}
	if x.neg {
		return r.not()
	}
	return r
}

func (x *inCond) eval(e *twin.Entity) tri {
	v := x.x.eval(e)
	if v.k == kNull {
		return unk
	}
	r := fls
	for _, it := range x.list {
		w := it.eval(e)
		if w.k == kNull {
			r = unk
			continue
		}
		if c, ok := compare(v, w); ok && c == 0 {
			r = tru
			break
		}
	}
	if x.neg {
		return r.not()
	}
	return r
}

func (x *nullCond) eval(e *twin.Entity) tri {
	return truthOf((x.x.eval(e).k == kNull) != x.neg)
}

func (x *spatialCond) eval(e *twin.Entity) tri {
	a := x.a.eval(e)
	if a.k != kGeom {
		return unk
	}
	b := x.b.eval(e)
	if b.k != kGeom {
		return unk
	}
	switch x.op {
	case sIntersects:
		return truthOf(geo.Intersects(a.g, b.g))
	case sDisjoint:
		return truthOf(!geo.Intersects(a.g, b.g))
	case sWithin:
		return truthOf(geo.Within(a.g, b.g))
	case sContains:
		return truthOf(geo.Contains(a.g, b.g))
	case sEquals:
		return truthOf(geo.Contains(a.g, b.g) && geo.Contains(b.g, a.g))
	}
	return unk // not reached: the parser rejects the others
}
