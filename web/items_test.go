package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"citytwin/geo"
	"citytwin/twin"

	"github.com/paulmach/orb"
)

// page is a decoded FeatureCollection.
type page struct {
	Type           string            `json:"type"`
	Features       []json.RawMessage `json:"features"`
	NumberMatched  *int              `json:"numberMatched"`
	NumberReturned *int              `json:"numberReturned"`
	TimeStamp      string            `json:"timeStamp"`
	Links          []Link            `json:"links"`
}

type decodedFeature struct {
	Type       string            `json:"type"`
	ID         string            `json:"id"`
	Geometry   *rawGeometry      `json:"geometry"`
	Properties map[string]any    `json:"properties"`
	Relations  []twin.Link       `json:"relations"`
	Provenance []twin.Provenance `json:"provenance"`
	Links      []Link            `json:"links"`
}

// rawGeometry is a GeoJSON geometry decoded as plain JSON, to check its shape.
type rawGeometry struct {
	Type        string `json:"type"`
	Coordinates any    `json:"coordinates"`
}

func decodePage(t testing.TB, r response) page {
	t.Helper()
	if r.status != http.StatusOK {
		t.Fatalf("status %d, want 200: %s", r.status, r.body)
	}
	if ct := r.header.Get("Content-Type"); ct != ContentTypeGeoJSON {
		t.Fatalf("Content-Type %q, want %q", ct, ContentTypeGeoJSON)
	}
	var p page
	if err := json.Unmarshal(r.body, &p); err != nil {
		t.Fatalf("decode page: %v\n%s", err, r.body)
	}
	if p.Type != "FeatureCollection" || p.NumberMatched == nil || p.NumberReturned == nil || p.Features == nil {
		t.Fatalf("not an OGC FeatureCollection: %s", r.body)
	}
	if *p.NumberReturned != len(p.Features) {
		t.Fatalf("numberReturned %d, but %d features", *p.NumberReturned, len(p.Features))
	}
	if _, err := time.Parse(time.RFC3339Nano, p.TimeStamp); err != nil {
		t.Fatalf("timeStamp %q: %v", p.TimeStamp, err)
	}
	return p
}

func (p page) features(t testing.TB) []decodedFeature {
	t.Helper()
	out := make([]decodedFeature, len(p.Features))
	for i, raw := range p.Features {
		if err := json.Unmarshal(raw, &out[i]); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

func (p page) ids(t testing.TB) []string {
	t.Helper()
	var ids []string
	for _, f := range p.features(t) {
		ids = append(ids, f.ID)
	}
	return ids
}

func (p page) link(rel string) (Link, bool) {
	for _, l := range p.Links {
		if l.Rel == rel {
			return l, true
		}
	}
	return Link{}, false
}

// oracle returns, by brute force over every live entity of kind, the ids whose
// current geometry intersects any of boxes.
func (f *fixture) oracle(t testing.TB, kind twin.Kind, boxes []orb.Bound) []string {
	t.Helper()
	var ids []string
	for id, e := range f.all {
		if e.Kind != kind {
			continue
		}
		live := f.live(t, id)
		for _, b := range boxes {
			if geo.Intersects(live.Geometry, b) {
				ids = append(ids, string(id))
				break
			}
		}
	}
	sort.Strings(ids)
	return ids
}

func sorted(ids []string) []string {
	out := slices.Clone(ids)
	sort.Strings(out)
	return out
}

func TestItemsBBox(t *testing.T) {
	fx := newFixture(t)
	s, _ := newTestServer(t, fx, nil)
	h := s.Handler()
	b := func(minLon, minLat, maxLon, maxLat float64) orb.Bound {
		return orb.Bound{Min: orb.Point{minLon, minLat}, Max: orb.Point{maxLon, maxLat}}
	}
	tests := []struct {
		name  string
		bbox  string
		boxes []orb.Bound // the same area for the oracle; two boxes across the antimeridian
		want  map[string][]string
	}{
		{name: "block", bbox: "13.404,52.502,13.412,52.507", boxes: []orb.Bound{b(13.404, 52.502, 13.412, 52.507)}},
		{name: "city", bbox: "13.3,52.4,13.5,52.6", boxes: []orb.Bound{b(13.3, 52.4, 13.5, 52.6)}},
		{name: "heights", bbox: "13.404,52.502,-10,13.412,52.507,500", boxes: []orb.Bound{b(13.404, 52.502, 13.412, 52.507)}},
		{name: "in a courtyard", bbox: "13.4015,52.5065,13.4025,52.5075", boxes: []orb.Bound{b(13.4015, 52.5065, 13.4025, 52.5075)},
			want: map[string][]string{"buildings": nil}},
		{name: "over a courtyard's edge", bbox: "13.4005,52.5065,13.4015,52.5075", boxes: []orb.Bound{b(13.4005, 52.5065, 13.4015, 52.5075)},
			want: map[string][]string{"buildings": {"osm:way/106"}}},
		{name: "antimeridian", bbox: "179.9,-17,-179.95,-16", boxes: []orb.Bound{b(179.9, -17, 180, -16), b(-180, -17, -179.95, -16)},
			want: map[string][]string{"stops": {"gtfs:stop/4520", "gtfs:stop/4521", "gtfs:stop/4522"}}},
		{name: "world", bbox: "-180,-90,180,90", boxes: []orb.Bound{b(-180, -90, 180, 90)}},
		{name: "nowhere", bbox: "0,0,1,1", boxes: []orb.Bound{b(0, 0, 1, 1)},
			want: map[string][]string{"buildings": nil, "stops": nil}},
	}
	kinds := map[string]twin.Kind{"buildings": twin.KindBuilding, "roads": twin.KindRoad, "sensors": twin.KindSensor, "stops": twin.KindStop, "vehicles": twin.KindVehicle}
	for _, tt := range tests {
		for coll, kind := range kinds {
			t.Run(tt.name+"/"+coll, func(t *testing.T) {
				p := decodePage(t, get(t, h, "/collections/"+coll+"/items?limit=10000&bbox="+tt.bbox))
				got := sorted(p.ids(t))
				want := fx.oracle(t, kind, tt.boxes)
				if !slices.Equal(got, want) {
					t.Errorf("bbox %s: got %v\noracle %v", tt.bbox, got, want)
				}
				if exp, ok := tt.want[coll]; ok && !slices.Equal(got, exp) {
					t.Errorf("bbox %s: got %v, want %v", tt.bbox, got, exp)
				}
				if *p.NumberMatched != len(want) {
					t.Errorf("numberMatched %d, want %d", *p.NumberMatched, len(want))
				}
				if _, ok := p.link("next"); ok {
					t.Error("a complete page has a next link")
				}
			})
		}
	}
}

// TestItemsPaging follows next links and checks that every matched feature comes
// exactly once, that numberMatched holds on every page, and that next links keep
// the other parameters.
func TestItemsPaging(t *testing.T) {
	fx := newFixture(t)
	s, _ := newTestServer(t, fx, nil)
	h := s.Handler()
	for _, tt := range []struct {
		coll, params string
	}{
		{"buildings", ""},
		{"buildings", "bbox=13.4,52.5,13.42,52.52"},
		{"buildings", "where=use%3Doffice"},
		{"roads", "bbox=13.3,52.4,13.5,52.6"},
		{"stops", "bbox=179.9,-17,-179.95,-16"},
		{"sensors", "datetime=2024-05-01T09:00:00Z"},
	} {
		all := decodePage(t, get(t, h, "/collections/"+tt.coll+"/items?limit=10000&"+tt.params))
		want := sorted(all.ids(t))
		for _, limit := range []int{1, 2, 3, 7, 10000} {
			t.Run(fmt.Sprintf("%s?%s/limit=%d", tt.coll, tt.params, limit), func(t *testing.T) {
				target := fmt.Sprintf("/collections/%s/items?limit=%d&%s", tt.coll, limit, tt.params)
				seen := map[string]bool{}
				var got []string
				for pages := 0; target != ""; pages++ {
					if pages > len(want)+1 {
						t.Fatal("paging does not end")
					}
					p := decodePage(t, get(t, h, target))
					if *p.NumberMatched != len(want) {
						t.Errorf("page %d: numberMatched %d, want %d", pages, *p.NumberMatched, len(want))
					}
					if len(p.Features) > limit {
						t.Errorf("page %d: %d features, limit %d", pages, len(p.Features), limit)
					}
					for _, id := range p.ids(t) {
						if seen[id] {
							t.Errorf("%s came twice", id)
						}
						seen[id] = true
						got = append(got, id)
					}
					target = ""
					if next, ok := p.link("next"); ok {
						u, err := url.Parse(next.Href)
						if err != nil || !strings.HasPrefix(next.Href, "http://twin.test/collections/"+tt.coll+"/items?") {
							t.Fatalf("next link %q", next.Href)
						}
						want, _ := url.ParseQuery(tt.params)
						for k, vs := range want {
							if !slices.Equal(u.Query()[k], vs) {
								t.Errorf("next link %q lost %s=%v", next.Href, k, vs)
							}
						}
						if u.Query().Get("limit") != fmt.Sprint(limit) || u.Query().Get("cursor") == "" {
							t.Errorf("next link %q: want limit %d and a cursor", next.Href, limit)
						}
						target = u.RequestURI()
					}
				}
				if got := sorted(got); !slices.Equal(got, want) {
					t.Errorf("pages gave %v\nwant %v", got, want)
				}
			})
		}
	}
}

func TestItemsDatetime(t *testing.T) {
	fx := newFixture(t)
	s, _ := newTestServer(t, fx, nil)
	h := s.Handler()
	at := func(tm time.Time) string { return url.QueryEscape(tm.Format(time.RFC3339)) }
	oldBox := "13.4001,52.5001,13.4002,52.5002" // inside osm:way/100 before it moved
	newBox := "13.4401,52.5001,13.4402,52.5002" // and after
	tests := []struct {
		name, target string
		want         []string
	}{
		{"old place now", "/collections/buildings/items?bbox=" + oldBox, nil},
		{"old place at t1", "/collections/buildings/items?bbox=" + oldBox + "&datetime=" + at(t1), []string{"osm:way/100"}},
		{"new place now", "/collections/buildings/items?bbox=" + newBox, []string{"osm:way/100"}},
		{"new place at t1", "/collections/buildings/items?bbox=" + newBox + "&datetime=" + at(t1), nil},
		{"new place in the future", "/collections/buildings/items?bbox=" + newBox + "&datetime=" + at(t2.Add(24*time.Hour)), []string{"osm:way/100"}},
		{"before the city", "/collections/buildings/items?datetime=" + at(t0.Add(-time.Hour)), nil},
		{"deleted sensor at t1", "/collections/sensors/items?bbox=13.4,52.5,13.5,52.6&limit=100&datetime=" + at(t1),
			[]string{"sensor:aq-0", "sensor:aq-1", "sensor:aq-2", "sensor:aq-3", "sensor:aq-4", "sensor:aq-5", "sensor:aq-6", "sensor:aq-7", "sensor:aq-8", "sensor:aq-9"}},
		{"deleted sensor now", "/collections/sensors/items?bbox=13.4,52.5,13.5,52.6&limit=100",
			[]string{"sensor:aq-0", "sensor:aq-1", "sensor:aq-2", "sensor:aq-3", "sensor:aq-4", "sensor:aq-5", "sensor:aq-6", "sensor:aq-7", "sensor:aq-8"}},
		{"bus at t1", "/collections/vehicles/items?bbox=13.4049,52.499,13.4051,52.5&datetime=" + at(t1), []string{"veh:bus-1"}},
		{"bus now", "/collections/vehicles/items?bbox=13.4049,52.499,13.4051,52.5", nil},
		// Intervals: every entity valid at some instant of them (ends inclusive).
		{"old place from t1 on", "/collections/buildings/items?bbox=" + oldBox + "&datetime=" + at(t1) + "%2F..", []string{"osm:way/100"}},
		{"old place after the move", "/collections/buildings/items?bbox=" + oldBox + "&datetime=" + at(t2) + "%2F..", nil},
		{"new place until t2", "/collections/buildings/items?bbox=" + newBox + "&datetime=..%2F" + at(t2), []string{"osm:way/100"}},
		{"new place before t2", "/collections/buildings/items?bbox=" + newBox + "&datetime=..%2F" + at(t2.Add(-time.Second)), nil},
		{"deleted sensor during the day", "/collections/sensors/items?bbox=13.4,52.5,13.5,52.6&limit=100&datetime=" + at(t1) + "%2F" + at(tNow),
			[]string{"sensor:aq-0", "sensor:aq-1", "sensor:aq-2", "sensor:aq-3", "sensor:aq-4", "sensor:aq-5", "sensor:aq-6", "sensor:aq-7", "sensor:aq-8", "sensor:aq-9"}},
		{"bus passing the box in the morning", "/collections/vehicles/items?bbox=13.4049,52.499,13.4051,52.5&datetime=" + at(t0) + "%2F" + at(t2), []string{"veh:bus-1"}},
		{"bus after it passed", "/collections/vehicles/items?bbox=13.4049,52.499,13.4051,52.5&datetime=" + at(t2) + "%2F..", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := decodePage(t, get(t, h, tt.target))
			if got := sorted(p.ids(t)); !slices.Equal(got, sorted(tt.want)) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}

	// The features themselves are the versions of then.
	p := decodePage(t, get(t, h, "/collections/buildings/items?bbox="+oldBox+"&datetime="+at(t1)))
	f := p.features(t)[0]
	if f.Properties["version"] != 1.0 || f.Properties["use"] != "residential" || f.Properties["valid_from"] != t0.Format(time.RFC3339Nano) {
		t.Errorf("as of t1: %v, want version 1, residential, valid from %s", f.Properties, t0.Format(time.RFC3339Nano))
	}
	now := decodePage(t, get(t, h, "/collections/buildings/items?bbox="+newBox)).features(t)[0]
	if now.Properties["version"] != 2.0 || now.Properties["use"] != "office" || now.Properties["height"] != 50.0 {
		t.Errorf("now: %v, want version 2, office, height 50", now.Properties)
	}
}

func TestItem(t *testing.T) {
	fx := newFixture(t)
	s, _ := newTestServer(t, fx, nil)
	h := s.Handler()
	at := url.QueryEscape(t1.Format(time.RFC3339))
	tests := []struct {
		target      string
		status      int
		version     float64
		use         string
		problemName string
	}{
		{target: "/collections/buildings/items/osm:way%2F100", status: 200, version: 2, use: "office"},
		{target: "/collections/buildings/items/osm:way/100", status: 200, version: 2, use: "office"},
		{target: "/collections/buildings/items/osm:way%2F100?datetime=" + at, status: 200, version: 1, use: "residential"},
		{target: "/collections/buildings/items/osm:way%2F100?f=geojson", status: 200, version: 2, use: "office"},
		{target: "/collections/buildings/items/osm:way%2F123?datetime=" + at, status: 200, version: 1, use: "office"},
		{target: "/collections/buildings/items/osm:way%2F123", status: 404},
		{target: "/collections/buildings/items/osm:way%2F100?datetime=" + url.QueryEscape(t0.Add(-time.Minute).Format(time.RFC3339)), status: 404},
		{target: "/collections/buildings/items/nope", status: 404},
		{target: "/collections/buildings/items/sensor:aq-1", status: 404},
		{target: "/collections/castles/items/osm:way%2F100", status: 404},
		{target: "/collections/buildings/items/osm:way%2F100?datetime=soon", status: 400, problemName: "datetime"},
		{target: "/collections/buildings/items/osm:way%2F100?bbox=1,2,3,4", status: 400, problemName: "bbox"},
		{target: "/collections/buildings/items/osm:way%2F100?f=html", status: 400, problemName: "f"},
	}
	for _, tt := range tests {
		t.Run(tt.target, func(t *testing.T) {
			r := get(t, h, tt.target)
			if r.status != tt.status {
				t.Fatalf("status %d, want %d: %s", r.status, tt.status, r.body)
			}
			if tt.status != 200 {
				checkProblem(t, r, tt.status, tt.problemName)
				return
			}
			if ct := r.header.Get("Content-Type"); ct != ContentTypeGeoJSON {
				t.Errorf("Content-Type %q", ct)
			}
			var f decodedFeature
			if err := json.Unmarshal(r.body, &f); err != nil {
				t.Fatal(err)
			}
			if f.Type != "Feature" || f.Properties["version"] != tt.version || f.Properties["use"] != tt.use {
				t.Errorf("got %s version %v use %v, want version %v use %v", f.Type, f.Properties["version"], f.Properties["use"], tt.version, tt.use)
			}
			var rels []string
			for _, l := range f.Links {
				rels = append(rels, l.Rel)
				if l.Rel == "self" && !strings.HasPrefix(l.Href, "http://twin.test/collections/buildings/items/osm:way%2F1") {
					t.Errorf("self link %q", l.Href)
				}
			}
			if !slices.Equal(rels, []string{"self", "collection"}) {
				t.Errorf("links %v, want self and collection", rels)
			}
		})
	}
}

func TestFeatureShape(t *testing.T) {
	fx := newFixture(t)
	s, _ := newTestServer(t, fx, nil)
	h := s.Handler()
	one := func(target string) decodedFeature {
		t.Helper()
		r := get(t, h, target)
		if r.status != 200 {
			t.Fatalf("%s: %d %s", target, r.status, r.body)
		}
		var f decodedFeature
		if err := json.Unmarshal(r.body, &f); err != nil {
			t.Fatal(err)
		}
		return f
	}

	b := one("/collections/buildings/items/osm:way%2F106")
	if b.ID != "osm:way/106" || b.Geometry == nil || b.Geometry.Type != "Polygon" {
		t.Fatalf("building: %+v", b)
	}
	if rings := b.Geometry.Coordinates.([]any); len(rings) != 2 {
		t.Errorf("building 106 has %d rings, want 2 (outer and courtyard)", len(rings))
	}
	wantProps := map[string]any{
		"name": "House 6", "use": "residential", "floors": 4.0,
		"kind": "building", "version": 1.0, "valid_from": t0.Format(time.RFC3339Nano), "height": 16.0, "levels": 4.0,
	}
	for k, v := range wantProps {
		if b.Properties[k] != v {
			t.Errorf("building property %s = %v, want %v", k, b.Properties[k], v)
		}
	}
	for _, k := range []string{"min_height", "moving"} {
		if _, ok := b.Properties[k]; ok {
			t.Errorf("building has %s, which is zero or false", k)
		}
	}
	if len(b.Provenance) != 1 || b.Provenance[0].Source != "osm" || !b.Provenance[0].Time.Equal(t0) {
		t.Errorf("building provenance %+v", b.Provenance)
	}

	sensor := one("/collections/sensors/items/sensor:aq-3")
	if sensor.Geometry.Type != "Point" || len(sensor.Relations) != 1 || sensor.Relations[0] != (twin.Link{Rel: "in", To: "osm:way/106"}) {
		t.Errorf("sensor: %+v", sensor)
	}
	if sensor.Properties["ok"] != true {
		t.Errorf("sensor ok = %v, want true", sensor.Properties["ok"])
	}
	road := one("/collections/roads/items/osm:way%2F200")
	if road.Geometry.Type != "LineString" {
		t.Errorf("road geometry %s", road.Geometry.Type)
	}
	for _, k := range []string{"height", "levels", "relations"} {
		if _, ok := road.Properties[k]; ok {
			t.Errorf("road has %s", k)
		}
	}
	bus := one("/collections/vehicles/items/veh:bus-1")
	if bus.Properties["moving"] != true {
		t.Errorf("bus moving = %v, want true", bus.Properties["moving"])
	}
	if c := bus.Geometry.Coordinates.([]any); c[0] != 13.41 {
		t.Errorf("bus is at %v, want its last position 13.41", c)
	}
}

func TestItemsExtensions(t *testing.T) {
	fx := newFixture(t)
	s, _ := newTestServer(t, fx, nil)
	h := s.Handler()
	sensor := fx.live(t, "sensor:aq-3")
	cell := geo.Cell(sensor.Geometry.(orb.Point), 12)
	tests := []struct {
		target string
		want   func(e twin.Entity) bool // which live entities of the collection must come
		coll   twin.Kind
	}{
		{"/collections/buildings/items?limit=100&where=use%3Doffice", func(e twin.Entity) bool {
			v, _ := e.Props.Get("use")
			return v.String() == "office"
		}, twin.KindBuilding},
		{"/collections/buildings/items?limit=100&where=use%3Doffice&where=floors>%3D5", func(e twin.Entity) bool {
			use, _ := e.Props.Get("use")
			fl, _ := e.Props.Get("floors")
			n, _ := fl.Number()
			return use.String() == "office" && n >= 5
		}, twin.KindBuilding},
		{"/collections/sensors/items?limit=100&near=13.4005,52.5005,600", func(e twin.Entity) bool {
			return geo.Distance(orb.Point{13.4005, 52.5005}, e.Geometry.(orb.Point)) <= 600
		}, twin.KindSensor},
		{"/collections/sensors/items?limit=100&h3=" + cell.String(), func(e twin.Entity) bool { return e.ID == "sensor:aq-3" }, twin.KindSensor},
	}
	for _, tt := range tests {
		t.Run(tt.target, func(t *testing.T) {
			got := sorted(decodePage(t, get(t, h, tt.target)).ids(t))
			var want []string
			for id, e := range fx.all {
				if e.Kind == tt.coll && tt.want(fx.live(t, id)) {
					want = append(want, string(id))
				}
			}
			if want = sorted(want); !slices.Equal(got, want) {
				t.Errorf("got %v\nwant %v", got, want)
			}
			if len(want) == 0 {
				t.Error("the test selects nothing")
			}
		})
	}
}

// checkProblem checks an RFC 9457 answer and, when name is set, that it names the
// parameter.
func checkProblem(t testing.TB, r response, status int, name string) map[string]any {
	t.Helper()
	if r.status != status {
		t.Errorf("status %d, want %d: %s", r.status, status, r.body)
	}
	if ct := r.header.Get("Content-Type"); ct != ContentTypeProblem {
		t.Errorf("Content-Type %q, want %q", ct, ContentTypeProblem)
	}
	m := r.json(t)
	for _, k := range []string{"type", "title", "detail", "instance"} {
		if s, ok := m[k].(string); !ok || s == "" {
			t.Errorf("problem has no %s: %s", k, r.body)
		}
	}
	if m["status"] != float64(status) {
		t.Errorf("problem status %v, want %d", m["status"], status)
	}
	if name != "" {
		ps, _ := m["invalid-params"].([]any)
		if len(ps) != 1 {
			t.Fatalf("invalid-params %v, want one naming %s", m["invalid-params"], name)
		}
		p := ps[0].(map[string]any)
		if p["name"] != name || p["reason"] == "" || !strings.Contains(m["detail"].(string), name) {
			t.Errorf("problem names %v (%v), detail %q; want %s", p["name"], p["reason"], m["detail"], name)
		}
	}
	return m
}

func TestItemsBadInput(t *testing.T) {
	fx := newFixture(t)
	s, _ := newTestServer(t, fx, nil)
	h := s.Handler()
	tests := []struct {
		target string
		status int
		name   string
	}{
		{"/collections/buildings/items?bbox=13,52.6,14,52.4", 400, "bbox"},
		{"/collections/buildings/items?bbox=13,x,14,52.4", 400, "bbox"},
		{"/collections/buildings/items?bbox=13,52,14", 400, "bbox"},
		{"/collections/buildings/items?bbox=13,52,190,53", 400, "bbox"},
		{"/collections/buildings/items?bbox=13,-95,14,53", 400, "bbox"},
		{"/collections/buildings/items?limit=abc", 400, "limit"},
		{"/collections/buildings/items?limit=0", 400, "limit"},
		{"/collections/buildings/items?limit=10001", 400, "limit"},
		{"/collections/buildings/items?datetime=2024-05-02T08:00:00Z%2F2024-05-01T08:00:00Z", 400, "datetime"},
		{"/collections/buildings/items?datetime=..%2F..", 400, "datetime"},
		{"/collections/buildings/items?datetime=noon", 400, "datetime"},
		{"/collections/buildings/items?bbxo=13,52,14,53", 400, "bbxo"},
		{"/collections/buildings/items?cursor=%21", 400, "cursor"},
		{"/collections/buildings/items?where=%3D3", 400, "where"},
		{"/collections/buildings/items?near=13,52", 400, "near"},
		{"/collections/buildings/items?h3=nothex", 400, "h3"},
		{"/collections/buildings/items?f=html", 400, "f"},
		{"/collections/buildings/items?limit=%zz", 400, "query"},
		{"/collections/castles/items", 404, ""},
		{"/collections/castles", 404, ""},
		{"/collections/buildings?f=xml", 400, "f"},
		{"/collections?f=html", 400, "f"},
		{"/conformance?f=yaml", 400, "f"},
		{"/?f=pdf", 400, "f"},
		{"/api?f=html", 400, "f"},
		{"/nothing/here", 404, ""},
		{"/collections/buildings/items/", 404, ""},
	}
	for _, tt := range tests {
		t.Run(tt.target, func(t *testing.T) {
			checkProblem(t, get(t, h, tt.target), tt.status, tt.name)
		})
	}
}

func TestItemsCursorBeyondEnd(t *testing.T) {
	fx := newFixture(t)
	s, _ := newTestServer(t, fx, nil)
	p := decodePage(t, get(t, s.Handler(), "/collections/buildings/items?cursor=zzzz"))
	if len(p.Features) != 0 || *p.NumberMatched != 23 {
		t.Errorf("cursor past the end: %d features, %d matched; want 0 of 23", len(p.Features), *p.NumberMatched)
	}
}

func TestItemsLimitCap(t *testing.T) {
	fx := newFixture(t)
	s, _ := newTestServer(t, fx, func(c *Config) { c.DefaultLimit, c.MaxLimit = 2, 5 })
	h := s.Handler()
	if p := decodePage(t, get(t, h, "/collections/buildings/items")); len(p.Features) != 2 {
		t.Errorf("default page has %d features, want 2", len(p.Features))
	}
	if p := decodePage(t, get(t, h, "/collections/buildings/items?limit=9000")); len(p.Features) != 5 {
		t.Errorf("limit 9000 with a cap of 5 gave %d features, want 5", len(p.Features))
	}
}
