package flood

import (
	"math"

	"citytwin/geo/raster"

	"github.com/paulmach/orb"
)

// LineCells are the indices (increasing) of the cells of g whose centres lie
// within halfWidth of the line (map coordinates of g's CRS): the cells of a
// road segment, or, for a building's outer ring, the ground along its walls.
func LineCells(g *raster.Grid, line orb.LineString, halfWidth float64) []int {
	if len(line) == 0 || !(halfWidth >= 0) {
		return nil
	}
	b := line.Bound().Pad(halfWidth)
	c0 := max(0, int(math.Floor((b.Min[0]-g.OriginX)/g.CellX)))
	c1 := min(g.Width-1, int(math.Ceil((b.Max[0]-g.OriginX)/g.CellX)))
	r0 := max(0, int(math.Floor((g.OriginY-b.Max[1])/g.CellY)))
	r1 := min(g.Height-1, int(math.Ceil((g.OriginY-b.Min[1])/g.CellY)))
	var out []int
	for r := r0; r <= r1; r++ {
		for c := c0; c <= c1; c++ {
			if segmentsWithin(line, g.Center(c, r), halfWidth) {
				out = append(out, r*g.Width+c)
			}
		}
	}
	return out
}

// segmentsWithin reports whether p is within d of the polyline.
func segmentsWithin(line orb.LineString, p orb.Point, d float64) bool {
	if len(line) == 1 {
		return math.Hypot(p[0]-line[0][0], p[1]-line[0][1]) <= d
	}
	for i := 0; i+1 < len(line); i++ {
		a, b := line[i], line[i+1]
		dx, dy := b[0]-a[0], b[1]-a[1]
		t := 0.0
		if l2 := dx*dx + dy*dy; l2 > 0 {
			t = math.Max(0, math.Min(1, ((p[0]-a[0])*dx+(p[1]-a[1])*dy)/l2))
		}
		if math.Hypot(p[0]-a[0]-t*dx, p[1]-a[1]-t*dy) <= d {
			return true
		}
	}
	return false
}

// Exposure is what the water did over a set of cells — a road segment, the
// ground around a building — so far.
type Exposure struct {
	Cells          int     // open cells in the set (walls are left out)
	MaxDepth       float64 // m, deepest over the cells and the run
	TimeOfMaxDepth float64 // s
	MaxSpeed       float64 // m/s
	Depth          float64 // m, deepest now
	// First is, per Config.Thresholds, when the first cell reached it (s);
	// -1 when none has.
	First []float64
}

// Flooded reports whether the water over the set has reached Thresholds[i].
func (e Exposure) Flooded(i int) bool { return i >= 0 && i < len(e.First) && e.First[i] >= 0 }

// Exposure summarises the cells (indices row*width+col, as PolygonCells,
// LineCells and DiskCells give them).
func (m *Model) Exposure(cells []int) Exposure {
	e := Exposure{First: make([]float64, len(m.first))}
	for i := range e.First {
		e.First[i] = -1
	}
	for _, k := range cells {
		if k < 0 || k >= len(m.h) || m.ter.wall[k] {
			continue
		}
		e.Cells++
		if d := m.maxDepth[k]; d > e.MaxDepth {
			e.MaxDepth, e.TimeOfMaxDepth = d, m.tMaxD[k]
		}
		e.MaxSpeed = math.Max(e.MaxSpeed, m.maxSpeed[k])
		e.Depth = math.Max(e.Depth, m.h[k])
		for i, f := range m.first {
			if t := f[k]; t >= 0 && (e.First[i] < 0 || t < e.First[i]) {
				e.First[i] = t
			}
		}
	}
	return e
}
