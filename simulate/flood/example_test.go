package flood_test

import (
	"context"
	"fmt"
	"math"

	"citytwin/geo/raster"
	"citytwin/simulate/flood"
)

// A 40 × 30 valley of 5 m cells draining east gets a 30-minute storm; the
// example reports the water budget and which cells were ever 10 cm deep.
func Example() {
	dem, _ := raster.New(40, 30, 5, 5, 500000, 6000000)
	for r := 0; r < 30; r++ {
		for c := 0; c < 40; c++ {
			across := float64(r-15) * float64(r-15) / 50 // a valley along the rows
			dem.Set(c, r, float32(20-0.1*float64(c)+across))
		}
	}
	cfg := flood.DefaultConfig()
	cfg.DEM = dem
	cfg.Manning = 0.03
	cfg.Rain = []flood.Rain{{Intensity: flood.Series{Times: []float64{0, 900, 1800}, Values: []float64{0, 80, 0}}}}
	cfg.Edges.East = flood.Edge{Kind: flood.Free}
	cfg.Interval = 60

	m, err := flood.New(cfg)
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := m.Run(context.Background(), 3600, nil); err != nil {
		fmt.Println(err)
		return
	}
	b := m.Balance()
	fmt.Printf("rain %.0f m³, left %.0f m³, stored %.0f m³, closes: %v\n",
		b.Rain, b.BoundaryOut, b.Stored, math.Abs(b.RelativeError()) < 1e-12)
	deep := m.Above(0.10, true)
	when, _ := m.FirstExceeded(deep[0], 0) // Thresholds[0] is 5 cm by default
	st, _ := m.At(deep[0])
	fmt.Printf("%d cells were 10 cm deep; cell %v peaked at %.2f m, passed 5 cm at %.0f s\n",
		len(deep), deep[0], st.MaxDepth, when)
	// Output:
	// rain 600 m³, left 590 m³, stored 10 m³, closes: true
	// 10 cells were 10 cm deep; cell {26 15} peaked at 0.11 m, passed 5 cm at 505 s
}
