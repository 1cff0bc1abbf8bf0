package cql2

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"citytwin/twin"

	"github.com/paulmach/orb"
)

func FuzzParse(f *testing.F) {
	for _, tc := range examples {
		f.Add(tc.in)
	}
	for _, s := range []string{
		`a = )`, `(((a = 1)))`, `- - - 5 = a`, `a BETWEEN 1 AND 2 AND b IN (1, 'x')`,
		`CASEI(CASEI(x)) LIKE CASEI(CASEI('%a\\_'))`, `S_INTERSECTS(geometry, BBOX(170, -10, -170, 10, 1, 2))`,
		`T_OVERLAPS(INTERVAL(a, '..'), INTERVAL('2020-01-01', validFrom))`, `"" = 1`, `"x""y" IS NULL`,
		`validFrom = '2020-01-01'`, `1e308 * 10 = a`, `a = .5e-3`,
	} {
		f.Add(s)
	}
	e := &twin.Entity{
		ID: "osm:way/1", Kind: twin.KindBuilding, Height: 12, Levels: 3, Version: 2,
		Geometry:  orb.Polygon{{{0, 0}, {2, 0}, {2, 2}, {0, 2}, {0, 0}}},
		ValidFrom: time.Date(2021, 6, 15, 12, 0, 0, 0, time.UTC),
		Props:     mustProps(f, map[string]any{"a": 1.0, "b": "x", "owner": "Jones", "flag": true}),
	}
	f.Fuzz(func(t *testing.T, s string) {
		x, err := Parse(s)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("error %v is not a *SyntaxError", err)
			}
			if se.Offset < 0 || se.Offset > len(s) && se.Offset != MaxLen {
				t.Fatalf("offset %d outside the text of %d bytes", se.Offset, len(s))
			}
			return
		}
		x.Match(e)
		x.Match(&twin.Entity{})
		x.Bounds()
		text := x.String()
		y, err := Parse(text)
		if err != nil {
			t.Fatalf("Parse(%q).String() = %q, which does not parse: %v", s, text, err)
		}
		if !reflect.DeepEqual(x.root, y.root) {
			t.Fatalf("Parse(%q) and Parse(%q) differ", s, text)
		}
		if y.String() != text {
			t.Fatalf("String not stable: %q, then %q", text, y.String())
		}
		if x.Match(e) != y.Match(e) {
			t.Fatalf("Match differs after round trip of %q", s)
		}
	})
}
