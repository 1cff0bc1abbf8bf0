package flood

import (
	"math"

	"citytwin/geo/raster"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
)

// terrain is the static part of the model: ground, roughness and walls.
type terrain struct {
	w, h   int
	dx, dy float64
	z      []float64 // ground (m), buildings raised
	n2     []float64 // Manning n squared
	wall   []bool
}

func newTerrain(c *Config) *terrain {
	g := c.DEM
	t := &terrain{w: g.Width, h: g.Height, dx: g.CellX, dy: g.CellY}
	n := t.w * t.h
	t.z = make([]float64, n)
	t.n2 = make([]float64, n)
	t.wall = make([]bool, n)
	for k, v := range g.Values {
		if g.IsNoData(v) {
			t.wall[k] = true
			continue
		}
		t.z[k] = float64(v)
		m := c.Manning
		if c.ManningGrid != nil {
			if mv := c.ManningGrid.Values[k]; !c.ManningGrid.IsNoData(mv) && mv >= 0 {
				m = float64(mv)
			}
		}
		t.n2[k] = m * m
	}
	for _, b := range c.Buildings {
		for _, k := range PolygonCells(g, b.Footprint) {
			if b.Height == 0 {
				t.wall[k] = true
			} else {
				t.z[k] += b.Height
			}
		}
	}
	for k := range t.wall {
		if t.wall[k] {
			t.z[k] = wallZ
		}
	}
	return t
}

// PolygonCells are the indices (row*width+col, increasing) of the cells of g
// whose centres lie inside p (map coordinates of g's CRS; holes excluded).
func PolygonCells(g *raster.Grid, p orb.Polygon) []int {
	if len(p) == 0 || len(p[0]) == 0 {
		return nil
	}
	b := p.Bound()
	c0 := max(0, int(math.Floor((b.Min[0]-g.OriginX)/g.CellX)))
	c1 := min(g.Width-1, int(math.Ceil((b.Max[0]-g.OriginX)/g.CellX)))
	r0 := max(0, int(math.Floor((g.OriginY-b.Max[1])/g.CellY)))
	r1 := min(g.Height-1, int(math.Ceil((g.OriginY-b.Min[1])/g.CellY)))
	var out []int
	for r := r0; r <= r1; r++ {
		for c := c0; c <= c1; c++ {
			if planar.PolygonContains(p, g.Center(c, r)) {
				out = append(out, r*g.Width+c)
			}
		}
	}
	return out
}

// DiskCells are the indices (increasing) of the cells of g whose centres lie
// within radius of p; with radius 0, the cell holding p.
func DiskCells(g *raster.Grid, p orb.Point, radius float64) []int {
	if radius == 0 {
		c, r, ok := g.Cell(p)
		if !ok {
			return nil
		}
		return []int{r*g.Width + c}
	}
	c0 := max(0, int(math.Floor((p[0]-radius-g.OriginX)/g.CellX)))
	c1 := min(g.Width-1, int(math.Ceil((p[0]+radius-g.OriginX)/g.CellX)))
	r0 := max(0, int(math.Floor((g.OriginY-p[1]-radius)/g.CellY)))
	r1 := min(g.Height-1, int(math.Ceil((g.OriginY-p[1]+radius)/g.CellY)))
	var out []int
	for r := r0; r <= r1; r++ {
		for c := c0; c <= c1; c++ {
			q := g.Center(c, r)
			if math.Hypot(q[0]-p[0], q[1]-p[1]) <= radius {
				out = append(out, r*g.Width+c)
			}
		}
	}
	return out
}
