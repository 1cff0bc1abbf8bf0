package csv_test

import (
	"context"
	"fmt"
	"strings"
	"time"

	"citytwin/ingest/csv"
)

func ExampleRead() {
	in := "\ufeffid;name;lat;lon;open\n" +
		"s1;Union Street;57.146;-2.102;true\n" +
		"s2;Harbour;57.143;-2.080\n" + // one field short
		"s3;Nowhere;157.1;-2.1;false\n"
	res, err := csv.Read(context.Background(), strings.NewReader(in), csv.Options{
		Source: "stops.csv", DefaultKind: "stop", Now: time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, op := range res.Ops {
		fmt.Println(op.Entity.ID, op.Entity.Kind, op.Entity.Geometry, op.Entity.Props.Map())
	}
	for _, rj := range res.Rejects {
		fmt.Println(rj.Reason)
	}
	// Output:
	// s1 stop [-2.102 57.146] map[name:Union Street open:true]
	// line 3: 4 fields, the header has 5
	// line 4: column "lat": latitude 157.1 is outside ±90 (projected coordinates? only WGS84 degrees are read)
}
