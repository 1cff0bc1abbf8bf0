package twin

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"sync"

	"citytwin/geo"

	"github.com/paulmach/orb"
	"github.com/uber/h3-go/v4"
)

// Circle is a radius around a point, in metres of true distance.
type Circle struct {
	Center orb.Point
	Radius float64
}

// Query selects entities. All the conditions that are set must hold.
//
// A query asks about an instant (At) or, when Until is set, about an interval:
// "the entities valid in it", as OGC API Features reads a datetime interval.
type Query struct {
	Kinds []Kind // any of these kinds; empty = all
	IDs   []ID   // any of these ids; empty = all
	// BBox keeps entities whose geometry intersects any of the boxes (a box that
	// crosses the antimeridian is given as two, see geo.SplitBound).
	BBox       []orb.Bound
	Within     orb.Geometry // entities wholly inside this (multi)polygon
	Intersects orb.Geometry // entities that share a point with this geometry
	Near       *Circle      // entities within Radius metres (to the real geometry)
	Cells      []h3.Cell    // entities whose point (or centre) lies in any of these cells, any resolution, by H3's hierarchy (see AggregateCells)
	Where      []Filter
	// Match, when set, is a last test on each entity that passes every other
	// condition (e.g. a compiled CQL2 filter). It sees the entity as of At (in an
	// interval, as of the instant being tested), runs under the store's read lock
	// and must not call the store.
	Match func(*Entity) bool
	// At answers as the twin was at this instant (Unix nanoseconds); 0 is now.
	At int64
	// Until, when not 0, makes the query one about the closed interval
	// [At, Until] (Unix nanoseconds, At <= Until). It keeps every entity that, at
	// some instant t in the interval, existed and met every condition at t: kinds,
	// ids, filters and Match against its version valid at t, the spatial
	// conditions against its geometry at t; a moving entity is tested at each
	// position recorded in the interval and where it was when the interval began.
	// Each entity comes once, in the usual order, as of the end of the interval,
	// or when it last matched. Both ends are instants: At = 0 is 1970, not now;
	// math.MinInt64 opens the start and math.MaxInt64 the end (which reaches the
	// current state). Count counts them; Nearest, Latest and the aggregates do
	// not support intervals (ErrBadQuery).
	Until int64
	// Limit caps the entities returned (0 = all); After is the cursor of the
	// previous page (Result.Next).
	Limit int
	After string
}

// Result is a page of entities in a stable order (the order in which the twin first
// saw them), with the number that matched in all.
type Result struct {
	Entities []Entity
	Matched  int
	Next     string // cursor for the next page, "" at the end
}

// Query errors.
var (
	ErrBadQuery  = errors.New("twin: bad query")
	ErrBadCursor = errors.New("twin: bad cursor")
)

func (q *Query) validate() error {
	for _, b := range q.BBox {
		if !validLonLat(b.Min) || !validLonLat(b.Max) || b.Min[0] > b.Max[0] || b.Min[1] > b.Max[1] {
			return fmt.Errorf("%w: bbox %v: want min <= max within WGS84", ErrBadQuery, b)
		}
	}
	for _, g := range []orb.Geometry{q.Within, q.Intersects} {
		if g != nil {
			if err := ValidGeometry(g); err != nil {
				return fmt.Errorf("%w: %w", ErrBadQuery, err)
			}
		}
	}
	if q.Near != nil && (!validLonLat(q.Near.Center) || badFloat(q.Near.Radius) || q.Near.Radius < 0) {
		return fmt.Errorf("%w: near %v radius %v: want a WGS84 point and a radius >= 0 metres", ErrBadQuery, q.Near.Center, q.Near.Radius)
	}
	for _, c := range q.Cells {
		if !c.IsValid() {
			return fmt.Errorf("%w: %v is not a valid H3 cell", ErrBadQuery, c)
		}
	}
	if q.Limit < 0 {
		return fmt.Errorf("%w: limit %d must be >= 0", ErrBadQuery, q.Limit)
	}
	if q.interval() && q.Until < q.At {
		return fmt.Errorf("%w: interval ends (until %d) before it starts (at %d)", ErrBadQuery, q.Until, q.At)
	}
	return CheckCursor(q.After)
}

// CheckCursor reports whether c is a cursor the store hands out ("" is the start).
func CheckCursor(c string) error {
	_, err := parseCursor(c)
	return err
}

func cursorOf(slot uint32) string { return strconv.FormatUint(uint64(slot)+1, 36) }

// parseCursor returns the first slot after the cursor.
func parseCursor(c string) (uint32, error) {
	if c == "" {
		return 0, nil
	}
	n, err := strconv.ParseUint(c, 36, 32)
	if err != nil {
		return 0, fmt.Errorf("%w %q", ErrBadCursor, c)
	}
	return uint32(n), nil
}

// Query runs q.
func (s *Store) Query(ctx context.Context, q Query) (Result, error) {
	if err := q.validate(); err != nil {
		return Result{}, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if q.interval() {
		return s.queryDuring(ctx, &q)
	}
	slots, err := s.match(ctx, &q)
	if err != nil {
		return Result{}, err
	}
	res := Result{Matched: len(slots)}
	start, _ := parseCursor(q.After)
	i, _ := slices.BinarySearch(slots, start)
	page := slots[i:]
	if q.Limit > 0 && len(page) > q.Limit {
		page = page[:q.Limit]
		res.Next = cursorOf(page[len(page)-1])
	}
	res.Entities = s.entitiesAt(page, q.At)
	return res, nil
}

// Count is the number of entities that match q (Limit and After are ignored).
func (s *Store) Count(ctx context.Context, q Query) (int, error) {
	q.Limit, q.After = 0, ""
	if err := q.validate(); err != nil {
		return 0, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if q.interval() {
		hits, err := s.matchDuring(ctx, &q)
		return len(hits), err
	}
	slots, err := s.match(ctx, &q)
	return len(slots), err
}

// checkEvery is how many candidates a long scan looks at between checks of ctx.
const checkEvery = 4096

// match returns the sorted slots that satisfy q, an instant query (see
// matchDuring for intervals). Must hold s.mu.
func (s *Store) match(ctx context.Context, q *Query) ([]uint32, error) {
	buf := candPool.Get().(*[]uint32)
	defer func() {
		if cap(*buf) <= maxPooledCands {
			candPool.Put(buf)
		}
	}()
	cands, all := s.candidatesInto((*buf)[:0], q)
	*buf = cands
	kinds, ok := s.kindSet(q.Kinds)
	if !ok {
		return nil, nil
	}
	filters := s.compileFilters(q.Where)
	spatial := newSpatialTest(q)
	var out []uint32
	if !all {
		out = make([]uint32, 0, len(cands))
	}
	test := func(slot uint32) {
		st := s.stateAt(slot, q.At)
		if st == nil || kinds != nil && !kinds[st.kind] || !s.matchFilters(st, filters) {
			return
		}
		if !spatial.match(s, slot, st) {
			return
		}
		if q.Match != nil {
			e := s.materialise(slot, st, q.At, make(Properties, len(st.props)))
			if !q.Match(&e) {
				return
			}
		}
		out = append(out, slot)
	}
	if err := s.visit(ctx, cands, all, test); err != nil {
		return nil, err
	}
	return out, nil
}

// visit calls test for every slot (all) or for each candidate once, in slot
// order, checking ctx as it goes. It sorts cands in place. Must hold s.mu.
func (s *Store) visit(ctx context.Context, cands []uint32, all bool, test func(slot uint32)) error {
	if all {
		for slot := range uint32(len(s.cur)) {
			if slot%checkEvery == 0 && ctx.Err() != nil {
				return ctx.Err()
			}
			test(slot)
		}
		return nil
	}
	slices.Sort(cands)
	cands = slices.Compact(cands)
	for i, slot := range cands {
		if i%checkEvery == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		test(slot)
	}
	return nil
}

func (q *Query) spatial() bool {
	return len(q.BBox) > 0 || q.Within != nil || q.Intersects != nil || q.Near != nil || len(q.Cells) > 0
}

// kindSet maps the kinds to symbols; ok is false when none of them exists.
func (s *Store) kindSet(kinds []Kind) (set map[uint16]bool, ok bool) {
	if len(kinds) == 0 {
		return nil, true
	}
	set = make(map[uint16]bool, len(kinds))
	for _, k := range kinds {
		if id, found := s.kinds.lookup(string(k)); found {
			set[uint16(id)] = true
		}
	}
	return set, len(set) > 0
}

// candPool holds the candidate lists of match, which die with it: a small
// bbox query collects a few hundred.
var candPool = sync.Pool{New: func() any { return new([]uint32) }}

// maxPooledCands keeps the lists of city-wide queries out of the pool.
const maxPooledCands = 1 << 16

// candidates returns the slots that may match q, from the most selective index
// at hand; all is true when every slot must be looked at.
func (s *Store) candidates(q *Query) (cands []uint32, all bool) {
	return s.candidatesInto(nil, q)
}

// candidatesInto is candidates appending to cands.
func (s *Store) candidatesInto(cands []uint32, q *Query) ([]uint32, bool) {
	// Only now is every entity in the current indexes: a query about the past
	// also looks at superseded geometry and at every moving entity.
	past := q.At != 0 || q.interval()
	if len(q.IDs) > 0 {
		for _, id := range q.IDs {
			if slot, ok := s.slotOf(id); ok {
				cands = append(cands, slot)
			}
		}
		return cands, false
	}
	var boxes []orb.Bound
	switch {
	case len(q.BBox) > 0:
		boxes = q.BBox
	case q.Near != nil:
		boxes = geo.BoundAround(q.Near.Center, q.Near.Radius)
	case q.Within != nil:
		boxes = []orb.Bound{q.Within.Bound()}
	case q.Intersects != nil:
		boxes = []orb.Bound{q.Intersects.Bound()}
	case len(q.Cells) > 0:
		return s.cellCandidates(q, past), false
	default:
		return nil, true
	}
	collect := func(_ orb.Bound, slot uint32) bool { cands = append(cands, slot); return true }
	for _, b := range boxes {
		s.rt.Search(b, collect)
		s.grid.Search(b, func(slot uint32, _ orb.Point) bool { cands = append(cands, slot); return true })
		if past {
			s.past.Search(b, collect)
		}
	}
	if past {
		cands = s.appendMovers(cands)
	}
	return cands, false
}

// appendMovers adds every moving entity: as of a past instant any of them may have
// been anywhere.
func (s *Store) appendMovers(cands []uint32) []uint32 {
	for slot, tr := range s.tracks {
		if tr != nil {
			cands = append(cands, uint32(slot))
		}
	}
	return cands
}

func (s *Store) cellCandidates(q *Query, past bool) []uint32 {
	var cands []uint32
	for _, c := range q.Cells {
		res := c.Resolution()
		switch {
		case res >= h3IndexRes:
			cands = append(cands, s.byCell[uint64(geo.Parent(c, h3IndexRes))]...)
		case pow7(h3IndexRes-res) <= len(s.byCell):
			for _, k := range geo.Children(c, h3IndexRes) {
				cands = append(cands, s.byCell[uint64(k)]...)
			}
		default:
			for k, list := range s.byCell {
				if geo.Parent(h3.Cell(k), res) == c {
					cands = append(cands, list...)
				}
			}
		}
		// Points are in a cell when their finest cell descends from it, and the
		// descendants of a cell stick out of its hexagon a little: search a
		// generous circle around it, then test exactly.
		reach := 3 * h3.HexagonEdgeLengthAvgM(res)
		for _, box := range geo.BoundAround(geo.CellCenter(c), reach) {
			s.grid.Search(box, func(slot uint32, _ orb.Point) bool { cands = append(cands, slot); return true })
			if past {
				s.past.Search(box, func(_ orb.Bound, slot uint32) bool { cands = append(cands, slot); return true })
			}
		}
	}
	if past {
		cands = s.appendMovers(cands)
	}
	return cands
}

func pow7(n int) int {
	p := 1
	for range n {
		p *= 7
	}
	return p
}

// spatialTest holds a query's spatial conditions ready to test many entities
// with: the boxes converted to geometries once, not once an entity.
type spatialTest struct {
	q     *Query
	boxes []orb.Geometry
	now   bool // the query is about now: cached cells of moving entities hold
}

func newSpatialTest(q *Query) *spatialTest {
	if !q.spatial() {
		return nil
	}
	t := &spatialTest{q: q, boxes: make([]orb.Geometry, len(q.BBox)), now: q.At == 0 && !q.interval()}
	for i, b := range q.BBox {
		t.boxes[i] = b
	}
	return t
}

// match tests the exact geometry of slot (at q.At) against every spatial
// condition; a nil test passes everything.
func (t *spatialTest) match(s *Store, slot uint32, st *state) bool {
	if t == nil {
		return true
	}
	if p, ok := s.pointAt(slot, st, t.q.At); ok {
		return t.matchPoint(s, slot, st, p)
	}
	return t.matchGeometry(s, slot, st, st.geometry())
}

// matchGeometry is match for an entity whose geometry is g, not a point.
func (t *spatialTest) matchGeometry(s *Store, slot uint32, st *state, g orb.Geometry) bool {
	q := t.q
	if g == nil {
		return false
	}
	if len(t.boxes) > 0 && !slices.ContainsFunc(t.boxes, func(b orb.Geometry) bool { return intersectsBox(g, b.(orb.Bound)) }) {
		return false
	}
	if q.Within != nil && !geo.Within(g, q.Within) {
		return false
	}
	if q.Intersects != nil && !geo.Intersects(g, q.Intersects) {
		return false
	}
	if q.Near != nil && geo.DistanceToGeometry(q.Near.Center, g) > q.Near.Radius {
		return false
	}
	if len(q.Cells) > 0 {
		p, ok := anchor(g)
		return ok && t.inCells(t.cellAt(s, slot, st, p))
	}
	return true
}

// intersectsBox is geo.Intersects(g, b) for a query box b. Most of a small
// bbox query's candidates are decided without the exact test, which builds
// the parts of both sides: buildings with a corner in the box, and roads with
// a segment that clearly crosses it or clearly misses it.
func intersectsBox(g orb.Geometry, b orb.Bound) bool {
	if hit, sure := boxRelate(g, b); sure {
		return hit
	}
	return geo.Intersects(g, b)
}

// boxRelate decides whether g meets the closed box b when that is plain in
// floating point; sure is false when it is not, and the exact test must
// decide.
func boxRelate(g orb.Geometry, b orb.Bound) (hit, sure bool) {
	if vertexInBox(g, b) {
		return true, true
	}
	switch g := g.(type) {
	case orb.LineString:
		return lineBoxRelate(g, b)
	case orb.MultiLineString:
		sure = true
		for _, l := range g {
			h, s := lineBoxRelate(l, b)
			if h && s {
				return true, true
			}
			sure = sure && s
		}
		return false, sure
	case orb.Polygon:
		// An outer edge through the box is a shared point; anything else
		// (the box inside the area, or in a hole) is for the exact test.
		if len(g) > 0 && ringCrossesBox(g[0], b) {
			return true, true
		}
	case orb.MultiPolygon:
		for _, p := range g {
			if len(p) > 0 && ringCrossesBox(p[0], b) {
				return true, true
			}
		}
	}
	return false, false
}

// vertexInBox reports whether a vertex of g (of an outer ring, for areas) lies
// in the closed box b: g and b then share that point.
func vertexInBox(g orb.Geometry, b orb.Bound) bool {
	switch g := g.(type) {
	case orb.Polygon:
		return len(g) > 0 && pointsInBox(g[0], b)
	case orb.MultiPolygon:
		for _, p := range g {
			if len(p) > 0 && pointsInBox(p[0], b) {
				return true
			}
		}
	case orb.LineString:
		return pointsInBox(g, b)
	case orb.MultiLineString:
		for _, l := range g {
			if pointsInBox(l, b) {
				return true
			}
		}
	case orb.MultiPoint:
		return pointsInBox(g, b)
	case orb.Ring:
		return pointsInBox(g, b)
	}
	return false
}

func pointsInBox(ps []orb.Point, b orb.Bound) bool {
	for _, p := range ps {
		if b.Min[0] <= p[0] && p[0] <= b.Max[0] && b.Min[1] <= p[1] && p[1] <= b.Max[1] {
			return true
		}
	}
	return false
}

// lineBoxRelate is boxRelate for a line none of whose vertices is in b: it
// meets b when a segment does.
func lineBoxRelate(l []orb.Point, b orb.Bound) (hit, sure bool) {
	if len(l) < 2 {
		return false, true // empty, or a point outside b
	}
	sure = true
	for i := 1; i < len(l); i++ {
		switch segmentBox(l[i-1], l[i], b) {
		case 1:
			return true, true
		case 0:
			sure = false
		}
	}
	return false, sure
}

// ringCrossesBox reports whether an edge of the closed ring r plainly meets b.
func ringCrossesBox(r orb.Ring, b orb.Bound) bool {
	for i := range r {
		j := i + 1
		if j == len(r) {
			j = 0
		}
		if segmentBox(r[i], r[j], b) == 1 {
			return true
		}
	}
	return false
}

// orientErrBound is Shewchuk's bound on the relative rounding error of the
// floating-point orientation determinant (as geo uses it).
const orientErrBound = (3 + 16*0x1p-53) * 0x1p-53

// segmentBox tells whether the closed segment pq meets the closed box b by
// separating axes: the two of the box and the normal of the segment. It is 1
// when they surely meet, -1 when they surely do not and 0 when a corner of b
// lies too close to the line through p and q for floating point to tell.
func segmentBox(p, q orb.Point, b orb.Bound) int {
	if max(p[0], q[0]) < b.Min[0] || min(p[0], q[0]) > b.Max[0] || max(p[1], q[1]) < b.Min[1] || min(p[1], q[1]) > b.Max[1] {
		return -1
	}
	dx, dy := q[0]-p[0], q[1]-p[1]
	pos, neg, unsure := false, false, false
	for _, c := range [4]orb.Point{b.Min, {b.Max[0], b.Min[1]}, b.Max, {b.Min[0], b.Max[1]}} {
		left, right := dx*(c[1]-p[1]), dy*(c[0]-p[0])
		det, sum := left-right, math.Abs(left)+math.Abs(right)
		switch bound := orientErrBound * sum; {
		case !(sum > 1e-280 && sum < 1e300): // out of the bound's range, or NaN
			unsure = true
		case det > bound:
			pos = true
		case det < -bound:
			neg = true
		default:
			unsure = true
		}
	}
	switch {
	case pos && neg:
		return 1 // the line splits the box and the bounds overlap
	case unsure:
		return 0
	}
	return -1 // every corner strictly on one side
}

// matchPoint is match for an entity that is a point now (p), without making
// an orb.Geometry of it.
func (t *spatialTest) matchPoint(s *Store, slot uint32, st *state, p orb.Point) bool {
	q := t.q
	if len(q.BBox) > 0 && !slices.ContainsFunc(q.BBox, func(b orb.Bound) bool { return b.Contains(p) }) {
		return false
	}
	if q.Within != nil && !geo.PointWithin(p, q.Within) {
		return false
	}
	if q.Intersects != nil && !geo.PointIntersects(p, q.Intersects) {
		return false
	}
	if q.Near != nil && geo.Distance(q.Near.Center, p) > q.Near.Radius {
		return false
	}
	return len(q.Cells) == 0 || t.inCells(t.cellAt(s, slot, st, p))
}

// cellAt is the base-resolution cell of slot in state st, whose anchor point
// is p at the instant tested.
func (t *spatialTest) cellAt(s *Store, slot uint32, st *state, p orb.Point) uint64 {
	return s.cellIn(slot, st, p, t.now)
}

// inCells reports whether the base cell descends from one of the query's cells.
func (t *spatialTest) inCells(base uint64) bool {
	if base == 0 {
		return false
	}
	return slices.ContainsFunc(t.q.Cells, func(c h3.Cell) bool { return geo.Parent(h3.Cell(base), c.Resolution()) == c })
}

// cellAt is the base-resolution cell of slot at t, whose anchor point is p.
func (s *Store) cellAt(slot uint32, st *state, p orb.Point, t int64) uint64 {
	return s.cellIn(slot, st, p, t == 0)
}

// cellIn is the base-resolution cell of slot in state st, whose anchor point is
// p, now or at another instant: the cached cell holds only for the current
// place of an entity.
func (s *Store) cellIn(slot uint32, st *state, p orb.Point, now bool) uint64 {
	if now || st == s.cur[slot] && !s.moves(slot) {
		return s.cellOf(slot, p)
	}
	return uint64(geo.Cell(p, h3Base))
}
