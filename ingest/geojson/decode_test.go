package geojson_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"citytwin/datasets"
	"citytwin/ingest/geojson"
	"citytwin/twin"
)

var now = time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)

func TestDecodePerFeature(t *testing.T) {
	in := `{"type":"FeatureCollection","features":[
	 {"type":"Feature","id":"b1","geometry":{"type":"Point","coordinates":[24.94,60.17]},"properties":{"kind":"building","height":12.5,"levels":4,"use":"office","tags":{"a":1},"valid_from":"2026-01-02T03:04:05Z","links":[{"rel":"in","to":"zone:1"}]}},
	 {"type":"Feature","geometry":null,"properties":{"kind":"building"}},
	 {"type":"Feature","id":7,"geometry":{"type":"Point","coordinates":[200,60]},"properties":{"kind":"sensor"}},
	 {"type":"Feature","id":8,"geometry":null,"properties":{}},
	 {"type":"Feature","id":9,"geometry":{"type":"Point","coordinates":[24.9,60.1]},"properties":{"kind":"sensor","levels":2.5}},
	 {"type":"Feature","id":10,"geometry":{"type":"LineString","coordinates":[[24.9,60.1],[24.91,60.11]]},"properties":{"kind":"road","lanes":2,"oneway":true,"n":null}},
	 "garbage"
	]}`
	r, err := geojson.Decode([]byte(in), geojson.Options{Source: "test", Now: now})
	if err != nil {
		t.Fatal(err)
	}
	if r.Total != 7 || len(r.Ops) != 2 || len(r.Rejects) != 5 {
		t.Fatalf("total %d, %d ops, rejects %+v", r.Total, len(r.Ops), r.Rejects)
	}
	b := r.Ops[0].Entity
	if b.ID != "b1" || b.Kind != twin.KindBuilding || b.Height != 12.5 || b.Levels != 4 || len(b.Links) != 1 {
		t.Errorf("building = %+v", b)
	}
	if v, _ := b.Props.Get("tags"); v.String() != `{"a":1}` {
		t.Errorf("nested property kept as %q", v.String())
	}
	if got := time.Unix(0, r.Ops[0].T).UTC(); !got.Equal(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)) {
		t.Errorf("valid_from = %v", got)
	}
	if r.Ops[1].Entity.ID != "10" || len(r.Ops[1].Entity.Props) != 2 || r.Index[1] != 5 {
		t.Errorf("road = %+v at %d", r.Ops[1].Entity, r.Index[1])
	}
	wantIdx := []int{1, 2, 3, 4, 6}
	for i, rj := range r.Rejects {
		if rj.Index != wantIdx[i] || rj.Reason == "" {
			t.Errorf("reject %d = %+v, want index %d", i, rj, wantIdx[i])
		}
	}
	if !strings.Contains(r.Rejects[1].Reason, "lon/lat") {
		t.Errorf("out-of-range point: reason %q should say what is wrong", r.Rejects[1].Reason)
	}
}

func TestDecodeForms(t *testing.T) {
	one := `{"type":"Feature","id":"x","geometry":{"type":"Point","coordinates":[1,2]},"properties":{"kind":"poi"}}`
	for name, in := range map[string]string{"feature": one, "ndjson": one + "\n\n" + strings.Replace(one, `"x"`, `"y"`, 1) + "\n"} {
		r, err := geojson.Decode([]byte(in), geojson.Options{Now: now})
		if err != nil || len(r.Ops) == 0 || len(r.Rejects) != 0 {
			t.Errorf("%s: %d ops, %v, %v", name, len(r.Ops), r.Rejects, err)
		}
	}
	for _, bad := range []string{"", "[]", `{"type":"Point","coordinates":[1,2]}`, "not json"} {
		if _, err := geojson.Decode([]byte(bad), geojson.Options{}); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
	if _, err := geojson.Decode([]byte(`{"type":"FeatureCollection","features":[{},{}]}`), geojson.Options{MaxFeatures: 1}); err == nil {
		t.Error("too many features accepted")
	}
}

// The synthetic city written as GeoJSON reads back as the same entities.
func TestDecodeSyntheticCity(t *testing.T) {
	city, err := datasets.Generate(context.Background(), datasets.Demo(), nil)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := datasets.WriteGeoJSON(context.Background(), &buf, city, nil); err != nil {
		t.Fatal(err)
	}
	r, err := geojson.Decode(buf.Bytes(), geojson.Options{Now: now, DefaultKind: "thing"})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Rejects) != 0 || len(r.Ops) != city.Len() {
		t.Fatalf("%d ops of %d entities, rejects %v", len(r.Ops), city.Len(), r.Rejects[:min(3, len(r.Rejects))])
	}
}

func FuzzDecode(f *testing.F) {
	city, err := datasets.Generate(context.Background(), datasets.Demo(), nil)
	if err != nil {
		f.Fatal(err)
	}
	var buf bytes.Buffer
	if err := datasets.WriteGeoJSON(context.Background(), &buf, city, nil); err != nil {
		f.Fatal(err)
	}
	lines := bytes.Split(buf.Bytes(), []byte("\n"))
	for i := 0; i < len(lines) && i < 40; i += 4 {
		f.Add(bytes.TrimSuffix(bytes.TrimSpace(lines[i]), []byte(",")))
	}
	f.Add([]byte(`{"type":"FeatureCollection","features":[{"type":"Feature","id":1,"geometry":null,"properties":{"kind":"x"}}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := geojson.Decode(data, geojson.Options{Now: now})
		if err != nil {
			return
		}
		for _, op := range r.Ops {
			if err := op.Validate(); err != nil {
				t.Fatalf("invalid op %+v: %v", op, err)
			}
		}
		if len(r.Ops)+len(r.Rejects) != r.Total {
			t.Fatalf("%d ops + %d rejects != %d features", len(r.Ops), len(r.Rejects), r.Total)
		}
	})
}
