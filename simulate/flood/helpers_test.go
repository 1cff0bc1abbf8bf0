package flood

import (
	"math"
	"math/rand/v2"
	"testing"

	"citytwin/geo/raster"
)

// bumpyBowl is a w × h grid of 2 m cells: a bowl with random bumps, its ground
// rounded to 1/64 m so that sums with depths of the same grain are exact.
func bumpyBowl(t testing.TB, w, h int, seed uint64) *raster.Grid {
	t.Helper()
	g, err := raster.New(w, h, 2, 2, 1000, 5000)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(seed, 7))
	for r := 0; r < h; r++ {
		for c := 0; c < w; c++ {
			x, y := float64(c)/float64(w-1)-0.5, float64(r)/float64(h-1)-0.5
			z := 8*(x*x+y*y) + 0.6*math.Sin(7*x)*math.Cos(5*y) + 0.3*rng.Float64()
			g.Set(c, r, float32(math.Round(z*64)/64))
		}
	}
	return g
}

// stateBytes is the model's encoded state.
func stateBytes(t testing.TB, m *Model) []byte {
	t.Helper()
	b, err := m.State().MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	return b
}
