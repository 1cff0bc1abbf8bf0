package raster_test

import (
	"fmt"
	"strings"

	"citytwin/ingest/raster"
)

func ExampleReadASC() {
	asc := `ncols 3
nrows 2
xllcorner 382249.79
yllcorner 6354265.43
cellsize 1
NODATA_value -9999
20.5 21 -9999
19.5 20 20.5
`
	g, err := raster.ReadASC(strings.NewReader(asc))
	if err != nil {
		fmt.Println(err)
		return
	}
	s := g.Stats()
	fmt.Printf("%d × %d, origin %.2f %.2f, %d valid, min %v max %v\n", g.Width, g.Height, g.OriginX, g.OriginY, s.Valid, s.Min, s.Max)
	// Output: 3 × 2, origin 382249.79 6354267.43, 5 valid, min 19.5 max 21
}
