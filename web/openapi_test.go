package web

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

func TestOpenAPI(t *testing.T) {
	fx := newFixture(t)
	s, _ := newTestServer(t, fx, nil)
	h := s.Handler()
	r := get(t, h, "/api")
	if r.status != 200 || r.header.Get("Content-Type") != ContentTypeOpenAPI {
		t.Fatalf("%d %s", r.status, r.header.Get("Content-Type"))
	}
	var doc map[string]any
	if err := json.Unmarshal(r.body, &doc); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(doc["openapi"].(string), "3.0.") {
		t.Errorf("openapi %v", doc["openapi"])
	}
	if url := doc["servers"].([]any)[0].(map[string]any)["url"]; url != "http://twin.test" {
		t.Errorf("server url %v", url)
	}

	// Every $ref resolves.
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			if ref, ok := v["$ref"].(string); ok {
				var node any = doc
				for _, part := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
					m, _ := node.(map[string]any)
					node = m[part]
				}
				if node == nil {
					t.Errorf("$ref %s does not resolve", ref)
				}
			}
			for _, x := range v {
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	walk(doc)

	// The documented paths are exactly the served ones, and each answers GET.
	paths := doc["paths"].(map[string]any)
	var documented []string
	for p := range paths {
		if strings.HasPrefix(p, "/api/v1/") && p != "/api/v1/health" || strings.HasPrefix(p, tilesPath+"/") || strings.HasPrefix(p, "/3dtiles/") {
			continue // the REST API and the tiles: TestOpenAPIRoutes checks them
		}
		documented = append(documented, p)
		target := strings.NewReplacer("{collectionId}", "buildings", "{featureId}", "osm:way%2F100").Replace(p)
		if strings.HasSuffix(p, "/tgsequence") { // only moving features have one
			target = strings.NewReplacer("{collectionId}", "vehicles", "{featureId}", "veh:bus-1").Replace(p)
		}
		if r := get(t, h, target); r.status != 200 {
			t.Errorf("documented %s: GET %s = %d", p, target, r.status)
		}
	}
	slices.Sort(documented)
	want := []string{"/", "/api", "/api/v1/health", "/collections", "/collections/{collectionId}",
		"/collections/{collectionId}/items", "/collections/{collectionId}/items/{featureId}",
		"/collections/{collectionId}/items/{featureId}/tgsequence", "/collections/{collectionId}/queryables", "/conformance", "/metrics"}
	if !slices.Equal(documented, want) {
		t.Errorf("documented paths %v, want %v", documented, want)
	}

	// The items operation documents exactly the parameters the parser takes.
	params := doc["components"].(map[string]any)["parameters"].(map[string]any)
	var names []string
	for _, p := range paths["/collections/{collectionId}/items"].(map[string]any)["get"].(map[string]any)["parameters"].([]any) {
		ref := p.(map[string]any)["$ref"].(string)
		param := params[strings.TrimPrefix(ref, "#/components/parameters/")].(map[string]any)
		if param["in"] == "query" {
			names = append(names, param["name"].(string))
		}
	}
	if !slices.Equal(names, itemsParams) {
		t.Errorf("items parameters documented %v, parsed %v", names, itemsParams)
	}
}

// With the write side on, the document describes it, and what it describes is
// served.
func TestOpenAPIWrites(t *testing.T) {
	s, _ := ingestServer(t, nil)
	h := s.Handler()
	var doc map[string]any
	if err := json.Unmarshal(get(t, h, "/api").body, &doc); err != nil {
		t.Fatal(err)
	}
	paths := doc["paths"].(map[string]any)
	for path, method := range map[string]string{"/api/v1/observations": "post", "/api/v1/entities": "post", "/api/v1/deadletter": "get"} {
		op, ok := paths[path].(map[string]any)[method].(map[string]any)
		if !ok {
			t.Fatalf("%s %s not documented", method, path)
		}
		if method == "post" {
			if _, ok := op["requestBody"].(map[string]any)["content"].(map[string]any)["application/x-ndjson"]; !ok {
				t.Errorf("%s: request body types %v", path, op["requestBody"])
			}
		}
	}
	if r := post(t, h, "/api/v1/observations?format=json&entity=sensor:x", "", `{"metrics":{"pm25":1}}`); r.status != 422 {
		t.Errorf("documented parameters not served: %d %s", r.status, r.body)
	}
}
