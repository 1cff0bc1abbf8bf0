package datasets

import (
	"context"
	"math"
	"strconv"

	"citytwin/twin"

	"github.com/paulmach/orb"
)

// KindSubstation is the kind of an electrical substation.
const KindSubstation twin.Kind = "substation"

// Substation is an electrical substation that feeds the buildings around it.
// Every building is fed by the nearest one (Building.Substation).
type Substation struct {
	Point       orb.Point // lon/lat, in a corner of a lot: clear of buildings and streets
	Name        string    // "Substation 3" for synth:substation/3
	VoltageKV   float64   // the voltage it takes in: 110, or 20 for small ones
	CapacityMVA float64   // installed transformer capacity
	PeakMW      float64   // estimated peak demand of the buildings it feeds
	Buildings   int       // how many buildings it feeds
}

// SubstationID is the entity id of substation i.
func SubstationID(i int) twin.ID { return twin.ID("synth:substation/" + strconv.Itoa(i)) }

// A district gets a substation when it has minSubstationBuildings buildings,
// and one for every buildingsPerSubstation (rounded) when it has more: the demo
// city gets one for most of its districts, 70 to 300 buildings each, the
// metropolis one for every 2,000 or so buildings. The small districts at the
// ragged edge are fed from their neighbours'.
const (
	buildingsPerSubstation = 3000
	minSubstationBuildings = 40
)

// substationSites returns the substations' places in metres. lots are the lots
// built on, in district order. A district with m substations is cut into m
// runs of consecutive lots (lots run street by street, so a run is a compact
// piece of the district), and each run's substation stands near its load
// centre.
func substationSites(lots []lot) []orb.Point {
	var sites []orb.Point
	for a := 0; a < len(lots); {
		b := a + 1
		for b < len(lots) && lots[b].key>>32 == lots[a].key>>32 {
			b++
		}
		n := b - a
		m := (n + buildingsPerSubstation/2) / buildingsPerSubstation
		if m == 0 && n >= minSubstationBuildings {
			m = 1
		}
		for k := range m {
			sites = append(sites, siteIn(lots[a+k*n/m:a+(k+1)*n/m]))
		}
		a = b
	}
	if len(sites) == 0 && len(lots) > 0 {
		sites = append(sites, siteIn(lots))
	}
	return sites
}

// siteIn returns the corner, half a metre in, of the lot nearest the centre of
// the lots' centres, taking the corner nearest that centre. Buildings keep at
// least a metre from the edges of their lots, and lots keep clear of streets,
// so the substation stands on no building and on no carriageway.
func siteIn(lots []lot) orb.Point {
	var mid orb.Point
	for i := range lots {
		mid[0] += lots[i].c[0]
		mid[1] += lots[i].c[1]
	}
	mid[0] /= float64(len(lots))
	mid[1] /= float64(len(lots))
	best, bestD := 0, math.Inf(1)
	for i := range lots {
		if d := dist2(lots[i].c, mid); d < bestD {
			best, bestD = i, d
		}
	}
	l := &lots[best]
	var site orb.Point
	bestD = math.Inf(1)
	for _, su := range [2]float64{-1, 1} {
		for _, sv := range [2]float64{-1, 1} {
			u, v := su*(l.hw-0.5), sv*(l.hd-0.5)
			p := orb.Point{l.c[0] + u*l.ux - v*l.uy, l.c[1] + u*l.uy + v*l.ux}
			if d := dist2(p, mid); d < bestD {
				site, bestD = p, d
			}
		}
	}
	return site
}

// dist2 is the squared distance between two points in metres. The explicit
// conversions keep the compiler from fusing the multiply-adds, so that a
// brute-force check computes the very same value.
func dist2(a, b orb.Point) float64 {
	dx, dy := a[0]-b[0], a[1]-b[1]
	return float64(dx*dx) + float64(dy*dy)
}

// feed sites the substations, connects every building to the nearest one (by
// straight-line distance from its Inside point, where its meter sits; ties go
// to the lower index) and sizes each substation for what it feeds. lots are the
// lots of c.Buildings, in order.
func (c *City) feed(ctx context.Context, w int, lots []lot) error {
	sites := substationSites(lots)
	if len(sites) == 0 {
		return nil
	}
	c.Substations = make([]Substation, len(sites))
	pts := make([]orb.Point, len(sites))
	for i, s := range sites {
		ll := c.Frame.ToLonLat(s[0], s[1])
		c.Substations[i] = Substation{Point: ll, Name: "Substation " + strconv.Itoa(i)}
		// Measured from the lon/lat point, as anyone checking the city would.
		x, y := c.Frame.ToLocal(ll)
		pts[i] = orb.Point{x, y}
	}
	g := newSiteGrid(pts)
	const chunk = 8192
	n := (len(c.Buildings) + chunk - 1) / chunk
	if err := parallel(ctx, w, n, func(i int) {
		for j := i * chunk; j < min(len(c.Buildings), (i+1)*chunk); j++ {
			b := &c.Buildings[j]
			x, y := c.Frame.ToLocal(b.Inside)
			b.Substation = g.nearest(orb.Point{x, y})
		}
	}); err != nil {
		return err
	}
	peakW := make([]float64, len(sites))
	for i := range c.Buildings {
		b := &c.Buildings[i]
		peakW[b.Substation] += b.Area * float64(b.Levels) * demandWm2(b.Use)
		c.Substations[b.Substation].Buildings++
	}
	for i := range c.Substations {
		s := &c.Substations[i]
		s.PeakMW = round1(peakW[i] / 1e6)
		s.CapacityMVA, s.VoltageKV = substationRating(peakW[i] / 1e6 / powerFactor)
	}
	return nil
}

// powerFactor converts the buildings' peak demand (MW) to apparent power
// (MVA), which transformers are rated in.
const powerFactor = 0.9

// transformerMVA are standard power transformer ratings.
var transformerMVA = []float64{10, 16, 25, 40, 63}

// substationRating returns the installed capacity and incoming voltage of a
// substation with the given peak load in MVA: two transformers, either of which
// carries the peak alone while the other is out, of the smallest standard
// rating that does (beyond the largest, as many of the largest as it takes, and
// a spare). Substations of 25 MVA transformers and up take 110 kV; smaller ones
// 20 kV.
func substationRating(peakMVA float64) (capacityMVA, voltageKV float64) {
	for _, r := range transformerMVA {
		if peakMVA <= r {
			if r >= 25 {
				return 2 * r, 110
			}
			return 2 * r, 20
		}
	}
	r := transformerMVA[len(transformerMVA)-1]
	return r * (math.Ceil(peakMVA/r) + 1), 110
}

// demandWm2 is a rule-of-thumb peak electrical demand of a building use, in
// watts per square metre of floor.
func demandWm2(use string) float64 {
	switch use {
	case "residential":
		return 15
	case "office":
		return 40
	case "retail":
		return 50
	case "hotel":
		return 35
	case "industrial":
		return 45
	case "warehouse":
		return 10
	case "school":
		return 25
	case "hospital":
		return 60
	}
	return 30 // mixed, public
}

// siteGrid is a uniform grid over points in metres, for nearest-point queries.
type siteGrid struct {
	pts    []orb.Point
	x0, y0 float64
	cell   float64
	nx, ny int
	start  []int32 // the points of cell k are idx[start[k]:start[k+1]]
	idx    []int32
}

// newSiteGrid indexes pts, about one to a cell.
func newSiteGrid(pts []orb.Point) *siteGrid {
	b := orb.MultiPoint(pts).Bound()
	w, h := b.Max[0]-b.Min[0], b.Max[1]-b.Min[1]
	g := &siteGrid{pts: pts, x0: b.Min[0], y0: b.Min[1]}
	g.cell = math.Max(100, math.Sqrt(w*h/float64(len(pts))))
	g.nx, g.ny = int(w/g.cell)+1, int(h/g.cell)+1
	cells := make([]int32, len(pts))
	g.start = make([]int32, g.nx*g.ny+1)
	for i, p := range pts {
		k := g.row(p[1])*g.nx + g.col(p[0])
		cells[i] = int32(k)
		g.start[k+1]++
	}
	for k := 1; k < len(g.start); k++ {
		g.start[k] += g.start[k-1]
	}
	g.idx = make([]int32, len(pts))
	fill := append([]int32(nil), g.start[:len(g.start)-1]...)
	for i, k := range cells {
		g.idx[fill[k]] = int32(i)
		fill[k]++
	}
	return g
}

func (g *siteGrid) col(x float64) int { return min(g.nx-1, max(0, int(math.Floor((x-g.x0)/g.cell)))) }
func (g *siteGrid) row(y float64) int { return min(g.ny-1, max(0, int(math.Floor((y-g.y0)/g.cell)))) }

// nearest returns the index of the point nearest p, the lowest index among
// equals. It searches square rings of cells outwards from p's cell (clamped to
// the grid): every point of ring r is at least (r-1) cells from p, so it stops
// once the best found is nearer than the next ring.
func (g *siteGrid) nearest(p orb.Point) int {
	cx, cy := g.col(p[0]), g.row(p[1])
	best, bestD := -1, math.Inf(1)
	visit := func(i, j int) {
		if i < 0 || j < 0 || i >= g.nx || j >= g.ny {
			return
		}
		k := j*g.nx + i
		for _, s := range g.idx[g.start[k]:g.start[k+1]] {
			if d := dist2(p, g.pts[s]); d < bestD || d == bestD && int(s) < best {
				best, bestD = int(s), d
			}
		}
	}
	for r := 0; r <= max(g.nx, g.ny); r++ {
		if r == 0 {
			visit(cx, cy)
		} else {
			for i := cx - r; i <= cx+r; i++ {
				visit(i, cy-r)
				visit(i, cy+r)
			}
			for j := cy - r + 1; j < cy+r; j++ {
				visit(cx-r, j)
				visit(cx+r, j)
			}
		}
		if reach := float64(r) * g.cell; best >= 0 && bestD < reach*reach {
			break
		}
	}
	return best
}
