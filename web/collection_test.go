package web

import (
	"encoding/json"
	"slices"
	"testing"
	"time"
)

type decodedCollection struct {
	ID          string   `json:"id"`
	Title       string   `json:"title"`
	Description string   `json:"description"`
	ItemType    string   `json:"itemType"`
	CRS         []string `json:"crs"`
	Links       []Link   `json:"links"`
	Extent      *Extent  `json:"extent"`
}

func TestCollections(t *testing.T) {
	fx := newFixture(t)
	s, _ := newTestServer(t, fx, nil)
	r := get(t, s.Handler(), "/collections")
	if r.status != 200 || r.header.Get("Content-Type") != ContentTypeJSON {
		t.Fatalf("%d %s: %s", r.status, r.header.Get("Content-Type"), r.body)
	}
	var doc struct {
		Links       []Link              `json:"links"`
		Collections []decodedCollection `json:"collections"`
	}
	if err := json.Unmarshal(r.body, &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Links) == 0 || doc.Links[0].Rel != "self" || doc.Links[0].Href != "http://twin.test/collections" {
		t.Errorf("links %+v", doc.Links)
	}
	var ids []string
	byID := map[string]decodedCollection{}
	for _, c := range doc.Collections {
		ids = append(ids, c.ID)
		byID[c.ID] = c
		if c.ItemType != "feature" || !slices.Equal(c.CRS, []string{CRS84}) || c.Title == "" || c.Description == "" {
			t.Errorf("collection %s: %+v", c.ID, c)
		}
		rels := map[string]string{}
		for _, l := range c.Links {
			rels[l.Rel] = l.Href
		}
		if rels["items"] != "http://twin.test/collections/"+c.ID+"/items" || rels["self"] != "http://twin.test/collections/"+c.ID {
			t.Errorf("collection %s links %v", c.ID, rels)
		}
	}
	if want := []string{"buildings", "roads", "sensors", "stops", "vehicles"}; !slices.Equal(ids, want) {
		t.Errorf("collections %v, want %v", ids, want)
	}

	// Buildings: the grid plus the rebuilt osm:way/100 further east; the deleted
	// osm:way/123 (the north-east corner at 13.425..13.429, 52.515..52.519) is gone.
	b := byID["buildings"].Extent
	if b == nil || b.Spatial == nil || b.Temporal == nil {
		t.Fatalf("buildings extent %+v", b)
	}
	wantBox := [4]float64{13.400, 52.500, 13.444, 52.519}
	for i, v := range b.Spatial.BBox[0] {
		if d := v - wantBox[i]; d > 1e-9 || d < -1e-9 {
			t.Errorf("buildings bbox %v, want %v", b.Spatial.BBox[0], wantBox)
			break
		}
	}
	if start := b.Temporal.Interval[0][0]; start == nil || *start != t0.Format(time.RFC3339Nano) || b.Temporal.Interval[0][1] != nil {
		t.Errorf("buildings interval %v, want [%s, null] (from the first version of osm:way/100)", b.Temporal.Interval, t0.Format(time.RFC3339Nano))
	}
	// Stops lie in Berlin and on both sides of the antimeridian in Fiji: the narrowest
	// box runs east from Berlin across the antimeridian.
	st := byID["stops"].Extent.Spatial.BBox[0]
	if st != [4]float64{13.410, -16.80, -179.90, 52.505} {
		t.Errorf("stops bbox %v, want [13.41 -16.8 -179.9 52.505]", st)
	}
}

func TestCollection(t *testing.T) {
	fx := newFixture(t)
	s, _ := newTestServer(t, fx, nil)
	r := get(t, s.Handler(), "/collections/roads")
	if r.status != 200 {
		t.Fatalf("%d: %s", r.status, r.body)
	}
	var c decodedCollection
	if err := json.Unmarshal(r.body, &c); err != nil {
		t.Fatal(err)
	}
	if c.ID != "roads" || c.Title != "Roads" || c.Links[0].Rel != "self" || c.Extent == nil {
		t.Errorf("roads: %+v", c)
	}
	checkProblem(t, get(t, s.Handler(), "/collections/road"), 404, "")
}

func TestTitle(t *testing.T) {
	for in, want := range map[string]string{"building_parts": "Building parts", "stops": "Stops", "": ""} {
		if got := title(in); got != want {
			t.Errorf("title(%q) = %q, want %q", in, got, want)
		}
	}
}
