package ifc

import (
	"math"
	"sort"

	"github.com/paulmach/orb"
)

// ConvexHull is the counter-clockwise convex hull of pts as a closed ring, nil
// when the points span no area. It is the last-resort footprint, when the
// union of plans (Outline) does not give one ring.
func ConvexHull(pts []orb.Point) orb.Ring {
	ps := make([]orb.Point, 0, len(pts))
	for _, p := range pts {
		if finite(p[0]) && finite(p[1]) {
			ps = append(ps, p)
		}
	}
	if len(ps) < 3 {
		return nil
	}
	sort.Slice(ps, func(i, j int) bool {
		if ps[i][0] != ps[j][0] {
			return ps[i][0] < ps[j][0]
		}
		return ps[i][1] < ps[j][1]
	})
	cross := func(o, a, b orb.Point) float64 {
		return (a[0]-o[0])*(b[1]-o[1]) - (a[1]-o[1])*(b[0]-o[0])
	}
	h := make([]orb.Point, 0, 2*len(ps))
	for _, p := range ps {
		for len(h) >= 2 && cross(h[len(h)-2], h[len(h)-1], p) <= 0 {
			h = h[:len(h)-1]
		}
		h = append(h, p)
	}
	lower := len(h) + 1
	for i := len(ps) - 2; i >= 0; i-- {
		p := ps[i]
		for len(h) >= lower && cross(h[len(h)-2], h[len(h)-1], p) <= 0 {
			h = h[:len(h)-1]
		}
		h = append(h, p)
	}
	// h ends with its first point: a closed ring.
	if len(h) < 4 || math.Abs(RingArea(h)) < 1e-9 {
		return nil
	}
	return orb.Ring(h)
}

// RingArea is the signed (counter-clockwise positive) shoelace area.
func RingArea(r []orb.Point) float64 {
	var a float64
	for i := 0; i+1 < len(r); i++ {
		a += r[i][0]*r[i+1][1] - r[i+1][0]*r[i][1]
	}
	if n := len(r); n > 0 && r[0] != r[n-1] {
		a += r[n-1][0]*r[0][1] - r[0][0]*r[n-1][1]
	}
	return a / 2
}
