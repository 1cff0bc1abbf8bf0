package web

import (
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// registeredRoutes reads the patterns Server.routes registers, from the source:
// a ServeMux cannot list them. Constants named in a pattern are resolved from
// the package's files.
func registeredRoutes(t *testing.T) []string {
	t.Helper()
	fset := token.NewFileSet()
	consts := map[string]string{}
	var server *ast.File
	files, _ := filepath.Glob("*.go")
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		f, err := parser.ParseFile(fset, name, src, 0)
		if err != nil {
			t.Fatal(err)
		}
		if name == "server.go" {
			server = f
		}
		ast.Inspect(f, func(n ast.Node) bool {
			if vs, ok := n.(*ast.ValueSpec); ok {
				for i, id := range vs.Names {
					if i < len(vs.Values) {
						if lit, ok := vs.Values[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
							consts[id.Name], _ = strconv.Unquote(lit.Value)
						}
					}
				}
			}
			return true
		})
	}
	var eval func(e ast.Expr) string
	eval = func(e ast.Expr) string {
		switch e := e.(type) {
		case *ast.BasicLit:
			s, _ := strconv.Unquote(e.Value)
			return s
		case *ast.Ident:
			s, ok := consts[e.Name]
			if !ok {
				t.Fatalf("route pattern names %s, which is not a string constant", e.Name)
			}
			return s
		case *ast.BinaryExpr:
			return eval(e.X) + eval(e.Y)
		}
		t.Fatalf("cannot read a route pattern of type %T", e)
		return ""
	}
	var routes []string
	ast.Inspect(server, func(n ast.Node) bool {
		fn, ok := n.(*ast.FuncDecl)
		if !ok || fn.Name.Name != "routes" {
			return true
		}
		ast.Inspect(fn.Body, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			if sel, ok := call.Fun.(*ast.SelectorExpr); ok && (sel.Sel.Name == "HandleFunc" || sel.Sel.Name == "Handle") && len(call.Args) == 2 {
				routes = append(routes, eval(call.Args[0]))
			}
			return true
		})
		return false
	})
	if len(routes) < 10 {
		t.Fatalf("found only %d routes in server.go: %v", len(routes), routes)
	}
	return routes
}

// docPath turns a ServeMux pattern's path into an OpenAPI path.
func docPath(p string) string {
	p = strings.TrimSuffix(p, "{$}")
	return strings.ReplaceAll(p, "...}", "}")
}

// example is a request that shows an operation's answer.
type example struct {
	method, target, body string
	header               []string
	status               int
}

// TestOpenAPIRoutes checks that the OpenAPI document describes exactly the
// routes the server registers, and that an example request of every operation
// gets an answer the document describes: a documented status with a documented
// content type, and a JSON body that has the documented schema.
func TestOpenAPIRoutes(t *testing.T) {
	rf := newRESTFixture(t)
	r := rf.get(t, "/api/v1/openapi.json")
	var doc map[string]any
	if err := json.Unmarshal(r.body, &doc); err != nil || r.status != 200 {
		t.Fatalf("%d %v", r.status, err)
	}
	if api := rf.get(t, "/api"); string(api.body) != string(r.body) {
		t.Error("/api and /api/v1/openapi.json differ")
	}
	paths := doc["paths"].(map[string]any)

	// Registered ⇔ documented.
	registered := map[string]bool{}
	for _, route := range registeredRoutes(t) {
		method, path, _ := strings.Cut(route, " ")
		key := strings.ToLower(method) + " " + docPath(path)
		registered[key] = true
		if key == "get /collections/{collectionId}/items/{featureId}" {
			// The same route serves a moving feature's track (items.go).
			registered["get /collections/{collectionId}/items/{featureId}/tgsequence"] = true
		}
		item, _ := paths[docPath(path)].(map[string]any)
		if _, ok := item[strings.ToLower(method)]; !ok {
			t.Errorf("route %q is not documented", route)
		}
	}
	var ops []string
	for path, item := range paths {
		for method := range item.(map[string]any) {
			key := method + " " + path
			ops = append(ops, key)
			if !registered[key] {
				t.Errorf("documented %s is not served", key)
			}
		}
	}
	slices.Sort(ops)

	// Every operation has examples; their answers are documented ones.
	s := rf.get(t, "/api/v1/entities/sensor:aq-1").header.Get("ETag")
	examples := map[string][]example{
		"get /":                           {{target: "/", status: 200}, {target: "/?f=xml", status: 400}},
		"get /api":                        {{target: "/api", status: 200}},
		"get /api/v1/openapi.json":        {{target: "/api/v1/openapi.json", status: 200}, {target: "/api/v1/openapi.json?f=yaml", status: 400}},
		"get /conformance":                {{target: "/conformance", status: 200}},
		"get /collections":                {{target: "/collections", status: 200}},
		"get /collections/{collectionId}": {{target: "/collections/buildings", status: 200}, {target: "/collections/nope", status: 404}},
		"get /collections/{collectionId}/items": {{target: "/collections/buildings/items?limit=2", status: 200},
			{target: "/collections/buildings/items?filter=" + url.QueryEscape("height > 10 AND S_INTERSECTS(geometry, BBOX(13.3,52.4,13.5,52.6))"), status: 200},
			{target: "/collections/buildings/items?filter=" + url.QueryEscape("height >"), status: 400}},
		"get /collections/{collectionId}/items/{featureId}/tgsequence": {{target: "/collections/vehicles/items/veh:bus-1/tgsequence?limit=1", status: 200},
			{target: "/collections/buildings/items/osm:way%2F101/tgsequence", status: 404}},
		"get /collections/{collectionId}/queryables":        {{target: "/collections/buildings/queryables", status: 200}, {target: "/collections/nope/queryables", status: 404}},
		"get /collections/{collectionId}/items/{featureId}": {{target: "/collections/buildings/items/osm:way%2F101", status: 200}},
		"get /api/v1/health":                                {{target: "/api/v1/health", status: 200}},
		"get /metrics":                                      {{target: "/metrics", status: 200}},
		"get /api/v1/deadletter":                            {{target: "/api/v1/deadletter", status: 200}},
		"post /api/v1/observations":                         {{method: "POST", target: "/api/v1/observations?format=json&entity=sensor:aq-1", body: `{"metrics":{"pm25":1}}`, status: 200}},
		"post /api/v1/entities":                             {{method: "POST", target: "/api/v1/entities", body: twoSensors, header: []string{"Content-Type", ContentTypeGeoJSON}, status: 200}},
		"post /api/v1/imports":                              {{method: "POST", target: "/api/v1/imports?format=nope", body: "x", status: 400}},
		"get /api/v1/entities":                              {{target: "/api/v1/entities?kind=building&limit=2", status: 200}, {target: "/api/v1/entities?bbxo=1", status: 400}},
		"get /api/v1/entities/{id}":                         {{target: "/api/v1/entities/osm:way%2F101?at=" + rfc(t1), status: 200}, {target: "/api/v1/entities/nope", status: 404}},
		"put /api/v1/entities/{id}": {
			{method: "PUT", target: "/api/v1/entities/sensor:put", body: `{"type":"Feature","geometry":{"type":"Point","coordinates":[13.4,52.5]},"properties":{"kind":"sensor"}}`, status: 201},
			{method: "PUT", target: "/api/v1/entities/sensor:aq-1", body: `{"type":"Feature","geometry":null,"properties":{}}`, header: []string{"If-Match", `"99"`}, status: 412},
		},
		"patch /api/v1/entities/{id}":               {{method: "PATCH", target: "/api/v1/entities/sensor:aq-1", body: `{"properties":{"note":"x"}}`, header: []string{"If-Match", s}, status: 200}},
		"delete /api/v1/entities/{id}":              {{method: "DELETE", target: "/api/v1/entities/sensor:aq-0", status: 204}, {method: "DELETE", target: "/api/v1/entities/nope", status: 404}},
		"get /api/v1/entities/{id}/history":         {{target: "/api/v1/entities/osm:way%2F123/history", status: 200}},
		"get /api/v1/entities/{id}/links":           {{target: "/api/v1/entities/sensor:aq-2/links", status: 200}},
		"get /api/v1/entities/{id}/provenance":      {{target: "/api/v1/entities/osm:way%2F101/provenance", status: 200}},
		"get /api/v1/entities/{id}/metrics":         {{target: "/api/v1/entities/sensor:aq-2/metrics", status: 200}},
		"get /api/v1/entities/{id}/series/{metric}": {{target: "/api/v1/entities/sensor:aq-2/series/pm25?last=2", status: 200}, {target: "/api/v1/entities/sensor:aq-2/series/pm25?format=columns", status: 200}, {target: "/api/v1/entities/sensor:aq-2/series/no2", status: 404}},
		"post /api/v1/query":                        {{method: "POST", target: "/api/v1/query", body: `{"kinds":["sensor"],"limit":2}`, status: 200}, {method: "POST", target: "/api/v1/query", body: `{"x":1}`, status: 400}},
		"get /api/v1/nearest":                       {{target: "/api/v1/nearest?point=13.41,52.505&k=2", status: 200}},
		"get /api/v1/latest":                        {{target: "/api/v1/latest?metric=pm25&kind=sensor", status: 200}, {target: "/api/v1/latest?metric=pm25&format=columns", status: 200}},
		"get /api/v1/aggregate":                     {{target: "/api/v1/aggregate?metric=pm25&by=time&step=1h", status: 200}, {target: "/api/v1/aggregate?metric=pm25", status: 200}},
		"get /api/v1/h3":                            {{target: "/api/v1/h3?res=8&metric=pm25", status: 200}, {target: "/api/v1/h3?res=8&metric=pm25&format=binary", status: 200}, {target: "/api/v1/h3?res=8&metric=pm25&format=xml", status: 400}},
		"get /api/v1/geofences/events":              {{target: "/api/v1/geofences/events?after=0&limit=10", status: 200}, {target: "/api/v1/geofences/events?kind=leave", status: 400}},
		"get /api/v1/geofences/endpoints":           {{target: "/api/v1/geofences/endpoints", status: 200}},
		"post /api/v1/geofences/endpoints":          {{method: "POST", target: "/api/v1/geofences/endpoints", body: `{"id":"ops","kind":"webhook","url":"http://127.0.0.1:9/hook"}`, status: 201}, {method: "POST", target: "/api/v1/geofences/endpoints", body: `{"id":"x","kind":"pigeon"}`, status: 422}},
		"delete /api/v1/geofences/endpoints/{id}":   {{method: "DELETE", target: "/api/v1/geofences/endpoints/nope", status: 404}},
		"get /api/v1/h3/cells":                      {{target: "/api/v1/h3/cells?res=8&bbox=13.4,52.5,13.42,52.51", status: 200}},
		"get /tiles/{layer}/{z}/{x}/{y}": {{target: "/tiles/buildings/15/17604/10748.mvt", status: 200},
			{target: "/tiles/h3/15/17604/10748.mvt?metric=pm25&res=9", status: 200},
			{target: "/tiles/buildings/15/17604/99999.mvt", status: 400}, {target: "/tiles/nope/1/0/0.mvt", status: 404}},
		"get /tiles/{name}": {{target: "/tiles/buildings.json", status: 200}, {target: "/tiles/h3.json?metric=pm25", status: 200},
			{target: "/tiles/h3.json", status: 400}, {target: "/tiles/nope.json", status: 404}},
		"get /api/v1/entities/{id}/glb": {{target: "/api/v1/entities/osm:way%2F101/glb?lod=1", status: 200},
			{target: "/api/v1/entities/nope/glb", status: 404}, {target: "/api/v1/entities/osm:way%2F101/glb?lod=3", status: 400}},
		"get /api/v1/glb": {{target: "/api/v1/glb?bbox=13.39,52.49,13.43,52.52&kind=building&lod=2", status: 200},
			{target: "/api/v1/glb?lod=1", status: 400}},
		"get /3dtiles/tileset.json": {{target: "/3dtiles/tileset.json", status: 200}, {target: "/3dtiles/tileset.json?lod=1", status: 200},
			{target: "/3dtiles/tileset.json?lod=3", status: 400}},
		"get /3dtiles/content/{level}/{x}/{y}": {{target: "/3dtiles/content/0/0/0.glb?lod=2", status: 200},
			{target: "/3dtiles/content/0/0/0.glb", status: 304, header: []string{"If-None-Match", "*"}},
			{target: "/3dtiles/content/5/0/0.glb", status: 404}, {target: "/3dtiles/content/0/0/0.b3dm", status: 400}},
		"get /api/v1/scenarios": {{target: "/api/v1/scenarios", status: 200}},
		"post /api/v1/scenarios": {{method: "POST", target: "/api/v1/scenarios", body: `{"model":"boat"}`, status: 422},
			{method: "POST", target: "/api/v1/scenarios", body: `{"model":"flood","interventions":[{"type":"rain","mm_per_h":50}]}`, status: 422},
			{method: "POST", target: "/api/v1/scenarios", body: `{"model":`, status: 400}},
		"get /api/v1/scenarios/{id}":                   {{target: "/api/v1/scenarios/nope", status: 404}},
		"delete /api/v1/scenarios/{id}":                {{method: "DELETE", target: "/api/v1/scenarios/nope", status: 404}},
		"post /api/v1/scenarios/{id}/run":              {{method: "POST", target: "/api/v1/scenarios/nope/run", status: 404}, {method: "POST", target: "/api/v1/scenarios/nope/run?resume=maybe", status: 400}},
		"post /api/v1/scenarios/{id}/cancel":           {{method: "POST", target: "/api/v1/scenarios/nope/cancel", status: 404}},
		"get /api/v1/scenarios/{id}/results":           {{target: "/api/v1/scenarios/nope/results", status: 404}},
		"get /api/v1/scenarios/{id}/compare":           {{target: "/api/v1/scenarios/nope/compare", status: 404}, {target: "/api/v1/scenarios/nope/compare?limit=0", status: 400}},
		"get /api/v1/scenarios/{id}/entities/{entity}": {{target: "/api/v1/scenarios/nope/entities/synth:road%2F1", status: 404}},
		"get /api/v1/scenarios/{id}/h3":                {{target: "/api/v1/scenarios/nope/h3?res=9", status: 404}, {target: "/api/v1/scenarios/nope/h3?res=99", status: 400}},
		"get /api/v1/scenarios/{id}/plots/{name}":      {{target: "/api/v1/scenarios/nope/plots/network_flow.svg", status: 404}},
		"get /api/v1/stream": {{target: "/api/v1/stream", status: 426},
			{target: "/api/v1/stream", header: []string{"Connection", "Upgrade", "Upgrade", "websocket"}, status: 400}},
	}
	for _, key := range ops {
		exs := examples[key]
		if len(exs) == 0 {
			t.Errorf("%s: no example request", key)
			continue
		}
		method, path, _ := strings.Cut(key, " ")
		op := paths[path].(map[string]any)[method].(map[string]any)
		responses := op["responses"].(map[string]any)
		for _, ex := range exs {
			if ex.method == "" {
				ex.method = http.MethodGet
			}
			r := rf.call(t, ex.method, ex.target, ex.body, ex.header...)
			if r.status != ex.status {
				t.Errorf("%s %s: %d, want %d: %.300s", ex.method, ex.target, r.status, ex.status, r.body)
				continue
			}
			resp, ok := responses[strconv.Itoa(r.status)].(map[string]any)
			if !ok {
				t.Errorf("%s %s: status %d is not documented", ex.method, ex.target, r.status)
				continue
			}
			resp = resolve(doc, resp)
			content, _ := resp["content"].(map[string]any)
			if len(content) == 0 {
				if len(r.body) != 0 {
					t.Errorf("%s %s: a body where none is documented", ex.method, ex.target)
				}
				continue
			}
			ct := r.header.Get("Content-Type")
			media, ok := content[ct].(map[string]any)
			if !ok {
				mt, _, _ := strings.Cut(ct, ";")
				if media, ok = content[mt].(map[string]any); !ok {
					t.Errorf("%s %s: Content-Type %q not documented for %d", ex.method, ex.target, ct, r.status)
					continue
				}
			}
			if !strings.Contains(ct, "json") {
				continue
			}
			var body any
			if err := json.Unmarshal(r.body, &body); err != nil {
				t.Errorf("%s %s: %v", ex.method, ex.target, err)
				continue
			}
			for _, err := range validate(doc, media["schema"], body, "body") {
				t.Errorf("%s %s: %s", ex.method, ex.target, err)
			}
		}
	}
}

// resolve follows a $ref.
func resolve(doc map[string]any, node map[string]any) map[string]any {
	for {
		ref, ok := node["$ref"].(string)
		if !ok {
			return node
		}
		var cur any = doc
		for _, part := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
			cur = cur.(map[string]any)[part]
		}
		node = cur.(map[string]any)
	}
}

// validate checks v against the parts of an OpenAPI 3.0 schema the document
// uses: $ref, allOf, type, nullable, enum, required, properties,
// additionalProperties: false, items, minItems and maxItems.
func validate(doc map[string]any, schema any, v any, at string) []string {
	s, ok := schema.(map[string]any)
	if !ok {
		return nil
	}
	s = resolve(doc, s)
	var errs []string
	for _, sub := range asSlice(s["allOf"]) {
		errs = append(errs, validate(doc, sub, v, at)...)
	}
	if v == nil {
		if s["nullable"] == true || s["type"] == nil {
			return errs
		}
		return append(errs, at+": null is not nullable")
	}
	typ, _ := s["type"].(string)
	switch x := v.(type) {
	case map[string]any:
		if typ != "" && typ != "object" {
			return append(errs, at+": an object, want "+typ)
		}
		for _, r := range asSlice(s["required"]) {
			if _, ok := x[r.(string)]; !ok {
				errs = append(errs, at+": missing "+r.(string))
			}
		}
		props, _ := s["properties"].(map[string]any)
		for k, val := range x {
			if ps, ok := props[k]; ok {
				errs = append(errs, validate(doc, ps, val, at+"."+k)...)
			} else if s["additionalProperties"] == false {
				errs = append(errs, at+": unexpected "+k)
			} else if ap, ok := s["additionalProperties"].(map[string]any); ok {
				errs = append(errs, validate(doc, ap, val, at+"."+k)...)
			}
		}
	case []any:
		if typ != "" && typ != "array" {
			return append(errs, at+": an array, want "+typ)
		}
		if n, ok := s["minItems"].(float64); ok && float64(len(x)) < n {
			errs = append(errs, at+": too few items")
		}
		if n, ok := s["maxItems"].(float64); ok && float64(len(x)) > n {
			errs = append(errs, at+": too many items")
		}
		for i, item := range x {
			errs = append(errs, validate(doc, s["items"], item, at+"["+strconv.Itoa(i)+"]")...)
		}
	case string:
		if typ != "" && typ != "string" {
			errs = append(errs, at+": a string, want "+typ)
		}
		if enum := asSlice(s["enum"]); enum != nil && !slices.Contains(enum, any(x)) {
			errs = append(errs, at+": "+x+" not in the enum")
		}
	case float64:
		if typ != "" && typ != "number" && !(typ == "integer" && x == float64(int64(x))) {
			errs = append(errs, at+": a number, want "+typ)
		}
	case bool:
		if typ != "" && typ != "boolean" {
			errs = append(errs, at+": a boolean, want "+typ)
		}
	}
	return errs
}

func asSlice(v any) []any {
	s, _ := v.([]any)
	return s
}
