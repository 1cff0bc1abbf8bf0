package cql2_test

import (
	"context"
	"fmt"

	"citytwin/twin"
	"citytwin/twin/cql2"

	"github.com/paulmach/orb"
)

func Example() {
	store, _ := twin.New(twin.DefaultConfig())
	square := func(x, y float64) orb.Polygon {
		return orb.Polygon{{{x, y}, {x + 0.001, y}, {x + 0.001, y + 0.001}, {x, y + 0.001}, {x, y}}}
	}
	props, _ := twin.PropertiesOf(map[string]any{"owner": "Mrs. Jones"})
	store.Apply(
		twin.Op{Type: twin.OpUpsert, Entity: &twin.Entity{ID: "osm:way/1", Kind: twin.KindBuilding,
			Geometry: square(24.940, 60.170), Height: 21, Props: props}},
		twin.Op{Type: twin.OpUpsert, Entity: &twin.Entity{ID: "osm:way/2", Kind: twin.KindBuilding,
			Geometry: square(24.950, 60.170), Height: 35, Props: props}},
		twin.Op{Type: twin.OpUpsert, Entity: &twin.Entity{ID: "osm:way/3", Kind: twin.KindBuilding,
			Geometry: square(24.940, 60.171), Height: 9}},
	)

	filter, err := cql2.Parse(`height > 10 and "owner" LIKE '%Jones%' AND S_INTERSECTS(geometry, BBOX(24.93, 60.16, 24.945, 60.18))`)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(filter)
	fmt.Println(filter.Properties())

	res, _ := store.Query(context.Background(), twin.Query{BBox: filter.Bounds(), Match: filter.Match})
	for _, e := range res.Entities {
		fmt.Println(e.ID)
	}

	_, err = cql2.Parse(`height > 10 AND kind = )`)
	fmt.Println(err)
	// Output:
	// height > 10 AND owner LIKE '%Jones%' AND S_INTERSECTS(geometry, BBOX(24.93, 60.16, 24.945, 60.18))
	// [geometry height owner]
	// osm:way/1
	// cql2: at 23: expected a value after "=", found ")"
}
