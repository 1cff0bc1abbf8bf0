package raster_test

import (
	"fmt"

	"citytwin/geo/raster"

	"github.com/paulmach/orb"
)

func ExampleGrid_Value() {
	// A 2 × 2 grid of 10 m cells whose top-left corner is (1000, 2000).
	g, _ := raster.New(2, 2, 10, 10, 1000, 2000)
	copy(g.Values, []float32{1, 2, 3, 4})
	g.CRS = "EPSG:32756"
	z, ok := g.Value(orb.Point{1010, 1990}) // halfway between the four centres
	fmt.Println(z, ok, g.Bounds())
	// Output: 2.5 true {[1000 1980] [1020 2000]}
}
