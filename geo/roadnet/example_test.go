package roadnet_test

import (
	"fmt"

	"github.com/paulmach/orb"

	"citytwin/geo/roadnet"
)

func ExampleGraph_ShortestPath() {
	g, err := roadnet.Build([]roadnet.Segment{
		{From: 1, To: 2, FromPt: orb.Point{24.94, 60.17}, ToPt: orb.Point{24.95, 60.17}, LengthM: 550, SpeedMPS: 50 / 3.6, Road: "osm:way/1/0"},
		{From: 2, To: 3, FromPt: orb.Point{24.95, 60.17}, ToPt: orb.Point{24.95, 60.18}, LengthM: 1110, SpeedMPS: 30 / 3.6, Road: "osm:way/2/0", Oneway: 1},
		{From: 1, To: 3, FromPt: orb.Point{24.94, 60.17}, ToPt: orb.Point{24.95, 60.18}, LengthM: 1250, SpeedMPS: 50 / 3.6, Road: "osm:way/3/0"},
	})
	if err != nil {
		panic(err)
	}
	from, _ := g.NodeIndex(1)
	to, _ := g.NodeIndex(3)
	path, secs, _ := g.ShortestPath(from, to)
	for _, e := range path {
		fmt.Println(e.Road)
	}
	fmt.Printf("%.0f s\n", secs)
	// Output:
	// osm:way/3/0
	// 90 s
}
