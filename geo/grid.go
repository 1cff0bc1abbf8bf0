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
// is proportional to the largest slot used (24 bytes a slot), plus 4 bytes
// per point in its bucket.
//
// Positions are stored with longitude wrapped into [-180, 180] and latitude
// clamped to [-90, 90]. A PointGrid is not safe for concurrent use, and the
// callbacks of Search and Nearby must not modify it.
type PointGrid struct {
	latDeg, lonDeg float64 // cell size in degrees
	invLat, invLon float64
	nrows, ncols   int

	pts  []orb.Point // by slot
	bkt  []int32     // by slot: bucket index, or -1 if the slot is absent
	pos  []uint32    // by slot: index in its bucket
	n    int
	bkts []gridBucket
	free []int32 // indexes of empty buckets, for reuse
	idx  map[uint64]int32
}

type gridBucket struct {
	key   uint64
	slots []uint32
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
	if int(slot) >= len(g.bkt) {
		g.grow(int(slot) + 1)
	}
	if b := g.bkt[slot]; b >= 0 {
		if g.bkts[b].key == key {
			g.pts[slot] = p
			return
		}
		g.removeFrom(slot, b)
	} else {
		g.n++
	}
	g.pts[slot] = p
	g.addTo(slot, key)
}

func (g *PointGrid) grow(n int) {
	old := len(g.bkt)
	if n <= cap(g.bkt) {
		g.bkt = g.bkt[:n]
		g.pts = g.pts[:n]
		g.pos = g.pos[:n]
	} else {
		c := max(n, 2*cap(g.bkt))
		g.bkt = append(make([]int32, 0, c), g.bkt...)[:n]
		g.pts = append(make([]orb.Point, 0, c), g.pts...)[:n]
		g.pos = append(make([]uint32, 0, c), g.pos...)[:n]
	}
	for i := old; i < n; i++ {
		g.bkt[i] = -1
	}
}

func (g *PointGrid) removeFrom(slot uint32, b int32) {
	bk := &g.bkts[b]
	i := g.pos[slot]
	last := len(bk.slots) - 1
	moved := bk.slots[last]
	bk.slots[i] = moved
	g.pos[moved] = i
	bk.slots = bk.slots[:last]
	g.bkt[slot] = -1
	if last == 0 {
		delete(g.idx, bk.key)
		if cap(bk.slots) > 64 {
			bk.slots = nil // a crowd has left; give its memory back
		}
		g.free = append(g.free, b)
	}
}

func (g *PointGrid) addTo(slot uint32, key uint64) {
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
	g.pos[slot] = uint32(len(bk.slots))
	bk.slots = append(bk.slots, slot)
	g.bkt[slot] = b
}

// Remove deletes slot; removing an absent slot does nothing.
func (g *PointGrid) Remove(slot uint32) {
	if int(slot) >= len(g.bkt) || g.bkt[slot] < 0 {
		return
	}
	g.removeFrom(slot, g.bkt[slot])
	g.n--
}

// Point returns the stored position of slot and whether it is present.
func (g *PointGrid) Point(slot uint32) (orb.Point, bool) {
	if int(slot) >= len(g.bkt) || g.bkt[slot] < 0 {
		return orb.Point{}, false
	}
	return g.pts[slot], true
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
		for _, s := range bk.slots {
			if p := g.pts[s]; b.Contains(p) {
				if !fn(s, p) {
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
	c.pts = append([]orb.Point(nil), g.pts...)
	c.bkt = append([]int32(nil), g.bkt...)
	c.pos = append([]uint32(nil), g.pos...)
	c.free = append([]int32(nil), g.free...)
	c.bkts = make([]gridBucket, len(g.bkts))
	for i, bk := range g.bkts {
		c.bkts[i] = gridBucket{key: bk.key, slots: append([]uint32(nil), bk.slots...)}
	}
	c.idx = make(map[uint64]int32, len(g.idx))
	for k, v := range g.idx {
		c.idx[k] = v
	}
	return &c
}

// Nearby calls fn for every point in non-decreasing order of its Distance
// from p, with that distance; fn false stops. It is a best-first search over
// three queues: rings of cells outward from p's cell (bounded below by the
// distance to the rings not yet opened), the populated cells found so far
// (by their DistanceToBound), and the points of the cells opened (by exact
// Distance). A point is yielded only when no cell or ring can hold a closer
// one. The bounds are spherical, so this is exact across the antimeridian and
// near the poles. When a ring would cost more probes than there are
// populated cells, all the remaining cells are queued at once. A NaN p
// yields nothing.
func (g *PointGrid) Nearby(p orb.Point, fn func(slot uint32, p orb.Point, metres float64) bool) {
	if g.n == 0 || math.IsNaN(p[0]) || math.IsNaN(p[1]) || math.IsInf(p[0], 0) {
		return
	}
	p = orb.Point{normLon(p[0]), clampLat(p[1])}
	cx0, cy0 := g.cellOf(p)
	pts := heapPool.Get().(*distHeap)
	cells := heapPool.Get().(*distHeap)
	defer func() {
		*pts, *cells = (*pts)[:0], (*cells)[:0]
		heapPool.Put(pts)
		heapPool.Put(cells)
	}()
	queueCell := func(b int32) {
		k := g.bkts[b].key
		cx, cy := float64(uint32(k)), float64(uint32(k>>32))
		box := orb.Bound{
			Min: orb.Point{cx*g.lonDeg - 180, cy*g.latDeg - 90},
			Max: orb.Point{(cx+1)*g.lonDeg - 180, (cy+1)*g.latDeg - 90},
		}
		cells.push(distItem{DistanceToBound(p, box), uint32(b)})
	}
	cosLat := math.Cos(p[1] * degToRad)
	r := -1       // rings queued so far
	ringLB := 0.0 // lower bound for the cells of the rings beyond r
	for {
		cellLB := math.Inf(1)
		if len(*cells) > 0 {
			cellLB = (*cells)[0].d
		}
		if len(*pts) > 0 && (*pts)[0].d <= math.Min(cellLB, ringLB) {
			it := pts.pop()
			if !fn(it.slot, g.pts[it.slot], it.d) {
				return
			}
			continue
		}
		if len(*cells) > 0 && cellLB <= ringLB {
			for _, s := range g.bkts[cells.pop().slot].slots {
				d := Distance(p, g.pts[s])
				if math.IsNaN(d) {
					d = math.Inf(1)
				}
				pts.push(distItem{d, s})
			}
			continue
		}
		if math.IsInf(ringLB, 1) {
			return // every queue is empty
		}
		r++
		if r > 0 && 8*r > len(g.idx) {
			for i := range g.bkts {
				if len(g.bkts[i].slots) > 0 && g.chebyshev(g.bkts[i].key, cx0, cy0) >= r {
					queueCell(int32(i))
				}
			}
			ringLB = math.Inf(1)
			continue
		}
		g.ring(cx0, cy0, r, func(cx, cy int) {
			if b, ok := g.idx[gridKey(cx, cy)]; ok {
				queueCell(b)
			}
		})
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

type distItem struct {
	d    float64
	slot uint32
}

// distHeap is a binary min-heap on d, typed to avoid container/heap's
// interface boxing on the hot path.
type distHeap []distItem

var heapPool = sync.Pool{New: func() any { return new(distHeap) }}

func (h *distHeap) push(it distItem) {
	*h = append(*h, it)
	s := *h
	i := len(s) - 1
	for i > 0 {
		parent := (i - 1) / 2
		if s[parent].d <= s[i].d {
			break
		}
		s[parent], s[i] = s[i], s[parent]
		i = parent
	}
}

func (h *distHeap) pop() distItem {
	s := *h
	top := s[0]
	last := len(s) - 1
	s[0] = s[last]
	s = s[:last]
	*h = s
	i := 0
	for {
		l, small := 2*i+1, i
		if l < len(s) && s[l].d < s[small].d {
			small = l
		}
		if r := l + 1; r < len(s) && s[r].d < s[small].d {
			small = r
		}
		if small == i {
			return top
		}
		s[i], s[small] = s[small], s[i]
		i = small
	}
}
