// Package cql2 reads filters in the text encoding of OGC CQL2 (OGC 21-065,
// the filter language of OGC API – Features Part 3) and compiles them to a
// test on twin entities, for twin.Query.Match:
//
//	x, err := cql2.Parse(`height > 10 AND "owner" LIKE '%Jones%'`)
//	q := twin.Query{Match: x.Match, BBox: x.Bounds()}
//
// # Grammar
//
// Keywords and function names are case-insensitive. Supported:
//
//   - Basic CQL2: = <> < <= > >=, AND, OR, NOT, parentheses, IS [NOT] NULL,
//     'strings' (a quote inside one is doubled), numbers (-1.5e3), TRUE and FALSE, and
//     property names bare (eo:cloud_cover) or "double-quoted" ("" is a quote).
//     A boolean literal or property alone is a condition.
//   - Advanced comparison: [NOT] LIKE with % (any run), _ (one character) and
//     a backslash escaping %, _ or itself; [NOT] BETWEEN (numbers); [NOT] IN
//     (list).
//   - Case-insensitive comparison: CASEI(x). It folds case rune by rune
//     (upper, then lower case): "Σ", "σ" and "ς" meet, "ß" and "SS" do not.
//   - Arithmetic: + - * / % DIV and unary minus. Division by zero and
//     overflow give an unknown value.
//   - Spatial: S_INTERSECTS, S_DISJOINT, S_EQUALS, S_WITHIN and S_CONTAINS on
//     the entity's geometry and WKT literals (POINT, LINESTRING, POLYGON,
//     MULTIPOINT, MULTILINESTRING, MULTIPOLYGON, GEOMETRYCOLLECTION, in lon/lat
//     CRS84; a Z coordinate is read and dropped) or BBOX(minx, miny, maxx,
//     maxy) (or its 6-number form; minx > maxx crosses the antimeridian). They
//     are geo.Intersects, geo.Within and geo.Contains, so S_WITHIN and
//     S_CONTAINS are the OGC "covered by" and "covers": a line along a
//     polygon's edge is within it. S_EQUALS is mutual covering, which is the
//     OGC point-set equality.
//   - Temporal: DATE('2021-06-15'), TIMESTAMP('2021-06-15T12:00:00Z'),
//     INTERVAL(start, end) with ends that are date or timestamp strings,
//     DATE/TIMESTAMP literals, '..' (open) or properties; the comparisons
//     above on times, and the fifteen T_ functions of Allen's interval
//     algebra (T_AFTER, T_BEFORE, T_CONTAINS, T_DISJOINT, T_DURING, T_EQUALS,
//     T_FINISHEDBY, T_FINISHES, T_INTERSECTS, T_MEETS, T_METBY,
//     T_OVERLAPPEDBY, T_OVERLAPS, T_STARTEDBY, T_STARTS). An instant is an
//     interval that starts and ends at once; a date is its whole UTC day, and
//     a time compared with a date is compared by its UTC day. Times are
//     limited to the years 1678 to 2261 (Unix nanoseconds).
//
// Not supported, each a *SyntaxError wrapping ErrUnsupported: ACCENTI (it
// needs Unicode normalisation, golang.org/x/text, which the module does not
// use), S_TOUCHES, S_OVERLAPS and S_CROSSES (the geo package has no
// interior/boundary predicates to build them on), array functions (A_…) and
// custom functions. Not supported either: `\'` as a quote inside strings
// (the backslash is an ordinary character there, and LIKE's escape).
//
// # Properties
//
// id, kind, height, minHeight, levels, version and validFrom name the
// entity's fields, geometry (or geom) its geometry; every other name is
// looked up in its Props. A field wins over a property of the same name.
// height and levels are missing when 0 (the entity model's "unknown");
// minHeight 0 is a value (at ground). validFrom is missing when zero, and a
// string property is read as a time where a time is expected.
//
// # Types
//
// A filter that can never make sense is rejected by Parse: LIKE on a number,
// comparing a number literal or field with a string, ordering booleans,
// arithmetic on strings, a spatial function on a property other than the
// geometry. When a property's type is only known at run time, values of
// different types are not equal and neither is less: "floors = '6'" is false
// and "floors <> '6'" true for a numeric floors.
//
// # Missing values
//
// A comparison, LIKE, BETWEEN, IN, spatial or temporal function on a missing
// property (or an entity without geometry or valid-from) is unknown, as NULL
// is in SQL. AND, OR and NOT follow three-valued logic: unknown AND false is
// false, unknown OR true is true, NOT unknown is unknown. Match accepts only
// true, so neither "x = 1" nor "NOT x = 1" matches an entity without x; "x IS
// NULL" does. An IN list holding a missing value is unknown unless another
// item equals.
//
// # Limits
//
// Filters are untrusted input. Parse rejects, with ErrLimit, text over MaxLen
// bytes, nesting deeper than MaxDepth, IN lists over MaxList values and
// geometry literals over MaxPoints coordinates. Parsing is linear in the text;
// Match is linear in the filter, except LIKE, which is at most the product of
// pattern and value lengths.
package cql2
