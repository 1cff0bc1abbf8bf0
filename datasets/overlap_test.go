package datasets

import (
	"context"
	"math"
	"testing"

	"citytwin/geo"

	"github.com/paulmach/orb"
)

// boxIndex is a uniform grid of bounding boxes, the brute-force oracle's
// prefilter: pairs are only compared exactly when their boxes overlap.
type boxIndex struct {
	cell  float64
	cells map[[2]int][]int
	boxes []orb.Bound
}

func newBoxIndex(cell float64) *boxIndex {
	return &boxIndex{cell: cell, cells: map[[2]int][]int{}}
}

func (x *boxIndex) span(b orb.Bound) (x0, y0, x1, y1 int) {
	return int(math.Floor(b.Min[0] / x.cell)), int(math.Floor(b.Min[1] / x.cell)),
		int(math.Floor(b.Max[0] / x.cell)), int(math.Floor(b.Max[1] / x.cell))
}

func (x *boxIndex) add(b orb.Bound) int {
	id := len(x.boxes)
	x.boxes = append(x.boxes, b)
	x0, y0, x1, y1 := x.span(b)
	for i := x0; i <= x1; i++ {
		for j := y0; j <= y1; j++ {
			x.cells[[2]int{i, j}] = append(x.cells[[2]int{i, j}], id)
		}
	}
	return id
}

// near calls fn once for every box that intersects b.
func (x *boxIndex) near(b orb.Bound, fn func(id int)) {
	seen := map[int]bool{}
	x0, y0, x1, y1 := x.span(b)
	for i := x0; i <= x1; i++ {
		for j := y0; j <= y1; j++ {
			for _, id := range x.cells[[2]int{i, j}] {
				if !seen[id] && x.boxes[id].Intersects(b) {
					seen[id] = true
					fn(id)
				}
			}
		}
	}
}

func TestBuildingsDoNotOverlap(t *testing.T) { checkNoOverlaps(t, demo(t)) }

func TestBuildingsClearOfRoads(t *testing.T) { checkClearOfRoads(t, demo(t)) }

// TestBiggerCities checks other seeds and a city big enough for the spokes to
// multiply and for several rings of districts.
func TestBiggerCities(t *testing.T) {
	if testing.Short() {
		t.Skip("generates and checks 60k buildings")
	}
	for _, seed := range []uint64{3, 4} {
		cfg := Demo()
		cfg.Seed = seed
		cfg.Buildings = 30_000 * int(seed-2)
		c, err := Generate(context.Background(), cfg, nil)
		if err != nil {
			t.Fatal(err)
		}
		checkNoOverlaps(t, c)
		checkClearOfRoads(t, c)
		checkConnected(t, c)
		t.Logf("seed %d: %d buildings, %d roads, radius %.0f m", seed, len(c.Buildings), len(c.Roads), c.Radius)
	}
}

func checkNoOverlaps(t *testing.T, c *City) {
	t.Helper()
	idx := newBoxIndex(0.002)
	pairs := 0
	for i, b := range c.Buildings {
		bb := b.Footprint.Bound()
		idx.near(bb, func(j int) {
			pairs++
			if geo.Intersects(b.Footprint, c.Buildings[j].Footprint) {
				t.Fatalf("buildings %d and %d overlap", i, j)
			}
		})
		idx.add(bb)
	}
	// The oracle must see an overlap that is there: building 0 moved by a metre.
	moved := geo.NewFrame(c.Buildings[0].Inside)
	shifted := moved.Unproject(mapPoints(moved.Project(c.Buildings[0].Footprint), 1, 0))
	found := false
	idx.near(shifted.Bound(), func(j int) { found = found || j == 0 && geo.Intersects(shifted, c.Buildings[0].Footprint) })
	if !found {
		t.Error("the overlap check misses a building moved by 1 m onto itself")
	}
	t.Logf("%d pairs of buildings with overlapping boxes compared exactly", pairs)
}

// mapPoints shifts every point of a polygonal geometry by (dx, dy).
func mapPoints(g orb.Geometry, dx, dy float64) orb.Geometry {
	var out orb.MultiPolygon
	for _, p := range polygonsOf(g) {
		np := make(orb.Polygon, len(p))
		for k, r := range p {
			nr := make(orb.Ring, len(r))
			for i, q := range r {
				nr[i] = orb.Point{q[0] + dx, q[1] + dy}
			}
			np[k] = nr
		}
		out = append(out, np)
	}
	return out
}

// local converts lon/lat rings or lines to metres.
func local(f geo.Frame, pts []orb.Point) []orb.Point {
	out := make([]orb.Point, len(pts))
	for i, p := range pts {
		x, y := f.ToLocal(p)
		out[i] = orb.Point{x, y}
	}
	return out
}

// lineGap is the least distance in metres between two polylines that do not
// cross.
func lineGap(a, b []orb.Point) float64 {
	d := math.Inf(1)
	for i := 1; i < len(a); i++ {
		for j := 1; j < len(b); j++ {
			d = math.Min(d, segSegDist(a[i-1], a[i], b[j-1], b[j]))
		}
	}
	return d
}

func checkClearOfRoads(t *testing.T, c *City) {
	t.Helper()
	idx := newBoxIndex(0.002)
	for _, b := range c.Buildings {
		idx.add(b.Footprint.Bound())
	}
	checked := 0
	for ri, r := range c.Roads {
		// Look around the road as far as its half width reaches (in degrees,
		// generously).
		bb := r.Line.Bound().Pad(0.0005)
		idx.near(bb, func(bi int) {
			b := c.Buildings[bi]
			if geo.Intersects(r.Line, b.Footprint) {
				t.Fatalf("road %d (%s) crosses building %d", ri, r.Class, bi)
			}
			line := local(c.Frame, r.Line)
			for _, p := range polygonsOf(b.Footprint) {
				gap := lineGap(line, local(c.Frame, p[0]))
				if gap < r.Class.halfWidth() {
					t.Fatalf("building %d is %.1f m from the centre of road %d (%s), inside its carriageway", bi, gap, ri, r.Class)
				}
			}
			checked++
		})
	}
	if checked == 0 {
		t.Fatal("no building near any road: the test checks nothing")
	}
}
