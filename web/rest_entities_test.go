package web

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"testing"
	"time"

	"citytwin/twin"

	"github.com/paulmach/orb"
)

func TestRESTEntity(t *testing.T) {
	rf := newRESTFixture(t)
	for _, tc := range []struct {
		name, target string
		status       int
		version      float64
		etag         string
	}{
		{"escaped slash", "/api/v1/entities/osm:way%2F100", 200, 2, `"2"`},
		{"escaped colon and slash", "/api/v1/entities/osm%3Away%2F100", 200, 2, `"2"`},
		{"as of before the rebuild", "/api/v1/entities/osm:way%2F100?at=" + rfc(t1), 200, 1, `"1"`},
		{"as of the rebuild", "/api/v1/entities/osm:way%2F100?at=" + url.QueryEscape(rfc(t2)), 200, 2, `"2"`},
		{"before it existed", "/api/v1/entities/osm:way%2F100?at=" + rfc(t0.Add(-time.Second)), 404, 0, ""},
		{"unescaped slash is another path", "/api/v1/entities/osm:way/100", 404, 0, ""},
		{"deleted", "/api/v1/entities/osm:way%2F123", 404, 0, ""},
		{"deleted, as of before", "/api/v1/entities/osm:way%2F123?at=" + rfc(t1), 200, 1, `"1"`},
		{"unknown", "/api/v1/entities/nope", 404, 0, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := rf.get(t, tc.target)
			if r.status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.status, tc.status, r.body)
			}
			if tc.status != 200 {
				wantProblem(t, r, tc.status, "")
				return
			}
			var f decodedFeature
			if err := json.Unmarshal(r.body, &f); err != nil {
				t.Fatal(err)
			}
			if got := f.Properties["version"]; got != tc.version || r.header.Get("ETag") != tc.etag {
				t.Errorf("version %v ETag %s, want %v %s", got, r.header.Get("ETag"), tc.version, tc.etag)
			}
		})
	}
	// The rebuilt building moved east: its geometry as of t1 is the old one.
	var f decodedFeature
	_ = json.Unmarshal(rf.get(t, "/api/v1/entities/osm:way%2F100?at="+rfc(t1)).body, &f)
	if ring := f.Geometry.Coordinates.([]any)[0].([]any); ring[0].([]any)[0] != 13.4 {
		t.Errorf("as-of geometry starts at %v, want lon 13.4", ring[0])
	}
	wantProblem(t, rf.get(t, "/api/v1/entities/osm:way%2F100?datetime="+rfc(t1)), 400, "datetime")
	wantProblem(t, rf.get(t, "/api/v1/entities/osm:way%2F100?at=yesterday"), 400, "at")
	wantProblem(t, rf.get(t, "/api/v1/entities/osm:way%2F100?at="+rfc(t1)+"&at="+rfc(t2)), 400, "at")
}

func TestRESTEntityParts(t *testing.T) {
	rf := newRESTFixture(t)
	type hist struct {
		Features []decodedFeature `json:"features"`
	}
	var h hist
	r := rf.get(t, "/api/v1/entities/osm:way%2F123/history")
	if err := json.Unmarshal(r.body, &h); err != nil || r.status != 200 || r.header.Get("Content-Type") != ContentTypeGeoJSON {
		t.Fatalf("%d %v %s", r.status, err, r.body)
	}
	if len(h.Features) != 2 || h.Features[0].Properties["deleted"] != nil || h.Features[1].Properties["deleted"] != true ||
		h.Features[1].Geometry != nil {
		t.Errorf("history of a deleted building: %s", r.body)
	}
	h = hist{}
	_ = json.Unmarshal(rf.get(t, "/api/v1/entities/osm:way%2F100/history?at="+rfc(t1)).body, &h)
	if len(h.Features) != 1 || h.Features[0].Properties["version"] != 1.0 {
		t.Errorf("history as of t1: %+v", h.Features)
	}
	wantProblem(t, rf.get(t, "/api/v1/entities/nope/history"), 404, "")

	var links struct {
		Entity string      `json:"entity"`
		Links  []twin.Link `json:"links"`
	}
	if err := json.Unmarshal(rf.get(t, "/api/v1/entities/sensor:aq-1/links").body, &links); err != nil ||
		!slices.Equal(links.Links, []twin.Link{{Rel: "in", To: "osm:way/102"}}) || links.Entity != "sensor:aq-1" {
		t.Errorf("links %+v %v", links, err)
	}
	var prov struct {
		Provenance []twin.Provenance `json:"provenance"`
	}
	if err := json.Unmarshal(rf.get(t, "/api/v1/entities/osm:way%2F101/provenance").body, &prov); err != nil ||
		len(prov.Provenance) == 0 || prov.Provenance[0].Source != "osm" {
		t.Errorf("provenance %+v %v", prov, err)
	}
	var metrics struct {
		Metrics []string `json:"metrics"`
	}
	if err := json.Unmarshal(rf.get(t, "/api/v1/entities/sensor:aq-1/metrics").body, &metrics); err != nil || !slices.Equal(metrics.Metrics, []string{"pm25"}) {
		t.Errorf("metrics %+v %v", metrics, err)
	}
	if r := rf.get(t, "/api/v1/entities/osm:way%2F101/metrics"); r.status != 200 || string(r.body) != `{"entity":"osm:way/101","metrics":[]}`+"\n" {
		t.Errorf("no metrics: %s", r.body)
	}
	wantProblem(t, rf.get(t, "/api/v1/entities/sensor:aq-1/links?limit=3"), 400, "limit")
}

func TestRESTWrites(t *testing.T) {
	rf := newRESTFixture(t)
	const id = "osm:way/900"
	path := "/api/v1/entities/osm:way%2F900"
	feature := `{"type":"Feature","geometry":{"type":"Polygon","coordinates":[[[13.45,52.51],[13.451,52.51],[13.451,52.511],[13.45,52.511],[13.45,52.51]]]},
		"properties":{"kind":"building","name":"New","use":"office","height":12}}`

	// Create, only if absent.
	r := rf.call(t, http.MethodPut, path, feature, "If-None-Match", "*")
	if r.status != http.StatusCreated || r.header.Get("ETag") != `"1"` || r.header.Get("Location") != rf.base+path {
		t.Fatalf("create: %d %v %s", r.status, r.header, r.body)
	}
	wantProblem(t, rf.call(t, http.MethodPut, path, feature, "If-None-Match", "*"), http.StatusPreconditionFailed, "")
	// What GET returns can be PUT back unchanged: no new version.
	got := rf.get(t, path)
	if r := rf.call(t, http.MethodPut, path, string(got.body), "If-Match", `"1"`); r.status != 200 || r.header.Get("ETag") != `"1"` {
		t.Fatalf("put back: %d %s %s", r.status, r.header.Get("ETag"), r.body)
	}
	// A stale If-Match is refused, with the current ETag.
	replaced := `{"type":"Feature","id":"osm:way/900","geometry":{"type":"Point","coordinates":[13.46,52.52]},"properties":{"name":"Moved"}}`
	if r := rf.call(t, http.MethodPut, path, replaced, "If-Match", `"7"`); r.status != http.StatusPreconditionFailed || r.header.Get("ETag") != `"1"` {
		t.Fatalf("stale If-Match: %d %s", r.status, r.body)
	}
	r = rf.call(t, http.MethodPut, path, replaced, "If-Match", `W/"1", "5"`)
	var f decodedFeature
	if err := json.Unmarshal(r.body, &f); err != nil || r.status != 200 || r.header.Get("ETag") != `"2"` ||
		f.Properties["kind"] != "building" || f.Properties["name"] != "Moved" || f.Properties["use"] != nil {
		t.Fatalf("replace: %d %s", r.status, r.body)
	}
	// Patch: set one, remove one.
	r = rf.call(t, http.MethodPatch, path, `{"properties":{"use":"school","name":null}}`, "Content-Type", "application/merge-patch+json", "If-Match", `"2"`)
	f = decodedFeature{}
	if err := json.Unmarshal(r.body, &f); err != nil || r.status != 200 || f.Properties["use"] != "school" || f.Properties["name"] != nil ||
		r.header.Get("ETag") != `"3"` {
		t.Fatalf("patch: %d %s", r.status, r.body)
	}
	e, err := rf.store.Get(id)
	if err != nil || e.Version != 3 || len(e.Props) != 1 {
		t.Fatalf("store after patch: %+v %v", e, err)
	}
	for _, tc := range []struct{ body, param string }{
		{`{"properties":{"height":3}}`, "properties.height"},
		{`{"geometry":null}`, "geometry"},
		{`{"properties":{"a":{"b":1}}}`, "properties.a"},
		{`{"properties":[]}`, "properties"},
		{`{"properties":{}} x`, "body"},
	} {
		wantProblem(t, rf.call(t, http.MethodPatch, path, tc.body), 400, tc.param)
	}
	wantProblem(t, rf.call(t, http.MethodPatch, "/api/v1/entities/nope", `{"properties":{"a":1}}`), 404, "")
	wantProblem(t, rf.call(t, http.MethodPut, path, `{"type":"Feature","id":"osm:way/901","geometry":null,"properties":{}}`), 400, "id")
	wantProblem(t, rf.call(t, http.MethodPut, "/api/v1/entities/new", `{"type":"Feature","geometry":null,"properties":{}}`), 400, "properties.kind")
	wantProblem(t, rf.call(t, http.MethodPut, path, `{"type":"FeatureCollection","features":[]}`), 400, "body")
	wantProblem(t, rf.call(t, http.MethodPut, path+"?kind=building", feature), 400, "kind")

	// Delete: as of before, it is still there.
	wantProblem(t, rf.call(t, http.MethodDelete, path, "", "If-Match", `"2"`), http.StatusPreconditionFailed, "")
	if r := rf.call(t, http.MethodDelete, path, "", "If-Match", `"3"`); r.status != http.StatusNoContent || len(r.body) != 0 {
		t.Fatalf("delete: %d %s", r.status, r.body)
	}
	wantProblem(t, rf.get(t, path), 404, "")
	wantProblem(t, rf.call(t, http.MethodDelete, path, ""), 404, "")
	if r := rf.get(t, path+"?at="+rfc(tNow.Add(-time.Nanosecond))); r.status != 404 {
		t.Errorf("as of before its creation at now: %d", r.status)
	}
	var h struct {
		Features []decodedFeature `json:"features"`
	}
	_ = json.Unmarshal(rf.get(t, path+"/history").body, &h)
	if len(h.Features) != 4 || h.Features[3].Properties["deleted"] != true {
		t.Errorf("history after delete: %+v", h.Features)
	}
}

// TestRESTWritesOff: without the write side the routes are not there.
func TestRESTWritesOff(t *testing.T) {
	fx := newFixture(t)
	s, _ := newTestServer(t, fx, nil)
	r := do(t, s.Handler(), http.MethodDelete, "/api/v1/entities/osm:way%2F100")
	wantProblem(t, r, http.StatusMethodNotAllowed, "")
	if _, err := fx.store.Get("osm:way/100"); err != nil {
		t.Fatal(err)
	}
}

// TestRESTAsOfMoves checks as-of answers after moves.
func TestRESTAsOfMoves(t *testing.T) {
	rf := newRESTFixture(t)
	// The bus reports a position at tNow.
	if _, err := rf.store.Apply(twin.Op{Type: twin.OpMove, T: tNow.UnixNano(), Positions: []twin.Position{{ID: "veh:bus-1", T: tNow.UnixNano(), Point: orb.Point{13.420, 52.4995}}}}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		at   time.Time
		lon  float64
		want bool
	}{
		{t0, 13.400, true}, {t1, 13.405, true}, {t2, 13.410, true}, {tNow, 13.420, true},
		{t1, 13.400, false}, {tNow, 13.410, false},
	} {
		target := "/api/v1/entities?kind=vehicle&near=" + url.QueryEscape(formatFloat(tc.lon)+",52.4995,20") + "&at=" + rfc(tc.at)
		got := rf.ids(t, target)
		if (len(got) == 1) != tc.want {
			t.Errorf("at %s near %v: %v, want found=%v", rfc(tc.at), tc.lon, got, tc.want)
		}
	}
	// The entity itself, as of t1.
	var f decodedFeature
	_ = json.Unmarshal(rf.get(t, "/api/v1/entities/veh:bus-1?at="+rfc(t1)).body, &f)
	if c := f.Geometry.Coordinates.([]any); c[0] != 13.405 {
		t.Errorf("bus at t1: %v", c)
	}
}

func formatFloat(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }
