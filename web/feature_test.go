package web

import (
	"encoding/json"
	"testing"
	"time"

	"citytwin/twin"

	"github.com/paulmach/orb"
)

func TestGeometryOf(t *testing.T) {
	ring := orb.Ring{{0, 0}, {1, 0}, {1, 1}, {0, 0}}
	tests := []struct {
		g    orb.Geometry
		want string
	}{
		{nil, `null`},
		{orb.Point{13.4, 52.5}, `{"type":"Point","coordinates":[13.4,52.5]}`},
		{orb.MultiPoint{{1, 2}, {3, 4}}, `{"type":"MultiPoint","coordinates":[[1,2],[3,4]]}`},
		{orb.LineString{{1, 2}, {3, 4}}, `{"type":"LineString","coordinates":[[1,2],[3,4]]}`},
		{orb.MultiLineString{{{1, 2}, {3, 4}}}, `{"type":"MultiLineString","coordinates":[[[1,2],[3,4]]]}`},
		{ring, `{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]}`},
		{orb.Polygon{ring}, `{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]}`},
		{orb.MultiPolygon{{ring}}, `{"type":"MultiPolygon","coordinates":[[[[0,0],[1,0],[1,1],[0,0]]]]}`},
		{orb.Bound{Min: orb.Point{0, 0}, Max: orb.Point{1, 1}}, `{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,1],[0,0]]]}`},
		{orb.Collection{orb.Point{1, 2}, orb.LineString{{1, 2}, {3, 4}}},
			`{"type":"GeometryCollection","geometries":[{"type":"Point","coordinates":[1,2]},{"type":"LineString","coordinates":[[1,2],[3,4]]}]}`},
	}
	for _, tt := range tests {
		b, err := json.Marshal(geometryOf(tt.g))
		if err != nil {
			t.Fatal(err)
		}
		if string(b) != tt.want {
			t.Errorf("geometryOf(%#v)\n got %s\nwant %s", tt.g, b, tt.want)
		}
	}
}

func TestFeatureOfPrecedence(t *testing.T) {
	props, _ := twin.PropertiesOf(map[string]any{"height": "12 m", "kind": "shed", "name": "x"})
	e := twin.Entity{ID: "a", Kind: twin.KindBuilding, Props: props, Version: 3, ValidFrom: t0}
	f := featureOf(&e)
	if f.Properties["kind"] != twin.KindBuilding || f.Properties["version"] != uint64(3) {
		t.Errorf("server members must win: %v", f.Properties)
	}
	if v, ok := f.Properties["height"].(twin.Value); !ok || v.String() != "12 m" {
		t.Errorf("a source height stays when the entity has none: %v", f.Properties["height"])
	}
	e.Height = 7
	if f := featureOf(&e); f.Properties["height"] != 7.0 {
		t.Errorf("height %v, want 7", f.Properties["height"])
	}
	b, err := json.Marshal(featureOf(&e))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	if m["geometry"] != nil || m["properties"].(map[string]any)["valid_from"] != t0.Format(time.RFC3339Nano) {
		t.Errorf("feature JSON %s", b)
	}
	if _, ok := m["relations"]; ok {
		t.Errorf("empty relations are written: %s", b)
	}
}
