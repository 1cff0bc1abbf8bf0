package geojson_test

import (
	"bytes"
	"context"
	"reflect"
	"strings"
	"testing"

	"citytwin/datasets"
	"citytwin/ingest/geojson"
)

// Stream gives the same ops and rejects as Decode, in batches.
func TestStreamIsDecode(t *testing.T) {
	city, err := datasets.Generate(context.Background(), datasets.Demo(), nil)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := datasets.WriteGeoJSON(context.Background(), &buf, city, nil); err != nil {
		t.Fatal(err)
	}
	one := `{"type":"Feature","id":"x","geometry":{"type":"Point","coordinates":[1,2]},"properties":{"kind":"poi"}}`
	inputs := map[string]string{
		"collection":        buf.String(),
		"ndjson":            one + "\n" + strings.Replace(one, `"x"`, `"y"`, 1) + "\n\n" + `{"type":"Feature","geometry":null,"properties":{}}` + "\n",
		"single, pretty":    "{\n  \"properties\": {\"kind\": \"poi\"},\n  \"type\": \"Feature\",\n  \"id\": \"z\",\n  \"geometry\": {\"type\": \"Point\", \"coordinates\": [1, 2]}\n}\n",
		"collection, extra": `{"type":"FeatureCollection","name":"x","crs":{"a":1},"features":[` + one + `,"junk"]}`,
	}
	for name, in := range inputs {
		t.Run(name, func(t *testing.T) {
			want, err := geojson.Decode([]byte(in), geojson.Options{Now: now, DefaultKind: "thing"})
			if err != nil {
				t.Fatal(err)
			}
			var got geojson.Result
			batches := 0
			err = geojson.Stream(context.Background(), strings.NewReader(in), geojson.Options{Now: now, DefaultKind: "thing"}, 500, func(r geojson.Result) error {
				batches++
				got.Ops = append(got.Ops, r.Ops...)
				got.Index = append(got.Index, r.Index...)
				got.Rejects = append(got.Rejects, r.Rejects...)
				got.Total += r.Total
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if got.Total != want.Total || !reflect.DeepEqual(got.Index, want.Index) || !reflect.DeepEqual(got.Rejects, want.Rejects) || len(got.Ops) != len(want.Ops) {
				t.Fatalf("stream: %d features, %d ops, rejects %v; decode: %d, %d, %v", got.Total, len(got.Ops), got.Rejects, want.Total, len(want.Ops), want.Rejects)
			}
			for i := range got.Ops {
				if !reflect.DeepEqual(got.Ops[i], want.Ops[i]) {
					t.Fatalf("op %d differs", i)
				}
			}
			if name == "collection" && batches < 5 {
				t.Errorf("%d batches for %d features", batches, got.Total)
			}
		})
	}
	for _, bad := range []string{"", "[]", `{"type":"Point","coordinates":[1,2]}`, "not json", `{"type":"FeatureCollection"}`} {
		if err := geojson.Stream(context.Background(), strings.NewReader(bad), geojson.Options{}, 10, func(geojson.Result) error { return nil }); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}
