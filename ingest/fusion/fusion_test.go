package fusion_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"citytwin/geo"
	"citytwin/ingest/fusion"
	"citytwin/twin"

	"github.com/paulmach/orb"
)

var frame = geo.NewFrame(orb.Point{4.3612, 52.0123})

// rect is a w × h metre footprint with its south-west corner x, y metres from
// the frame's origin.
func rect(x, y, w, h float64) orb.Polygon {
	f := frame
	return orb.Polygon{{f.ToLonLat(x, y), f.ToLonLat(x+w, y), f.ToLonLat(x+w, y+h), f.ToLonLat(x, y+h), f.ToLonLat(x, y)}}
}

func upsert(e twin.Entity) twin.Op { return twin.Op{Type: twin.OpUpsert, T: 1, Entity: &e} }

func get(t *testing.T, s *twin.Store, id twin.ID) twin.Entity {
	t.Helper()
	e, err := s.Get(id)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func prop(e twin.Entity, key string) string {
	v, _ := e.Props.Get(key)
	return v.String()
}

// near compares heights, which the twin keeps as float32.
func near(a, b float64) bool { return a > b-1e-4 && a < b+1e-4 }

func conflate(t *testing.T, s *twin.Store, ops ...twin.Op) fusion.Report {
	t.Helper()
	out, rep, err := fusion.Conflate(context.Background(), s, ops, fusion.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Apply(out...); err != nil {
		t.Fatal(err)
	}
	return rep
}

func TestConflateBuildings(t *testing.T) {
	s, _ := twin.New(twin.DefaultConfig())
	osm := twin.Entity{ID: "osm:way/1", Kind: twin.KindBuilding, Geometry: rect(0, 0, 30, 20), Height: 13, Levels: 4,
		Props:      twin.Properties{{Key: "addr:street", Value: twin.StringValue("Markt")}, {Key: "name", Value: twin.StringValue("Stadhuis")}},
		Provenance: []twin.Provenance{{Source: "osm"}}}
	conflate(t, s, upsert(osm))

	// The 3D city model of the same building, measured: a footprint half a metre
	// off, a height two metres more, its own name for it.
	cj := twin.Entity{ID: "cityjson:NL.IMBAG.1", Kind: twin.KindBuilding, Geometry: rect(0.5, 0.3, 30, 20), Height: 15.1,
		Props:      twin.Properties{{Key: "b3_h_dak_max", Value: twin.NumberValue(15.1)}, {Key: "name", Value: twin.StringValue("City Hall")}},
		Provenance: []twin.Provenance{{Source: "cityjson"}}}
	rep := conflate(t, s, upsert(cj))
	if rep.Fused != 1 || rep.Fusions[0].Into != "osm:way/1" || rep.Fusions[0].IoU < 0.9 {
		t.Fatalf("report %+v", rep)
	}
	if n := s.Counts()[twin.KindBuilding]; n != 1 {
		t.Fatalf("%d buildings after fusion, want 1", n)
	}
	b := get(t, s, "osm:way/1")
	if !near(b.Height, 15.1) || prop(b, "source.height") != "cityjson" || prop(b, "source.footprint") != "cityjson" {
		t.Errorf("height %v from %q, footprint from %q", b.Height, prop(b, "source.height"), prop(b, "source.footprint"))
	}
	if prop(b, "name") != "Stadhuis" || !strings.Contains(prop(b, "conflict.name"), "cityjson=City Hall") {
		t.Errorf("name %q, conflict %q: OSM keeps names, the other value shows", prop(b, "name"), prop(b, "conflict.name"))
	}
	if prop(b, "conflict.height") != "osm=13.00; cityjson=15.10" || prop(b, "b3_h_dak_max") != "15.1" || prop(b, "addr:street") != "Markt" {
		t.Errorf("props %v", b.Props)
	}
	if len(b.Links) != 1 || b.Links[0] != (twin.Link{Rel: "same_as", To: "cityjson:NL.IMBAG.1"}) || len(b.Provenance) != 2 {
		t.Errorf("links %v, provenance %v", b.Links, b.Provenance)
	}

	// The BIM model: its height wins, the footprint stays the city model's.
	ifc := twin.Entity{ID: "ifc:2hQBAVPOr5VxhS3Jl0O47h", Kind: twin.KindBuilding, Geometry: rect(1, 1, 28, 18), Height: 14.9, Levels: 5}
	conflate(t, s, upsert(ifc))
	b = get(t, s, "osm:way/1")
	if !near(b.Height, 14.9) || b.Levels != 5 || prop(b, "source.height") != "ifc" || prop(b, "source.footprint") != "cityjson" {
		t.Errorf("after IFC: height %v levels %d from %q, footprint from %q", b.Height, b.Levels, prop(b, "source.height"), prop(b, "source.footprint"))
	}

	// OSM again, renamed: it updates its own field without a new conflict, and
	// does not take the footprint back.
	osm.Props = osm.Props.With("name", twin.StringValue("Stadhuis Delft"))
	conflate(t, s, upsert(osm))
	b = get(t, s, "osm:way/1")
	if prop(b, "name") != "Stadhuis Delft" || prop(b, "source.footprint") != "cityjson" || !near(b.Height, 14.9) {
		t.Errorf("after an OSM update: %v, height %v", b.Props, b.Height)
	}
	if n := s.Counts()[twin.KindBuilding]; n != 1 {
		t.Fatalf("%d buildings, want 1", n)
	}

	// A building next door overlaps too little: a building of its own.
	conflate(t, s, upsert(twin.Entity{ID: "cityjson:NL.IMBAG.2", Kind: twin.KindBuilding, Geometry: rect(25, 0, 30, 20)}))
	if n := s.Counts()[twin.KindBuilding]; n != 2 {
		t.Fatalf("%d buildings, want 2", n)
	}
}

func TestLinkSensors(t *testing.T) {
	s, _ := twin.New(twin.DefaultConfig())
	road := orb.LineString{frame.ToLonLat(-100, 40), frame.ToLonLat(100, 40)}
	sensor := func(id twin.ID, x, y float64) twin.Op {
		return upsert(twin.Entity{ID: id, Kind: twin.KindSensor, Geometry: frame.ToLonLat(x, y)})
	}
	if _, err := s.Apply(
		upsert(twin.Entity{ID: "osm:way/1", Kind: twin.KindBuilding, Geometry: rect(0, 0, 30, 20)}),
		upsert(twin.Entity{ID: "osm:way/9/0", Kind: twin.KindRoad, Geometry: road}),
		sensor("s:in", 10, 10), sensor("s:street", 50, 45), sensor("s:far", 50, 400),
	); err != nil {
		t.Fatal(err)
	}
	link := func() {
		ops, err := fusion.LinkSensors(context.Background(), s, fusion.DefaultOptions())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Apply(ops...); err != nil {
			t.Fatal(err)
		}
	}
	link()
	want := map[twin.ID][]twin.Link{
		"s:in":     {{Rel: "in", To: "osm:way/1"}},
		"s:street": {{Rel: "near", To: "osm:way/9/0"}},
		"s:far":    nil,
	}
	for id, links := range want {
		if got := get(t, s, id).Links; len(got) != len(links) || len(links) > 0 && got[0] != links[0] {
			t.Errorf("%s: links %v, want %v", id, got, links)
		}
	}
	// The sensor in the building moves out to the street: its link follows.
	v := get(t, s, "s:in").Version
	if _, err := s.Apply(sensor("s:in", 60, 38)); err != nil {
		t.Fatal(err)
	}
	link()
	if got := get(t, s, "s:in").Links; len(got) != 1 || got[0].Rel != "near" {
		t.Errorf("after moving: %v", got)
	}
	// Nothing changed: no new versions.
	before := get(t, s, "s:street").Version
	link()
	if get(t, s, "s:street").Version != before || v == 0 {
		t.Error("relinking an unchanged sensor made a new version")
	}
}

// A moving sensor's link follows it, and relinking never moves it back.
func TestFollowSensors(t *testing.T) {
	s, _ := twin.New(twin.DefaultConfig())
	road := orb.LineString{frame.ToLonLat(-100, 40), frame.ToLonLat(100, 40)}
	if _, err := s.Apply(
		upsert(twin.Entity{ID: "osm:way/1", Kind: twin.KindBuilding, Geometry: rect(0, 0, 30, 20)}),
		upsert(twin.Entity{ID: "osm:way/9/0", Kind: twin.KindRoad, Geometry: road}),
		upsert(twin.Entity{ID: "s:bike", Kind: twin.KindSensor, Geometry: frame.ToLonLat(10, 10)}),
	); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- fusion.FollowSensors(ctx, s, fusion.DefaultOptions(), 10*time.Millisecond) }()
	waitLink := func(rel string) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for {
			e := get(t, s, "s:bike")
			if len(e.Links) == 1 && e.Links[0].Rel == rel || rel == "" && len(e.Links) == 0 {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("links %v, want %q", e.Links, rel)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	move := func(x, y float64, at int64) {
		t.Helper()
		if _, err := s.Apply(twin.Op{Type: twin.OpMove, T: at, Positions: []twin.Position{{ID: "s:bike", T: at, Point: frame.ToLonLat(x, y)}}}); err != nil {
			t.Fatal(err)
		}
	}
	move(10, 10, 100)
	waitLink("in")
	move(60, 38, 200)
	waitLink("near")
	move(60, 400, 300)
	waitLink("")
	if p := get(t, s, "s:bike").Geometry.(orb.Point); geo.Distance(p, frame.ToLonLat(60, 400)) > 0.5 {
		t.Errorf("the sensor is at %v after relinking, not where it last moved", p)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// An IFC model matched to a building: its storeys and spaces link to the
// canonical building and land on its footprint.
func TestConflateIFCModelLands(t *testing.T) {
	s, _ := twin.New(twin.DefaultConfig())
	conflate(t, s, upsert(twin.Entity{ID: "osm:way/7", Kind: twin.KindBuilding, Geometry: rect(0, 0, 12, 10)}))
	// The model is georeferenced 3 m east and 1 m north of where the house stands.
	model := []twin.Op{
		upsert(twin.Entity{ID: "ifc:B", Kind: twin.KindBuilding, Geometry: rect(3, 1, 12, 10), Height: 6.3, Levels: 2}),
		upsert(twin.Entity{ID: "ifc:S1", Kind: twin.KindStorey, Geometry: rect(3, 1, 12, 10), Links: []twin.Link{{Rel: "part_of", To: "ifc:B"}}}),
		upsert(twin.Entity{ID: "ifc:R1", Kind: twin.KindSpace, Geometry: rect(4, 2, 4, 4),
			Links: []twin.Link{{Rel: "part_of", To: "ifc:S1"}, {Rel: "part_of", To: "ifc:B"}}}),
	}
	rep := conflate(t, s, model...)
	if rep.Fused != 1 {
		t.Fatalf("report %+v", rep)
	}
	storey := get(t, s, "ifc:S1")
	if storey.Links[0].To != "osm:way/7" {
		t.Errorf("storey links %v, want part_of the canonical building", storey.Links)
	}
	if iou := geo.IoU(storey.Geometry, get(t, s, "osm:way/7").Geometry); iou < 0.99 {
		t.Errorf("the storey did not land on the footprint: IoU %.3f", iou)
	}
	space := get(t, s, "ifc:R1")
	if space.Links[0].To != "ifc:S1" || space.Links[1].To != "osm:way/7" {
		t.Errorf("space links %v", space.Links)
	}
	if iou := geo.IoU(space.Geometry, rect(1, 1, 4, 4)); iou < 0.99 {
		t.Errorf("the space did not move with its model: IoU %.3f with where it belongs", iou)
	}
	if b := get(t, s, "osm:way/7"); !near(b.Height, 6.3) || b.Levels != 2 {
		t.Errorf("height %v levels %d from the model", b.Height, b.Levels)
	}
}
