package cityjson

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"math"
	"os"
	"reflect"
	"sort"
	"testing"
	"time"

	"citytwin/datasets/sharedtest"
	"citytwin/geo/crs"
	"citytwin/twin"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geo"
)

func sharedFile(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile(sharedtest.File(tb, "datasets/cityjson/"+name))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func decodeFile(t *testing.T, name string) *Result {
	t.Helper()
	r, err := Decode(context.Background(), sharedFile(t, name), Options{Source: name, Now: time.Unix(1700000000, 0)})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Rejects) > 0 {
		t.Fatalf("rejects: %v", r.Rejects)
	}
	return r
}

// sourceBound is the bound of all footprints taken back to the source system.
func sourceBound(t *testing.T, r *Result) orb.Bound {
	t.Helper()
	tr, err := crs.For(r.Meta.CRS)
	if err != nil {
		t.Fatal(err)
	}
	var b orb.Bound
	first := true
	for _, o := range r.Objects {
		visit(o.Footprint, func(p *orb.Point) {
			q, err := tr.FromLonLat(*p)
			if err != nil {
				t.Fatal(err)
			}
			if first {
				b, first = orb.Bound{Min: q, Max: q}, false
			}
			b = b.Extend(q)
		})
	}
	return b
}

// checkExtent compares the footprints' bound with metadata.geographicalExtent
// (x and y), within 1 cm.
func checkExtent(t *testing.T, r *Result) orb.Bound {
	t.Helper()
	e := r.Meta.Extent
	want := orb.Bound{Min: orb.Point{e[0], e[1]}, Max: orb.Point{e[3], e[4]}}
	got := sourceBound(t, r)
	if math.Abs(got.Min[0]-want.Min[0]) > 0.01 || math.Abs(got.Min[1]-want.Min[1]) > 0.01 ||
		math.Abs(got.Max[0]-want.Max[0]) > 0.01 || math.Abs(got.Max[1]-want.Max[1]) > 0.01 {
		t.Errorf("footprints span %v in %s, extent %v", got, r.Meta.CRS, want)
	}
	tr, _ := crs.For(r.Meta.CRS)
	a, _ := tr.ToLonLat(want.Min)
	b, _ := tr.ToLonLat(want.Max)
	return orb.Bound{Min: a, Max: b}
}

// Facts from the shared datasets' SOURCES.md, section cityjson/.
func TestDelftCentre(t *testing.T) {
	r := decodeFile(t, "delft_centre.city.json")
	if r.Meta.Version != "2.0" || r.Meta.CRS != "EPSG:7415" || r.Meta.Seq {
		t.Fatalf("meta %+v", r.Meta)
	}
	if r.Model.NumVertices() != 18262 || r.Model.Origin != [3]float64{84616.468, 447422.999, -0.452} {
		t.Fatalf("model: %d vertices, origin %v", r.Model.NumVertices(), r.Model.Origin)
	}
	types := map[string]int{}
	geoms := map[string]int{}
	roads := map[string]int{}
	var heights []float64
	var tallest Object
	semantic := 0
	for _, o := range r.Objects {
		types[o.Type]++
		for _, g := range o.Geometries {
			geoms[g.Type+"/"+g.LoD]++
			semantic += len(g.Semantics)
		}
		if o.Type == "Road" {
			roads[o.Attributes["function"].(string)]++
		}
		if o.Type == "Building" {
			if _, ok := o.Attributes["identificatiebagpnd"].(string); !ok {
				t.Errorf("building %s has no identificatiebagpnd", o.ID)
			}
			heights = append(heights, o.Height)
			if o.Height > tallest.Height {
				tallest = o
			}
		}
	}
	if want := map[string]int{"Building": 160, "Road": 143, "PlantCover": 126, "LandUse": 81, "GenericCityObject": 54, "Bridge": 3, "WaterBody": 3}; !reflect.DeepEqual(types, want) {
		t.Errorf("types %v, want %v", types, want)
	}
	if want := map[string]int{"Solid/1": 160, "MultiSurface/1": 410}; !reflect.DeepEqual(geoms, want) || semantic != 0 {
		t.Errorf("geometries %v (semantic objects %d), want %v", geoms, semantic, want)
	}
	if want := map[string]int{"voetpad": 73, "parkeervlak": 36, "rijbaan lokale weg": 30, "voetpad op trap": 3, "voetgangersgebied": 1}; !reflect.DeepEqual(roads, want) {
		t.Errorf("road functions %v, want %v", roads, want)
	}
	sort.Float64s(heights)
	mean := 0.0
	for _, h := range heights {
		mean += h
	}
	mean /= float64(len(heights))
	if math.Abs(heights[0]-0.73) > 0.005 || math.Abs(heights[len(heights)-1]-8.29) > 0.005 || math.Abs(mean-3.257) > 0.001 {
		t.Errorf("building heights %.3f..%.3f mean %.4f, want 0.73..8.29 mean 3.257", heights[0], heights[len(heights)-1], mean)
	}
	if tallest.ID != "b31bdd428-00ba-11e6-b420-2bdcc4ab5d7f" {
		t.Errorf("tallest building %s (%.2f m)", tallest.ID, tallest.Height)
	}
	// The footprints fill the declared extent (vertex extent == geographicalExtent).
	ext := checkExtent(t, r)
	// "east of the Markt, about 52.012 N, 4.366 E"
	if c := ext.Center(); geo.Distance(c, orb.Point{4.366, 52.012}) > 500 {
		t.Errorf("centre %v is not near 4.366 E 52.012 N", c)
	}
	kinds := map[twin.Kind]int{}
	for _, op := range r.Ops {
		kinds[op.Entity.Kind]++
	}
	if want := map[twin.Kind]int{"building": 160, "road": 143, "plant_cover": 126, "land_use": 81, "generic_city_object": 54, "bridge": 3, "water_body": 3}; !reflect.DeepEqual(kinds, want) {
		t.Errorf("kinds %v", kinds)
	}
}

func TestDelft3DBAG(t *testing.T) {
	r := decodeFile(t, "3dbag_delft_2buildings.city.json")
	if r.Meta.CRS != "EPSG:7415" || r.Model.NumVertices() != 127 || len(r.Objects) != 4 {
		t.Fatalf("crs %s, %d vertices, %d objects", r.Meta.CRS, r.Model.NumVertices(), len(r.Objects))
	}
	byID := map[string]*twin.Entity{}
	for _, op := range r.Ops {
		byID[string(op.Entity.ID)] = op.Entity
	}
	for _, tt := range []struct {
		id     string
		year   float64
		roof   float64
		height float64 // b3_h_dak_max - b3_h_maaiveld
	}{
		{"NL.IMBAG.Pand.0503100000028341", 1949, 9.83, 9.83 + 0.277},
		{"NL.IMBAG.Pand.0503100000031927", 1936, 13.44, 13.44 + 0.077},
	} {
		b := byID["cityjson:"+tt.id]
		p := byID["cityjson:"+tt.id+"-0"]
		if b == nil || p == nil {
			t.Fatalf("missing %s or its part", tt.id)
		}
		if b.Kind != twin.KindBuilding || p.Kind != twin.KindBuildingPart {
			t.Errorf("kinds %s %s", b.Kind, p.Kind)
		}
		if y, _ := b.Props.Get("oorspronkelijkbouwjaar"); y.String() != twin.NumberValue(tt.year).String() {
			t.Errorf("%s year %v", tt.id, y)
		}
		if math.Abs(b.Height-tt.height) > 1e-9 {
			t.Errorf("%s height %v, want %v", tt.id, b.Height, tt.height)
		}
		if len(p.Links) != 1 || p.Links[0].To != b.ID || p.Links[0].Rel != "part_of" {
			t.Errorf("part links %v", p.Links)
		}
		if !reflect.DeepEqual(b.Geometry, p.Geometry) {
			t.Errorf("%s: building footprint is not its part's", tt.id)
		}
		if s, _ := p.Props.Get("lod"); s.String() != "2.2" {
			t.Errorf("lod %v", s)
		}
	}
	// The tallest is 0503100000031927 (b3_h_dak_max 13.44).
	var top *twin.Entity
	for _, e := range byID {
		if e.Kind == twin.KindBuilding && (top == nil || e.Height > top.Height) {
			top = e
		}
	}
	if top.ID != "cityjson:NL.IMBAG.Pand.0503100000031927" {
		t.Errorf("tallest %s", top.ID)
	}
	// Semantics: every part has one GroundSurface footprint, roofs and walls.
	for _, o := range r.Objects {
		if o.Type != "BuildingPart" {
			continue
		}
		seen := map[string]int{}
		g := o.Geometries[0]
		for _, s := range g.Surfaces {
			seen[g.SemanticType(s)]++
		}
		if seen["GroundSurface"] != 1 || seen["RoofSurface"] == 0 || seen["WallSurface"] == 0 || seen[""] != 0 {
			t.Errorf("%s semantics %v", o.ID, seen)
		}
		if _, ok := o.Footprint.(orb.Polygon); !ok {
			t.Errorf("%s footprint %T", o.ID, o.Footprint)
		}
	}
	// Ground surfaces span the declared x/y extent; "about 52.003 N, 4.368 E".
	ext := checkExtent(t, r)
	if d := geo.Distance(ext.Center(), orb.Point{4.368, 52.003}); d > 200 {
		t.Errorf("centre %v is %.0f m from 4.368 E 52.003 N", ext.Center(), d)
	}
}

// toSeq writes a CityJSON document as CityJSONSeq: the header, then one
// CityJSONFeature per top-level object with its children and its own
// re-indexed vertices.
func toSeq(tb testing.TB, data []byte) []byte {
	tb.Helper()
	var d map[string]any
	if err := json.Unmarshal(data, &d); err != nil {
		tb.Fatal(err)
	}
	objs := d["CityObjects"].(map[string]any)
	verts := d["vertices"].([]any)
	head := map[string]any{"type": "CityJSON", "version": d["version"], "transform": d["transform"], "metadata": d["metadata"], "CityObjects": map[string]any{}, "vertices": []any{}}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	if err := enc.Encode(head); err != nil {
		tb.Fatal(err)
	}
	ids := make([]string, 0, len(objs))
	for id, o := range objs {
		if _, child := o.(map[string]any)["parents"]; !child {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	for _, id := range ids {
		members := []string{id}
		if ch, ok := objs[id].(map[string]any)["children"].([]any); ok {
			for _, c := range ch {
				members = append(members, c.(string))
			}
		}
		remap := map[int]int{}
		var fv []any
		var walk func(x any) any
		walk = func(x any) any {
			switch x := x.(type) {
			case float64:
				i := int(x)
				j, ok := remap[i]
				if !ok {
					j = len(fv)
					remap[i] = j
					fv = append(fv, verts[i])
				}
				return float64(j)
			case []any:
				for k := range x {
					x[k] = walk(x[k])
				}
			}
			return x
		}
		fobjs := map[string]any{}
		for _, m := range members {
			o := objs[m].(map[string]any)
			if gs, ok := o["geometry"].([]any); ok {
				for _, g := range gs {
					gm := g.(map[string]any)
					gm["boundaries"] = walk(gm["boundaries"])
				}
			}
			fobjs[m] = o
		}
		if err := enc.Encode(map[string]any{"type": "CityJSONFeature", "id": id, "CityObjects": fobjs, "vertices": fv}); err != nil {
			tb.Fatal(err)
		}
	}
	return buf.Bytes()
}

func TestSeqRoundTrip(t *testing.T) {
	for _, name := range []string{"3dbag_delft_2buildings.city.json", "delft_centre.city.json"} {
		t.Run(name, func(t *testing.T) {
			data := sharedFile(t, name)
			opts := Options{Source: "t", Now: time.Unix(1700000000, 0)}
			doc, err := Decode(context.Background(), data, opts)
			if err != nil {
				t.Fatal(err)
			}
			seq, err := Decode(context.Background(), toSeq(t, data), opts)
			if err != nil {
				t.Fatal(err)
			}
			if !seq.Meta.Seq || len(seq.Rejects) != 0 || len(seq.Ops) != len(doc.Ops) {
				t.Fatalf("seq: %d ops (doc %d), rejects %v", len(seq.Ops), len(doc.Ops), seq.Rejects)
			}
			for i := range doc.Ops {
				a, b := doc.Ops[i].Entity, seq.Ops[i].Entity
				a.Provenance, b.Provenance = nil, nil // the note says CityJSON vs CityJSONSeq
				if !reflect.DeepEqual(a, b) {
					t.Fatalf("entity %s differs:\n doc %+v\n seq %+v", a.ID, a, b)
				}
			}
		})
	}
}

func TestSeqBadLine(t *testing.T) {
	data := sharedFile(t, "3dbag_delft_2buildings.city.json")
	seq := toSeq(t, data)
	lines := bytes.SplitAfter(seq, []byte("\n"))
	// Line 2 becomes a feature with a vertex index out of range.
	bad := []byte(`{"type":"CityJSONFeature","id":"x","CityObjects":{"x":{"type":"Building","geometry":[{"type":"MultiSurface","lod":"1","boundaries":[[[0,1,5]]]}]}},"vertices":[[0,0,0],[1,0,0],[1,1,0]]}` + "\n")
	in := append(append(append([]byte{}, lines[0]...), bad...), bytes.Join(lines[1:], nil)...)
	r, err := Decode(context.Background(), in, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Ops) != 4 || len(r.Rejects) != 1 || r.Rejects[0].ID != "x" || r.Rejects[0].Line != 2 {
		t.Fatalf("%d ops, rejects %+v", len(r.Ops), r.Rejects)
	}
}

func FuzzRead(f *testing.F) {
	data := sharedFile(f, "3dbag_delft_2buildings.city.json")
	f.Add(data)
	f.Add(toSeq(f, data))
	f.Add([]byte(doc(`"a":{"type":"Building","geometry":[{"type":"Solid","lod":"1","boundaries":[`+cubeShell+`]}]}`, "")))
	f.Fuzz(func(t *testing.T, in []byte) {
		r, err := Decode(context.Background(), in, Options{Now: time.Unix(1, 0)})
		if err != nil {
			return
		}
		for _, op := range r.Ops {
			if err := op.Entity.Validate(); err != nil {
				t.Fatalf("invalid entity: %v", err)
			}
		}
	})
}

func BenchmarkRead(b *testing.B) {
	data := sharedFile(b, "delft_centre.city.json")
	ctx := context.Background()
	opts := Options{Now: time.Unix(1700000000, 0)}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		r, err := Decode(ctx, data, opts)
		if err != nil {
			b.Fatal(err)
		}
		n += len(r.Objects)
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "objects/s")
}

func TestReadLimitsAndCancel(t *testing.T) {
	data := sharedFile(t, "3dbag_delft_2buildings.city.json")
	r, err := Read(context.Background(), bytes.NewReader(data), Options{})
	if err != nil || len(r.Ops) != 4 {
		t.Fatalf("Read: %v", err)
	}
	if _, err := Read(context.Background(), bytes.NewReader(data), Options{MaxBytes: 100}); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("MaxBytes: err = %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Decode(ctx, data, Options{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: err = %v", err)
	}
	// A file without a reference system is placed with DefaultCRS only.
	var d map[string]any
	_ = json.Unmarshal(data, &d)
	delete(d["metadata"].(map[string]any), "referenceSystem")
	noCRS, _ := json.Marshal(d)
	if _, err := Decode(context.Background(), noCRS, Options{}); !errors.Is(err, ErrNoCRS) {
		t.Fatalf("no CRS: err = %v", err)
	}
	r, err = Decode(context.Background(), noCRS, Options{DefaultCRS: "EPSG:28992"})
	if err != nil || r.Meta.CRS != "EPSG:28992" || len(r.Ops) != 4 {
		t.Fatalf("DefaultCRS: %v", err)
	}
}
