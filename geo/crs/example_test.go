package crs_test

import (
	"fmt"

	"citytwin/geo/crs"

	"github.com/paulmach/orb"
)

func ExampleFor() {
	tr, err := crs.For("https://www.opengis.net/def/crs/EPSG/0/7415") // RD New + NAP
	if err != nil {
		panic(err)
	}
	p, err := tr.ToLonLat(orb.Point{85000, 447000}) // Delft
	if err != nil {
		panic(err)
	}
	fmt.Printf("%s lon %.4f lat %.4f\n", tr.Code(), p[0], p[1])
	// Output: EPSG:7415 lon 4.3677 lat 52.0069
}

func ExampleParse() {
	for _, name := range []string{"urn:ogc:def:crs:EPSG::28992", "EPSG:2056", "RD"} {
		code, err := crs.Parse(name)
		fmt.Println(code, err)
	}
	// Output:
	// EPSG:28992 <nil>
	// EPSG:2056 <nil>
	//  crs: unknown reference system "RD"
}
