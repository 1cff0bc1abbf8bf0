package cityjson_test

import (
	"context"
	"fmt"

	"citytwin/ingest/cityjson"
)

func ExampleDecode() {
	const doc = `{"type":"CityJSON","version":"2.0",
	 "transform":{"scale":[0.001,0.001,0.001],"translate":[85000,447000,0]},
	 "metadata":{"referenceSystem":"https://www.opengis.net/def/crs/EPSG/0/7415"},
	 "CityObjects":{"b1":{"type":"Building","attributes":{"name":"shed"},
	   "geometry":[{"type":"Solid","lod":"1","boundaries":[[[[0,3,2,1]],[[4,5,6,7]],[[0,1,5,4]],[[1,2,6,5]],[[2,3,7,6]],[[3,0,4,7]]]]}]}},
	 "vertices":[[0,0,0],[4000,0,0],[4000,3000,0],[0,3000,0],[0,0,2500],[4000,0,2500],[4000,3000,2500],[0,3000,2500]]}`
	res, err := cityjson.Decode(context.Background(), []byte(doc), cityjson.Options{})
	if err != nil {
		panic(err)
	}
	e := res.Ops[0].Entity
	name, _ := e.Props.Get("name")
	fmt.Println(res.Meta.CRS, e.ID, e.Kind, e.Height, name, e.Geometry.GeoJSONType(), len(res.Rejects))
	// Output: EPSG:7415 cityjson:b1 building 2.5 shed Polygon 0
}
