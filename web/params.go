package web

import (
	"fmt"
	"math"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"citytwin/geo"
	"citytwin/twin"
	"citytwin/twin/cql2"

	"github.com/paulmach/orb"
	"github.com/uber/h3-go/v4"
)

// Limits on the citytwin extensions, so that one request cannot ask for unbounded work.
const (
	maxFilters = 32
	maxCells   = 1000
	// maxRadius is half the Earth's circumference: every point is within it.
	maxRadius = 20037509.0
)

// itemsParams are the query parameters of /collections/{id}/items, in the order
// the OpenAPI document lists them.
var itemsParams = []string{"bbox", "datetime", "limit", "cursor", "where", "near", "h3", "filter", "filter-lang", "filter-crs", "f"}

// itemParams are the query parameters of /collections/{id}/items/{featureId}.
var itemParams = []string{"datetime", "f"}

// pageLimits are the default and the cap of the page size.
type pageLimits struct{ def, max int }

// ParseItemsParams turns the query parameters of an items request on the collection
// of kind into a twin query, with the default page limits. Every error is a
// *ParamError naming the parameter. It never touches a store.
//
//   - bbox=minLon,minLat,maxLon,maxLat (or six numbers with heights, whose 2D part
//     is used); minLon > maxLon crosses the antimeridian;
//   - datetime=an RFC 3339 instant: the twin as of then (intervals are refused);
//   - limit=1..10000 (default 10); cursor=the cursor of a next link;
//   - where=key>=value (repeatable, see twin.ParseFilter); near=lon,lat,radius_m;
//     h3=cell,cell (repeatable);
//   - filter=a CQL2 text expression (OGC API Features Part 3, see package
//     twin/cql2), filter-lang=cql2-text, filter-crs=CRS84;
//   - f=json or geojson.
//
// Any other parameter is an error: a typo such as "bbxo" must not quietly return
// the whole collection.
func ParseItemsParams(v url.Values, kind twin.Kind) (twin.Query, error) {
	d := DefaultConfig()
	return parseItemsParams(v, kind, pageLimits{def: d.DefaultLimit, max: d.MaxLimit})
}

func parseItemsParams(v url.Values, kind twin.Kind, lim pageLimits) (twin.Query, error) {
	q, perr := parseItems(v, kind, lim)
	if perr != nil { // never return a typed nil as an error
		return twin.Query{}, perr
	}
	return q, nil
}

func parseItems(v url.Values, kind twin.Kind, lim pageLimits) (twin.Query, *ParamError) {
	if err := checkParams(v, itemsParams); err != nil {
		return twin.Query{}, err
	}
	q := twin.Query{Kinds: []twin.Kind{kind}, Limit: lim.def}
	var err *ParamError
	// each runs parse on the single value of name, if given.
	each := func(name string, parse func(string) *ParamError) {
		if err != nil {
			return
		}
		s, ok, e := single(v, name)
		switch {
		case e != nil:
			err = e
		case ok:
			err = parse(s)
		}
	}
	each("bbox", func(s string) (e *ParamError) { q.BBox, e = parseBBox(s); return })
	each("datetime", func(s string) (e *ParamError) { q.At, q.Until, e = parseDatetime(s); return })
	each("limit", func(s string) (e *ParamError) { q.Limit, e = parseLimit(s, lim.max); return })
	each("cursor", func(s string) (e *ParamError) { q.After, e = parseCursor(s); return })
	each("near", func(s string) (e *ParamError) { q.Near, e = parseNear(s); return })
	each("filter-lang", func(s string) *ParamError {
		if s != "cql2-text" {
			return paramErrorf("filter-lang", "%q: this server reads cql2-text", clip(s))
		}
		return nil
	})
	each("filter-crs", func(s string) *ParamError {
		if s != CRS84 {
			return paramErrorf("filter-crs", "%q: filters are in %s (lon/lat)", clip(s), CRS84)
		}
		return nil
	})
	each("filter", func(s string) *ParamError { return applyFilter(&q, s) })
	if err != nil {
		return twin.Query{}, err
	}
	if q.Where, err = parseWhere(v["where"]); err != nil {
		return twin.Query{}, err
	}
	if q.Cells, err = parseCells(v["h3"]); err != nil {
		return twin.Query{}, err
	}
	if err = checkFormat(v, "json", "geojson"); err != nil {
		return twin.Query{}, err
	}
	return q, nil
}

// applyFilter compiles a CQL2 text filter into q: its test, and when q has no
// box of its own, the boxes the filter implies, so that the R-tree prunes.
func applyFilter(q *twin.Query, text string) *ParamError {
	x, err := cql2.Parse(text)
	if err != nil {
		return &ParamError{Name: "filter", Reason: err.Error()}
	}
	q.Match = x.Match
	if len(q.BBox) == 0 && q.Near == nil && len(q.Cells) == 0 {
		q.BBox = x.Bounds()
	}
	return nil
}

// checkParams rejects any parameter not in known, naming the first (in sorted
// order) and listing the others.
func checkParams(v url.Values, known []string) *ParamError {
	var unknown []string
	for k := range v {
		if !slices.Contains(known, k) {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) == 0 {
		return nil
	}
	slices.Sort(unknown)
	reason := fmt.Sprintf("unknown parameter; this endpoint takes %s", strings.Join(known, ", "))
	if len(unknown) > 1 {
		reason += fmt.Sprintf(" (also unknown: %s)", strings.Join(quoteAll(unknown[1:]), ", "))
	}
	return &ParamError{Name: unknown[0], Reason: reason}
}

func quoteAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = strconv.Quote(s)
	}
	return out
}

// single returns the one value of a parameter that may be given once.
func single(v url.Values, name string) (string, bool, *ParamError) {
	vs := v[name]
	switch len(vs) {
	case 0:
		return "", false, nil
	case 1:
		return vs[0], true, nil
	}
	return "", false, paramErrorf(name, "given %d times; give it once", len(vs))
}

// checkFormat accepts f when it is one of formats (case-insensitive).
func checkFormat(v url.Values, formats ...string) *ParamError {
	s, ok, err := single(v, "f")
	if err != nil || !ok {
		return err
	}
	if slices.Contains(formats, strings.ToLower(s)) {
		return nil
	}
	return paramErrorf("f", "format %q is not offered here; want %s", clip(s), strings.Join(formats, " or "))
}

// parseNumbers splits a comma-separated list of finite numbers.
func parseNumbers(name, s string, names []string) ([]float64, *ParamError) {
	parts := strings.Split(s, ",")
	out := make([]float64, len(parts))
	for i, p := range parts {
		p = strings.TrimSpace(p)
		f, err := strconv.ParseFloat(p, 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			what := fmt.Sprintf("value %d", i+1)
			if i < len(names) {
				what = names[i]
			}
			return nil, paramErrorf(name, "%s %q is not a finite number", what, clip(p))
		}
		out[i] = f
	}
	return out, nil
}

var (
	bbox4Names = []string{"minLon", "minLat", "maxLon", "maxLat"}
	bbox6Names = []string{"minLon", "minLat", "minHeight", "maxLon", "maxLat", "maxHeight"}
)

// parseBBox reads an OGC bbox: 4 numbers, or 6 with heights (whose 2D part is
// used). minLon > maxLon means the box crosses the antimeridian and becomes two.
func parseBBox(s string) ([]orb.Bound, *ParamError) {
	n := strings.Count(s, ",") + 1
	if n != 4 && n != 6 {
		return nil, paramErrorf("bbox", "has %d values; want 4 (minLon,minLat,maxLon,maxLat) or 6 (minLon,minLat,minHeight,maxLon,maxLat,maxHeight)", n)
	}
	names := bbox4Names
	if n == 6 {
		names = bbox6Names
	}
	f, err := parseNumbers("bbox", s, names)
	if err != nil {
		return nil, err
	}
	minLon, minLat, maxLon, maxLat := f[0], f[1], f[2], f[3]
	if n == 6 {
		minLon, minLat, maxLon, maxLat = f[0], f[1], f[3], f[4]
		if f[2] > f[5] {
			return nil, paramErrorf("bbox", "minHeight %v is greater than maxHeight %v", f[2], f[5])
		}
	}
	for _, c := range []struct {
		name     string
		val, lim float64
	}{{"minLon", minLon, 180}, {"minLat", minLat, 90}, {"maxLon", maxLon, 180}, {"maxLat", maxLat, 90}} {
		if c.val < -c.lim || c.val > c.lim {
			return nil, paramErrorf("bbox", "%s %v is out of range -%v..%v", c.name, c.val, c.lim, c.lim)
		}
	}
	if minLat > maxLat {
		return nil, paramErrorf("bbox", "minLat %v is greater than maxLat %v (only longitudes may wrap, across the antimeridian)", minLat, maxLat)
	}
	if minLon <= maxLon {
		return []orb.Bound{{Min: orb.Point{minLon, minLat}, Max: orb.Point{maxLon, maxLat}}}, nil
	}
	return geo.SplitBound(minLon, minLat, maxLon, maxLat), nil
}

// The instants the twin's Unix-nanosecond clock can hold.
var (
	minInstant = time.Unix(0, math.MinInt64+1).UTC()
	maxInstant = time.Unix(0, math.MaxInt64).UTC()
)

// parseDatetime reads OGC's datetime: an instant (the twin as of then: at, and
// until 0) or an interval a/b, ../b or a/.. with inclusive ends (every entity
// valid at some instant of it: at and until, ".." open).
func parseDatetime(s string) (at, until int64, perr *ParamError) {
	a, b, interval := strings.Cut(s, "/")
	if !interval {
		at, perr = parseInstant(s)
		return at, 0, perr
	}
	bad := func() *ParamError {
		return paramErrorf("datetime", "%q is neither an RFC 3339 instant nor an interval (a/b, ../b, a/..)", clip(s))
	}
	if strings.Contains(b, "/") || open(a) && open(b) {
		return 0, 0, bad()
	}
	at, until = math.MinInt64, math.MaxInt64
	if !open(a) {
		t, err := parseTime(a)
		if err != nil {
			return 0, 0, bad()
		}
		at = t.UnixNano()
	}
	if !open(b) {
		t, err := parseTime(b)
		if err != nil {
			return 0, 0, bad()
		}
		until = t.UnixNano()
	}
	if until < at {
		return 0, 0, paramErrorf("datetime", "%q ends before it starts", clip(s))
	}
	return at, until, nil
}

// parseInstant reads an RFC 3339 date-time as twin nanoseconds. 0 means "now" to the
// twin, so the epoch itself becomes -1 ns: no version can start in between, since
// the twin never stores a version from 0.
func parseInstant(s string) (int64, *ParamError) {
	if strings.Contains(s, "/") {
		parts := strings.Split(s, "/")
		ok := len(parts) == 2 && !(open(parts[0]) && open(parts[1]))
		for _, p := range parts {
			if _, err := parseTime(p); err != nil && !open(p) {
				ok = false
			}
		}
		if !ok {
			return 0, paramErrorf("datetime", "%q is neither an RFC 3339 instant nor an interval (a/b, ../b, a/..)", clip(s))
		}
		return 0, paramErrorf("datetime", "an instant is wanted here, such as 2024-05-01T08:00:00Z; intervals are answered by /collections/{id}/items?datetime=a/b")
	}
	t, err := parseTime(s)
	if err != nil {
		if _, derr := time.Parse(time.DateOnly, s); derr == nil {
			return 0, paramErrorf("datetime", "%q is a date, which is a day-long interval; give an instant such as %sT00:00:00Z", s, s)
		}
		return 0, paramErrorf("datetime", "%q is not an RFC 3339 instant such as 2024-05-01T08:00:00Z", clip(s))
	}
	if t.Before(minInstant) || t.After(maxInstant) {
		return 0, paramErrorf("datetime", "%s is outside %s..%s, the range of the twin's clock", s, minInstant.Format(time.RFC3339), maxInstant.Format(time.RFC3339))
	}
	ns := t.UnixNano()
	if ns == 0 {
		ns = -1
	}
	return ns, nil
}

func open(s string) bool { return s == "" || s == ".." }

// parseTime reads an RFC 3339 date-time; RFC 3339 allows a lower-case t and z.
func parseTime(s string) (time.Time, error) {
	return time.Parse(time.RFC3339Nano, strings.ToUpper(s))
}

func parseLimit(s string, capAt int) (int, *ParamError) {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil {
		return 0, paramErrorf("limit", "%q is not an integer; want 1..%d", clip(s), MaxPageLimit)
	}
	if n < 1 || n > MaxPageLimit {
		return 0, paramErrorf("limit", "%d is out of range 1..%d", n, MaxPageLimit)
	}
	return min(n, capAt), nil
}

// parseCursor checks a cursor from a next link; cursors are opaque to clients.
func parseCursor(s string) (string, *ParamError) {
	if err := twin.CheckCursor(s); err != nil {
		return "", paramErrorf("cursor", "%q is not a cursor this server issued; follow the next link of the previous page", clip(s))
	}
	return s, nil
}

func parseWhere(vs []string) ([]twin.Filter, *ParamError) {
	if len(vs) > maxFilters {
		return nil, paramErrorf("where", "given %d times; at most %d filters", len(vs), maxFilters)
	}
	var out []twin.Filter
	for _, s := range vs {
		f, err := twin.ParseFilter(s)
		if err != nil {
			return nil, paramErrorf("where", "%q: want key=value, key!=value, key<value, key<=value, key>value, key>=value or key (exists)", clip(s))
		}
		out = append(out, f)
	}
	return out, nil
}

func parseNear(s string) (*twin.Circle, *ParamError) {
	if n := strings.Count(s, ",") + 1; n != 3 {
		return nil, paramErrorf("near", "has %d values; want 3: lon,lat,radius_m", n)
	}
	f, err := parseNumbers("near", s, []string{"lon", "lat", "radius_m"})
	if err != nil {
		return nil, err
	}
	switch {
	case f[0] < -180 || f[0] > 180:
		return nil, paramErrorf("near", "lon %v is out of range -180..180", f[0])
	case f[1] < -90 || f[1] > 90:
		return nil, paramErrorf("near", "lat %v is out of range -90..90", f[1])
	case f[2] < 0 || f[2] > maxRadius:
		return nil, paramErrorf("near", "radius_m %v is out of range 0..%v metres", f[2], maxRadius)
	}
	return &twin.Circle{Center: orb.Point{f[0], f[1]}, Radius: f[2]}, nil
}

func parseCells(vs []string) ([]h3.Cell, *ParamError) {
	var out []h3.Cell
	for _, v := range vs {
		for _, s := range strings.Split(v, ",") {
			s = strings.TrimSpace(s)
			c := h3.Cell(h3.IndexFromString(s))
			if !isHex(s) || !c.IsValid() {
				return nil, paramErrorf("h3", "%q is not an H3 cell index (hexadecimal, e.g. 8a1fb46622dffff)", clip(s))
			}
			if len(out) == maxCells {
				return nil, paramErrorf("h3", "more than %d cells; use a coarser resolution", maxCells)
			}
			out = append(out, c)
		}
	}
	return out, nil
}

// isHex reports whether s is 1..16 hex digits, so that IndexFromString did not
// quietly give up on it.
func isHex(s string) bool {
	s = strings.TrimPrefix(strings.TrimPrefix(s, "0x"), "0X")
	if s == "" || len(s) > 16 {
		return false
	}
	for _, r := range s {
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'f' || r >= 'A' && r <= 'F') {
			return false
		}
	}
	return true
}

// clip shortens a value quoted back in an error, so that a huge parameter does not
// make a huge problem.
func clip(s string) string {
	const n = 64
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

func utf8RuneStart(b byte) bool { return b&0xC0 != 0x80 }
