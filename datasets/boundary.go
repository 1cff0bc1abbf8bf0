package datasets

import (
	"math"
	"slices"

	"github.com/paulmach/orb"
)

// boundary is the polygon of a district in metres, made of pieces of the macro
// segments around it. Each edge remembers its segment and where along it the
// edge runs, so that a street ending on the edge becomes a junction there.
type boundary struct {
	pts    []orb.Point // edge i runs from pts[i] to pts[i+1] (cyclic)
	seg    []int
	s0, s1 []float64
	box    []orb.Bound // of each edge
	bound  orb.Bound
}

// add appends the edges of segment si, walked forwards or backwards.
func (b *boundary) add(seg *macroSeg, si int, reverse bool) {
	pts, cum := seg.line.pts, seg.line.cum
	n := len(pts)
	for i := 0; i < n-1; i++ {
		a, c := i, i+1
		if reverse {
			a, c = n-1-i, n-2-i
		}
		b.pts = append(b.pts, pts[a])
		b.seg = append(b.seg, si)
		b.s0 = append(b.s0, cum[a])
		b.s1 = append(b.s1, cum[c])
	}
}

func (b *boundary) finish() {
	n := len(b.pts)
	b.box = make([]orb.Bound, n)
	b.bound = orb.Bound{Min: b.pts[0], Max: b.pts[0]}
	for i := range n {
		p, q := b.pts[i], b.pts[(i+1)%n]
		b.box[i] = orb.Bound{Min: p, Max: p}.Extend(q)
		b.bound = b.bound.Extend(p)
	}
}

func (b *boundary) centroid() orb.Point {
	var x, y float64
	for _, p := range b.pts {
		x += p[0]
		y += p[1]
	}
	return orb.Point{x / float64(len(b.pts)), y / float64(len(b.pts))}
}

// crossing is where a line crosses the boundary: t along the line, on edge at
// fraction lam of it.
type crossing struct {
	t    float64
	edge int
	lam  float64
}

// clip returns the crossings of the line o + t·(dx, dy) with the boundary,
// sorted by t. Consecutive pairs enclose the parts of the line inside.
func (b *boundary) clip(o orb.Point, dx, dy float64) []crossing {
	var out []crossing
	n := len(b.pts)
	for i := range n {
		a, c := b.pts[i], b.pts[(i+1)%n]
		da := cross(dx, dy, a[0]-o[0], a[1]-o[1])
		dc := cross(dx, dy, c[0]-o[0], c[1]-o[1])
		if (da > 0) == (dc > 0) {
			continue
		}
		lam := da / (da - dc)
		p := lerp(a, c, lam)
		out = append(out, crossing{t: (p[0]-o[0])*dx + (p[1]-o[1])*dy, edge: i, lam: lam})
	}
	slices.SortFunc(out, func(x, y crossing) int {
		switch {
		case x.t < y.t:
			return -1
		case x.t > y.t:
			return 1
		}
		return 0
	})
	return out
}

// at returns the point of a crossing and the junction it makes.
func (b *boundary) at(c crossing) jreq {
	e := c.edge
	p := lerp(b.pts[e], b.pts[(e+1)%len(b.pts)], c.lam)
	return jreq{seg: b.seg[e], s: b.s0[e] + c.lam*(b.s1[e]-b.s0[e]), p: p}
}

// rectFits reports whether the convex quadrilateral q lies inside the boundary
// with at least margin metres to spare.
func (b *boundary) rectFits(q [4]orb.Point, margin float64) bool {
	rb := orb.Bound{Min: q[0], Max: q[0]}.Extend(q[1]).Extend(q[2]).Extend(q[3])
	if rb.Min[0] < b.bound.Min[0]+margin || rb.Max[0] > b.bound.Max[0]-margin ||
		rb.Min[1] < b.bound.Min[1]+margin || rb.Max[1] > b.bound.Max[1]-margin {
		return false
	}
	grown := orb.Bound{Min: orb.Point{rb.Min[0] - margin, rb.Min[1] - margin}, Max: orb.Point{rb.Max[0] + margin, rb.Max[1] + margin}}
	n := len(b.pts)
	for i := range n {
		if !b.box[i].Intersects(grown) {
			continue
		}
		p, c := b.pts[i], b.pts[(i+1)%n]
		if inRing(p, q[:]) {
			return false
		}
		for k := range 4 {
			if segSegDist(p, c, q[k], q[(k+1)%4]) < margin {
				return false
			}
		}
	}
	return inRing(q[0], b.pts)
}

// quad returns the corners of the rectangle centred at c with unit axis (ux, uy),
// half-length hw along it and half-depth hd across it, counter-clockwise.
func quad(c orb.Point, ux, uy, hw, hd float64) [4]orb.Point {
	vx, vy := -uy, ux
	return [4]orb.Point{
		{c[0] - hw*ux - hd*vx, c[1] - hw*uy - hd*vy},
		{c[0] + hw*ux - hd*vx, c[1] + hw*uy - hd*vy},
		{c[0] + hw*ux + hd*vx, c[1] + hw*uy + hd*vy},
		{c[0] - hw*ux + hd*vx, c[1] - hw*uy + hd*vy},
	}
}

// sideOf is the signed distance of p from the line through the origin at angle
// phi: positive on its counter-clockwise side.
func sideOf(p orb.Point, phi float64) float64 {
	s, c := math.Sincos(phi)
	return cross(c, s, p[0], p[1])
}
