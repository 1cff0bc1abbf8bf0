package cityjson

import (
	"context"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"sort"
	"testing"
	"time"

	"citytwin/geo"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
)

// dissolveSorted is the footprint dissolve as it was before the edge table:
// all edges sorted, runs of the same undirected edge cancelled. It is the
// oracle for dissolve.
func dissolveSorted(surfs []*Surface, v []float64, canon []int32) orb.MultiPolygon {
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
	var rem []uint64
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
	rings, ok := chainSorted(rem, v)
	if !ok {
		return rawPolygons(surfs, v)
	}
	return assemble(rings)
}

func chainSorted(rem []uint64, v []float64) ([]orb.Ring, bool) {
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
				return nil, false
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

// convexHullSorted is convexHull as it was, with sort.Slice: the oracle for
// the hull.
func convexHullSorted(pts []orb.Point) orb.Ring {
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
	return orb.Ring(h)
}

// checkSameFootprint fails unless got and want are the same polygons, point
// for point; their areas and IoU are checked as well, which says how far off
// they are when they differ.
func checkSameFootprint(t *testing.T, name string, got, want orb.MultiPolygon) {
	t.Helper()
	if reflect.DeepEqual(got, want) {
		return
	}
	ag, aw := planar.Area(got), planar.Area(want)
	iou := 0.0
	if len(got) > 0 && len(want) > 0 {
		iou = geo.IoU(shift(got), shift(want))
	}
	t.Errorf("%s: footprint differs from the oracle: area %.9f, want %.9f; IoU %.12f", name, ag, aw, iou)
}

// shift puts local metres near Delft in lon/lat for geo.IoU (only the ratio
// matters).
func shift(mp orb.MultiPolygon) orb.MultiPolygon {
	out := make(orb.MultiPolygon, len(mp))
	for i, p := range mp {
		for _, r := range p {
			nr := make(orb.Ring, len(r))
			for k, q := range r {
				nr[k] = orb.Point{4.36 + q[0]/68_500, 52.0 + q[1]/111_250}
			}
			out[i] = append(out[i], nr)
		}
	}
	return out
}

// objectPoints are the points derive takes the hull of.
func objectPoints(g *Geometry, v []float64) []orb.Point {
	var pts []orb.Point
	for _, i := range g.Points {
		pts = append(pts, orb.Point{v[3*i], v[3*i+1]})
	}
	for _, s := range g.Surfaces {
		for _, i := range s.Rings[0] {
			pts = append(pts, orb.Point{v[3*i], v[3*i+1]})
		}
	}
	return pts
}

// TestFootprintOracle compares dissolve and convexHull with the sorted
// versions on every object of the shared files, with every geometry and every
// choice of surfaces (all of them as well as those the rules pick), and the
// areas and IoU of the footprints in the result with the oracle's.
func TestFootprintOracle(t *testing.T) {
	for _, name := range []string{"delft_centre.city.json", "3dbag_delft_2buildings.city.json"} {
		t.Run(name, func(t *testing.T) {
			r, err := Decode(context.Background(), sharedFile(t, name), Options{Now: time.Unix(1700000000, 0)})
			if err != nil {
				t.Fatal(err)
			}
			v := r.Model.Vertices
			canon := canonical(v)
			if want := canonicalMap(v); !slices.Equal(canon, want) {
				t.Fatal("canonical differs from the map-based oracle")
			}
			n := 0
			for _, o := range r.Objects {
				for gi := range o.Geometries {
					g := &o.Geometries[gi]
					if len(g.Surfaces) == 0 {
						continue
					}
					surfs, _ := footprintSurfaces(g, v, nil)
					all := make([]*Surface, len(g.Surfaces))
					for i := range g.Surfaces {
						all[i] = &g.Surfaces[i]
					}
					for _, ss := range [][]*Surface{surfs, all} {
						if len(ss) == 0 {
							continue
						}
						checkSameFootprint(t, o.ID, dissolve(ss, v, canon), dissolveSorted(ss, v, canon))
						n++
					}
					pts := objectPoints(g, v)
					want := convexHullSorted(pts)
					if got := convexHull(pts); !reflect.DeepEqual(got, want) {
						t.Errorf("%s: hull %v, want %v", o.ID, got, want)
					}
					if got := new(scratch).hullOf(g, v); !reflect.DeepEqual(got, want) {
						t.Errorf("%s: hull of the vertices once %v, want %v", o.ID, got, want)
					}
				}
			}
			if n == 0 {
				t.Fatal("no footprints compared")
			}
		})
	}
}

// canonicalMap is canonical with a Go map: the oracle for its table.
func canonicalMap(v []float64) []int32 {
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

// TestDissolveRandom compares dissolve with the oracle on random
// triangulated grids with holes, overlapping squares (edges that do not
// chain), repeated and reversed surfaces, rings with holes and degenerate
// rings; a fixed seed.
func TestDissolveRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for it := 0; it < 2000; it++ {
		// A grid of w x h points, 1 m apart, some duplicated at other heights
		// (other indices with the same place).
		w, h := 2+rng.IntN(8), 2+rng.IntN(8)
		var v []float64
		at := func(x, y int) int { return y*w + x }
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				v = append(v, float64(x)+rng.Float64()*1e-4*float64(rng.IntN(2)), float64(y), rng.Float64())
			}
		}
		dup := len(v) / 3
		for i := 0; i < dup; i++ {
			v = append(v, v[3*i], v[3*i+1], v[3*i+2]+5)
		}
		pick := func(i int) int {
			if rng.IntN(4) == 0 {
				return i + dup
			}
			return i
		}
		var surfs []Surface
		for y := 0; y+1 < h; y++ {
			for x := 0; x+1 < w; x++ {
				switch rng.IntN(6) {
				case 0: // a hole
				case 1: // a square, either way round
					r := []int{pick(at(x, y)), pick(at(x+1, y)), pick(at(x+1, y+1)), pick(at(x, y+1))}
					if rng.IntN(2) == 0 {
						slices.Reverse(r)
					}
					surfs = append(surfs, Surface{Rings: [][]int{r}})
				default: // two triangles
					surfs = append(surfs,
						Surface{Rings: [][]int{{pick(at(x, y)), pick(at(x+1, y)), pick(at(x+1, y+1))}}},
						Surface{Rings: [][]int{{pick(at(x, y)), pick(at(x+1, y+1)), pick(at(x, y+1))}}})
				}
			}
		}
		switch rng.IntN(5) {
		case 0: // an overlapping square
			x, y := rng.IntN(w-1), rng.IntN(h-1)
			surfs = append(surfs, Surface{Rings: [][]int{{at(x, y), at(x+1, y), at(x+1, y+1), at(x, y+1)}}})
		case 1: // the whole grid with a hole, as one surface
			if w > 3 && h > 3 {
				surfs = append(surfs, Surface{Rings: [][]int{
					{at(0, 0), at(w-1, 0), at(w-1, h-1), at(0, h-1)},
					{at(1, 1), at(2, 1), at(2, 2), at(1, 2)},
				}})
			}
		case 2: // a degenerate ring and a closed (repeated-first) ring
			surfs = append(surfs, Surface{Rings: [][]int{{at(0, 0), at(1, 0), at(0, 0)}}},
				Surface{Rings: [][]int{{at(0, 0), at(1, 0), at(1, 1), at(0, 0)}}})
		}
		ps := make([]*Surface, len(surfs))
		for i := range surfs {
			ps[i] = &surfs[i]
		}
		canon := canonical(v)
		if want := canonicalMap(v); !slices.Equal(canon, want) {
			t.Fatalf("case %d: canonical differs from the oracle", it)
		}
		checkSameFootprint(t, "random", dissolve(ps, v, canon), dissolveSorted(ps, v, canon))
		pts := make([]orb.Point, 0, len(v)/3)
		for i := 0; i < len(v); i += 3 {
			pts = append(pts, orb.Point{math.Round(v[i]), v[i+1]})
		}
		if got, want := convexHull(pts), convexHullSorted(pts); !reflect.DeepEqual(got, want) {
			t.Fatalf("case %d: hull %v, want %v", it, got, want)
		}
	}
}
