package cityjson

import (
	"math"
	"math/bits"
	"math/rand/v2"
	"slices"
	"sort"
	"sync"

	"github.com/paulmach/orb"
)

// Footprint rules, in local 2D coordinates (see Object.Footprint), tried in
// this order; the first that gives a footprint wins:
//
//  1. the surfaces with semantic type GroundSurface, if the geometry has any;
//  2. else, for solids, the surfaces of the exterior shell that face down
//     (shells are oriented outwards, so their normal has z < 0): for an LoD1
//     block that is its bottom face, for a triangulated solid its bottom triangles;
//  3. else, for solids, the union of the surfaces of the exterior shell that face
//     up (the roofs), projected to 2D: for a 2.5D building they cover the
//     footprint exactly once. Solids without a bottom face (the LoD1 blocks of
//     3dfier, walls and roofs only) come here. The projections are dissolved as
//     below and kept only if they tile: every edge left once, the edges chained
//     into rings that neither cross nor touch but at shared vertices, and no
//     exterior inside another (see simpleRings) — so the area is the sum of the
//     roofs' areas. Overhangs or roofs over roofs overlap and fail this rule;
//  4. else, for solids, the lowest edges of the vertical surfaces of the exterior
//     shell (both ends within wallBaseTolerance of the surface's lowest z: the
//     bottom edge of a wall, none for the upper triangle of a triangulated wall),
//     projected and chained into rings, under the same test as rule 3;
//  5. else, for MultiSurface/CompositeSurface, every surface that is not vertical
//     (a 2.5D road, land-use or water surface is its own footprint; for a roof and
//     walls without semantics it is the roof seen from above);
//  6. else the 2D convex hull of all vertices (all surfaces vertical, or a solid
//     whose roofs overlap and whose walls do not close).
//
// The polygons of rules 1, 2 and 5 are dissolved into one MultiPolygon: shared
// edges cancel and the remaining edges are chained into rings, exteriors
// counter-clockwise and holes clockwise. If the edges do not chain (overlapping
// or non-matching surfaces) the polygons are kept undissolved.
//
// Points and lines have no footprint polygon: MultiPoint gives the points,
// MultiLineString the lines.

// The footprint rules by number.
const (
	ruleNone     = iota
	ruleGround   // 1: GroundSurface semantics
	ruleBottom   // 2: downward faces of a solid
	ruleRoof     // 3: union of the upward faces of a solid
	ruleWallBase // 4: bottom edges of the walls of a solid
	ruleFlat     // 5: non-vertical surfaces of a surface geometry
	ruleHull     // 6: convex hull
)

// footprintSurfaces picks surfaces of g by rules 1, 2 and 5, appended to dst;
// rule is ruleGround, ruleBottom, ruleFlat, or ruleNone when none apply.
func footprintSurfaces(g *Geometry, verts []float64, dst []*Surface) ([]*Surface, int) {
	out := dst[:0]
	for i := range g.Surfaces {
		if g.SemanticType(g.Surfaces[i]) == "GroundSurface" {
			out = append(out, &g.Surfaces[i])
		}
	}
	if len(out) > 0 {
		return out, ruleGround
	}
	solid := isSolid(g)
	for i := range g.Surfaces {
		s := &g.Surfaces[i]
		if solid && s.Shell != 0 {
			continue
		}
		n := normal(s.Rings[0], verts)
		l := math.Sqrt(n[0]*n[0] + n[1]*n[1] + n[2]*n[2])
		if l == 0 {
			continue
		}
		if solid && n[2]/l < -0.01 || !solid && math.Abs(n[2]/l) > 0.01 {
			out = append(out, s)
		}
	}
	if len(out) == 0 {
		return out, ruleNone
	}
	if solid {
		return out, ruleBottom
	}
	return out, ruleFlat
}

func isSolid(g *Geometry) bool {
	return g.Type == "Solid" || g.Type == "MultiSolid" || g.Type == "CompositeSolid"
}

// normal of a ring by Newell's method (not normalised; its length is twice the
// area).
func normal(ring []int, v []float64) [3]float64 {
	var n [3]float64
	for i, a := range ring {
		j := i + 1
		if j == len(ring) {
			j = 0
		}
		b := ring[j]
		ax, ay, az := v[3*a], v[3*a+1], v[3*a+2]
		bx, by, bz := v[3*b], v[3*b+1], v[3*b+2]
		n[0] += (ay - by) * (az + bz)
		n[1] += (az - bz) * (ax + bx)
		n[2] += (ax - bx) * (ay + by)
	}
	return n
}

// key is a vertex position in 2D, in millimetres, so that vertices with the same
// place but different indices (or heights) meet.
type key struct{ x, y int64 }

func keyOf(x, y float64) key {
	return key{int64(math.Round(x * 1000)), int64(math.Round(y * 1000))}
}

// canonical maps every vertex to the first vertex with the same 2D position.
// The positions are hashed into a table of their own (open addressing), which
// is several times faster than a Go map on a file's vertex pool.
func canonical(v []float64) []int32 {
	n := len(v) / 3
	out := make([]int32, n)
	size := 16
	for size < n+n/2 {
		size *= 2
	}
	shift := uint(64 - bits.TrailingZeros(uint(size)))
	mask := uint64(size - 1)
	t := canonPool.Get().(*canonTable)
	defer canonPool.Put(t)
	if cap(t.keys) < size {
		t.keys, t.first = make([]key, size), make([]int32, size)
	}
	keys, first := t.keys[:size], t.first[:size] // first: vertex+1; 0 is a free slot
	clear(first)
	for i := 0; i < n; i++ {
		k := keyOf(v[3*i], v[3*i+1])
		h := (uint64(k.x)*hashA + uint64(k.y)*hashB + hashC) >> shift
		for {
			if first[h] == 0 {
				keys[h], first[h] = k, int32(i)+1
				out[i] = int32(i)
				break
			}
			if keys[h] == k {
				out[i] = first[h] - 1
				break
			}
			h = (h + 1) & mask
		}
	}
	return out
}

// The hash tables here (canonTable, edgeTable, firstTable) probe linearly
// from a multiply-shift hash whose multipliers are drawn at random when the
// program starts: keys come from the input, and fixed multipliers would let
// a file be made whose keys all collide. The order of a table never shows in
// the results.
var (
	hashA = rand.Uint64() | 1
	hashB = rand.Uint64() | 1
	hashC = rand.Uint64()
)

// canonTable is the hash table of canonical, kept for the next file.
type canonTable struct {
	keys  []key
	first []int32
}

var canonPool = sync.Pool{New: func() any { return new(canonTable) }}

// dissolve merges surfaces (projected to 2D) into polygons of local
// coordinates. Edges are keyed by canonical vertex and counted in a hash table
// (see edgeTable): an edge and its reverse cancel, so what is left of a
// triangulated surface is its boundary. The edges left are sorted, which
// makes the rings independent of the order of the table.
func dissolve(surfs []*Surface, v []float64, canon []int32) orb.MultiPolygon {
	sc := scratchPool.Get().(*scratch)
	defer scratchPool.Put(sc)
	return sc.dissolve(surfs, v, canon)
}

func (sc *scratch) dissolve(surfs []*Surface, v []float64, canon []int32) orb.MultiPolygon {
	sc.addSurfaces(surfs, v, canon)
	t := &sc.edges
	rem := sc.rem[:0] // directed edges a<<32 | b left after cancelling
	for _, k := range t.used {
		net := t.net[k]
		lo, hi := t.keys[k]>>32, t.keys[k]&(1<<32-1)
		for ; net > 0; net-- {
			rem = append(rem, lo<<32|hi)
		}
		for ; net < 0; net++ {
			rem = append(rem, hi<<32|lo)
		}
	}
	slices.Sort(rem)
	sc.rem = rem
	rings, ok := chain(rem, v, sc)
	if !ok {
		return rawPolygons(surfs, v)
	}
	return assemble(rings)
}

// addSurfaces resets the edge table and counts in it the edges of surfs
// projected to 2D, every ring turned so that exteriors run counter-clockwise
// and holes clockwise.
func (sc *scratch) addSurfaces(surfs []*Surface, v []float64, canon []int32) {
	n := 0
	for _, s := range surfs {
		for _, r := range s.Rings {
			n += len(r)
		}
	}
	t := &sc.edges
	t.reset(n)
	ids := sc.ids[:0]
	for _, s := range surfs {
		for ri, r := range s.Rings {
			ids = ids[:0]
			for _, i := range r {
				c := canon[i]
				if len(ids) == 0 || ids[len(ids)-1] != c {
					ids = append(ids, c)
				}
			}
			for len(ids) > 1 && ids[0] == ids[len(ids)-1] {
				ids = ids[:len(ids)-1]
			}
			if len(ids) < 3 {
				continue
			}
			area := 0.0
			for k, a := range ids {
				j := k + 1
				if j == len(ids) {
					j = 0
				}
				b := ids[j]
				area += v[3*a]*v[3*b+1] - v[3*b]*v[3*a+1]
			}
			if area == 0 {
				continue
			}
			flip := (ri == 0) != (area > 0)
			prev := ids[len(ids)-1]
			for _, c := range ids {
				a, b := prev, c
				prev = c
				if flip {
					a, b = b, a
				}
				t.add(a, b)
			}
		}
	}
	sc.ids = ids
}

// edgeTable counts undirected edges by open addressing: key lo<<32 | hi
// (lo < hi, so no key is 0, which marks a free slot), net the times it was
// added from lo to hi less the times from hi to lo.
type edgeTable struct {
	keys  []uint64
	net   []int32
	used  []int32 // slots taken, in order
	shift uint
}

// reset empties the table for up to n edges.
func (t *edgeTable) reset(n int) {
	size := 16
	for size < 2*n {
		size *= 2
	}
	if cap(t.keys) < size {
		t.keys = make([]uint64, size)
		t.net = make([]int32, size)
	} else {
		t.keys = t.keys[:size]
		t.net = t.net[:size]
		clear(t.keys)
	}
	t.used = t.used[:0]
	t.shift = uint(64 - bits.TrailingZeros(uint(size)))
}

// add counts the directed edge a -> b (a != b).
func (t *edgeTable) add(a, b int32) {
	d := int32(1)
	if a > b {
		a, b, d = b, a, -1
	}
	k := uint64(a)<<32 | uint64(b)
	mask := uint64(len(t.keys) - 1)
	for h := (k*hashA + hashC) >> t.shift; ; h = (h + 1) & mask {
		switch t.keys[h] {
		case k:
			t.net[h] += d
			return
		case 0:
			t.keys[h], t.net[h] = k, d
			t.used = append(t.used, int32(h))
			return
		}
	}
}

// scratch holds the buffers of one derivation, reused across objects.
type scratch struct {
	edges edgeTable
	ids   []int32
	rem   []uint64
	taken []bool
	first firstTable
	ring  orb.Ring
	surfs []*Surface
	idx   []int
	pts   []orb.Point
	hull  []orb.Point
	flat  []float64
}

var scratchPool = sync.Pool{New: func() any { return new(scratch) }}

// chain links directed edges (sorted) into closed rings. The first edge from
// each vertex is found through a hash table (see firstTable).
func chain(rem []uint64, v []float64, sc *scratch) ([]orb.Ring, bool) {
	if cap(sc.taken) < len(rem) {
		sc.taken = make([]bool, len(rem))
	}
	used := sc.taken[:len(rem)]
	clear(used)
	first := &sc.first
	first.reset(len(rem))
	for k := range rem {
		if k == 0 || rem[k]>>32 != rem[k-1]>>32 {
			first.put(uint32(rem[k]>>32), int32(k))
		}
	}
	pt := func(i uint64) orb.Point { return orb.Point{v[3*i], v[3*i+1]} }
	var rings []orb.Ring
	for s0 := range rem {
		if used[s0] {
			continue
		}
		used[s0] = true
		start := rem[s0] >> 32
		at := rem[s0] & (1<<32 - 1)
		ring := append(sc.ring[:0], pt(start), pt(at))
		for at != start {
			k := first.get(uint32(at))
			if k < 0 {
				return nil, false // dangling edge: not a closed boundary
			}
			for k < len(rem) && rem[k]>>32 == at && used[k] {
				k++
			}
			if k == len(rem) || rem[k]>>32 != at {
				return nil, false // dangling edge: not a closed boundary
			}
			used[k] = true
			at = rem[k] & (1<<32 - 1)
			ring = append(ring, pt(at))
		}
		sc.ring = ring
		if len(ring) >= 4 {
			rings = append(rings, slices.Clone(ring))
		}
	}
	return rings, true
}

// firstTable maps a vertex to the index of its first edge in the sorted
// edges, by open addressing (key vertex+1; 0 is a free slot).
type firstTable struct {
	keys  []uint32
	vals  []int32
	shift uint
}

func (t *firstTable) reset(n int) {
	size := 16
	for size < 2*n {
		size *= 2
	}
	if cap(t.keys) < size {
		t.keys = make([]uint32, size)
		t.vals = make([]int32, size)
	} else {
		t.keys = t.keys[:size]
		t.vals = t.vals[:size]
		clear(t.keys)
	}
	t.shift = uint(64 - bits.TrailingZeros(uint(size)))
}

func (t *firstTable) put(vertex uint32, k int32) {
	key := vertex + 1
	mask := uint64(len(t.keys) - 1)
	for h := (uint64(key)*hashA + hashC) >> t.shift; ; h = (h + 1) & mask {
		if t.keys[h] == 0 {
			t.keys[h], t.vals[h] = key, k
			return
		}
	}
}

// get is the first edge from vertex, -1 for none.
func (t *firstTable) get(vertex uint32) int {
	key := vertex + 1
	mask := uint64(len(t.keys) - 1)
	for h := (uint64(key)*hashA + hashC) >> t.shift; ; h = (h + 1) & mask {
		switch t.keys[h] {
		case key:
			return int(t.vals[h])
		case 0:
			return -1
		}
	}
}

// rawPolygons are the surfaces projected to 2D as they are, exteriors
// counter-clockwise, for when the edges do not chain.
func rawPolygons(surfs []*Surface, v []float64) orb.MultiPolygon {
	var mp orb.MultiPolygon
	for _, s := range surfs {
		var poly orb.Polygon
		for ri, r := range s.Rings {
			ring := make(orb.Ring, 0, len(r)+1)
			for _, i := range r {
				ring = append(ring, orb.Point{v[3*i], v[3*i+1]})
			}
			a := signedArea(ring)
			if a == 0 || ri > 0 && len(poly) == 0 {
				continue
			}
			if (ri == 0) != (a > 0) {
				reverse(ring)
			}
			poly = append(poly, append(ring, ring[0]))
		}
		if len(poly) > 0 {
			mp = append(mp, poly)
		}
	}
	return mp
}

// assemble sorts rings into exteriors (counter-clockwise) and holes (clockwise),
// each hole in the smallest exterior that holds it.
func assemble(rings []orb.Ring) orb.MultiPolygon {
	var ext, holes []orb.Ring
	for _, r := range rings {
		if signedArea(r) > 0 {
			ext = append(ext, r)
		} else if signedArea(r) < 0 {
			holes = append(holes, r)
		}
	}
	sort.SliceStable(ext, func(i, j int) bool { return signedArea(ext[i]) > signedArea(ext[j]) })
	mp := make(orb.MultiPolygon, len(ext))
	for i, r := range ext {
		mp[i] = orb.Polygon{r}
	}
	for _, h := range holes {
		best, bestArea := -1, math.Inf(1)
		for i, r := range ext {
			if a := signedArea(r); a < bestArea && inRing(h[0], r) {
				best, bestArea = i, a
			}
		}
		if best >= 0 {
			mp[best] = append(mp[best], h)
		}
	}
	return mp
}

func signedArea(r orb.Ring) float64 {
	var a float64
	n := len(r)
	for i := 0; i < n; i++ {
		p, q := r[i], r[(i+1)%n]
		a += p[0]*q[1] - q[0]*p[1]
	}
	return a / 2
}

func inRing(p orb.Point, r orb.Ring) bool {
	in := false
	for i, j := 0, len(r)-1; i < len(r); j, i = i, i+1 {
		a, b := r[i], r[j]
		if (a[1] > p[1]) != (b[1] > p[1]) && p[0] < (b[0]-a[0])*(p[1]-a[1])/(b[1]-a[1])+a[0] {
			in = !in
		}
	}
	return in
}

func reverse(r orb.Ring) {
	for i, j := 0, len(r)-1; i < j; i, j = i+1, j-1 {
		r[i], r[j] = r[j], r[i]
	}
}

// convexHull of points (Andrew's monotone chain), counter-clockwise and closed;
// nil for fewer than 3 non-collinear points.
func convexHull(pts []orb.Point) orb.Ring {
	return hullInPlace(append([]orb.Point(nil), pts...), nil)
}

// hullOf is the convex hull of the points and exterior rings of g, the
// fourth footprint rule. A vertex is in several rings of a solid: each is
// taken once, which leaves the hull as it is (see hullInPlace) and the sort a
// third of the points.
func (sc *scratch) hullOf(g *Geometry, v []float64) orb.Ring {
	idx := append(sc.idx[:0], g.Points...)
	for _, s := range g.Surfaces {
		idx = append(idx, s.Rings[0]...)
	}
	slices.Sort(idx)
	idx = slices.Compact(idx)
	sc.idx = idx
	pts := sc.pts[:0]
	for _, i := range idx {
		pts = append(pts, orb.Point{v[3*i], v[3*i+1]})
	}
	sc.pts = pts
	sc.hull = slices.Grow(sc.hull[:0], len(pts)+1)
	return hullInPlace(pts, sc.hull)
}

// hullInPlace is convexHull that sorts pts in place and builds the hull in
// buf (then copied out). Points that repeat, bit for bit, are taken once: the
// chain would drop the copies anyway, as they make no turn (cross product 0),
// and the hull is the same.
func hullInPlace(pts []orb.Point, buf []orb.Point) orb.Ring {
	slices.SortFunc(pts, func(a, b orb.Point) int {
		if a[0] != b[0] {
			if a[0] < b[0] {
				return -1
			}
			return 1
		}
		if a[1] < b[1] {
			return -1
		}
		if a[1] > b[1] {
			return 1
		}
		return 0
	})
	pts = slices.CompactFunc(pts, func(a, b orb.Point) bool {
		return math.Float64bits(a[0]) == math.Float64bits(b[0]) && math.Float64bits(a[1]) == math.Float64bits(b[1])
	})
	cross := func(o, a, b orb.Point) float64 {
		return (a[0]-o[0])*(b[1]-o[1]) - (a[1]-o[1])*(b[0]-o[0])
	}
	h := buf[:0]
	for _, p := range pts {
		for len(h) >= 2 && cross(h[len(h)-2], h[len(h)-1], p) <= 0 {
			h = h[:len(h)-1]
		}
		h = append(h, p)
	}
	lower := len(h) + 1
	for i := len(pts) - 2; i >= 0; i-- {
		p := pts[i]
		for len(h) >= lower && cross(h[len(h)-2], h[len(h)-1], p) <= 0 {
			h = h[:len(h)-1]
		}
		h = append(h, p)
	}
	if len(h) < 4 {
		return nil
	}
	return slices.Clone(orb.Ring(h)) // the last point repeats the first
}
