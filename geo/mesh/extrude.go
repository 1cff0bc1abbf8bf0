package mesh

import (
	"github.com/paulmach/orb"
)

// Extrude makes the surfaces of a prism: the polygon (lon/lat, holes
// allowed) from bottom to top metres, with the semantics given to its bottom
// face, its side walls and its top face ("" leaves a face out). Rings are
// oriented as Surface says: the top counter-clockwise seen from above, the
// bottom seen from below, each wall from outside. Degenerate rings (fewer
// than three distinct points) are skipped.
func Extrude(poly orb.Polygon, bottom, top float64, bottomSem, sideSem, topSem string) []Surface {
	var rings [][]orb.Point
	for i, r := range poly {
		pts := openRing(r)
		if len(pts) < 3 {
			if i == 0 {
				return nil
			}
			continue
		}
		// Exterior counter-clockwise, holes clockwise (seen from above).
		if ccw := signedArea(pts) > 0; ccw != (i == 0) {
			pts = reversed(pts)
		}
		rings = append(rings, pts)
	}
	if len(rings) == 0 {
		return nil
	}
	at := func(r []orb.Point, z float64, rev bool) []Point3 {
		out := make([]Point3, len(r))
		for i, p := range r {
			j := i
			if rev {
				j = len(r) - 1 - i
			}
			out[j] = Point3{p[0], p[1], z}
		}
		return out
	}
	var out []Surface
	if bottomSem != "" {
		s := Surface{Semantic: bottomSem}
		for _, r := range rings {
			s.Rings = append(s.Rings, at(r, bottom, true))
		}
		out = append(out, s)
	}
	if sideSem != "" && top > bottom {
		for _, r := range rings {
			for i, a := range r {
				b := r[(i+1)%len(r)]
				out = append(out, Surface{Semantic: sideSem, Rings: [][]Point3{{
					{a[0], a[1], bottom}, {b[0], b[1], bottom}, {b[0], b[1], top}, {a[0], a[1], top}}}})
			}
		}
	}
	if topSem != "" {
		s := Surface{Semantic: topSem}
		for _, r := range rings {
			s.Rings = append(s.Rings, at(r, top, false))
		}
		out = append(out, s)
	}
	return out
}

// openRing drops the closing point and repeated points of r.
func openRing(r orb.Ring) []orb.Point {
	out := make([]orb.Point, 0, len(r))
	for _, p := range r {
		if len(out) > 0 && out[len(out)-1] == p {
			continue
		}
		out = append(out, p)
	}
	for len(out) > 1 && out[0] == out[len(out)-1] {
		out = out[:len(out)-1]
	}
	return out
}

func signedArea(r []orb.Point) float64 {
	a := 0.0
	for i, p := range r {
		q := r[(i+1)%len(r)]
		a += (p[0]-r[0][0])*(q[1]-r[0][1]) - (q[0]-r[0][0])*(p[1]-r[0][1])
	}
	return a / 2
}

func reversed(r []orb.Point) []orb.Point {
	out := make([]orb.Point, len(r))
	for i, p := range r {
		out[len(r)-1-i] = p
	}
	return out
}
