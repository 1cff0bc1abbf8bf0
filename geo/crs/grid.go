package crs

import (
	"fmt"
	"math"

	"github.com/paulmach/orb"
)

// Grid approximates a Transformer's ToLonLat over a bound by bilinear
// interpolation between exactly transformed grid nodes: a city file has
// millions of vertices, PROJ does about a million points a second per core,
// and over cells of some hundred metres the projections used for cities are
// linear to well under a millimetre.
//
// NewGrid checks the interpolation against PROJ at every cell centre and
// refines the grid until the largest difference is within the tolerance; when
// that would take too many nodes the Grid passes every point to PROJ. Points
// outside the bound always go to PROJ. A Grid is immutable and safe for
// concurrent use.
type Grid struct {
	t        *Transformer
	min      orb.Point
	cell     float64
	nx, ny   int       // cells
	nodes    []float64 // lon, lat per node, row-major from min
	maxError float64   // metres, measured at the cell centres
}

// MaxGridNodes bounds the work NewGrid does before it gives up on
// interpolation (some tens of milliseconds of PROJ).
const MaxGridNodes = 1 << 16

// NewGrid makes a Grid over b (source coordinates) whose interpolation differs
// from PROJ by at most tol metres at the checked points; cell is the first
// cell size tried (source units), halved until tol holds.
func (t *Transformer) NewGrid(b orb.Bound, cell, tol float64) (*Grid, error) {
	if !(cell > 0) || !(tol > 0) {
		return nil, fmt.Errorf("crs: grid: cell %v and tolerance %v must be positive", cell, tol)
	}
	for _, v := range []float64{b.Min[0], b.Min[1], b.Max[0], b.Max[1]} {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("crs: grid: bound %v is not finite", b)
		}
	}
	for {
		fx := math.Ceil((b.Max[0]-b.Min[0])/cell) + 1
		fy := math.Ceil((b.Max[1]-b.Min[1])/cell) + 1
		if (fx+1)*(fy+1) > MaxGridNodes || cell < 1e-3 {
			return &Grid{t: t}, nil // exact for every point
		}
		nx, ny := int(fx), int(fy)
		g := &Grid{t: t, min: b.Min, cell: cell, nx: nx, ny: ny}
		g.nodes = make([]float64, 0, 2*(nx+1)*(ny+1))
		for j := 0; j <= ny; j++ {
			for i := 0; i <= nx; i++ {
				g.nodes = append(g.nodes, b.Min[0]+float64(i)*cell, b.Min[1]+float64(j)*cell)
			}
		}
		if err := t.ToLonLatFlat(g.nodes, 2); err != nil {
			return &Grid{t: t}, nil // part of the bound is outside the projection
		}
		centres := make([]float64, 0, 2*nx*ny)
		for j := 0; j < ny; j++ {
			for i := 0; i < nx; i++ {
				centres = append(centres, b.Min[0]+(float64(i)+0.5)*cell, b.Min[1]+(float64(j)+0.5)*cell)
			}
		}
		exact := append([]float64(nil), centres...)
		if err := t.ToLonLatFlat(exact, 2); err != nil {
			return &Grid{t: t}, nil
		}
		for k := 0; k < len(centres); k += 2 {
			p, _ := g.interp(orb.Point{centres[k], centres[k+1]})
			g.maxError = math.Max(g.maxError, metres(p, orb.Point{exact[k], exact[k+1]}))
		}
		if g.maxError <= tol {
			return g, nil
		}
		cell /= 2
	}
}

// metres between two close lon/lat points (equirectangular).
func metres(a, b orb.Point) float64 {
	const m = 6371008.8 * math.Pi / 180
	dx := (a[0] - b[0]) * m * math.Cos(a[1]*math.Pi/180)
	dy := (a[1] - b[1]) * m
	return math.Hypot(dx, dy)
}

// MaxError is the largest difference from PROJ found at the cell centres, in
// metres (0 when the Grid passes everything to PROJ).
func (g *Grid) MaxError() float64 { return g.maxError }

// Interpolating says whether the Grid interpolates (false: all points go to PROJ).
func (g *Grid) Interpolating() bool { return g.nodes != nil }

func (g *Grid) interp(p orb.Point) (orb.Point, bool) {
	if g.nodes == nil {
		return p, false
	}
	fx := (p[0] - g.min[0]) / g.cell
	fy := (p[1] - g.min[1]) / g.cell
	if !(fx >= 0 && fy >= 0 && fx <= float64(g.nx) && fy <= float64(g.ny)) {
		return p, false
	}
	i, j := min(int(fx), g.nx-1), min(int(fy), g.ny-1)
	u, v := fx-float64(i), fy-float64(j)
	w := g.nx + 1
	a := 2 * (j*w + i)
	c := 2 * ((j+1)*w + i)
	n := g.nodes
	lon := (1-v)*((1-u)*n[a]+u*n[a+2]) + v*((1-u)*n[c]+u*n[c+2])
	lat := (1-v)*((1-u)*n[a+1]+u*n[a+3]) + v*((1-u)*n[c+1]+u*n[c+3])
	return orb.Point{lon, lat}, true
}

// ToLonLat is Transformer.ToLonLat, interpolated inside the grid.
func (g *Grid) ToLonLat(p orb.Point) (orb.Point, error) {
	if q, ok := g.interp(p); ok {
		return q, nil
	}
	return g.t.ToLonLat(p)
}

// ToLonLatFlat is Transformer.ToLonLatFlat, interpolated inside the grid.
func (g *Grid) ToLonLatFlat(flat []float64, stride int) error {
	if stride < 2 || len(flat)%stride != 0 {
		return fmt.Errorf("crs: flat coordinates: length %d, stride %d", len(flat), stride)
	}
	var outside []int
	for k := 0; k < len(flat); k += stride {
		if q, ok := g.interp(orb.Point{flat[k], flat[k+1]}); ok {
			flat[k], flat[k+1] = q[0], q[1]
		} else {
			outside = append(outside, k)
		}
	}
	if len(outside) == 0 {
		return nil
	}
	buf := make([]float64, 0, 2*len(outside))
	for _, k := range outside {
		buf = append(buf, flat[k], flat[k+1])
	}
	if err := g.t.ToLonLatFlat(buf, 2); err != nil {
		return err
	}
	for n, k := range outside {
		flat[k], flat[k+1] = buf[2*n], buf[2*n+1]
	}
	return nil
}
