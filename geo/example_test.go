package geo_test

import (
	"fmt"

	"citytwin/geo"

	"github.com/paulmach/orb"
)

func ExampleDistance() {
	station := orb.Point{24.9414, 60.1719} // Helsinki Central Station
	cathedral := orb.Point{24.9522, 60.1704}
	fmt.Printf("%.0f m\n", geo.Distance(station, cathedral))
	// Output: 620 m
}

func ExampleDistanceToGeometry() {
	block := orb.Polygon{{{24.940, 60.170}, {24.942, 60.170}, {24.942, 60.171}, {24.940, 60.171}, {24.940, 60.170}}}
	fmt.Printf("%.1f m\n", geo.DistanceToGeometry(orb.Point{24.941, 60.172}, block))
	fmt.Printf("%.1f m\n", geo.DistanceToGeometry(orb.Point{24.941, 60.1705}, block))
	// Output:
	// 111.2 m
	// 0.0 m
}

func ExampleBoundAround() {
	// A 5 km radius around a point on the antimeridian needs two boxes.
	for _, b := range geo.BoundAround(orb.Point{179.99, -16.8}, 5000) {
		fmt.Printf("%.3f %.3f %.3f %.3f\n", b.Min[0], b.Min[1], b.Max[0], b.Max[1])
	}
	// Output:
	// 179.943 -16.845 180.000 -16.755
	// -180.000 -16.845 -179.963 -16.755
}

func ExampleFrame() {
	f := geo.NewFrame(orb.Point{24.9414, 60.1719})
	x, y := f.ToLocal(orb.Point{24.9522, 60.1704})
	fmt.Printf("east %.0f m, north %.0f m\n", x, y)
	// Output: east 597 m, north -167 m
}

func ExampleContains() {
	district := orb.Polygon{{{0, 0}, {4, 0}, {4, 4}, {0, 4}, {0, 0}}}
	fmt.Println(geo.Contains(district, orb.Point{2, 2}))
	fmt.Println(geo.Contains(district, orb.Point{4, 2})) // the boundary counts
	fmt.Println(geo.Contains(district, orb.LineString{{1, 1}, {5, 1}}))
	fmt.Println(geo.Intersects(district, orb.LineString{{1, 1}, {5, 1}}))
	// Output:
	// true
	// true
	// false
	// true
}

func ExampleParent() {
	c := geo.Cell(orb.Point{24.9414, 60.1719}, 9)
	p := geo.Parent(c, 5)
	fmt.Println(geo.CellResolution(c), geo.CellResolution(p), p == c.Parent(5))
	// Output: 9 5 true
}

func ExampleCoverPolygon() {
	block := orb.Bound{Min: orb.Point{24.940, 60.170}, Max: orb.Point{24.942, 60.171}}
	cells, err := geo.CoverPolygon(block, 10)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(len(cells) > 0, geo.CellResolution(cells[0]))
	// Output: true 10
}

func ExampleRTree_Nearby() {
	var tr geo.RTree[string]
	tr.Insert(orb.Point{24.9414, 60.1719}.Bound(), "station")
	tr.Insert(orb.Point{24.9522, 60.1704}.Bound(), "cathedral")
	tr.Insert(orb.Point{24.9386, 60.1699}.Bound(), "museum")
	// The nearest entry to the market square; a k-nearest search keeps
	// going until the lower bound passes its k-th best true distance.
	tr.Nearby(orb.Point{24.9525, 60.1675}, func(v string, lowerBound float64) bool {
		fmt.Printf("%s %.0f m\n", v, lowerBound)
		return false
	})
	// Output: cathedral 323 m
}

func ExamplePointGrid() {
	g := geo.NewPointGrid(100, 60.17)
	g.Set(1, orb.Point{24.9414, 60.1719}) // tram 1
	g.Set(2, orb.Point{24.9522, 60.1704}) // tram 2
	g.Set(1, orb.Point{24.9450, 60.1710}) // tram 1 moves
	g.Nearby(orb.Point{24.9460, 60.1710}, func(slot uint32, p orb.Point, metres float64) bool {
		fmt.Printf("tram %d at %.0f m\n", slot, metres)
		return true
	})
	// Output:
	// tram 1 at 55 m
	// tram 2 at 349 m
}
