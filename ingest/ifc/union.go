package ifc

import (
	"math"
	"slices"

	"github.com/paulmach/orb"
)

// unionEps is the distance (metres) under which points count as the same
// and a point counts as on an edge: a micrometre, well below the precision
// of BIM coordinates and well above float64 noise at building scale.
const unionEps = 1e-6

// maxUnionEdges bounds the edges Outline takes (the work is quadratic at
// worst); more fall back to the caller's hull.
const maxUnionEdges = 20_000

// Outline is the outer boundary of the union of simple polygons (rings,
// either orientation): the exterior rings of the union, counter-clockwise and
// closed, largest first; holes of the union are dropped. It is nil if there
// is nothing of area or too much to do.
//
// Every edge is cut where it meets another polygon's boundary; the pieces
// that lie inside no other polygon (tested at their midpoints) are the
// boundary of the union, of which pieces shared by two polygons are kept
// once if both lie on the same side and dropped if the polygons lie on
// either side. The pieces are then chained into rings.
func Outline(rings []orb.Ring) []orb.Ring {
	type poly struct {
		r orb.Ring // closed, counter-clockwise
		b orb.Bound
	}
	var ps []poly
	edges := 0
	for _, r := range rings {
		c := cleanRing(r)
		if c == nil {
			continue
		}
		ps = append(ps, poly{c, c.Bound()})
		edges += len(c) - 1
	}
	if len(ps) == 0 || edges > maxUnionEdges {
		return nil
	}
	type piece struct{ a, b orb.Point }
	var pieces []piece
	var ts []float64
	for i, p := range ps {
		for k := 0; k+1 < len(p.r); k++ {
			a, b := p.r[k], p.r[k+1]
			eb := orb.Bound{Min: orb.Point{min(a[0], b[0]), min(a[1], b[1])}, Max: orb.Point{max(a[0], b[0]), max(a[1], b[1])}}.Pad(unionEps)
			ts = append(ts[:0], 0, 1)
			for j, q := range ps {
				if j == i || !q.b.Intersects(eb) {
					continue
				}
				for m := 0; m+1 < len(q.r); m++ {
					ts = cuts(ts, a, b, q.r[m], q.r[m+1])
				}
			}
			slices.Sort(ts)
			l := math.Hypot(b[0]-a[0], b[1]-a[1])
			prev := 0.0
			for _, t := range ts[1:] {
				if (t-prev)*l < unionEps {
					continue
				}
				pa := lerp(a, b, prev)
				pb := lerp(a, b, t)
				prev = t
				mid := orb.Point{(pa[0] + pb[0]) / 2, (pa[1] + pb[1]) / 2}
				keep := true
				for j, q := range ps {
					if j == i || !q.b.Pad(unionEps).Contains(mid) {
						continue
					}
					switch where, same := locate(mid, q.r, a, b); {
					case where == 1:
						keep = false
					case where == 0 && (!same || j < i):
						keep = false // shared: interior, or kept by polygon j
					}
					if !keep {
						break
					}
				}
				if keep {
					pieces = append(pieces, piece{pa, pb})
				}
			}
		}
	}
	// Chain the pieces by their (snapped) ends.
	type key struct{ x, y int64 }
	kf := func(p orb.Point) key {
		return key{int64(math.Round(p[0] / unionEps)), int64(math.Round(p[1] / unionEps))}
	}
	from := map[key][]int{}
	for i, pc := range pieces {
		k := kf(pc.a)
		from[k] = append(from[k], i)
	}
	used := make([]bool, len(pieces))
	var out []orb.Ring
	for s := range pieces {
		if used[s] {
			continue
		}
		used[s] = true
		ring := orb.Ring{pieces[s].a, pieces[s].b}
		cur := s
		start, at := kf(pieces[s].a), kf(pieces[s].b)
		ok := true
		for at != start {
			// Where several pieces leave a point (polygons touching at a
			// corner), take the sharpest right turn: the ring then keeps to
			// the outside, and a hole that touches it stays a ring of its own
			// (two polygons touching at a corner make one ring that touches
			// itself there).
			next, best := -1, math.Inf(1)
			last := pieces[cur]
			for _, n := range from[at] {
				if used[n] {
					continue
				}
				if turn := turnAngle(last.a, last.b, pieces[n].b); turn < best {
					next, best = n, turn
				}
			}
			if next < 0 {
				ok = false
				break
			}
			used[next] = true
			cur = next
			ring = append(ring, pieces[next].b)
			at = kf(pieces[next].b)
		}
		if !ok {
			return nil // the pieces do not close: give up
		}
		ring[len(ring)-1] = ring[0]
		if len(ring) >= 4 && RingArea(ring) > unionEps*unionEps {
			out = append(out, simplify(ring))
		}
	}
	slices.SortStableFunc(out, func(p, q orb.Ring) int {
		switch a, b := RingArea(p), RingArea(q); {
		case a > b:
			return -1
		case a < b:
			return 1
		}
		return 0
	})
	return out
}

// cleanRing is r closed, counter-clockwise, without repeated points; nil if
// it has no area or a point that is not finite.
func cleanRing(r orb.Ring) orb.Ring {
	c := make(orb.Ring, 0, len(r)+1)
	for _, p := range r {
		if !finite(p[0]) || !finite(p[1]) {
			return nil
		}
		if len(c) == 0 || math.Hypot(p[0]-c[len(c)-1][0], p[1]-c[len(c)-1][1]) >= unionEps {
			c = append(c, p)
		}
	}
	for len(c) > 1 && math.Hypot(c[0][0]-c[len(c)-1][0], c[0][1]-c[len(c)-1][1]) < unionEps {
		c = c[:len(c)-1]
	}
	if len(c) < 3 {
		return nil
	}
	c = append(c, c[0])
	a := RingArea(c)
	if !(math.Abs(a) > unionEps*unionEps) {
		return nil
	}
	if a < 0 {
		slices.Reverse(c)
	}
	return c
}

// turnAngle is the angle (radians, left positive) by which the path a -> b
// turns to go on to c.
func turnAngle(a, b, c orb.Point) float64 {
	d1 := orb.Point{b[0] - a[0], b[1] - a[1]}
	d2 := orb.Point{c[0] - b[0], c[1] - b[1]}
	return math.Atan2(d1[0]*d2[1]-d1[1]*d2[0], d1[0]*d2[0]+d1[1]*d2[1])
}

func lerp(a, b orb.Point, t float64) orb.Point {
	switch t {
	case 0:
		return a
	case 1:
		return b
	}
	return orb.Point{a[0] + (b[0]-a[0])*t, a[1] + (b[1]-a[1])*t}
}

// cuts appends the parameters along ab (0..1) where segment cd meets it:
// a crossing, an end of cd on ab, or the ends of a collinear overlap.
func cuts(ts []float64, a, b, c, d orb.Point) []float64 {
	ab := orb.Point{b[0] - a[0], b[1] - a[1]}
	l2 := ab[0]*ab[0] + ab[1]*ab[1]
	l := math.Sqrt(l2)
	dist := func(p orb.Point) float64 { // signed distance of p from the line ab
		return (ab[0]*(p[1]-a[1]) - ab[1]*(p[0]-a[0])) / l
	}
	param := func(p orb.Point) float64 { return (ab[0]*(p[0]-a[0]) + ab[1]*(p[1]-a[1])) / l2 }
	add := func(t float64) {
		if t*l > unionEps && (1-t)*l > unionEps {
			ts = append(ts, t)
		}
	}
	dc, dd := dist(c), dist(d)
	onC, onD := math.Abs(dc) < unionEps, math.Abs(dd) < unionEps
	if onC {
		add(param(c))
	}
	if onD {
		add(param(d))
	}
	if onC || onD || dc*dd > 0 {
		return ts
	}
	// c and d on either side of the line ab: where does cd cross it?
	s := dc / (dc - dd)
	x := orb.Point{c[0] + (d[0]-c[0])*s, c[1] + (d[1]-c[1])*s}
	add(param(x))
	return ts
}

// locate places p against the closed counter-clockwise ring r: 1 inside, -1
// outside, 0 on its boundary, and then same reports whether the edge of r
// it lies on runs the same way as ab.
func locate(p orb.Point, r orb.Ring, a, b orb.Point) (where int, same bool) {
	in := false
	for i := 0; i+1 < len(r); i++ {
		c, d := r[i], r[i+1]
		cd := orb.Point{d[0] - c[0], d[1] - c[1]}
		l := math.Hypot(cd[0], cd[1])
		t := (cd[0]*(p[0]-c[0]) + cd[1]*(p[1]-c[1])) / (l * l)
		dist := (cd[0]*(p[1]-c[1]) - cd[1]*(p[0]-c[0])) / l
		if math.Abs(dist) < unionEps && t*l > -unionEps && (1-t)*l > -unionEps {
			return 0, cd[0]*(b[0]-a[0])+cd[1]*(b[1]-a[1]) > 0
		}
		if (c[1] > p[1]) != (d[1] > p[1]) && p[0] < (d[0]-c[0])*(p[1]-c[1])/(d[1]-c[1])+c[0] {
			in = !in
		}
	}
	if in {
		return 1, false
	}
	return -1, false
}

// simplify drops the points of a closed ring where it runs straight on.
func simplify(r orb.Ring) orb.Ring {
	pts := r[:len(r)-1]
	n := len(pts)
	out := make(orb.Ring, 0, len(r))
	for i, p := range pts {
		a, b := pts[(i+n-1)%n], pts[(i+1)%n]
		ab := math.Hypot(b[0]-a[0], b[1]-a[1])
		if ab > 0 && math.Abs((b[0]-a[0])*(p[1]-a[1])-(b[1]-a[1])*(p[0]-a[0]))/ab < unionEps &&
			(p[0]-a[0])*(b[0]-p[0])+(p[1]-a[1])*(b[1]-p[1]) > 0 {
			continue
		}
		out = append(out, p)
	}
	if len(out) < 3 {
		return r
	}
	return append(out, out[0])
}
