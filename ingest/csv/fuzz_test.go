package csv

import (
	"bytes"
	"context"
	"os"
	"testing"

	"citytwin/datasets"
)

func FuzzRead(f *testing.F) {
	if _, ok := datasets.SharedDir(); ok || os.Getenv("CI") == "true" {
		f.Add([]byte(headLines(f, aberdeenFile, 30)))
		f.Add([]byte(headLines(f, merewetherFile, 30)))
	}
	for _, s := range []string{
		"id,lat,lon\na,57.1,-2.1\n",
		"\ufeffid;wkt;kind;height\n1;\"POLYGON((0 0,1 0,1 1,0 0))\";building;12\n",
		"fid\tthe_geom\tlevels\n2\tSRID=4326;MULTIPOINT((1 2),(3 4))\t3\n",
		"id,geometry\na,\"GEOMETRYCOLLECTION(POINT(1 2),LINESTRING(0 0,1 1))\"\n",
		"id,lat,lon,x\n\"a\"\"b\",1,2,\"3\n4\"\nc,1\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, opts := range []Options{
			{DefaultKind: "poi", Now: testNow},
			{DefaultKind: "poi", Now: testNow, AllowNoGeometry: true, IDColumn: "x", Comma: ';'},
		} {
			res, err := Read(context.Background(), bytes.NewReader(data), opts)
			if err != nil {
				continue
			}
			if len(res.Ops) != len(res.Index) || len(res.Ops)+len(res.Rejects) != res.Total {
				t.Fatalf("%d ops, %d indexes, %d rejects, total %d", len(res.Ops), len(res.Index), len(res.Rejects), res.Total)
			}
			for i := range res.Ops {
				if err := res.Ops[i].Validate(); err != nil {
					t.Fatalf("op %d of %q: %v", i, data, err)
				}
			}
			for _, rj := range res.Rejects {
				if rj.Reason == "" {
					t.Fatalf("reject without a reason: %+v", rj)
				}
			}
		}
	})
}
