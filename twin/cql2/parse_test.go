package cql2

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

// examples are filters from the CQL2 standard (OGC 21-065) and its abstract
// test suite, with their normalised text.
var examples = []struct{ in, want string }{
	{`"owner" LIKE '%Jones%'`, `owner LIKE '%Jones%'`},
	{`"owner" NOT LIKE '%Mike%'`, `owner NOT LIKE '%Mike%'`},
	{`"eo:instrument" LIKE 'OLI%'`, `eo:instrument LIKE 'OLI%'`},
	{`city='Toronto'`, `city = 'Toronto'`},
	{`"landsat:scene_id" = 'LC82030282019133LGN00'`, `landsat:scene_id = 'LC82030282019133LGN00'`},
	{`eo:cloud_cover BETWEEN 0.1 AND 0.2`, `eo:cloud_cover BETWEEN 0.1 AND 0.2`},
	{`depth BETWEEN 100.0 and 150.0`, `depth BETWEEN 100 AND 150`},
	{`height BETWEEN 10 AND 20`, `height BETWEEN 10 AND 20`},
	{`floors>5`, `floors > 5`},
	{`taxes <= 500`, `taxes <= 500`},
	{`value <> -1.5e3`, `value <> -1500`},
	{`balance-150.0 > 0`, `balance - 150 > 0`},
	{`vehicle_height > (bridge_clearance-1)`, `vehicle_height > bridge_clearance - 1`},
	{`"swimming_pool" = true`, `swimming_pool = TRUE`},
	{`swimming_pool=true AND (floor<5 OR material LIKE 'brick%' OR material LIKE '%brick')`,
		`swimming_pool = TRUE AND (floor < 5 OR material LIKE 'brick%' OR material LIKE '%brick')`},
	{`kind IN ('building','road')`, `kind IN ('building', 'road')`},
	{`cityName IN ('Toronto','Frankfurt','Tokyo','New York')`, `cityName IN ('Toronto', 'Frankfurt', 'Tokyo', 'New York')`},
	{`category NOT IN (1,2,3)`, `category NOT IN (1, 2, 3)`},
	{`owner IS NULL`, `owner IS NULL`},
	{`"owner" IS NOT NULL`, `owner IS NOT NULL`},
	{`NOT "name" LIKE 'foo%'`, `NOT name LIKE 'foo%'`},
	{`CASEI(name) = casei('Main')`, `CASEI(name) = CASEI('Main')`},
	{`CASEI(road_class) IN (CASEI('Οδος'),CASEI('Straße'))`, `CASEI(road_class) IN (CASEI('Οδος'), CASEI('Straße'))`},
	{`CASEI(textfield) LIKE casei('foo%')`, `CASEI(textfield) LIKE CASEI('foo%')`},
	{`textfield like '\%\_'`, `textfield LIKE '\%\_'`},
	{`intfield is not null`, `intfield IS NOT NULL`},
	{`true`, `TRUE`},
	{`false`, `FALSE`},
	{`floatfield <= intfield`, `floatfield <= intfield`},
	{`S_INTERSECTS(geometry,POLYGON((-10.0 -10.0,10.0 -10.0,10.0 10.0,-10.0 -10.0)))`,
		`S_INTERSECTS(geometry, POLYGON((-10 -10, 10 -10, 10 10, -10 -10)))`},
	{`S_INTERSECTS(geometry, POINT(36.319836 32.288087))`, `S_INTERSECTS(geometry, POINT(36.319836 32.288087))`},
	{`S_INTERSECTS(geom,BBOX(-180,-90,180,90))`, `S_INTERSECTS(geom, BBOX(-180, -90, 180, 90))`},
	{`S_INTERSECTS(geom,BBOX(-180,-90,-90,90)) AND S_INTERSECTS(geom,BBOX(90,-90,180,90))`,
		`S_INTERSECTS(geom, BBOX(-180, -90, -90, 90)) AND S_INTERSECTS(geom, BBOX(90, -90, 180, 90))`},
	{`S_INTERSECTS(geom,MULTIPOINT(7.02 49.92, 90 180))`, `S_INTERSECTS(geom, MULTIPOINT((7.02 49.92), (90 180)))`},
	{`S_INTERSECTS(geom,LINESTRING(-180 -45, 0 -45))`, `S_INTERSECTS(geom, LINESTRING(-180 -45, 0 -45))`},
	{`S_INTERSECTS(geom,MULTILINESTRING((-180 -45, 0 -45), (0 45, 180 45)))`,
		`S_INTERSECTS(geom, MULTILINESTRING((-180 -45, 0 -45), (0 45, 180 45)))`},
	{`S_INTERSECTS(geom,POLYGON((-180 -90, -90 -90, -90 90, -180 90, -180 -90), (-120 -50, -100 -50, -100 -40, -120 -40, -120 -50)))`,
		`S_INTERSECTS(geom, POLYGON((-180 -90, -90 -90, -90 90, -180 90, -180 -90), (-120 -50, -100 -50, -100 -40, -120 -40, -120 -50)))`},
	{`S_INTERSECTS(geom,MULTIPOLYGON(((-180 -90, -90 -90, -90 90, -180 90, -180 -90)),((0 0, 10 0, 10 10, 0 10, 0 0))))`,
		`S_INTERSECTS(geom, MULTIPOLYGON(((-180 -90, -90 -90, -90 90, -180 90, -180 -90)), ((0 0, 10 0, 10 10, 0 10, 0 0))))`},
	{`S_INTERSECTS(geom,GEOMETRYCOLLECTION(POINT(7.02 49.92), POLYGON((0 0, 10 0, 10 10, 0 10, 0 0))))`,
		`S_INTERSECTS(geom, GEOMETRYCOLLECTION(POINT(7.02 49.92), POLYGON((0 0, 10 0, 10 10, 0 10, 0 0))))`},
	{`S_WITHIN(location,BBOX(-118,33.8,-117.9,34))`, ``}, // location is not a geometry here
	{`S_WITHIN(geometry,BBOX(-118,33.8,-117.9,34))`, `S_WITHIN(geometry, BBOX(-118, 33.8, -117.9, 34))`},
	{`S_DISJOINT(geom,POINT(7.02 49.92))`, `S_DISJOINT(geom, POINT(7.02 49.92))`},
	{`S_EQUALS(geom,LINESTRING(7 50,10 51))`, `S_EQUALS(geom, LINESTRING(7 50, 10 51))`},
	{`S_CONTAINS(geom,MULTIPOINT(7 50,10 51))`, `S_CONTAINS(geom, MULTIPOINT((7 50), (10 51)))`},
	{`s_intersects(geometry, point z (1 2 3))`, `S_INTERSECTS(geometry, POINT(1 2))`},
	{`updated >= DATE('1970-01-01')`, `updated >= DATE('1970-01-01')`},
	{`validFrom > TIMESTAMP('2012-08-10T05:30:00Z')`, `validFrom > TIMESTAMP('2012-08-10T05:30:00Z')`},
	{`T_BEFORE(built, DATE('2015-01-01'))`, `T_BEFORE(built, DATE('2015-01-01'))`},
	{`T_AFTER(ts_start,TIMESTAMP('2022-04-24T07:59:57Z'))`, `T_AFTER(ts_start, TIMESTAMP('2022-04-24T07:59:57Z'))`},
	{`T_INTERSECTS(event_time, INTERVAL('1969-07-16T05:32:00Z', '1969-07-24T16:50:35Z'))`,
		`T_INTERSECTS(event_time, INTERVAL('1969-07-16T05:32:00Z', '1969-07-24T16:50:35Z'))`},
	{`T_DURING(INTERVAL(touchdown, liftOff), INTERVAL('1969-07-16T13:32:00Z', '1969-07-24T16:50:35Z'))`,
		`T_DURING(INTERVAL(touchdown, liftOff), INTERVAL('1969-07-16T13:32:00Z', '1969-07-24T16:50:35Z'))`},
	{`T_DISJOINT(ts_start,INTERVAL('2021-01-01','..'))`, `T_DISJOINT(ts_start, INTERVAL('2021-01-01', '..'))`},
	{`T_EQUALS(validFrom, INTERVAL(DATE('2021-01-01'), TIMESTAMP('2021-12-31T23:59:59.5+01:00')))`,
		`T_EQUALS(validFrom, INTERVAL('2021-01-01', '2021-12-31T22:59:59.5Z'))`},
	{`T_METBY(validFrom, INTERVAL('..', '2020-01-01'))`, `T_METBY(validFrom, INTERVAL('..', '2020-01-01'))`},
	{`(a + 2) * -b DIV 3 % 2 >= 1`, `(a + 2) * -b DIV 3 % 2 >= 1`},
	{`a - (b - c) * 2 = (a - b) - c`, `a - (b - c) * 2 = a - b - c`},
	{`- - -a = --5`, `---a = --5`},
	{`-(5) = a`, `-(5) = a`},
	{`"a ""b""" = 'it''s'`, `"a ""b""" = 'it''s'`},
	{`"AND" = 1 OR "x-y" = 2`, `"AND" = 1 OR "x-y" = 2`},
	{`((a = 1))`, `a = 1`},
	{`a = 1 AND (b = 2 AND c = 3)`, `a = 1 AND (b = 2 AND c = 3)`},
	{`NOT NOT flag`, `NOT NOT flag`},
}

func TestParseExamples(t *testing.T) {
	for _, tc := range examples {
		t.Run(tc.in, func(t *testing.T) {
			x, err := Parse(tc.in)
			if tc.want == "" {
				if err == nil {
					t.Fatalf("Parse = %s, want an error", x)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := x.String(); got != tc.want {
				t.Errorf("String() = %s\nwant       %s", got, tc.want)
			}
			checkRoundTrip(t, x)
		})
	}
}

// checkRoundTrip checks that the text of x parses back to the same tree.
func checkRoundTrip(t *testing.T, x *Expr) {
	t.Helper()
	s := x.String()
	y, err := Parse(s)
	if err != nil {
		t.Fatalf("Parse(%s): %v", s, err)
	}
	if !reflect.DeepEqual(x.root, y.root) {
		t.Fatalf("Parse(String()) is another tree:\n%s\n%s", s, y)
	}
	if !reflect.DeepEqual(x.props, y.props) {
		t.Fatalf("Properties %v, after round trip %v", x.props, y.props)
	}
}

// TestRoundTripDepth checks that String never nests deeper than the text
// parsed, so that a filter at MaxDepth still round-trips.
func TestRoundTripDepth(t *testing.T) {
	deep := strings.Repeat("NOT ", MaxDepth-2)
	for _, s := range []string{
		deep + "a * b + c = 1",
		strings.Repeat("-", MaxDepth-1) + "a = 0",
		strings.Repeat("NOT ", MaxDepth-4) + "-(-(5)) = a",
		deep + "(a AND b) OR c",
	} {
		x, err := Parse(s)
		if err != nil {
			t.Fatalf("Parse(%s): %v", s, err)
		}
		checkRoundTrip(t, x)
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct {
		in     string
		offset int
		msg    string
		is     error
	}{
		{`a = )`, 4, `expected a value after "=", found ")"`, nil},
		{`height BETWEEN 10 AND )`, 22, `expected a value after "AND", found ")"`, nil},
		{`(a = 1`, 6, `expected ")" to close "(" at 0, found end of input`, nil},
		{`a = 1 b = 2`, 6, `expected AND, OR or the end, found "b"`, nil},
		{`a = 'x`, 4, `unterminated string`, nil},
		{`"a = 1`, 0, `unterminated quoted property name`, nil},
		{``, 0, `empty filter`, nil},
		{`a = 1 AND`, 9, `expected a value after "AND", found end of input`, nil},
		{`a # 1`, 2, `unexpected '#'`, nil},
		{`a = 1e999`, 4, `out of range`, nil},
		{`5 LIKE 'a%'`, 0, `LIKE needs a string, found a number`, nil},
		{`height LIKE 'a%'`, 0, `LIKE needs a string, found a number`, nil},
		{`name LIKE 'a\b'`, 10, `backslash`, nil},
		{`name BETWEEN 'a' AND 'b'`, 13, `BETWEEN needs a number, found a string`, nil},
		{`height = 'x'`, 7, `cannot compare a number with a string`, nil},
		{`1 = 'x'`, 2, `cannot compare a number with a string`, nil},
		{`flag < TRUE`, 5, `cannot order booleans`, nil},
		{`geometry = POINT(1 2)`, 9, `use S_EQUALS`, nil},
		{`kind IN ('a', 2)`, 14, `cannot compare a string with a number`, nil},
		{`height`, 0, `expected a condition, found a number`, nil},
		{`'x'`, 0, `expected a condition, found a string`, nil},
		{`a + 1`, 0, `expected a condition, found a number`, nil},
		{`(a = 1) = TRUE`, 0, `expected a value, found a condition`, nil},
		{`'a' + 1 = 2`, 0, `+ needs a number, found a string`, nil},
		{`S_INTERSECTS(name, POINT(1 2))`, 13, `property "name" is not a geometry`, nil},
		{`S_INTERSECTS(geometry, 5)`, 23, `needs a geometry, found a number`, nil},
		{`S_INTERSECTS(geometry)`, 21, `S_INTERSECTS takes 2 arguments`, nil},
		{`S_INTERSECTS(geometry, POLYGON((0 0, 1 0, 1 1)))`, 31, `polygon ring needs at least 4 points`, nil},
		{`S_INTERSECTS(geometry, POLYGON((0 0, 1 0, 1 1, 0 1)))`, 31, `the last equal to the first`, nil},
		{`S_INTERSECTS(geometry, LINESTRING(0 0))`, 33, `at least 2 points`, nil},
		{`S_INTERSECTS(geometry, BBOX(0, 10, 1, 5))`, 23, `south edge above its north edge`, nil},
		{`S_INTERSECTS(geometry, BBOX(0, 1, 2))`, 23, `BBOX takes 4 or 6 numbers`, nil},
		{`S_INTERSECTS(geometry, POINT(1))`, 30, `expected a number after "1", found ")"`, nil},
		{`T_BEFORE(validFrom, 5)`, 20, `needs a time or an interval, found a number`, nil},
		{`validFrom > DATE('2020-13-01')`, 17, `expected a date`, nil},
		{`validFrom > TIMESTAMP('yesterday')`, 22, `RFC 3339`, nil},
		{`validFrom > DATE('1200-01-01')`, 17, `between 1678 and 2261`, nil},
		{`T_DURING(validFrom, INTERVAL('2021-01-01', '2020-01-01'))`, 20, `ends before it starts`, nil},
		{`S_TOUCHES(geometry, POINT(1 2))`, 0, `S_TOUCHES is not supported`, ErrUnsupported},
		{`S_OVERLAPS(geometry, POINT(1 2))`, 0, `S_OVERLAPS is not supported`, ErrUnsupported},
		{`S_CROSSES(geometry, POINT(1 2))`, 0, `S_CROSSES is not supported`, ErrUnsupported},
		{`ACCENTI(name) = ACCENTI('é')`, 0, `ACCENTI`, ErrUnsupported},
		{`name LIKE ACCENTI('é%')`, 10, `ACCENTI`, ErrUnsupported},
		{`A_CONTAINS(tags, ('a'))`, 0, `array function`, ErrUnsupported},
		{`avg(windSpeed) < 4`, 0, `the function "avg" is not supported`, ErrUnsupported},
		{`a = 1 AND NOT`, 13, `expected a value after "NOT", found end of input`, nil},
		{`a IS NOT 5`, 9, `expected NULL after "NOT", found "5"`, nil},
		{`a NOT IS NULL`, 2, `expected AND, OR or the end, found "NOT"`, nil},
		{"a = '\xff'", 4, `invalid UTF-8`, nil},
	} {
		t.Run(tc.in, func(t *testing.T) {
			_, err := Parse(tc.in)
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("Parse error = %v, want a *SyntaxError", err)
			}
			if se.Offset != tc.offset || !strings.Contains(se.Msg, tc.msg) {
				t.Errorf("error %q, want at %d: …%s…", err, tc.offset, tc.msg)
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("error %v is not %v", err, tc.is)
			}
		})
	}
}

func TestLimits(t *testing.T) {
	long := strings.Repeat("a = 1 AND ", MaxLen/10+1) + "a = 1"
	deep := strings.Repeat("(", MaxDepth+1) + "a = 1" + strings.Repeat(")", MaxDepth+1)
	nots := strings.Repeat("NOT ", MaxDepth+1) + "a = 1"
	negs := strings.Repeat("-", MaxDepth+2) + "a = 1"
	sum := "a" + strings.Repeat(" + a", MaxDepth+1) + " = 1"
	var in strings.Builder
	in.WriteString("a IN (0")
	for range MaxList {
		in.WriteString(",1")
	}
	in.WriteString(")")
	var coll strings.Builder
	for range MaxDepth {
		coll.WriteString("GEOMETRYCOLLECTION(")
	}
	coll.WriteString("POINT(1 2)")
	coll.WriteString(strings.Repeat(")", MaxDepth))
	for _, tc := range []struct{ name, in string }{
		{"length", long}, {"parens", deep}, {"not", nots}, {"minus", negs}, {"sum", sum},
		{"in", in.String()}, {"collection", "S_INTERSECTS(geometry, " + coll.String() + ")"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(tc.in)
			if !errors.Is(err, ErrLimit) {
				t.Errorf("Parse error = %v, want ErrLimit", err)
			}
		})
	}
	// Within the limits, long flat chains are fine.
	ok := strings.Repeat("a = 1 AND ", MaxLen/10-1) + "a = 1"
	if _, err := Parse(ok); err != nil {
		t.Errorf("long chain: %v", err)
	}
}

func TestMaxPoints(t *testing.T) {
	// MaxPoints bounds all literals together; one filter of MaxLen bytes can
	// hold about 16k, so several filters' worth is checked through the counter.
	p := &parser{lx: lexer{src: strings.Repeat("0 0, ", MaxPoints+1)}, props: map[string]bool{}}
	if err := p.advance(); err != nil {
		t.Fatal(err)
	}
	var err error
	for i := 0; i <= MaxPoints && err == nil; i++ {
		if _, err = p.coord(); err == nil {
			err = p.advance() // ,
		}
	}
	if !errors.Is(err, ErrLimit) {
		t.Errorf("coord after %d points: %v, want ErrLimit", MaxPoints, err)
	}
}

func TestProperties(t *testing.T) {
	x, err := Parse(`b = 1 AND "a" LIKE 'x' OR S_INTERSECTS(geometry, POINT(0 0)) AND b IS NULL AND T_AFTER(validFrom, DATE('2020-01-01'))`)
	if err != nil {
		t.Fatal(err)
	}
	got, want := x.Properties(), []string{"a", "b", "geometry", "validFrom"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Properties() = %v, want %v", got, want)
	}
}
