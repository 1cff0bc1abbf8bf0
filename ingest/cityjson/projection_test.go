package cityjson

import (
	"context"
	"fmt"
	"math"
	"slices"
	"testing"
	"time"

	"citytwin/geo"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
)

// distanceToRings is the planar distance from p to the nearest edge of mp.
func distanceToRings(p orb.Point, mp orb.MultiPolygon) float64 {
	d := math.Inf(1)
	for _, poly := range mp {
		for _, r := range poly {
			for i := 0; i+1 < len(r); i++ {
				d = min(d, planar.DistanceFromSegment(r[i], r[i+1], p))
			}
		}
	}
	return d
}

// coversPoint reports whether p is in mp or within tol of its boundary.
func coversPoint(mp orb.MultiPolygon, p orb.Point, tol float64) bool {
	for _, poly := range mp {
		if geo.PointInPolygon(p, poly) {
			return true
		}
	}
	return distanceToRings(p, mp) <= tol
}

// quantiles are the minimum, quartiles and maximum of xs.
func quantiles(xs []float64) [5]float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	at := func(q float64) float64 { return s[int(math.Round(q*float64(len(s)-1)))] }
	return [5]float64{s[0], at(0.25), at(0.5), at(0.75), s[len(s)-1]}
}

// TestDelftRoofFootprints checks rules 3 and 4 on every Delft building (LoD1
// solids of walls and roofs, no bottom face): the roof union is never larger
// than the convex hull and lies in it, holds every vertex of the walls'
// bottom edges, agrees with the wall-base rule, and is what Decode returns. It
// logs the distribution of footprint area over hull area.
func TestDelftRoofFootprints(t *testing.T) {
	r := decodeFile(t, "delft_centre.city.json")
	v := r.Model.Vertices
	canon := canonical(v)
	sc := new(scratch)
	var ratios, ious []float64
	rules := map[int]int{}
	concave := 0
	for _, o := range r.Objects {
		if o.Type != "Building" {
			continue
		}
		g := chooseGeometry(o.Geometries)
		if surfs, rule := footprintSurfaces(g, v, nil); rule != ruleNone {
			t.Fatalf("%s: rule %d applies (%d surfaces); the file has no bottom faces", o.ID, rule, len(surfs))
		}
		hull := orb.Polygon{sc.hullOf(g, v)}
		hullArea := planar.Area(hull)
		roof, ok := sc.roofPrint(g, v, canon)
		if !ok {
			t.Errorf("%s: the roofs do not tile", o.ID)
			continue
		}
		roof = cloneMP(roof)
		base, ok := sc.wallBasePrint(g, v, canon)
		if !ok {
			t.Errorf("%s: the wall bottoms do not chain", o.ID)
			continue
		}
		base = cloneMP(base)
		mp, rule := sc.projected(g, v, canon)
		rules[rule]++
		checkSameFootprint(t, o.ID+" projected", mp, roof)

		a := planar.Area(roof)
		// The area is the sum of the roofs' areas (they tile).
		sum := 0.0
		for i := range g.Surfaces {
			s := &g.Surfaces[i]
			if nz, ok := normalZ(s.Rings[0], v); ok && nz > 0.01 {
				sum += math.Abs(ringArea2D(s.Rings[0], v))
			}
		}
		if math.Abs(a-sum) > 1e-6*max(1, sum) {
			t.Errorf("%s: footprint area %.6f, sum of the roofs %.6f", o.ID, a, sum)
		}
		if a > hullArea+1e-9 {
			t.Errorf("%s: footprint %.3f m² is larger than its hull %.3f m²", o.ID, a, hullArea)
		}
		if !geo.Contains(hull, roof) {
			t.Errorf("%s: footprint is not in its hull", o.ID)
		}
		if a < hullArea*(1-1e-6) {
			concave++
		}
		ratios = append(ratios, a/hullArea)
		// Every vertex of a wall's bottom edge is on the footprint (1 mm).
		eachWallBase(g, v, func(a, b int) {
			for _, k := range []int{a, b} {
				p := orb.Point{v[3*k], v[3*k+1]}
				if !coversPoint(roof, p, 0.001) {
					t.Errorf("%s: wall base vertex %v is %.4f m outside the footprint", o.ID, p, distanceToRings(p, roof))
				}
			}
		})
		if ab := planar.Area(base); math.Abs(ab-a) > 1e-6*max(1, a) {
			t.Errorf("%s: wall-base rule %.6f m², roof rule %.6f m²", o.ID, ab, a)
		}
		iou := geo.IoU(shift(roof), shift(base))
		ious = append(ious, iou)
		if iou < 0.999 {
			t.Errorf("%s: roof rule and wall-base rule IoU %.6f", o.ID, iou)
		}
		// Decode returned the same footprint, in WGS84.
		var want orb.Geometry = roof[0]
		if len(roof) > 1 {
			want = roof
		}
		if got := o.Footprint; fmt.Sprintf("%T", got) != fmt.Sprintf("%T", want) || planar.Area(got) <= 0 {
			t.Errorf("%s: Decode footprint %T, want %T", o.ID, got, want)
		}
	}
	if len(ratios) != 160 {
		t.Fatalf("%d buildings checked, want 160", len(ratios))
	}
	if rules[ruleRoof] != 160 {
		t.Errorf("rules %v, want the roof rule for all 160", rules)
	}
	q := quantiles(ratios)
	mean := 0.0
	for _, x := range ratios {
		mean += x
	}
	mean /= float64(len(ratios))
	t.Logf("footprint/hull area over %d buildings: min %.3f, q1 %.3f, median %.3f, q3 %.3f, max %.3f, mean %.3f; %d smaller than their hull",
		len(ratios), q[0], q[1], q[2], q[3], q[4], mean, concave)
	qi := quantiles(ious)
	t.Logf("IoU roof rule vs wall-base rule (geo.IoU, integrated on 256 lines): min %.6f, median %.6f", qi[0], qi[2])
	if concave == 0 {
		t.Error("no building is smaller than its hull")
	}
}

// TestDelft3DBAGRoofFootprints checks rule 3 against the GroundSurface of the
// 3DBAG parts (rule 1), a footprint measured independently of the roofs.
func TestDelft3DBAGRoofFootprints(t *testing.T) {
	r := decodeFile(t, "3dbag_delft_2buildings.city.json")
	v := r.Model.Vertices
	canon := canonical(v)
	sc := new(scratch)
	n := 0
	for _, o := range r.Objects {
		if o.Type != "BuildingPart" {
			continue
		}
		g := chooseGeometry(o.Geometries)
		surfs, rule := footprintSurfaces(g, v, nil)
		if rule != ruleGround {
			t.Fatalf("%s: rule %d, want GroundSurface", o.ID, rule)
		}
		ground := dissolve(surfs, v, canon)
		roof, ok := sc.roofPrint(g, v, canon)
		if !ok {
			t.Errorf("%s: the roofs do not tile", o.ID)
			continue
		}
		roof = cloneMP(roof)
		base, ok := sc.wallBasePrint(g, v, canon)
		if !ok {
			t.Errorf("%s: the wall bottoms do not chain", o.ID)
			continue
		}
		hull := orb.Polygon{sc.hullOf(g, v)}
		for _, c := range []struct {
			name string
			mp   orb.MultiPolygon
		}{{"roof", roof}, {"wall base", base}} {
			iou := geo.IoU(shift(c.mp), shift(ground))
			t.Logf("%s: %s rule %.3f m², ground %.3f m², hull %.3f m², IoU %.6f", o.ID, c.name, planar.Area(c.mp), planar.Area(ground), planar.Area(hull), iou)
			if iou < 0.99 {
				t.Errorf("%s: %s rule IoU %.6f with the ground surface, want >= 0.99", o.ID, c.name, iou)
			}
		}
		n++
	}
	if n != 2 {
		t.Fatalf("%d parts checked, want 2", n)
	}
}

func cloneMP(mp orb.MultiPolygon) orb.MultiPolygon { return mp.Clone() }

// ringArea2D is the signed area of a ring of vertex indices projected to 2D.
func ringArea2D(r []int, v []float64) float64 {
	a := 0.0
	for k, i := range r {
		j := r[(k+1)%len(r)]
		a += v[3*i]*v[3*j+1] - v[3*j]*v[3*i+1]
	}
	return a / 2
}

// box adds the vertices of a box [x0,x1]×[y0,y1]×[z0,z1] to v and returns
// its corners' indices: bottom (counter-clockwise), then top.
func box(v *[]float64, x0, y0, x1, y1, z0, z1 float64) [8]int {
	var idx [8]int
	for k, p := range [][3]float64{{x0, y0, z0}, {x1, y0, z0}, {x1, y1, z0}, {x0, y1, z0}, {x0, y0, z1}, {x1, y0, z1}, {x1, y1, z1}, {x0, y1, z1}} {
		idx[k] = len(*v) / 3
		*v = append(*v, p[0], p[1], p[2])
	}
	return idx
}

// TestProjectedRules runs rules 3, 4 and 6 on made solids (outward shells,
// no bottom): an L, a U with a courtyard wall, a roof over a lower roof
// (overlap), open walls.
func TestProjectedRules(t *testing.T) {
	quad := func(a, b, c, d int) Surface { return Surface{Rings: [][]int{{a, b, c, d}}} }
	// An L of two boxes side by side, without their common wall: the 2x1
	// box and the 1x1 box on top of its left half, each 3 m high.
	lShape := func() (Geometry, []float64) {
		var v []float64
		// Outline (0,0) (2,0) (2,1) (1,1) (1,2) (0,2), bottom at 0, top at 3.
		pts := [][2]float64{{0, 0}, {2, 0}, {2, 1}, {1, 1}, {1, 2}, {0, 2}}
		for _, z := range []float64{0, 3} {
			for _, p := range pts {
				v = append(v, p[0], p[1], z)
			}
		}
		v = append(v, 0, 1, 3) // (0,1) on the roof
		var g Geometry
		g.Type = "Solid"
		for i := range pts {
			j := (i + 1) % len(pts)
			g.Surfaces = append(g.Surfaces, quad(i, j, j+6, i+6))
		}
		// Two roofs, meeting along (0,1)-(1,1).
		g.Surfaces = append(g.Surfaces, Surface{Rings: [][]int{{6, 7, 8, 9, 12}}}, quad(12, 9, 10, 11))
		for i := range g.Surfaces {
			g.Surfaces[i].Semantic = -1
		}
		return g, v
	}
	for _, tt := range []struct {
		name     string
		make     func() (Geometry, []float64)
		wantRule int
		wantArea float64
	}{
		{"L", lShape, ruleRoof, 3},
		{"L with a roof over a roof", func() (Geometry, []float64) {
			g, v := lShape()
			// A second, higher roof over half the long arm: overlaps.
			k := len(v) / 3
			v = append(v, 0, 0, 4, 1, 0, 4, 1, 1, 4, 0, 1, 4)
			g.Surfaces = append(g.Surfaces, Surface{Rings: [][]int{{k, k + 1, k + 2, k + 3}}, Semantic: -1})
			return g, v
		}, ruleWallBase, 3},
		{"L with a roof over a roof, open walls", func() (Geometry, []float64) {
			g, v := lShape()
			k := len(v) / 3
			v = append(v, 0, 0, 4, 1, 0, 4, 1, 1, 4, 0, 1, 4)
			g.Surfaces = append(g.Surfaces[1:], Surface{Rings: [][]int{{k, k + 1, k + 2, k + 3}}, Semantic: -1})
			return g, v
		}, ruleHull, 3.5},
		{"two boxes overlapping in plan", func() (Geometry, []float64) {
			var v []float64
			var g Geometry
			g.Type = "MultiSolid"
			for n, b := range [][6]float64{{0, 0, 2, 2, 0, 3}, {1, 1, 3, 3, 0, 5}} {
				c := box(&v, b[0], b[1], b[2], b[3], b[4], b[5])
				for _, s := range []Surface{quad(c[0], c[1], c[5], c[4]), quad(c[1], c[2], c[6], c[5]),
					quad(c[2], c[3], c[7], c[6]), quad(c[3], c[0], c[4], c[7]), quad(c[4], c[5], c[6], c[7])} {
					s.Solid, s.Semantic = n, -1
					g.Surfaces = append(g.Surfaces, s)
				}
			}
			return g, v
		}, ruleHull, 8},
		{"a box with a courtyard", func() (Geometry, []float64) {
			var v []float64
			var g Geometry
			g.Type = "Solid"
			o := box(&v, 0, 0, 3, 3, 0, 3)
			in := box(&v, 1, 1, 2, 2, 0, 3)
			for _, s := range []Surface{quad(o[0], o[1], o[5], o[4]), quad(o[1], o[2], o[6], o[5]),
				quad(o[2], o[3], o[7], o[6]), quad(o[3], o[0], o[4], o[7]),
				// Courtyard walls face inwards, into the yard.
				quad(in[1], in[0], in[4], in[5]), quad(in[2], in[1], in[5], in[6]),
				quad(in[3], in[2], in[6], in[7]), quad(in[0], in[3], in[7], in[4]),
				{Rings: [][]int{{o[4], o[5], o[6], o[7]}, {in[7], in[6], in[5], in[4]}}}} {
				s.Semantic = -1
				g.Surfaces = append(g.Surfaces, s)
			}
			return g, v
		}, ruleRoof, 8},
	} {
		t.Run(tt.name, func(t *testing.T) {
			g, v := tt.make()
			canon := canonical(v)
			sc := new(scratch)
			mp, rule := sc.projected(&g, v, canon)
			if rule == ruleNone {
				rule = ruleHull
				mp = orb.MultiPolygon{{sc.hullOf(&g, v)}}
			}
			if got, want := rule, tt.wantRule; got != want {
				t.Fatalf("rule %d, want %d (footprint %v)", got, want, mp)
			}
			if got, want := planar.Area(mp), tt.wantArea; math.Abs(got-want) > 1e-9 {
				t.Errorf("area %v, want %v (footprint %v)", got, want, mp)
			}
			for _, p := range mp {
				if signedArea(p[0]) <= 0 {
					t.Errorf("exterior %v is not counter-clockwise", p[0])
				}
			}
		})
	}
}

// TestSimpleRings checks the test of rules 3 and 4 on rings that tile and
// rings that do not.
func TestSimpleRings(t *testing.T) {
	sq := func(x0, y0, x1, y1 float64, ccw bool) orb.Ring {
		r := orb.Ring{{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}, {x0, y0}}
		if !ccw {
			reverse(r)
		}
		return r
	}
	for _, tt := range []struct {
		name  string
		rings []orb.Ring
		want  bool
	}{
		{"one square", []orb.Ring{sq(0, 0, 1, 1, true)}, true},
		{"two apart", []orb.Ring{sq(0, 0, 1, 1, true), sq(2, 0, 3, 1, true)}, true},
		{"touching at a corner", []orb.Ring{sq(0, 0, 1, 1, true), sq(1, 1, 2, 2, true)}, true},
		{"square with a hole", []orb.Ring{sq(0, 0, 3, 3, true), sq(1, 1, 2, 2, false)}, true},
		{"island in a hole", []orb.Ring{sq(0, 0, 5, 5, true), sq(1, 1, 4, 4, false), sq(2, 2, 3, 3, true)}, true},
		{"nested exteriors", []orb.Ring{sq(0, 0, 3, 3, true), sq(1, 1, 2, 2, true)}, false},
		{"crossing", []orb.Ring{sq(0, 0, 2, 2, true), sq(1, 1, 3, 3, true)}, false},
		{"sharing part of an edge", []orb.Ring{sq(0, 0, 1, 1, true), sq(1, 0.5, 2, 2, true)}, false},
		{"hole outside", []orb.Ring{sq(0, 0, 1, 1, true), sq(2, 2, 3, 3, false)}, false},
		{"slit", []orb.Ring{{{0, 0}, {2, 0}, {2, 2}, {1, 2}, {1, 1}, {1, 2}, {0, 2}, {0, 0}}}, false},
		{"vertex on an edge", []orb.Ring{sq(0, 0, 2, 2, true), {{2, 1}, {3, 0}, {3, 2}, {2, 1}}}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := simpleRings(tt.rings); got != tt.want {
				t.Errorf("simpleRings = %v, want %v", got, tt.want)
			}
		})
	}
}

// The decoded Delft footprints are the roof unions: check one through
// Decode, against the hull it used to be.
func TestDelftFootprintNotHull(t *testing.T) {
	r, err := Decode(context.Background(), sharedFile(t, "delft_centre.city.json"), Options{Now: time.Unix(1700000000, 0)})
	if err != nil {
		t.Fatal(err)
	}
	v := r.Model.Vertices
	smaller := 0
	for _, o := range r.Objects {
		if o.Type != "Building" {
			continue
		}
		hull := orb.Polygon{new(scratch).hullOf(chooseGeometry(o.Geometries), v)}
		a, h := geo.Area(o.Footprint), planar.Area(hull)
		if a > h*(1+1e-6) {
			t.Errorf("%s: footprint %.3f m² larger than its hull %.3f m²", o.ID, a, h)
		}
		if a < h*(1-1e-3) {
			smaller++
		}
	}
	if smaller == 0 {
		t.Error("every Delft footprint is its hull")
	}
}
