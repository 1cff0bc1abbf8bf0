package web

import (
	"encoding/json"
	"net/url"
	"slices"
	"strings"
	"testing"

	"citytwin/twin"
	"citytwin/twin/cql2"
)

// A CQL2 filter on the items endpoint returns exactly the entities the
// compiled filter accepts, checked one by one over the whole collection, now
// and as of a past instant, across pages.
func TestItemsFilterMatchesBruteForce(t *testing.T) {
	f := newFixture(t)
	s, _ := newTestServer(t, f, nil)
	h := s.Handler()
	filters := []string{
		"height > 20",
		"use = 'office' OR floors >= 6",
		"name LIKE 'House 1%' AND NOT use IN ('shop')",
		"CASEI(name) = casei('HOUSE 3')",
		"S_INTERSECTS(geometry, BBOX(13.40, 52.49, 13.43, 52.51))",
		"S_WITHIN(geometry, POLYGON((13.39 52.49, 13.45 52.49, 13.45 52.52, 13.39 52.52, 13.39 52.49))) AND levels BETWEEN 4 AND 6",
		"height * 2 > levels * 10",
		"nosuchproperty = 1",
		"nosuchproperty IS NULL AND height < 15",
	}
	for _, at := range []string{"", rfc(t1)} {
		for _, text := range filters {
			x, err := cql2.Parse(text)
			if err != nil {
				t.Fatalf("%s: %v", text, err)
			}
			var want []string
			ns := int64(0)
			if at != "" {
				ns = t1.UnixNano()
			}
			all, err := f.store.Query(t.Context(), twin.Query{Kinds: []twin.Kind{twin.KindBuilding}, At: ns})
			if err != nil {
				t.Fatal(err)
			}
			for i := range all.Entities {
				if x.Match(&all.Entities[i]) {
					want = append(want, string(all.Entities[i].ID))
				}
			}
			v := url.Values{"filter": {text}, "limit": {"4"}}
			if at != "" {
				v.Set("datetime", at)
			}
			var got []string
			target := "/collections/buildings/items?" + v.Encode()
			for page := 0; target != ""; page++ {
				r := get(t, h, target)
				if r.status != 200 {
					t.Fatalf("%s: %d %s", target, r.status, r.body)
				}
				var fc FeatureCollection
				if err := json.Unmarshal(r.body, &fc); err != nil {
					t.Fatal(err)
				}
				if fc.NumberMatched != len(want) {
					t.Fatalf("%q at %q: numberMatched %d, want %d", text, at, fc.NumberMatched, len(want))
				}
				for _, ft := range fc.Features {
					got = append(got, string(ft.ID))
				}
				target = ""
				for _, l := range fc.Links {
					if l.Rel == "next" {
						target = strings.TrimPrefix(l.Href, "http://twin.test")
					}
				}
			}
			if !slices.Equal(got, want) {
				t.Errorf("%q at %q:\n got %v\nwant %v", text, at, got, want)
			}
		}
	}
}

func TestItemsFilterErrorsNameTheParameter(t *testing.T) {
	f := newFixture(t)
	s, _ := newTestServer(t, f, nil)
	h := s.Handler()
	for _, c := range []struct{ query, param, detail string }{
		{"filter=" + url.QueryEscape("height >"), "filter", "at 8"},
		{"filter=" + url.QueryEscape("S_TOUCHES(geometry, POINT(1 2))"), "filter", "not supported"},
		{"filter=height>1&filter-lang=cql2-json", "filter-lang", "cql2-text"},
		{"filter=height>1&filter-crs=EPSG:3857", "filter-crs", "CRS84"},
	} {
		r := get(t, h, "/collections/buildings/items?"+c.query)
		if r.status != 400 || !strings.Contains(string(r.body), `"name":"`+c.param+`"`) || !strings.Contains(string(r.body), c.detail) {
			t.Errorf("%s: %d %s", c.query, r.status, r.body)
		}
	}
}

func TestQueryablesListTheCollectionsProperties(t *testing.T) {
	f := newFixture(t)
	s, _ := newTestServer(t, f, nil)
	r := get(t, s.Handler(), "/collections/buildings/queryables")
	if r.status != 200 || r.header.Get("Content-Type") != ContentTypeSchema {
		t.Fatalf("%d %v %s", r.status, r.header, r.body)
	}
	var doc struct {
		ID         string                    `json:"$id"`
		Properties map[string]map[string]any `json:"properties"`
	}
	if err := json.Unmarshal(r.body, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.ID != "http://twin.test/collections/buildings/queryables" {
		t.Errorf("$id %q", doc.ID)
	}
	for key, typ := range map[string]string{"name": "string", "use": "string", "floors": "number", "height": "number", "validFrom": "string"} {
		if doc.Properties[key]["type"] != typ {
			t.Errorf("%s: %v, want type %s", key, doc.Properties[key], typ)
		}
	}
	if doc.Properties["geometry"]["format"] != "geometry-any" {
		t.Errorf("geometry: %v", doc.Properties["geometry"])
	}
}
