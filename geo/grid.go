package geo

import (
	"math"
	"sync"

	"github.com/paulmach/orb"
)

// PointGrid indexes moving points (vehicles, people, drones) by slot, a
// dense uint32 id. It trades the R-tree's balance for an update in tens of
// nanoseconds: a move within the same cell only overwrites the position, and
// a move to another cell is a swap-removal from one bucket and an append to
// another, with each slot remembering its bucket and its place in it.
//
// The grid is uniform in lon/lat, with square cells of the given size at the
// reference latitude (narrower east-west towards the poles, wider towards
// the equator; correctness does not depend on it). Columns wrap at the
// antimeridian. Per-slot state lives in slices indexed by slot, so memory
// is proportional to the largest slot used (8 bytes a slot), plus 20 bytes
// per point in its bucket: the positions live in the buckets, so that a
// search reads a cell's points from one run of memory.
//
// Positions are stored with longitude wrapped into [-180, 180] and latitude
// clamped to [-90, 90]. A PointGrid is not safe for concurrent use, and the
// callbacks of Search and Nearby must not modify it.
type PointGrid struct {
	latDeg, lonDeg float64 // cell size in degrees
	invLat, invLon float64
	nrows, ncols   int

	at   []slotAt // by slot: where its point is stored
	n    int
	bkts []gridBucket
	free []int32 // indexes of empty buckets, for reuse
	idx  map[uint64]int32
}

// slotAt places a slot's point: one record, so that a move reads one line.
type slotAt struct {
	bkt int32  // bucket index, or -1 if the slot is absent
	pos uint32 // index in its bucket
}

type gridBucket struct {
	key   uint64
	slots []uint32
	pts   []orb.Point // position of slots[i]
}

// NewPointGrid returns an empty grid with cells of about cellMetres at
// refLat. Cell sizes outside [1 m, 1000 km] are clamped into it (NaN
// becomes 100 m); refLat is clamped to ±85 so that polar cells stay finite.
func NewPointGrid(cellMetres float64, refLat float64) *PointGrid {
	if math.IsNaN(cellMetres) {
		cellMetres = 100
	}
	cellMetres = math.Max(1, math.Min(1e6, cellMetres))
	if math.IsNaN(refLat) {
		refLat = 0
	}
	refLat = math.Max(-85, math.Min(85, refLat))
	latDeg := cellMetres / (EarthRadius * degToRad)
	lonDeg := latDeg / math.Cos(refLat*degToRad)
	// Whole numbers of cells round the world, so that columns wrap cleanly.
	g := &PointGrid{
		nrows: int(math.Ceil(180 / latDeg)),
		ncols: int(math.Ceil(360 / lonDeg)),
		idx:   make(map[uint64]int32),
	}
	g.latDeg = 180 / float64(g.nrows)
	g.lonDeg = 360 / float64(g.ncols)
	g.invLat = float64(g.nrows) / 180
	g.invLon = float64(g.ncols) / 360
	return g
}

func cellIndex(v float64, n int) int {
	if !(v >= 0) { // also NaN
		return 0
	}
	if v >= float64(n) {
		return n - 1
	}
	return int(v)
}

func (g *PointGrid) cellOf(p orb.Point) (cx, cy int) {
	return cellIndex(math.Floor((p[0]+180)*g.invLon), g.ncols),
		cellIndex(math.Floor((p[1]+90)*g.invLat), g.nrows)
}

func gridKey(cx, cy int) uint64 {
	return uint64(uint32(cy))<<32 | uint64(uint32(cx))
}

// Set inserts slot at p, or moves it there.
func (g *PointGrid) Set(slot uint32, p orb.Point) {
	p = orb.Point{normLon(p[0]), clampLat(p[1])}
	key := gridKey(g.cellOf(p))
	if int(slot) >= len(g.at) {
		g.grow(int(slot) + 1)
	}
	if at := g.at[slot]; at.bkt >= 0 {
		b := at.bkt
		if g.bkts[b].key == key {
			g.bkts[b].pts[at.pos] = p
			return
		}
		g.removeFrom(slot, b)
	} else {
		g.n++
	}
	g.addTo(slot, key, p)
}

func (g *PointGrid) grow(n int) {
	old := len(g.at)
	if n <= cap(g.at) {
		g.at = g.at[:n]
	} else {
		c := max(n, 2*cap(g.at))
		g.at = append(make([]slotAt, 0, c), g.at...)[:n]
	}
	for i := old; i < n; i++ {
		g.at[i] = slotAt{bkt: -1}
	}
}

func (g *PointGrid) removeFrom(slot uint32, b int32) {
	bk := &g.bkts[b]
	i := g.at[slot].pos
	last := len(bk.slots) - 1
	moved := bk.slots[last]
	bk.slots[i] = moved
	bk.pts[i] = bk.pts[last]
	g.at[moved].pos = i
	bk.slots = bk.slots[:last]
	bk.pts = bk.pts[:last]
	g.at[slot].bkt = -1
	if last == 0 {
		delete(g.idx, bk.key)
		if cap(bk.slots) > 64 {
			bk.slots, bk.pts = nil, nil // a crowd has left; give its memory back
		}
		g.free = append(g.free, b)
	}
}

func (g *PointGrid) addTo(slot uint32, key uint64, p orb.Point) {
	b, ok := g.idx[key]
	if !ok {
		if n := len(g.free); n > 0 {
			b = g.free[n-1]
			g.free = g.free[:n-1]
		} else {
			b = int32(len(g.bkts))
			g.bkts = append(g.bkts, gridBucket{})
		}
		g.bkts[b].key = key
		g.idx[key] = b
	}
	bk := &g.bkts[b]
	g.at[slot] = slotAt{bkt: b, pos: uint32(len(bk.slots))}
	bk.slots = append(bk.slots, slot)
	bk.pts = append(bk.pts, p)
}

// Remove deletes slot; removing an absent slot does nothing.
func (g *PointGrid) Remove(slot uint32) {
	if int(slot) >= len(g.at) || g.at[slot].bkt < 0 {
		return
	}
	g.removeFrom(slot, g.at[slot].bkt)
	g.n--
}

// Point returns the stored position of slot and whether it is present.
func (g *PointGrid) Point(slot uint32) (orb.Point, bool) {
	if int(slot) >= len(g.at) || g.at[slot].bkt < 0 {
		return orb.Point{}, false
	}
	at := g.at[slot]
	return g.bkts[at.bkt].pts[at.pos], true
}

// Len returns the number of points.
func (g *PointGrid) Len() int { return g.n }

// Search calls fn for every point inside b, edges included; fn false stops.
// b does not wrap: split a box across the antimeridian with SplitBound.
func (g *PointGrid) Search(b orb.Bound, fn func(slot uint32, p orb.Point) bool) {
	if !(b.Min[0] <= b.Max[0]) || !(b.Min[1] <= b.Max[1]) || g.n == 0 {
		return
	}
	cx0, cy0 := g.cellOf(b.Min)
	cx1, cy1 := g.cellOf(b.Max)
	visit := func(bk *gridBucket) bool {
		for i, p := range bk.pts {
			if b.Contains(p) {
				if !fn(bk.slots[i], p) {
					return false
				}
			}
		}
		return true
	}
	// A box larger than the populated area is cheaper to answer by
	// scanning the buckets than by probing its many empty cells.
	if (cx1-cx0+1)*(cy1-cy0+1) > len(g.idx) {
		for i := range g.bkts {
			if len(g.bkts[i].slots) > 0 && !visit(&g.bkts[i]) {
				return
			}
		}
		return
	}
	for cy := cy0; cy <= cy1; cy++ {
		for cx := cx0; cx <= cx1; cx++ {
			if b, ok := g.idx[gridKey(cx, cy)]; ok && !visit(&g.bkts[b]) {
				return
			}
		}
	}
}

// Clone returns an independent deep copy.
func (g *PointGrid) Clone() *PointGrid {
	c := *g
	c.at = append([]slotAt(nil), g.at...)
	c.free = append([]int32(nil), g.free...)
	c.bkts = make([]gridBucket, len(g.bkts))
	for i, bk := range g.bkts {
		c.bkts[i] = gridBucket{key: bk.key, slots: append([]uint32(nil), bk.slots...), pts: append([]orb.Point(nil), bk.pts...)}
	}
	c.idx = make(map[uint64]int32, len(g.idx))
	for k, v := range g.idx {
		c.idx[k] = v
	}
	return &c
}

// Nearby calls fn for every point in non-decreasing order of its Distance
// from p, with that distance; fn false stops. It is a best-first search over
// four queues: rings of cells outward from p's cell (bounded below by the
// distance to the rings not yet opened), the populated cells found so far,
// the points of the cells opened, and the points whose exact Distance has
// been computed. Cells and points are queued by the cheap lower bound of
// boxBounder (no trigonometry); a point gets its exact Distance only when it
// is the least in its queue, and is yielded only when no cell, ring or
// queued point can hold a closer one. The bounds are spherical, so this is
// exact across the antimeridian and near the poles. When a ring would cost
// more probes than there are populated cells, all the remaining cells are
// queued at once. A NaN p yields nothing.
func (g *PointGrid) Nearby(p orb.Point, fn func(slot uint32, p orb.Point, metres float64) bool) {
	if g.n == 0 || math.IsNaN(p[0]) || math.IsNaN(p[1]) || math.IsInf(p[0], 0) {
		return
	}
	p = orb.Point{normLon(p[0]), clampLat(p[1])}
	cx0, cy0 := g.cellOf(p)
	q := newBoxBounder(p)
	qs := gridQueuePool.Get().(*gridQueues)
	defer func() {
		qs.cells, qs.cheap, qs.exact = qs.cells[:0], qs.cheap[:0], qs.exact[:0]
		gridQueuePool.Put(qs)
	}()
	cells, cheap, exact := &qs.cells, &qs.cheap, &qs.exact
	// Cells are queued by position and looked up only when they reach the
	// front: most of a ring is never needed, and each lookup is a cache miss.
	cellBox := func(cx, cy int) orb.Bound {
		x, y := float64(cx), float64(cy)
		return orb.Bound{
			Min: orb.Point{x*g.lonDeg - 180, y*g.latDeg - 90},
			Max: orb.Point{(x+1)*g.lonDeg - 180, (y+1)*g.latDeg - 90},
		}
	}
	queueCell := func(cx, cy int) {
		cells.push(keyed[gridRef]{q.lower(cellBox(cx, cy)), gridRef{uint32(cx), uint32(cy)}})
	}
	// Beyond the first ring the search has run long already; there a
	// lookup costs less than queueing the empty cells.
	queueFound := func(cx, cy int) {
		if b, ok := g.idx[gridKey(cx, cy)]; ok {
			cells.push(keyed[gridRef]{q.lower(cellBox(cx, cy)), gridRef{uint32(b), resolved}})
		}
	}
	cosLat := math.Cos(p[1] * degToRad)
	r := -1       // rings queued so far
	ringLB := 0.0 // lower bound for the cells of the rings beyond r
	for {
		// Below front lies nothing not yet measured exactly.
		front := ringLB
		if len(*cells) > 0 && (*cells)[0].d < front {
			front = (*cells)[0].d
		}
		if len(*cheap) > 0 && (*cheap)[0].d < front {
			front = (*cheap)[0].d
		}
		if len(*exact) > 0 && (*exact)[0].d <= front {
			it := exact.pop()
			bk := &g.bkts[it.v.slot]
			if !fn(bk.slots[it.v.pos], bk.pts[it.v.pos], it.d) {
				return
			}
			continue
		}
		if len(*cheap) > 0 && (*cheap)[0].d == front {
			it := cheap.pop()
			it.d = Distance(p, g.bkts[it.v.slot].pts[it.v.pos])
			if math.IsNaN(it.d) {
				it.d = math.Inf(1)
			}
			exact.push(it)
			continue
		}
		if len(*cells) > 0 && (*cells)[0].d == front {
			c := cells.pop()
			b := int32(c.v.slot)
			if c.v.pos != resolved {
				var ok bool
				if b, ok = g.idx[gridKey(int(c.v.slot), int(c.v.pos))]; !ok {
					continue
				}
			}
			k := g.bkts[b].key
			scale := q.scale(cellBox(int(uint32(k)), int(uint32(k>>32))))
			for i, pt := range g.bkts[b].pts {
				cheap.push(keyed[gridRef]{q.lowerPoint(pt, scale), gridRef{uint32(b), uint32(i)}})
			}
			continue
		}
		if math.IsInf(ringLB, 1) {
			if len(*exact) == 0 {
				return // every queue is empty
			}
			// Only +Inf distances (NaN positions) are left; yield them.
			continue
		}
		r++
		if r > 0 && 8*r > len(g.idx) {
			for i := range g.bkts {
				if k := g.bkts[i].key; len(g.bkts[i].slots) > 0 && g.chebyshev(k, cx0, cy0) >= r {
					cells.push(keyed[gridRef]{q.lower(cellBox(int(uint32(k)), int(uint32(k>>32)))), gridRef{uint32(i), resolved}})
				}
			}
			ringLB = math.Inf(1)
			continue
		}
		if r <= 1 {
			g.ring(cx0, cy0, r, queueCell)
		} else {
			g.ring(cx0, cy0, r, queueFound)
		}
		ringLB = g.unvisitedBound(p, cosLat, cx0, cy0, r)
	}
}

// chebyshev is the ring number of the cell with key k around (cx0, cy0),
// with columns wrapping round the world.
func (g *PointGrid) chebyshev(k uint64, cx0, cy0 int) int {
	cx, cy := int(uint32(k)), int(uint32(k>>32))
	dx := cx - cx0
	if dx < 0 {
		dx = -dx
	}
	dx = min(dx, g.ncols-dx)
	dy := cy - cy0
	if dy < 0 {
		dy = -dy
	}
	return max(dx, dy)
}

// ring calls fn for each cell exactly r rings out from (cx0, cy0).
func (g *PointGrid) ring(cx0, cy0, r int, fn func(cx, cy int)) {
	wrap := func(cx int) int {
		cx %= g.ncols
		if cx < 0 {
			cx += g.ncols
		}
		return cx
	}
	for dy := -r; dy <= r; dy++ {
		cy := cy0 + dy
		if cy < 0 || cy >= g.nrows {
			continue
		}
		if dy == -r || dy == r {
			if 2*r+1 >= g.ncols {
				for cx := 0; cx < g.ncols; cx++ {
					fn(cx, cy)
				}
			} else {
				for dx := -r; dx <= r; dx++ {
					fn(wrap(cx0+dx), cy)
				}
			}
			continue
		}
		switch {
		case 2*r < g.ncols:
			fn(wrap(cx0+r), cy)
			fn(wrap(cx0-r), cy)
		case 2*r == g.ncols:
			fn(wrap(cx0+r), cy)
		}
	}
}

// unvisitedBound is a lower bound in metres on the distance from p to any
// point in a cell more than r rings out, or +Inf if there is none.
func (g *PointGrid) unvisitedBound(p orb.Point, cosLat float64, cx0, cy0, r int) float64 {
	lb := math.Inf(1)
	if cy0-r > 0 { // rows to the south remain
		latLow := float64(cy0-r)*g.latDeg - 90
		lb = math.Min(lb, math.Max(0, p[1]-latLow)*degToRad)
	}
	if cy0+r+1 < g.nrows { // rows to the north remain
		latHigh := float64(cy0+r+1)*g.latDeg - 90
		lb = math.Min(lb, math.Max(0, latHigh-p[1])*degToRad)
	}
	if 2*r+1 < g.ncols { // columns remain, at least this far in longitude
		lonLow := float64(cx0-r)*g.lonDeg - 180
		lonHigh := float64(cx0+r+1)*g.lonDeg - 180
		d := math.Max(0, math.Min(p[0]-lonLow, lonHigh-p[0]))
		// The nearest point at a longitude difference of d or more is no
		// nearer than the great circle of the meridian d away.
		lb = math.Min(lb, math.Asin(math.Min(1, cosLat*math.Sin(math.Min(d, 180)*degToRad))))
	}
	if math.IsInf(lb, 1) {
		return lb
	}
	return lowerMargin(EarthRadius * lb)
}

// resolved marks a queued cell whose slot is already its bucket index.
const resolved = math.MaxUint32

// gridRef is what a grid search queues: a cell, by its coordinates (slot = x,
// pos = y) or, when pos is resolved, by its bucket (slot); or a point, by its
// bucket (slot) and index in it (pos).
type gridRef struct {
	slot, pos uint32
}

// gridQueues are the queues of one Nearby call, pooled.
type gridQueues struct {
	cells, cheap, exact minHeap[gridRef]
}

var gridQueuePool = sync.Pool{New: func() any { return new(gridQueues) }}
