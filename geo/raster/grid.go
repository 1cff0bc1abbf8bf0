package raster

import (
	"errors"
	"fmt"
	"math"

	"github.com/paulmach/orb"
)

// ErrBadGrid reports a grid whose shape, cell size or values do not fit.
var ErrBadGrid = errors.New("raster: bad grid")

// MaxCells bounds the cells of one grid (about 1 GiB of float32 values), so a
// corrupt header cannot make a reader allocate without limit.
const MaxCells = 1 << 28

// Grid is a north-up raster of float32 values. See the package documentation.
type Grid struct {
	Width, Height int     // columns and rows
	CellX, CellY  float64 // cell width and height in CRS units, both > 0
	// OriginX, OriginY are the outer top-left corner of cell (0, 0).
	OriginX, OriginY float64
	// CRS names the coordinate reference system: "EPSG:32756", or WKT/ESRI text
	// as a .prj gave it; "" when unknown.
	CRS       string
	NoData    float32
	HasNoData bool
	Values    []float32 // row-major, len Width*Height
}

// New makes a grid of w × h cells filled with zeros.
func New(w, h int, cellX, cellY, originX, originY float64) (*Grid, error) {
	g := &Grid{Width: w, Height: h, CellX: cellX, CellY: cellY, OriginX: originX, OriginY: originY}
	if err := g.ValidateShape(); err != nil {
		return nil, err
	}
	g.Values = make([]float32, w*h)
	return g, nil
}

// ValidateShape checks the size, cell size and origin but not the values, for
// readers that check a header before they read the values.
func (g *Grid) ValidateShape() error {
	switch {
	case g.Width <= 0 || g.Height <= 0:
		return fmt.Errorf("%w: size %d × %d", ErrBadGrid, g.Width, g.Height)
	case g.Width > MaxCells/g.Height:
		return fmt.Errorf("%w: %d × %d cells is more than %d", ErrBadGrid, g.Width, g.Height, MaxCells)
	case !(g.CellX > 0) || !(g.CellY > 0) || math.IsInf(g.CellX, 0) || math.IsInf(g.CellY, 0):
		return fmt.Errorf("%w: cell size %v × %v", ErrBadGrid, g.CellX, g.CellY)
	case bad(g.OriginX) || bad(g.OriginY):
		return fmt.Errorf("%w: origin %v, %v", ErrBadGrid, g.OriginX, g.OriginY)
	}
	return nil
}

func bad(f float64) bool { return math.IsNaN(f) || math.IsInf(f, 0) }

// Validate checks the shape, the cell size, the origin and the number of values.
func (g *Grid) Validate() error {
	if err := g.ValidateShape(); err != nil {
		return err
	}
	if len(g.Values) != g.Width*g.Height {
		return fmt.Errorf("%w: %d values for %d × %d cells", ErrBadGrid, len(g.Values), g.Width, g.Height)
	}
	return nil
}

// IsNoData reports whether v is "no value": NaN, or NoData when HasNoData.
func (g *Grid) IsNoData(v float32) bool {
	return v != v || g.HasNoData && v == g.NoData
}

// In reports whether (col, row) is a cell of the grid.
func (g *Grid) In(col, row int) bool {
	return col >= 0 && row >= 0 && col < g.Width && row < g.Height
}

// At is the value of cell (col, row); false outside the grid or at NoData.
func (g *Grid) At(col, row int) (float32, bool) {
	if !g.In(col, row) {
		return 0, false
	}
	v := g.Values[row*g.Width+col]
	if g.IsNoData(v) {
		return 0, false
	}
	return v, true
}

// Set stores v in cell (col, row); it does nothing outside the grid.
func (g *Grid) Set(col, row int, v float32) {
	if g.In(col, row) {
		g.Values[row*g.Width+col] = v
	}
}

// Bounds is the outer extent of the grid in its CRS.
func (g *Grid) Bounds() orb.Bound {
	return orb.Bound{
		Min: orb.Point{g.OriginX, g.OriginY - float64(g.Height)*g.CellY},
		Max: orb.Point{g.OriginX + float64(g.Width)*g.CellX, g.OriginY},
	}
}

// Center is the map coordinate of the centre of cell (col, row).
func (g *Grid) Center(col, row int) orb.Point {
	return orb.Point{g.OriginX + (float64(col)+0.5)*g.CellX, g.OriginY - (float64(row)+0.5)*g.CellY}
}

// Cell is the cell holding map coordinate p; false outside the grid.
func (g *Grid) Cell(p orb.Point) (col, row int, ok bool) {
	fc := (p[0] - g.OriginX) / g.CellX
	fr := (g.OriginY - p[1]) / g.CellY
	if !(fc >= 0 && fr >= 0 && fc < float64(g.Width) && fr < float64(g.Height)) {
		return 0, 0, false
	}
	return int(fc), int(fr), true
}

// Value interpolates bilinearly at map coordinate p between the four nearest
// cell centres. NoData neighbours are left out and the others' weights
// renormalised; it is false outside Bounds or when every neighbour is NoData.
func (g *Grid) Value(p orb.Point) (float64, bool) {
	fc := (p[0] - g.OriginX) / g.CellX
	fr := (g.OriginY - p[1]) / g.CellY
	if !(fc >= 0 && fr >= 0 && fc <= float64(g.Width) && fr <= float64(g.Height)) {
		return 0, false
	}
	// Cell-centre coordinates, clamped to the outermost centres.
	x := clamp(fc-0.5, 0, float64(g.Width-1))
	y := clamp(fr-0.5, 0, float64(g.Height-1))
	c0, r0 := int(x), int(y)
	c1, r1 := min(c0+1, g.Width-1), min(r0+1, g.Height-1)
	tx, ty := x-float64(c0), y-float64(r0)
	var sum, wsum float64
	add := func(c, r int, w float64) {
		if w <= 0 {
			return
		}
		if v, ok := g.At(c, r); ok {
			sum += w * float64(v)
			wsum += w
		}
	}
	add(c0, r0, (1-tx)*(1-ty))
	add(c1, r0, tx*(1-ty))
	add(c0, r1, (1-tx)*ty)
	add(c1, r1, tx*ty)
	if wsum == 0 {
		// p sits exactly on a NoData centre or between NoData cells only.
		return 0, false
	}
	return sum / wsum, true
}

func clamp(v, lo, hi float64) float64 {
	return math.Max(lo, math.Min(hi, v))
}

// Stats summarises the valid values of a grid.
type Stats struct {
	Valid, NoData  int
	Min, Max, Mean float64
}

// Stats counts, and takes min, max and mean of, the valid values.
func (g *Grid) Stats() Stats {
	s := Stats{Min: math.Inf(1), Max: math.Inf(-1)}
	var sum float64
	for _, v := range g.Values {
		if g.IsNoData(v) {
			s.NoData++
			continue
		}
		s.Valid++
		f := float64(v)
		sum += f
		s.Min = math.Min(s.Min, f)
		s.Max = math.Max(s.Max, f)
	}
	if s.Valid == 0 {
		s.Min, s.Max = 0, 0
		return s
	}
	s.Mean = sum / float64(s.Valid)
	return s
}

// D8 are the column and row offsets of a cell's eight neighbours, clockwise
// from north; the first four (even indices) share an edge with the cell.
var D8 = [8][2]int{{0, -1}, {1, -1}, {1, 0}, {1, 1}, {0, 1}, {-1, 1}, {-1, 0}, {-1, -1}}

// Neighbours calls fn for each valid neighbour of (col, row) among the four
// edge neighbours (diagonal false) or all eight (diagonal true), with its value
// and its centre distance in CRS units.
func (g *Grid) Neighbours(col, row int, diagonal bool, fn func(c, r int, v float32, dist float64)) {
	step := 2
	if diagonal {
		step = 1
	}
	for i := 0; i < 8; i += step {
		c, r := col+D8[i][0], row+D8[i][1]
		v, ok := g.At(c, r)
		if !ok {
			continue
		}
		dx, dy := float64(D8[i][0])*g.CellX, float64(D8[i][1])*g.CellY
		fn(c, r, v, math.Hypot(dx, dy))
	}
}

// Slope is the gradient at cell (col, row) by central differences (one-sided at
// edges and next to NoData): dz/dx towards east and dz/dy towards north, in value
// units per CRS unit. It is false when the cell, or both neighbours along an
// axis, are NoData.
func (g *Grid) Slope(col, row int) (dzdx, dzdy float64, ok bool) {
	z, ok := g.At(col, row)
	if !ok {
		return 0, 0, false
	}
	diff := func(dc, dr int, size float64) (float64, bool) {
		a, okA := g.At(col-dc, row-dr)
		b, okB := g.At(col+dc, row+dr)
		switch {
		case okA && okB:
			return float64(b-a) / (2 * size), true
		case okB:
			return float64(b-z) / size, true
		case okA:
			return float64(z-a) / size, true
		}
		return 0, false
	}
	dzdx, okX := diff(1, 0, g.CellX)
	dzdy, okY := diff(0, 1, g.CellY)
	if !okX || !okY {
		return 0, 0, false
	}
	// Rows run south, so the row difference is -dz/dy.
	return dzdx, -dzdy, true
}

// Crop returns the part of the grid whose cells meet b (in the grid's CRS):
// whole cells, so the crop's cells are the grid's cells, values copied. ok is
// false when b misses the grid.
func (g *Grid) Crop(b orb.Bound) (*Grid, bool) {
	c0 := int(math.Floor((b.Min[0] - g.OriginX) / g.CellX))
	c1 := int(math.Ceil((b.Max[0]-g.OriginX)/g.CellX)) - 1
	r0 := int(math.Floor((g.OriginY - b.Max[1]) / g.CellY))
	r1 := int(math.Ceil((g.OriginY-b.Min[1])/g.CellY)) - 1
	c0, r0 = max(c0, 0), max(r0, 0)
	c1, r1 = min(c1, g.Width-1), min(r1, g.Height-1)
	if c0 > c1 || r0 > r1 {
		return nil, false
	}
	out := *g
	out.Width, out.Height = c1-c0+1, r1-r0+1
	out.OriginX = g.OriginX + float64(c0)*g.CellX
	out.OriginY = g.OriginY - float64(r0)*g.CellY
	out.Values = make([]float32, out.Width*out.Height)
	for r := range out.Height {
		copy(out.Values[r*out.Width:(r+1)*out.Width], g.Values[(r0+r)*g.Width+c0:(r0+r)*g.Width+c1+1])
	}
	return &out, true
}
