package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"citytwin/geo"
	"citytwin/twin"

	"github.com/paulmach/orb"
	orbjson "github.com/paulmach/orb/geojson"
	"github.com/uber/h3-go/v4"
)

// brute returns the ids of the live entities of the fixture for which keep
// holds, in the order the twin first saw them (the order of pages).
func (rf *restFixture) brute(t testing.TB, keep func(e *twin.Entity) bool) []string {
	t.Helper()
	res, err := rf.store.Query(t.Context(), twin.Query{})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for i := range res.Entities {
		if keep(&res.Entities[i]) {
			out = append(out, string(res.Entities[i].ID))
		}
	}
	return out
}

func geoJSON(g orb.Geometry) string {
	b, _ := json.Marshal(orbjson.NewGeometry(g))
	return string(b)
}

func TestRESTList(t *testing.T) {
	rf := newRESTFixture(t)
	row0 := orb.Polygon{{{13.399, 52.4999}, {13.431, 52.4999}, {13.431, 52.5045}, {13.399, 52.5045}, {13.399, 52.4999}}}
	line := orb.LineString{{13.401, 52.498}, {13.401, 52.512}}
	sensor3 := rf.live(t, "sensor:aq-3").Geometry.(orb.Point)
	cell := pointCell(sensor3, 8)
	ring := map[h3.Cell]bool{}
	for _, c := range geo.Ring(cell, 1) {
		ring[c] = true
	}
	isKind := func(k twin.Kind) func(*twin.Entity) bool { return func(e *twin.Entity) bool { return e.Kind == k } }
	for _, tc := range []struct {
		name, query string
		keep        func(e *twin.Entity) bool
	}{
		{"all", "", func(*twin.Entity) bool { return true }},
		{"kind", "kind=sensor", isKind(twin.KindSensor)},
		{"kinds as a list", "kind=building,road", func(e *twin.Entity) bool { return e.Kind == twin.KindBuilding || e.Kind == twin.KindRoad }},
		{"kinds repeated", "kind=road&kind=stop", func(e *twin.Entity) bool { return e.Kind == twin.KindRoad || e.Kind == twin.KindStop }},
		{"ids", "id=osm:way/101&id=sensor:aq-2&id=nope", func(e *twin.Entity) bool { return e.ID == "osm:way/101" || e.ID == "sensor:aq-2" }},
		{"bbox", "bbox=13.399,52.4999,13.431,52.5045&kind=building", func(e *twin.Entity) bool {
			return e.Kind == twin.KindBuilding && geo.Intersects(e.Geometry, row0.Bound())
		}},
		{"within", "within=" + url.QueryEscape(geoJSON(row0)), func(e *twin.Entity) bool { return geo.Within(e.Geometry, row0) }},
		{"intersects", "intersects=" + url.QueryEscape(geoJSON(line)), func(e *twin.Entity) bool { return geo.Intersects(e.Geometry, line) }},
		{"near", "near=13.4105,52.5055,300", func(e *twin.Entity) bool {
			return geo.DistanceToGeometry(orb.Point{13.4105, 52.5055}, e.Geometry) <= 300
		}},
		{"cells", "kind=sensor&cells=" + cell.String(), func(e *twin.Entity) bool {
			return e.Kind == twin.KindSensor && pointCell(e.Geometry.(orb.Point), 8) == cell
		}},
		{"ring", "kind=sensor&ring=" + cell.String() + ",1", func(e *twin.Entity) bool {
			return e.Kind == twin.KindSensor && ring[pointCell(e.Geometry.(orb.Point), 8)]
		}},
		{"where", "kind=building&where=use%3Doffice&where=floors>%3D5", func(e *twin.Entity) bool {
			use, _ := e.Props.Get("use")
			floors, _ := e.Props.Get("floors")
			n, _ := floors.Number()
			s, _ := use.Str()
			return e.Kind == twin.KindBuilding && s == "office" && n >= 5
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want := rf.brute(t, tc.keep)
			if len(want) == 0 && tc.name != "none" {
				t.Fatalf("the oracle finds nothing: a useless case")
			}
			sep := "?"
			if tc.query != "" {
				sep = "?" + tc.query + "&"
			}
			got := rf.ids(t, "/api/v1/entities"+sep+"limit=4")
			if !slices.Equal(got, want) {
				t.Errorf("paged ids\n got %v\nwant %v", got, want)
			}
			p := decodePage(t, rf.get(t, "/api/v1/entities"+sep+"limit=10000"))
			if *p.NumberMatched != len(want) || *p.NumberReturned != len(want) {
				t.Errorf("numberMatched %d numberReturned %d, want %d", *p.NumberMatched, *p.NumberReturned, len(want))
			}
			// The same as a POST body.
			body := queryBodyOf(t, tc.query)
			var ids []string
			for cursor := ""; ; {
				b := body
				b["limit"], b["cursor"] = 3, cursor
				enc, _ := json.Marshal(b)
				r := rf.call(t, http.MethodPost, "/api/v1/query", string(enc))
				var pg struct {
					Features []decodedFeature `json:"features"`
					Next     string           `json:"next"`
				}
				if err := json.Unmarshal(r.body, &pg); err != nil || r.status != 200 {
					t.Fatalf("POST %s: %d %s", enc, r.status, r.body)
				}
				for _, f := range pg.Features {
					ids = append(ids, f.ID)
				}
				if cursor = pg.Next; cursor == "" {
					break
				}
			}
			if !slices.Equal(ids, want) {
				t.Errorf("POST ids\n got %v\nwant %v", ids, want)
			}
		})
	}
}

// queryBodyOf turns the query string of a test case into the body of POST
// /api/v1/query.
func queryBodyOf(t *testing.T, q string) map[string]any {
	v, err := url.ParseQuery(q)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]any{}
	for k, vs := range v {
		switch k {
		case "kind":
			out["kinds"] = splitList(vs)
		case "id":
			out["ids"] = vs
		case "where":
			out["where"] = vs
		case "cells":
			out["cells"] = splitList(vs)
		case "within", "intersects":
			out[k] = json.RawMessage(vs[0])
		case "ring":
			c, k, _ := strings.Cut(vs[0], ",")
			var n int
			fmt.Sscan(k, &n)
			out["ring"] = map[string]any{"cell": c, "k": n}
		case "bbox", "near":
			var f []float64
			for _, s := range strings.Split(vs[0], ",") {
				var x float64
				fmt.Sscan(s, &x)
				f = append(f, x)
			}
			if k == "bbox" {
				out["bbox"] = f
			} else {
				out["near"] = map[string]float64{"lon": f[0], "lat": f[1], "radius": f[2]}
			}
		default:
			t.Fatalf("no body member for %s", k)
		}
	}
	return out
}

func TestRESTListErrors(t *testing.T) {
	rf := newRESTFixture(t)
	for _, tc := range []struct{ query, param string }{
		{"bbxo=1,2,3,4", "bbxo"},
		{"datetime=2024-05-01T08:00:00Z", "datetime"},
		{"bbox=13,53,14,52", "bbox"},
		{"at=2024-05-01", "at"},
		{"limit=0", "limit"},
		{"limit=10001", "limit"},
		{"cursor=!", "cursor"},
		{"kind=Buildings", "kind"},
		{"within=" + url.QueryEscape(`{"type":"Point","coordinates":[13.4,52.5]}`), "within"},
		{"within=" + url.QueryEscape(`{"type":"Polygon","coordinates":[[[13.4,52.5],[13.5,52.5],[13.4,52.5]]]}`), "within"},
		{"intersects=nope", "intersects"},
		{"intersects=" + url.QueryEscape(`{"type":"Point","coordinates":[200,52.5]}`), "intersects"},
		{"near=13.4,52.5", "near"},
		{"cells=zzz", "cells"},
		{"ring=8a1fb46622dffff", "ring"},
		{"ring=8a1fb46622dffff,51", "ring"},
		{"cells=8a1fb46622dffff&ring=8a1fb46622dffff,1", "ring"},
		{"where=%3D%3D", "where"},
		{"id=" + strings.Repeat("x", twin.MaxIDLen+1), "id"},
	} {
		t.Run(tc.query, func(t *testing.T) {
			wantProblem(t, rf.get(t, "/api/v1/entities?"+tc.query), 400, tc.param)
		})
	}
	for _, tc := range []struct{ body, param string }{
		{``, "body"},
		{`[]`, "body"},
		{`{"kinds":["sensor"]} {}`, "body"},
		{`{"kind":["sensor"]}`, "kind"},
		{`{"kinds":"sensor"}`, "kinds"},
		{`{"bbox":[1,2,3]}`, "bbox"},
		{`{"near":{"lon":1,"lat":2}}`, "near.radius"},
		{`{"near":{"lon":1,"lat":2,"radius":3,"unit":"m"}}`, "near.unit"},
		{`{"ring":{"cell":"8a1fb46622dffff","k":1,"x":0}}`, "ring.x"},
		{`{"cells":["8a1fb46622dffff"],"ring":{"cell":"8a1fb46622dffff","k":1}}`, "ring"},
		{`{"within":{"type":"LineString","coordinates":[[1,2],[3,4]]}}`, "within"},
		{`{"at":"now"}`, "at"},
		{`{"limit":2.5}`, "limit"},
		{`{"limit":0}`, "limit"},
		{`{"cursor":"?"}`, "cursor"},
		{`{"where":["=="]}`, "where"},
	} {
		t.Run(tc.body, func(t *testing.T) {
			wantProblem(t, rf.call(t, http.MethodPost, "/api/v1/query", tc.body), 400, tc.param)
		})
	}
	wantProblem(t, rf.call(t, http.MethodPost, "/api/v1/query?limit=3", `{}`), 400, "limit")
}

func TestRESTNearest(t *testing.T) {
	rf := newRESTFixture(t)
	p := orb.Point{13.412, 52.506}
	type near struct {
		id string
		d  float64
	}
	var all []near
	for _, id := range rf.brute(t, func(e *twin.Entity) bool { return e.Kind == twin.KindSensor }) {
		all = append(all, near{id, geo.DistanceToGeometry(p, rf.live(t, twin.ID(id)).Geometry)})
	}
	slices.SortStableFunc(all, func(a, b near) int {
		switch {
		case a.d < b.d:
			return -1
		case a.d > b.d:
			return 1
		}
		return 0
	})
	r := rf.get(t, "/api/v1/nearest?point=13.412,52.506&k=4&kind=sensor")
	pg := decodePage(t, r)
	fs := pg.features(t)
	if len(fs) != 4 {
		t.Fatalf("%d features: %s", len(fs), r.body)
	}
	for i, f := range fs {
		d := f.Properties["distance_m"].(float64)
		if f.ID != all[i].id || math.Abs(d-all[i].d) > 1e-6 {
			t.Errorf("%d: %s at %v m, want %s at %v m", i, f.ID, d, all[i].id, all[i].d)
		}
	}
	// As of t1 the bus was at 13.405; now it is at 13.410.
	for at, want := range map[string]float64{rfc(t1): 13.405, "": 13.410} {
		target := "/api/v1/nearest?point=13.405,52.4995&k=1&kind=vehicle"
		if at != "" {
			target += "&at=" + at
		}
		fs := decodePage(t, rf.get(t, target)).features(t)
		if len(fs) != 1 || fs[0].Geometry.Coordinates.([]any)[0] != want {
			t.Errorf("at %q: %+v", at, fs)
		}
	}
	wantProblem(t, rf.get(t, "/api/v1/nearest?k=3"), 400, "point")
	wantProblem(t, rf.get(t, "/api/v1/nearest?point=13.4,52.5&k=0"), 400, "k")
	wantProblem(t, rf.get(t, "/api/v1/nearest?point=13.4,52.5&limit=3"), 400, "limit")
	wantProblem(t, rf.get(t, "/api/v1/nearest?point=13.4"), 400, "point")
}

// TestParseQueryBodyErrors checks the exported parsers' error contract.
func TestParseQueryBodyErrors(t *testing.T) {
	_, err := ParseQueryBody([]byte(`{"limit":5,"where":["use=office"]}`))
	if err != nil {
		t.Fatal(err)
	}
	_, err = ParseQueryBody([]byte(`{"nope":1}`))
	var pe *ParamError
	if !errors.As(err, &pe) || pe.Name != "nope" {
		t.Errorf("err %v", err)
	}
	if _, err := ParseEntitiesParams(url.Values{"at": {"x"}}); !errors.As(err, &pe) || pe.Name != "at" {
		t.Errorf("err %v", err)
	}
}
