package cql2

import (
	"fmt"
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"
	"time"

	"citytwin/twin"

	"github.com/paulmach/orb"
)

func mustProps(t testing.TB, m map[string]any) twin.Properties {
	t.Helper()
	ps, err := twin.PropertiesOf(m)
	if err != nil {
		t.Fatal(err)
	}
	return ps
}

func TestMatch(t *testing.T) {
	e := &twin.Entity{
		ID: "osm:way/1", Kind: twin.KindBuilding,
		Geometry: orb.Polygon{{{0, 0}, {2, 0}, {2, 2}, {0, 2}, {0, 0}}},
		Height:   21, Levels: 6, Version: 3,
		ValidFrom: time.Date(2021, 6, 15, 12, 0, 0, 0, time.UTC),
		Props: mustProps(t, map[string]any{
			"name": "Main Street 1", "owner": "Mr. Jones", "floors": 6.0, "pool": true,
			"pct": "50%", "built": "2015-03-01", "code": "12", "ß": "Straße",
		}),
	}
	for _, tc := range []struct {
		filter string
		want   bool
	}{
		{`"owner" LIKE '%Jones%'`, true},
		{`owner LIKE '%jones%'`, false},
		{`CASEI(owner) LIKE CASEI('%JONES%')`, true},
		{`owner NOT LIKE '%Jones%'`, false},
		{`owner LIKE 'Mr_ Jones'`, true},
		{`owner LIKE 'Mr___Jones'`, false},
		{`pct LIKE '50\%'`, true},
		{`pct LIKE '5_\%'`, true},
		{`name LIKE 'Main%1'`, true},
		{`height BETWEEN 10 AND 21`, true},
		{`height BETWEEN 21.5 AND 30`, false},
		{`height NOT BETWEEN 10 AND 20`, true},
		{`height BETWEEN 30 AND 10`, false},
		{`kind IN ('building','road')`, true},
		{`kind NOT IN ('building','road')`, false},
		{`floors IN (5, 6)`, true},
		{`floors IN ('6')`, false},
		{`CASEI(name) = casei('main street 1')`, true},
		{`CASEI("ß") = CASEI('STRAßE')`, true},
		{`CASEI("ß") = CASEI('STRASSE')`, false}, // simple folding: ß is not SS
		{`CASEI('ΟΔΟΣ') = CASEI('οδος')`, true},  // final sigma
		{`id = 'osm:way/1' AND version = 3 AND levels >= 6 AND minHeight = 0`, true},
		{`pool`, true},
		{`pool = TRUE`, true},
		{`NOT pool`, false},
		{`floors = 6`, true},
		{`floors = '6'`, false}, // a number is not a string
		{`floors <> '6'`, true}, // and so it differs from one
		{`code = 12`, false},    // nor the other way round
		{`floors * 2 - 2 = 10`, true},
		{`floors / 0 = 1`, false}, // division by zero is unknown
		{`-floors = -6`, true},
		{`floors % 4 = 2 AND floors DIV 4 = 1`, true},
		{`missing = 1`, false},
		{`missing <> 1`, false},
		{`NOT missing = 1`, false}, // NOT unknown is unknown
		{`missing = 1 OR pool`, true},
		{`missing = 1 AND NOT pool`, false},
		{`missing IS NULL`, true},
		{`missing IS NOT NULL`, false},
		{`owner IS NULL`, false},
		{`missing LIKE '%'`, false},
		{`missing IN (1, 2)`, false},
		{`floors IN (missing, 6)`, true},
		{`floors NOT IN (missing, 5)`, false}, // unknown: missing might be 6
		{`S_INTERSECTS(geometry, POINT(1 1))`, true},
		{`S_INTERSECTS(geom, POINT(2 2))`, true},
		{`S_INTERSECTS(geometry, POINT(3 3))`, false},
		{`S_DISJOINT(geometry, POINT(3 3))`, true},
		{`S_WITHIN(geometry, BBOX(-1, -1, 3, 3))`, true},
		{`S_WITHIN(geometry, BBOX(0.5, -1, 3, 3))`, false},
		{`S_CONTAINS(geometry, LINESTRING(0.5 0.5, 1.5 1.5))`, true},
		{`S_EQUALS(geometry, POLYGON((0 0, 0 2, 2 2, 2 0, 0 0)))`, true},
		{`S_EQUALS(geometry, BBOX(0, 0, 2, 2))`, true},
		{`S_EQUALS(geometry, BBOX(0, 0, 2, 3))`, false},
		{`S_INTERSECTS(geometry, BBOX(179, -1, 1, 1))`, true}, // across the antimeridian, back to 1
		{`S_INTERSECTS(geometry, GEOMETRYCOLLECTION(POINT(5 5), LINESTRING(-1 1, 3 1)))`, true},
		{`validFrom > DATE('2021-06-14') AND validFrom < DATE('2021-06-16')`, true},
		{`validFrom = DATE('2021-06-15')`, true},
		{`validFrom > DATE('2021-06-15')`, false},
		{`validFrom = TIMESTAMP('2021-06-15T14:00:00+02:00')`, true},
		{`T_BEFORE(validFrom, TIMESTAMP('2021-06-15T12:00:01Z'))`, true},
		{`T_AFTER(validFrom, DATE('2021-06-14'))`, true},
		{`T_AFTER(validFrom, DATE('2021-06-15'))`, false},
		{`T_INTERSECTS(validFrom, DATE('2021-06-15'))`, true},
		{`T_DURING(validFrom, INTERVAL('2021-01-01', '..'))`, true},
		{`T_DURING(validFrom, INTERVAL('..', '2021-06-14'))`, false},
		{`T_DURING(validFrom, INTERVAL('..', '2021-06-15'))`, true}, // a date is its whole day
		{`T_DURING(validFrom, INTERVAL('..', '2021-06-15T12:00:00Z'))`, false},
		{`T_DURING(validFrom, INTERVAL('..', '2021-06-15T12:00:00.000000001Z'))`, true},
		{`T_DISJOINT(validFrom, INTERVAL('2020-01-01', '2020-12-31'))`, true},
		{`T_EQUALS(validFrom, TIMESTAMP('2021-06-15T12:00:00Z'))`, true},
		{`T_STARTS(validFrom, INTERVAL('2021-06-15T12:00:00Z', '..'))`, true},
		{`T_MEETS(validFrom, INTERVAL('2021-06-15T12:00:00Z', '..'))`, true},
		{`T_BEFORE(built, DATE('2015-03-02'))`, true}, // a string property read as a date
		{`built < DATE('2016-01-01')`, true},
		{`T_BEFORE(owner, DATE('2015-03-02'))`, false}, // not a date
		{`T_DURING(INTERVAL(built, validFrom), INTERVAL('2000-01-01', '..'))`, true},
		{`T_DURING(INTERVAL(missing, validFrom), INTERVAL('2000-01-01', '..'))`, false},
		{`TRUE`, true},
		{`FALSE OR TRUE AND NOT FALSE`, true},
	} {
		t.Run(tc.filter, func(t *testing.T) {
			x, err := Parse(tc.filter)
			if err != nil {
				t.Fatal(err)
			}
			if got := x.Match(e); got != tc.want {
				t.Errorf("Match = %v, want %v", got, tc.want)
			}
			checkRoundTrip(t, x)
		})
	}
}

func TestMatchUnknownFields(t *testing.T) {
	e := &twin.Entity{ID: "x", Kind: "road"} // no geometry, height, levels or valid-from
	for _, f := range []string{`height IS NULL`, `levels IS NULL`, `geometry IS NULL`, `validFrom IS NULL`, `minHeight = 0`} {
		x, err := Parse(f)
		if err != nil {
			t.Fatal(err)
		}
		if !x.Match(e) {
			t.Errorf("%s: no match", f)
		}
	}
	for _, f := range []string{`height < 10`, `S_DISJOINT(geometry, POINT(0 0))`, `NOT S_INTERSECTS(geometry, POINT(0 0))`, `T_BEFORE(validFrom, DATE('2100-01-01'))`} {
		x, err := Parse(f)
		if err != nil {
			t.Fatal(err)
		}
		if x.Match(e) {
			t.Errorf("%s: matches an entity without the field", f)
		}
	}
}

func TestBounds(t *testing.T) {
	for _, tc := range []struct {
		filter string
		want   []orb.Bound
	}{
		{`a = 1`, nil},
		{`S_INTERSECTS(geometry, POINT(1 2))`, []orb.Bound{{Min: orb.Point{1, 2}, Max: orb.Point{1, 2}}}},
		{`S_WITHIN(geometry, BBOX(0, 0, 2, 3)) AND a = 1`, []orb.Bound{{Max: orb.Point{2, 3}}}},
		{`S_CONTAINS(POLYGON((0 0, 1 0, 1 1, 0 0)), geom)`, []orb.Bound{{Max: orb.Point{1, 1}}}},
		{`S_DISJOINT(geometry, BBOX(0, 0, 2, 3))`, nil},
		{`NOT S_INTERSECTS(geometry, BBOX(0, 0, 2, 3))`, nil},
		{`S_INTERSECTS(geometry, BBOX(0, 0, 2, 3)) AND S_INTERSECTS(geometry, BBOX(0, 0, 1, 1))`, []orb.Bound{{Max: orb.Point{1, 1}}}},
		{`S_INTERSECTS(geometry, BBOX(0, 0, 1, 1)) OR S_INTERSECTS(geometry, BBOX(5, 5, 6, 6))`,
			[]orb.Bound{{Max: orb.Point{1, 1}}, {Min: orb.Point{5, 5}, Max: orb.Point{6, 6}}}},
		{`S_INTERSECTS(geometry, BBOX(0, 0, 1, 1)) OR a = 1`, nil},
		{`S_INTERSECTS(geometry, BBOX(170, 0, -170, 1))`,
			[]orb.Bound{{Min: orb.Point{170, 0}, Max: orb.Point{180, 1}}, {Min: orb.Point{-180, 0}, Max: orb.Point{-170, 1}}}},
		{`S_INTERSECTS(POINT(0 0), BBOX(0, 0, 1, 1))`, nil},
	} {
		t.Run(tc.filter, func(t *testing.T) {
			x, err := Parse(tc.filter)
			if err != nil {
				t.Fatal(err)
			}
			if got := x.Bounds(); fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("Bounds() = %v, want %v", got, tc.want)
			}
		})
	}
}

// The oracle: random filters built together with a direct evaluation, checked
// against Parse and Match on random entities, and round-tripped through String.

type ores = int // 0 false, 1 true, 2 unknown

type gen struct {
	r *rand.Rand
}

type ofilter struct {
	text string
	eval func(e *twin.Entity) ores
}

func o3(b bool) ores {
	if b {
		return 1
	}
	return 0
}

func (g *gen) pick(xs ...string) string { return xs[g.r.IntN(len(xs))] }

// propVal reads a property as the oracle sees it; ok is false when missing.
func propVal(e *twin.Entity, name string) (any, bool) {
	switch name {
	case "height":
		if e.Height == 0 {
			return nil, false
		}
		return e.Height, true
	case "levels":
		if e.Levels == 0 {
			return nil, false
		}
		return float64(e.Levels), true
	case "kind":
		return string(e.Kind), true
	case "id":
		return string(e.ID), true
	}
	v, ok := e.Props.Get(name)
	if !ok {
		return nil, false
	}
	return v.Any(), true
}

func cmpAny(op string, a, b any) ores {
	var c int
	switch a := a.(type) {
	case float64:
		bf, ok := b.(float64)
		if !ok {
			return o3(op == "<>")
		}
		c = cmpOrdered(a, bf)
	case string:
		bs, ok := b.(string)
		if !ok {
			return o3(op == "<>")
		}
		c = strings.Compare(a, bs)
	case bool:
		bb, ok := b.(bool)
		if !ok {
			return o3(op == "<>")
		}
		if a != bb {
			c = 1
			if bb {
				c = -1
			}
		}
	}
	switch op {
	case "=":
		return o3(c == 0)
	case "<>":
		return o3(c != 0)
	case "<":
		return o3(c < 0)
	case "<=":
		return o3(c <= 0)
	case ">":
		return o3(c > 0)
	}
	return o3(c >= 0)
}

func (g *gen) numLit() (string, float64) {
	f := float64(g.r.IntN(7)-3) / 2
	return formatNum(f), f
}

// numOperand is a numeric value: a property, a literal or a sum.
func (g *gen) numOperand() (string, func(*twin.Entity) (any, bool)) {
	switch g.r.IntN(4) {
	case 0:
		s, f := g.numLit()
		return s, func(*twin.Entity) (any, bool) { return f, true }
	case 1:
		name := g.pick("a", "b", "height", "levels")
		s, f := g.numLit()
		return name + " + " + s, func(e *twin.Entity) (any, bool) {
			v, ok := propVal(e, name)
			if n, isNum := v.(float64); ok && isNum {
				return n + f, true
			}
			return nil, false
		}
	}
	name := g.pick("a", "b", "height", "levels")
	return name, func(e *twin.Entity) (any, bool) { return propVal(e, name) }
}

var likeRe = regexp.MustCompile(`\\.|%|_|[^\\%_]+`)

// likeRegexp is the oracle's LIKE: the pattern as a regular expression.
func likeRegexp(pat string) *regexp.Regexp {
	var b strings.Builder
	b.WriteString(`(?s)^`)
	for _, m := range likeRe.FindAllString(pat, -1) {
		switch {
		case m == "%":
			b.WriteString(".*")
		case m == "_":
			b.WriteString(".")
		case m[0] == '\\':
			b.WriteString(regexp.QuoteMeta(m[1:]))
		default:
			b.WriteString(regexp.QuoteMeta(m))
		}
	}
	b.WriteString(`$`)
	return regexp.MustCompile(b.String())
}

var t0 = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)

func (g *gen) instant() (string, time.Time) {
	t := t0.Add(time.Duration(g.r.IntN(7)) * 12 * time.Hour)
	return "TIMESTAMP('" + t.Format(time.RFC3339) + "')", t
}

func (g *gen) rect() (string, orb.Bound) {
	x, y := float64(g.r.IntN(5)), float64(g.r.IntN(5))
	w, h := float64(1+g.r.IntN(3)), float64(1+g.r.IntN(3))
	b := orb.Bound{Min: orb.Point{x, y}, Max: orb.Point{x + w, y + h}}
	return fmt.Sprintf("BBOX(%g, %g, %g, %g)", x, y, x+w, y+h), b
}

// entityRect is the oracle's view of an entity's geometry: a closed box
// (degenerate for a point).
func entityRect(e *twin.Entity) (orb.Bound, bool) {
	if e.Geometry == nil {
		return orb.Bound{}, false
	}
	return e.Geometry.Bound(), true
}

func (g *gen) filter(depth int) ofilter {
	n := 10
	if depth > 0 {
		n = 13
	}
	switch g.r.IntN(n) {
	case 0: // numeric comparison
		ls, lv := g.numOperand()
		rs, rv := g.numOperand()
		op := g.pick("=", "<>", "<", "<=", ">", ">=")
		return ofilter{ls + " " + op + " " + rs, func(e *twin.Entity) ores {
			a, aok := lv(e)
			b, bok := rv(e)
			if !aok || !bok {
				return 2
			}
			return cmpAny(op, a, b)
		}}
	case 1: // string comparison
		name := g.pick("s", "kind", "id", "a")
		lit := g.pick("", "a", "ab", "Ab", "road", "building", "e1", "x")
		op := g.pick("=", "<>", "<", ">=")
		ci := g.r.IntN(3) == 0
		text := name + " " + op + " " + quoteString(lit)
		if ci {
			text = "CASEI(" + name + ") " + op + " CASEI(" + quoteString(lit) + ")"
		}
		return ofilter{text, func(e *twin.Entity) ores {
			v, ok := propVal(e, name)
			if !ok {
				return 2
			}
			if s, isStr := v.(string); isStr && ci {
				return cmpAny(op, fold(s), fold(lit))
			}
			return cmpAny(op, v, lit)
		}}
	case 2: // LIKE
		var pb strings.Builder
		for range g.r.IntN(5) {
			pb.WriteString(g.pick("a", "A", "b", "%", "_", `\%`, `\_`, "%"))
		}
		pat := pb.String()
		not := g.r.IntN(3) == 0
		ci := g.r.IntN(3) == 0
		name := g.pick("s", "s", "a")
		text := name
		re := likeRegexp(pat)
		if ci {
			text = "CASEI(" + name + ")"
			re = likeRegexp(fold(pat))
		}
		if not {
			text += " NOT"
		}
		text += " LIKE " + quoteString(pat)
		if ci {
			text = strings.Replace(text, quoteString(pat), "CASEI("+quoteString(pat)+")", 1)
		}
		return ofilter{text, func(e *twin.Entity) ores {
			v, ok := propVal(e, name)
			if !ok {
				return 2
			}
			s, isStr := v.(string)
			r := 0
			if isStr {
				if ci {
					s = fold(s)
				}
				r = o3(re.MatchString(s))
			}
			if not {
				r = 1 - r
			}
			return r
		}}
	case 3: // BETWEEN
		xs, xv := g.numOperand()
		ls, lo := g.numLit()
		hs, hi := g.numLit()
		not := g.r.IntN(2) == 0
		kw := " BETWEEN "
		if not {
			kw = " NOT BETWEEN "
		}
		return ofilter{xs + kw + ls + " AND " + hs, func(e *twin.Entity) ores {
			v, ok := xv(e)
			if !ok {
				return 2
			}
			f, isNum := v.(float64)
			r := o3(isNum && lo <= f && f <= hi)
			if not {
				r = 1 - r
			}
			return r
		}}
	case 4: // IN
		name := g.pick("a", "b", "s")
		var items []string
		var vals []any
		for range 1 + g.r.IntN(3) {
			if g.r.IntN(2) == 0 {
				s, f := g.numLit()
				items, vals = append(items, s), append(vals, f)
			} else {
				s := g.pick("a", "x", "ab")
				items, vals = append(items, quoteString(s)), append(vals, s)
			}
		}
		not := g.r.IntN(2) == 0
		kw := " IN ("
		if not {
			kw = " NOT IN ("
		}
		return ofilter{name + kw + strings.Join(items, ", ") + ")", func(e *twin.Entity) ores {
			v, ok := propVal(e, name)
			if !ok {
				return 2
			}
			r := 0
			for _, w := range vals {
				if cmpAny("=", v, w) == 1 {
					r = 1
				}
			}
			if not {
				r = 1 - r
			}
			return r
		}}
	case 5: // IS NULL
		name := g.pick("a", "s", "f", "height", "levels", "geometry", "validFrom")
		not := g.r.IntN(2) == 0
		text := name + " IS NULL"
		if not {
			text = name + " IS NOT NULL"
		}
		return ofilter{text, func(e *twin.Entity) ores {
			var missing bool
			switch name {
			case "geometry":
				missing = e.Geometry == nil
			case "validFrom":
				missing = e.ValidFrom.IsZero()
			default:
				_, ok := propVal(e, name)
				missing = !ok
			}
			return o3(missing != not)
		}}
	case 6: // a boolean property
		return ofilter{"f", func(e *twin.Entity) ores {
			v, ok := propVal(e, "f")
			if !ok {
				return 2
			}
			b, isBool := v.(bool)
			return o3(isBool && b)
		}}
	case 7: // spatial
		fn := g.pick("S_INTERSECTS", "S_DISJOINT", "S_WITHIN", "S_CONTAINS", "S_EQUALS")
		rs, rb := g.rect()
		return ofilter{fn + "(geometry, " + rs + ")", func(e *twin.Entity) ores {
			eb, ok := entityRect(e)
			if !ok {
				return 2
			}
			inter := eb.Min[0] <= rb.Max[0] && rb.Min[0] <= eb.Max[0] && eb.Min[1] <= rb.Max[1] && rb.Min[1] <= eb.Max[1]
			switch fn {
			case "S_INTERSECTS":
				return o3(inter)
			case "S_DISJOINT":
				return o3(!inter)
			case "S_WITHIN":
				return o3(boundCovers(rb, eb))
			case "S_CONTAINS":
				return o3(boundCovers(eb, rb))
			}
			return o3(eb == rb)
		}}
	case 8: // temporal function
		fn := g.pick("T_BEFORE", "T_AFTER", "T_INTERSECTS", "T_DURING", "T_EQUALS", "T_DISJOINT")
		var text string
		var lo, hi time.Time
		if g.r.IntN(2) == 0 || fn == "T_DURING" {
			ls, l := g.instant()
			hs, h := g.instant()
			if h.Before(l) {
				ls, hs, l, h = hs, ls, h, l
			}
			ls = strings.TrimSuffix(strings.TrimPrefix(ls, "TIMESTAMP("), ")")
			hs = strings.TrimSuffix(strings.TrimPrefix(hs, "TIMESTAMP("), ")")
			text, lo, hi = "INTERVAL("+ls+", "+hs+")", l, h
		} else {
			text, lo = g.instant()
			hi = lo
		}
		return ofilter{fn + "(validFrom, " + text + ")", func(e *twin.Entity) ores {
			if e.ValidFrom.IsZero() {
				return 2
			}
			v := e.ValidFrom
			switch fn {
			case "T_BEFORE":
				return o3(v.Before(lo))
			case "T_AFTER":
				return o3(v.After(hi))
			case "T_INTERSECTS":
				return o3(!v.Before(lo) && !v.After(hi))
			case "T_DISJOINT":
				return o3(v.Before(lo) || v.After(hi))
			case "T_DURING":
				return o3(v.After(lo) && v.Before(hi))
			}
			return o3(v.Equal(lo) && v.Equal(hi))
		}}
	case 9: // time comparison
		ts, t := g.instant()
		op := g.pick("=", "<>", "<", "<=", ">", ">=")
		return ofilter{"validFrom " + op + " " + ts, func(e *twin.Entity) ores {
			if e.ValidFrom.IsZero() {
				return 2
			}
			return cmpAny(op, float64(e.ValidFrom.UnixNano()), float64(t.UnixNano()))
		}}
	case 10: // NOT
		x := g.filter(depth - 1)
		return ofilter{"NOT (" + x.text + ")", func(e *twin.Entity) ores {
			switch r := x.eval(e); r {
			case 2:
				return 2
			default:
				return 1 - r
			}
		}}
	}
	// AND, OR
	and := g.r.IntN(2) == 0
	var xs []ofilter
	var texts []string
	for range 2 + g.r.IntN(2) {
		x := g.filter(depth - 1)
		xs = append(xs, x)
		texts = append(texts, "("+x.text+")")
	}
	sep := " OR "
	if and {
		sep = " AND "
	}
	return ofilter{strings.Join(texts, sep), func(e *twin.Entity) ores {
		unknown := false
		for _, x := range xs {
			switch x.eval(e) {
			case 0:
				if and {
					return 0
				}
			case 1:
				if !and {
					return 1
				}
			case 2:
				unknown = true
			}
		}
		if unknown {
			return 2
		}
		return o3(and)
	}}
}

func boundCovers(a, b orb.Bound) bool {
	return a.Min[0] <= b.Min[0] && a.Min[1] <= b.Min[1] && b.Max[0] <= a.Max[0] && b.Max[1] <= a.Max[1]
}

func (g *gen) entity(t testing.TB) *twin.Entity {
	e := &twin.Entity{
		ID:     twin.ID(g.pick("e1", "e2")),
		Kind:   twin.Kind(g.pick("building", "road")),
		Height: []float64{0, 0.5, 1, 20}[g.r.IntN(4)],
		Levels: g.r.IntN(3),
	}
	m := map[string]any{}
	for _, name := range []string{"a", "b", "s", "f"} {
		switch g.r.IntN(5) {
		case 0: // missing
		case 1:
			m[name] = float64(g.r.IntN(7)-3) / 2
		case 2:
			m[name] = g.pick("", "a", "ab", "Ab", "aAb", "%", "a_b", "x")
		default:
			m[name] = g.r.IntN(2) == 0
		}
	}
	e.Props = mustProps(t, m)
	x, y := float64(g.r.IntN(8))/2, float64(g.r.IntN(8))/2
	switch g.r.IntN(3) {
	case 1:
		e.Geometry = orb.Point{x, y}
	case 2:
		w, h := float64(1+g.r.IntN(3)), float64(1+g.r.IntN(3))
		e.Geometry = orb.Polygon{{{x, y}, {x + w, y}, {x + w, y + h}, {x, y + h}, {x, y}}}
	}
	if g.r.IntN(4) > 0 {
		e.ValidFrom = t0.Add(time.Duration(g.r.IntN(7)) * 12 * time.Hour)
	}
	return e
}

func TestMatchOracle(t *testing.T) {
	g := &gen{r: rand.New(rand.NewPCG(1, 2))}
	var entities []*twin.Entity
	for range 64 {
		entities = append(entities, g.entity(t))
	}
	n := 3000
	if testing.Short() {
		n = 300
	}
	for i := range n {
		f := g.filter(3)
		x, err := Parse(f.text)
		if err != nil {
			t.Fatalf("#%d Parse(%s): %v", i, f.text, err)
		}
		checkRoundTrip(t, x)
		y, _ := Parse(x.String())
		for _, e := range entities {
			want := f.eval(e) == 1
			if got := x.Match(e); got != want {
				t.Fatalf("#%d %s\non %+v\nMatch = %v, oracle %v", i, f.text, *e, got, want)
			}
			if got := y.Match(e); got != want {
				t.Fatalf("#%d %s after round trip: Match = %v, oracle %v", i, y, got, want)
			}
			if bs := x.Bounds(); bs != nil && want {
				hit := false
				for _, b := range bs {
					if eb, ok := entityRect(e); ok && eb.Intersects(b) {
						hit = true
					}
				}
				if !hit {
					t.Fatalf("#%d %s matches %+v outside Bounds %v", i, f.text, *e, bs)
				}
			}
		}
	}
}

func TestLikeOracle(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	alphabet := []string{"a", "b", "é", "%", "_", `\%`, `\_`, `\\`}
	for range 20000 {
		var pb, sb strings.Builder
		for range r.IntN(7) {
			pb.WriteString(alphabet[r.IntN(len(alphabet))])
		}
		for range r.IntN(7) {
			sb.WriteString([]string{"a", "b", "é", "%", "_", `\`}[r.IntN(6)])
		}
		pat, s := pb.String(), sb.String()
		p, err := compilePattern(pat, false, 0)
		if err != nil {
			t.Fatalf("compile %q: %v", pat, err)
		}
		if got, want := p.match(s), likeRegexp(pat).MatchString(s); got != want {
			t.Fatalf("%q LIKE %q = %v, want %v", s, pat, got, want)
		}
	}
}
