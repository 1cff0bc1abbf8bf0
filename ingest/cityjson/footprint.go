package cityjson

import (
	"math"
	"slices"
	"sort"

	"github.com/paulmach/orb"
)

// Footprint rules, in local 2D coordinates (see Object.Footprint):
//
//  1. the surfaces with semantic type GroundSurface, if the geometry has any;
//  2. else, for solids, the surfaces of the exterior shell that face down
//     (shells are oriented outwards, so their normal has z < 0): for an LoD1
//     block that is its bottom face, for a triangulated solid its bottom triangles;
//  3. else, for MultiSurface/CompositeSurface, every surface that is not vertical
//     (a 2.5D road, land-use or water surface is its own footprint; for a roof and
//     walls without semantics it is the roof seen from above);
//  4. else the 2D convex hull of all vertices (all surfaces vertical).
//
// The polygons found are dissolved into one MultiPolygon: shared edges cancel
// and the remaining edges are chained into rings, exteriors counter-clockwise
// and holes clockwise. If the edges do not chain (overlapping or non-matching
// surfaces) the polygons are kept undissolved.
//
// Points and lines have no footprint polygon: MultiPoint gives the points,
// MultiLineString the lines.

// footprintSurfaces picks surfaces of g by the rules above; rule is 1..3, or 0
// when none apply.
func footprintSurfaces(g *Geometry, verts []float64) ([]*Surface, int) {
	var out []*Surface
	for i := range g.Surfaces {
		if g.SemanticType(g.Surfaces[i]) == "GroundSurface" {
			out = append(out, &g.Surfaces[i])
		}
	}
	if len(out) > 0 {
		return out, 1
	}
	solid := g.Type == "Solid" || g.Type == "MultiSolid" || g.Type == "CompositeSolid"
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
		return nil, 0
	}
	if solid {
		return out, 2
	}
	return out, 3
}

// normal of a ring by Newell's method (not normalised; its length is twice the
// area).
func normal(ring []int, v []float64) [3]float64 {
	var n [3]float64
	for i := range ring {
		a, b := ring[i], ring[(i+1)%len(ring)]
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
func canonical(v []float64) []int32 {
	n := len(v) / 3
	out := make([]int32, n)
	seen := make(map[key]int32, n)
	for i := 0; i < n; i++ {
		k := keyOf(v[3*i], v[3*i+1])
		c, ok := seen[k]
		if !ok {
			c = int32(i)
			seen[k] = c
		}
		out[i] = c
	}
	return out
}

// dissolve merges surfaces (projected to 2D) into polygons of local
// coordinates. Edges are keyed by canonical vertex: an undirected edge is
// lo<<33 | hi<<1 | direction, so that sorting groups both directions.
func dissolve(surfs []*Surface, v []float64, canon []int32) orb.MultiPolygon {
	var es []uint64
	var ids []int32
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
			for k := range ids {
				a, b := ids[k], ids[(k+1)%len(ids)]
				area += v[3*a]*v[3*b+1] - v[3*b]*v[3*a+1]
			}
			if area == 0 {
				continue
			}
			flip := (ri == 0) != (area > 0)
			for k := range ids {
				a, b := ids[k], ids[(k+1)%len(ids)]
				if flip {
					a, b = b, a
				}
				var dir uint64
				if a > b {
					a, b, dir = b, a, 1
				}
				es = append(es, uint64(a)<<33|uint64(b)<<1|dir)
			}
		}
	}
	slices.Sort(es)
	var rem []uint64 // directed edges a<<32 | b left after cancelling
	for i := 0; i < len(es); {
		j, net := i, 0
		for ; j < len(es) && es[j]>>1 == es[i]>>1; j++ {
			if es[j]&1 == 0 {
				net++
			} else {
				net--
			}
		}
		lo, hi := es[i]>>33, (es[i]>>1)&(1<<32-1)
		for ; net > 0; net-- {
			rem = append(rem, lo<<32|hi)
		}
		for ; net < 0; net++ {
			rem = append(rem, hi<<32|lo)
		}
		i = j
	}
	slices.Sort(rem)
	rings, ok := chain(rem, v)
	if !ok {
		return rawPolygons(surfs, v)
	}
	return assemble(rings)
}

// chain links directed edges (sorted) into closed rings.
func chain(rem []uint64, v []float64) ([]orb.Ring, bool) {
	used := make([]bool, len(rem))
	pt := func(i uint64) orb.Point { return orb.Point{v[3*i], v[3*i+1]} }
	var rings []orb.Ring
	for s0 := range rem {
		if used[s0] {
			continue
		}
		used[s0] = true
		start := rem[s0] >> 32
		at := rem[s0] & (1<<32 - 1)
		ring := orb.Ring{pt(start), pt(at)}
		for at != start {
			k, _ := slices.BinarySearch(rem, at<<32)
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
		if len(ring) >= 4 {
			rings = append(rings, ring)
		}
	}
	return rings, true
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
	pts = append([]orb.Point(nil), pts...)
	sort.Slice(pts, func(i, j int) bool {
		if pts[i][0] != pts[j][0] {
			return pts[i][0] < pts[j][0]
		}
		return pts[i][1] < pts[j][1]
	})
	cross := func(o, a, b orb.Point) float64 {
		return (a[0]-o[0])*(b[1]-o[1]) - (a[1]-o[1])*(b[0]-o[0])
	}
	var h []orb.Point
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
	return orb.Ring(h) // the last point repeats the first
}
