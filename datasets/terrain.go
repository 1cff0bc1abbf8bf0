package datasets

import (
	"fmt"
	"math"
	"math/rand/v2"

	"citytwin/geo/crs"
	"citytwin/geo/raster"

	"github.com/paulmach/orb"
)

// Terrain is an elevation model of the city for flood scenarios: a grid of
// cell metres in the UTM zone of the centre (WGS 84, EPSG:326zz or 327zz),
// reaching margin metres beyond the furthest road. The ground is a shallow
// bowl: the old centre lies low (3 m) and the land rises towards the edges
// (about 15 m at the built-up radius), tilted gently to the south and rolled
// by low hills, so that heavy rain gathers in the centre and along the
// valleys between the hills. It is the same for the same seed.
func (c *City) Terrain(cell, margin float64) (*raster.Grid, error) {
	if !(cell >= 1) || !(margin >= 0) {
		return nil, fmt.Errorf("datasets: terrain: cell %v m and margin %v m", cell, margin)
	}
	centre := c.Config.Center
	zone := int(math.Floor((centre[0]+180)/6)) + 1
	code := 32600 + zone
	if centre[1] < 0 {
		code = 32700 + zone
	}
	name := fmt.Sprintf("EPSG:%d", code)
	tr, err := crs.For(name)
	if err != nil {
		return nil, err
	}
	mid, err := tr.FromLonLat(centre)
	if err != nil {
		return nil, err
	}
	// The roads reach beyond the built-up radius (the outer rings).
	reach := c.Radius
	for _, l := range c.lines {
		for _, p := range l {
			reach = math.Max(reach, math.Max(math.Abs(p[0]), math.Abs(p[1])))
		}
	}
	half := reach + margin
	n := int(math.Ceil(2 * half / cell))
	g, err := raster.New(n, n, cell, cell, math.Floor(mid[0]-half), math.Ceil(mid[1]+half))
	if err != nil {
		return nil, err
	}
	g.CRS = name
	// Cell centres in UTM, to lon/lat in one call, then to the city's metres.
	flat := make([]float64, 0, 2*n*n)
	for r := range n {
		for col := range n {
			p := g.Center(col, r)
			flat = append(flat, p[0], p[1])
		}
	}
	if err := tr.ToLonLatFlat(flat, 2); err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(c.Config.Seed, 0x7e77a1))
	phaseX, phaseY := rng.Float64()*2*math.Pi, rng.Float64()*2*math.Pi
	radius := math.Max(c.Radius, 500)
	for i := range n * n {
		x, y := c.Frame.ToLocal(orb.Point{flat[2*i], flat[2*i+1]})
		d := math.Hypot(x, y) / radius
		z := 3 + 12*d*d - 0.004*y + 1.2*math.Sin(x/230+phaseX)*math.Sin(y/310+phaseY)
		g.Values[i] = float32(math.Max(0.5, z))
	}
	return g, nil
}
