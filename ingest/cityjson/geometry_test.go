package cityjson

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"citytwin/geo/crs"
	"citytwin/twin"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
)

// cube is a unit-ish box: 10 x 10 m footprint at RD (85000, 447000), z 0..6,
// vertices 0-3 at the bottom (counter-clockwise from above), 4-7 at the top.
const cubeVertices = `[[0,0,0],[10000,0,0],[10000,10000,0],[0,10000,0],[0,0,6000],[10000,0,6000],[10000,10000,6000],[0,10000,6000]]`

// cubeShell is oriented outwards: the bottom is clockwise seen from above.
const cubeShell = `[[[0,3,2,1]],[[4,5,6,7]],[[0,1,5,4]],[[1,2,6,5]],[[2,3,7,6]],[[3,0,4,7]]]`

func doc(objects string, extra string) string {
	return `{"type":"CityJSON","version":"2.0",
	"transform":{"scale":[0.001,0.001,0.001],"translate":[85000,447000,-1]},
	"metadata":{"referenceSystem":"https://www.opengis.net/def/crs/EPSG/0/7415","title":"unit"},
	"CityObjects":{` + objects + `},
	"vertices":` + cubeVertices + extra + `}`
}

func decode(t *testing.T, s string) *Result {
	t.Helper()
	r, err := Decode(context.Background(), []byte(s), Options{Now: time.Unix(1700000000, 0)})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func object(t *testing.T, r *Result, id string) Object {
	t.Helper()
	for _, o := range r.Objects {
		if o.ID == id {
			return o
		}
	}
	t.Fatalf("no object %q; rejects %v", id, r.Rejects)
	return Object{}
}

// areaM2 is the planar area of a lon/lat footprint in square metres near Delft.
func areaM2(g orb.Geometry) float64 {
	const mLat = 111_250.0
	mLon := mLat * math.Cos(52.0*math.Pi/180)
	return planar.Area(g) * mLat * mLon
}

func TestTransformAndCRS(t *testing.T) {
	r := decode(t, doc(`"a":{"type":"Building","geometry":[{"type":"Solid","lod":"1","boundaries":[`+cubeShell+`]}]}`, ""))
	if r.Meta.CRS != "EPSG:7415" || r.Meta.Version != "2.0" {
		t.Fatalf("meta = %+v", r.Meta)
	}
	if got, want := r.Model.Origin, [3]float64{85000, 447000, -1}; got != want {
		t.Fatalf("origin = %v, want %v", got, want)
	}
	if got, want := r.Model.Vertex(6), [3]float64{10, 10, 6}; got != want {
		t.Fatalf("vertex 6 = %v, want %v (local metres)", got, want)
	}
	o := object(t, r, "a")
	if o.Height != 6 || o.Ground != -1 || o.Top != 5 || o.HeightSource != "geometry" {
		t.Fatalf("height %v ground %v top %v source %q", o.Height, o.Ground, o.Top, o.HeightSource)
	}
	tr, _ := crs.For("EPSG:28992")
	sw, _ := tr.ToLonLat(orb.Point{85000, 447000})
	poly, ok := o.Footprint.(orb.Polygon)
	if !ok || len(poly) != 1 || len(poly[0]) != 5 {
		t.Fatalf("footprint %v, want one closed square", o.Footprint)
	}
	found := false
	for _, p := range poly[0] {
		found = found || planar.Distance(p, sw)*111_000 < 0.01
	}
	if !found {
		t.Fatalf("footprint %v has no corner at %v", poly[0], sw)
	}
	if a := areaM2(poly); math.Abs(a-100) > 1 {
		t.Fatalf("footprint area %.2f m², want 100", a)
	}
	if planar.Area(poly) <= 0 || signedArea(poly[0]) <= 0 {
		t.Fatal("footprint exterior is not counter-clockwise")
	}
}

func TestGeometryTypes(t *testing.T) {
	tests := []struct {
		name     string
		geom     string
		surfaces int
		want     string // footprint type
		area     float64
	}{
		{"MultiPoint", `{"type":"MultiPoint","lod":"1","boundaries":[0,1,2]}`, 0, "MultiPoint", 0},
		{"MultiLineString", `{"type":"MultiLineString","lod":"1","boundaries":[[0,1],[2,3,0]]}`, 0, "MultiLineString", 0},
		{"MultiSurface", `{"type":"MultiSurface","lod":"0","boundaries":[[[0,1,2]],[[0,2,3]]]}`, 2, "Polygon", 100},
		{"CompositeSurface", `{"type":"CompositeSurface","lod":"2","boundaries":[[[0,1,2,3]],[[0,1,5,4]]]}`, 2, "Polygon", 100},
		{"Solid", `{"type":"Solid","lod":"1.2","boundaries":[` + cubeShell + `]}`, 6, "Polygon", 100},
		{"MultiSolid", `{"type":"MultiSolid","lod":"1","boundaries":[[` + cubeShell + `],[` + cubeShell + `]]}`, 12, "MultiPolygon", 200}, // overlapping solids are not merged,
		{"CompositeSolid", `{"type":"CompositeSolid","lod":1,"boundaries":[[` + cubeShell + `]]}`, 6, "Polygon", 100},
		{"WallsOnly", `{"type":"MultiSurface","lod":"2","boundaries":[[[0,1,5,4]],[[1,2,6,5]]]}`, 2, "Polygon", 50},
		{"SolidWithHole", `{"type":"MultiSurface","lod":"1","boundaries":[[[0,1,2,3],[8,9,10,11]]]}`, 1, "Polygon", 96},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := doc(`"o":{"type":"GenericCityObject","geometry":[`+tt.geom+`]}`, "")
			if tt.name == "SolidWithHole" {
				s = strings.Replace(s, cubeVertices, `[[0,0,0],[10000,0,0],[10000,10000,0],[0,10000,0],[0,0,6000],[10000,0,6000],[10000,10000,6000],[0,10000,6000],[4000,4000,0],[4000,6000,0],[6000,6000,0],[6000,4000,0]]`, 1)
			}
			r := decode(t, s)
			o := object(t, r, "o")
			if len(o.Geometries) != 1 || len(o.Geometries[0].Surfaces) != tt.surfaces {
				t.Fatalf("geometries %+v", o.Geometries)
			}
			if got := o.Footprint.GeoJSONType(); got != tt.want {
				t.Fatalf("footprint %s, want %s", got, tt.want)
			}
			if tt.area > 0 {
				if a := areaM2(o.Footprint); math.Abs(a-tt.area) > 1 {
					t.Fatalf("area %.2f, want %.0f", a, tt.area)
				}
			}
			if o.Kind != "generic_city_object" {
				t.Fatalf("kind %q", o.Kind)
			}
		})
	}
}

func TestSemantics(t *testing.T) {
	sem := `"semantics":{"surfaces":[{"type":"GroundSurface"},{"type":"RoofSurface","slope":0},{"type":"WallSurface"}],"values":[[0,1,2,2,null,2]]}`
	r := decode(t, doc(`"b":{"type":"BuildingPart","parents":["p"],"geometry":[{"type":"Solid","lod":"2.2","boundaries":[`+cubeShell+`],`+sem+`}]},
		"p":{"type":"Building","children":["b"],"attributes":{"b3_h_maaiveld":-1.5,"b3_h_dak_max":7.25,"b3_h_dak_min":5.25,"nested":{"a":[1,2]},"none":null,"flag":true}}`, ""))
	b := object(t, r, "b")
	g := b.Geometries[0]
	want := []string{"GroundSurface", "RoofSurface", "WallSurface", "WallSurface", "", "WallSurface"}
	for i, s := range g.Surfaces {
		if got := g.SemanticType(s); got != want[i] {
			t.Fatalf("surface %d: %q, want %q", i, got, want[i])
		}
	}
	if g.Semantics[1].Attributes["slope"] != 0.0 {
		t.Fatalf("semantic attributes %v", g.Semantics[1].Attributes)
	}
	if b.Kind != twin.KindBuildingPart || b.Height != 6 {
		t.Fatalf("part kind %q height %v", b.Kind, b.Height)
	}
	p := object(t, r, "p")
	if p.HeightSource != "3dbag" || p.Height != 8.75 || p.RoofHeight != 2 || p.Footprint == nil {
		t.Fatalf("parent: source %q height %v roof %v footprint %v", p.HeightSource, p.Height, p.RoofHeight, p.Footprint)
	}
	var part, parent *twin.Entity
	for _, op := range r.Ops {
		switch op.Entity.ID {
		case "cityjson:b":
			part = op.Entity
		case "cityjson:p":
			parent = op.Entity
		}
	}
	if part == nil || parent == nil {
		t.Fatalf("ops %v", r.Ops)
	}
	if len(part.Links) != 1 || part.Links[0] != (twin.Link{Rel: "part_of", To: "cityjson:p"}) {
		t.Fatalf("links %v", part.Links)
	}
	if parent.Kind != twin.KindBuilding || parent.Height != 8.75 {
		t.Fatalf("parent entity %+v", parent)
	}
	if v, _ := parent.Props.Get("nested"); v.String() != `{"a":[1,2]}` {
		t.Fatalf("nested = %v", v)
	}
	if _, ok := parent.Props.Get("none"); ok {
		t.Fatal("null attribute kept")
	}
	if v, _ := parent.Props.Get("flag"); v.Type() != twin.Bool {
		t.Fatalf("flag = %v", v)
	}
	if !strings.Contains(parent.Provenance[0].Note, "CityJSON 2.0 EPSG:7415") || !strings.Contains(parent.Provenance[0].Note, "title=unit") {
		t.Fatalf("note %q", parent.Provenance[0].Note)
	}
}

func TestGeometryTemplate(t *testing.T) {
	tpl := `,"geometry-templates":{"templates":[{"type":"MultiSurface","lod":"2","boundaries":[[[0,1,2,3]]]}],
		"vertices-templates":[[0,0,0],[2,0,0],[2,2,0],[0,2,0]]}`
	r := decode(t, doc(`"tree":{"type":"SolitaryVegetationObject","geometry":[{"type":"GeometryInstance","template":0,"boundaries":[6],
		"transformationMatrix":[2,0,0,0, 0,2,0,0, 0,0,1,0, 0,0,0,1]}]}`, tpl))
	o := object(t, r, "tree")
	g := o.Geometries[0]
	if g.Template != 0 || len(g.Surfaces) != 1 {
		t.Fatalf("geometry %+v", g)
	}
	// Vertex 6 is (10, 10, 6) local; the template square is scaled by 2.
	got := r.Model.Vertex(g.Surfaces[0].Rings[0][2])
	if got != [3]float64{14, 14, 6} {
		t.Fatalf("instance vertex = %v, want [14 14 6]", got)
	}
	if a := areaM2(o.Footprint); math.Abs(a-16) > 0.5 {
		t.Fatalf("area %v, want 16", a)
	}
	if o.Kind != "solitary_vegetation_object" {
		t.Fatalf("kind %q", o.Kind)
	}
}

func TestRejects(t *testing.T) {
	r := decode(t, doc(`"bad":{"type":"Building","geometry":[{"type":"Solid","lod":"1","boundaries":[[[[0,1,99]]]]}]},
		"empty":{"type":"Road","geometry":[{"type":"MultiSurface","lod":"1","boundaries":[]}]},
		"nogeom":{"type":"Road"},
		"badsem":{"type":"Road","geometry":[{"type":"MultiSurface","lod":"1","boundaries":[[[0,1,2]]],"semantics":{"surfaces":[],"values":[3]}}]},
		"ok":{"type":"Road","geometry":[{"type":"MultiSurface","lod":"1","boundaries":[[[0,1,2]]]}]}`, ""))
	if len(r.Objects) != 1 || r.Objects[0].ID != "ok" || len(r.Ops) != 1 {
		t.Fatalf("objects %v", r.Objects)
	}
	reasons := map[string]string{}
	for _, rj := range r.Rejects {
		reasons[rj.ID] = rj.Reason
	}
	for id, want := range map[string]string{"bad": "bad vertex index 99", "empty": "empty geometry", "nogeom": "empty geometry", "badsem": "semantic"} {
		if !strings.Contains(reasons[id], want) {
			t.Errorf("reject %s: %q, want %q", id, reasons[id], want)
		}
	}
}

func TestDocumentErrors(t *testing.T) {
	tests := []struct {
		name, in string
		want     error
	}{
		{"not json", "hello", ErrNotCityJSON},
		{"geojson", `{"type":"FeatureCollection","features":[]}`, ErrNotCityJSON},
		{"version", `{"type":"CityJSON","version":"0.9","CityObjects":{},"vertices":[]}`, ErrVersion},
		{"no crs", `{"type":"CityJSON","version":"1.1","CityObjects":{},"vertices":[]}`, ErrNoCRS},
		{"unknown crs", `{"type":"CityJSON","version":"1.1","metadata":{"referenceSystem":"urn:ogc:def:crs:EPSG::999999"},"CityObjects":{},"vertices":[]}`, crs.ErrUnknownCRS},
		{"bad vertices", `{"type":"CityJSON","version":"1.1","metadata":{"referenceSystem":"EPSG:28992"},"CityObjects":{},"vertices":[[1,2]]}`, ErrNotCityJSON},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Decode(context.Background(), []byte(tt.in), Options{})
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestVersion10(t *testing.T) {
	// CityJSON 1.0: no transform (real coordinates), numeric lod, EPSG URN.
	in := `{"type":"CityJSON","version":"1.0","metadata":{"referenceSystem":"urn:ogc:def:crs:EPSG::28992"},
	"CityObjects":{"w":{"type":"WaterBody","geometry":[{"type":"MultiSurface","lod":1,"boundaries":[[[0,1,2,3]]]}]}},
	"vertices":[[85000.0,447000.0,0.5],[85010.0,447000.0,0.5],[85010.0,447010.0,0.5],[85000.0,447010.0,0.5]]}`
	r := decode(t, in)
	o := object(t, r, "w")
	if o.Kind != "water_body" || o.LoD != "1" {
		t.Fatalf("kind %q lod %q", o.Kind, o.LoD)
	}
	if a := areaM2(o.Footprint); math.Abs(a-100) > 1 {
		t.Fatalf("area %v", a)
	}
}

func TestKindOf(t *testing.T) {
	for in, want := range map[string]twin.Kind{
		"Building": "building", "BuildingPart": "building_part", "BuildingInstallation": "building_installation",
		"Road": "road", "TINRelief": "tin_relief", "WaterBody": "water_body", "LandUse": "land_use",
		"PlantCover": "plant_cover", "SolitaryVegetationObject": "solitary_vegetation_object", "Bridge": "bridge",
		"Tunnel": "tunnel", "CityFurniture": "city_furniture", "GenericCityObject": "generic_city_object",
		"+NoiseBarrier": "noise_barrier", "CityObjectGroup": "city_object_group",
	} {
		if got := KindOf(in); got != want {
			t.Errorf("KindOf(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestScanner(t *testing.T) {
	v, err := parseVertices([]byte(` [ [1, -2, 3] ,[4.5,5e2,-0.25]] `), nil)
	if err != nil || len(v) != 6 || v[1] != -2 || v[3] != 4.5 || v[4] != 500 || v[5] != -0.25 {
		t.Fatalf("vertices %v, %v", v, err)
	}
	for _, bad := range []string{`[[1,2,3]`, `[[1,2,3]]x`, `[[1,2,"a"]]`, `[[1,,2]]`, `{}`} {
		if _, err := parseVertices([]byte(bad), nil); err == nil {
			t.Errorf("parseVertices(%q) accepted", bad)
		}
	}
	s := scanner{b: []byte(`[[0,null],null,[3]]`)}
	got, err := s.surface(true)
	if err != nil || len(got) != 3 || got[0][1] != -1 || got[1] != nil || got[2][0] != 3 {
		t.Fatalf("surface %v, %v", got, err)
	}
	s = scanner{b: []byte(`[-1]`)}
	if _, err := s.ring(false); err == nil {
		t.Fatal("negative index accepted")
	}
}

func TestShellAndSolidNumbers(t *testing.T) {
	// A Solid with an inner shell (a cavity: the cube again, reversed), and a
	// MultiSolid of two solids.
	inner := `[[[0,1,2,3]],[[4,7,6,5]],[[0,4,5,1]],[[1,5,6,2]],[[2,6,7,3]],[[3,7,4,0]]]`
	r := decode(t, doc(`"s":{"type":"GenericCityObject","geometry":[{"type":"Solid","lod":"1","boundaries":[`+cubeShell+`,`+inner+`]}]},
		"m":{"type":"GenericCityObject","geometry":[{"type":"MultiSolid","lod":"1","boundaries":[[`+cubeShell+`],[`+cubeShell+`,`+inner+`]]}]}`, ""))
	s := object(t, r, "s").Geometries[0].Surfaces
	if len(s) != 12 || s[5].Shell != 0 || s[6].Shell != 1 || s[11].Shell != 1 || s[11].Solid != 0 {
		t.Fatalf("solid shells: %+v", s)
	}
	m := object(t, r, "m").Geometries[0].Surfaces
	want := [][2]int{{0, 0}, {1, 0}, {1, 1}} // (solid, shell) of surfaces 0, 6, 12
	for n, k := range []int{0, 6, 12} {
		if got := [2]int{m[k].Solid, m[k].Shell}; got != want[n] {
			t.Fatalf("multisolid surface %d: solid/shell %v, want %v", k, got, want[n])
		}
	}
	// The footprint of the solid with a cavity comes from the exterior shell only.
	if a := areaM2(object(t, r, "s").Footprint); math.Abs(a-100) > 1 {
		t.Fatalf("area %v", a)
	}
}

func TestParseNested(t *testing.T) {
	idx, ends, err := parseNested([]byte(` [ [[0,1,2]], [[3,4,5],[6,7,8]] ] `), 3)
	if err != nil || len(idx) != 9 {
		t.Fatalf("%v %v", idx, err)
	}
	if got := ends[1]; len(got) != 2 || got[0] != 1 || got[1] != 3 {
		t.Fatalf("surface ends %v", got)
	}
	for _, bad := range []string{`[[[0,1,2]]`, `[[[0,1,2]],]`, `[[[0,,1]]]`, `[[[0,1,2]]]]`, `[[[[0]]]]`, `[[0]]`, `[[[0,1,null]]]`, `[[[-1]]]`, `[[[0 1]]]`} {
		if _, _, err := parseNested([]byte(bad), 3); err == nil {
			t.Errorf("parseNested(%q) accepted", bad)
		}
	}
}
