package web_test

import (
	"fmt"
	"net/url"

	"citytwin/twin"
	"citytwin/web"
)

func ExampleParseItemsParams() {
	v, _ := url.ParseQuery("bbox=179.5,-17,-179.5,-16&limit=50&where=height>%3D20")
	q, err := web.ParseItemsParams(v, twin.KindBuilding)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(q.Kinds, q.Limit, len(q.Where))
	for _, b := range q.BBox { // the box crosses the antimeridian: two boxes
		fmt.Println(b.Min, b.Max)
	}

	_, err = web.ParseItemsParams(url.Values{"bbxo": {"1,2,3,4"}}, twin.KindBuilding)
	fmt.Println(err)
	// Output:
	// [building] 50 1
	// [179.5 -17] [180 -16]
	// [-180 -17] [-179.5 -16]
	// parameter bbxo: unknown parameter; this endpoint takes bbox, datetime, limit, cursor, where, near, h3, filter, filter-lang, filter-crs, f
}
