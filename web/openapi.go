package web

import (
	"net/http"
	"strconv"
)

// obj is a JSON object of the OpenAPI document; maps marshal with sorted keys, so
// the document is stable.
type obj = map[string]any

func (s *Server) openAPI(w http.ResponseWriter, r *http.Request) {
	if !jsonOnly(w, r) {
		return
	}
	s.writeJSON(w, r, ContentTypeOpenAPI, openAPIDoc(s.base(r), s.cfg))
}

// openAPIDoc describes exactly the endpoints and parameters this server serves.
func openAPIDoc(base string, cfg Config) obj {
	ref := func(kind, name string) obj { return obj{"$ref": "#/components/" + kind + "/" + name} }
	content := func(mediaType, schema string) obj {
		return obj{mediaType: obj{"schema": ref("schemas", schema)}}
	}
	ok := func(desc, mediaType, schema string) obj {
		return obj{"description": desc, "content": content(mediaType, schema)}
	}
	problems := func(codes ...int) obj {
		out := obj{}
		for _, c := range codes {
			out[strconv.Itoa(c)] = ref("responses", "Problem")
		}
		return out
	}
	op := func(id, summary string, params []obj, resp obj, codes ...int) obj {
		for k, v := range problems(codes...) {
			resp[k] = v
		}
		o := obj{"operationId": id, "summary": summary, "responses": resp}
		if len(params) > 0 {
			o["parameters"] = params
		}
		return o
	}
	with := func(responses obj, code string, r obj) obj { responses[code] = r; return responses }
	fJSON := ref("parameters", "fJSON")

	landing := obj{"200": obj{
		"description": "The landing page: JSON, or HTML for browsers (Accept: text/html or f=html).",
		"content": obj{
			ContentTypeJSON: obj{"schema": ref("schemas", "LandingPage")},
			"text/html":     obj{"schema": obj{"type": "string"}},
		},
	}}
	paths := obj{
		"/": obj{"get": op("getLandingPage", "Landing page", []obj{ref("parameters", "fLanding")}, landing, 400, 500)},
		"/api": obj{"get": op("getAPI", "This OpenAPI document", []obj{fJSON},
			obj{"200": obj{"description": "The API definition.", "content": obj{ContentTypeOpenAPI: obj{"schema": obj{"type": "object"}}}}}, 400, 500)},
		"/conformance": obj{"get": op("getConformance", "Conformance classes implemented", []obj{fJSON},
			with(obj{}, "200", ok("The conformance declaration.", ContentTypeJSON, "Conformance")), 400, 500)},
		"/collections": obj{"get": op("getCollections", "The collections: one per kind of entity in the twin", []obj{fJSON},
			with(obj{}, "200", ok("The collections.", ContentTypeJSON, "Collections")), 400, 500)},
		"/collections/{collectionId}": obj{"get": op("describeCollection", "One collection", []obj{ref("parameters", "collectionId"), fJSON},
			with(obj{}, "200", ok("The collection.", ContentTypeJSON, "Collection")), 400, 404, 500)},
		"/collections/{collectionId}/items": obj{"get": op("getFeatures", "Features of a collection, now or as of an instant",
			[]obj{ref("parameters", "collectionId"), ref("parameters", "bbox"), ref("parameters", "datetime"), ref("parameters", "limit"),
				ref("parameters", "cursor"), ref("parameters", "where"), ref("parameters", "near"), ref("parameters", "h3"), ref("parameters", "fGeoJSON")},
			with(obj{}, "200", ok("A page of features. Unknown parameters are refused with 400.", ContentTypeGeoJSON, "FeatureCollection")), 400, 404, 500)},
		"/collections/{collectionId}/items/{featureId}": obj{"get": op("getFeature", "One feature, now or as of an instant",
			[]obj{ref("parameters", "collectionId"), ref("parameters", "featureId"), ref("parameters", "datetime"), ref("parameters", "fGeoJSON")},
			with(obj{}, "200", ok("The feature.", ContentTypeGeoJSON, "Feature")), 400, 404, 500)},
		"/api/v1/health": obj{"get": op("getHealth", "Health and size of the twin", nil,
			with(obj{}, "200", ok("The twin is serving.", ContentTypeJSON, "Health")), 500)},
	}

	query := func(name, desc string, schema obj, extra obj) obj {
		p := obj{"name": name, "in": "query", "required": false, "description": desc, "schema": schema}
		for k, v := range extra {
			p[k] = v
		}
		return p
	}
	format := func(values ...string) obj {
		return query("f", "The format of the response.", obj{"type": "string", "enum": values}, nil)
	}
	params := obj{
		"collectionId": obj{"name": "collectionId", "in": "path", "required": true, "schema": obj{"type": "string"},
			"description": "The plural of a kind of entity, e.g. buildings; /collections lists them."},
		"featureId": obj{"name": "featureId", "in": "path", "required": true, "schema": obj{"type": "string"},
			"description": "The entity id, path-escaped (osm:way%2F123)."},
		"bbox": query("bbox", "minLon,minLat,maxLon,maxLat in CRS84, or six numbers with heights whose 2D part is used. "+
			"minLon > maxLon crosses the antimeridian; minLat > maxLat is an error.",
			obj{"type": "array", "minItems": 4, "maxItems": 6, "items": obj{"type": "number"}},
			obj{"style": "form", "explode": false}),
		"datetime": query("datetime", "An RFC 3339 instant: the features as they were then. Intervals (a/b, ../b, a/..) are refused with 400: they come with the history API.",
			obj{"type": "string"}, nil),
		"limit": query("limit", "Features per page. A value above the server's cap ("+strconv.Itoa(cfg.MaxLimit)+") is capped.",
			obj{"type": "integer", "minimum": 1, "maximum": MaxPageLimit, "default": cfg.DefaultLimit}, nil),
		"cursor": query("cursor", "citytwin: where the page starts; copy it from the next link of the previous page.",
			obj{"type": "string"}, nil),
		"where": query("where", "citytwin: a property filter, repeatable (all must hold): key=value, key!=value, key<value, key<=value, "+
			"key>value, key>=value, or key (exists). Values that read as numbers compare as numbers, true/false as booleans; quote to force a string.",
			obj{"type": "array", "maxItems": maxFilters, "items": obj{"type": "string"}}, obj{"style": "form", "explode": true}),
		"near": query("near", "citytwin: lon,lat,radius_m: features within radius_m metres (true distance to the geometry).",
			obj{"type": "array", "minItems": 3, "maxItems": 3, "items": obj{"type": "number"}}, obj{"style": "form", "explode": false}),
		"h3": query("h3", "citytwin: H3 cell indexes (hex), comma-separated or repeated: features whose point or centre lies in any of them.",
			obj{"type": "array", "maxItems": maxCells, "items": obj{"type": "string"}}, obj{"style": "form", "explode": false}),
		"fJSON":    format("json"),
		"fGeoJSON": format("json", "geojson"),
		"fLanding": format("json", "html"),
	}

	str := obj{"type": "string"}
	link := ref("schemas", "Link")
	links := obj{"type": "array", "items": link}
	schemas := obj{
		"Link": obj{"type": "object", "required": []string{"href", "rel"}, "properties": obj{
			"href": str, "rel": str, "type": str, "title": str}},
		"LandingPage": obj{"type": "object", "required": []string{"links"}, "properties": obj{
			"title": str, "description": str, "links": links}},
		"Conformance": obj{"type": "object", "required": []string{"conformsTo"}, "properties": obj{
			"conformsTo": obj{"type": "array", "items": str}}},
		"Collection": obj{"type": "object", "required": []string{"id", "links"}, "properties": obj{
			"id": str, "title": str, "description": str, "itemType": str,
			"crs":   obj{"type": "array", "items": str},
			"links": links,
			"extent": obj{"type": "object", "properties": obj{
				"spatial": obj{"type": "object", "properties": obj{
					"bbox": obj{"type": "array", "items": obj{"type": "array", "minItems": 4, "maxItems": 4, "items": obj{"type": "number"}}},
					"crs":  str}},
				"temporal": obj{"type": "object", "properties": obj{
					"interval": obj{"type": "array", "items": obj{"type": "array", "minItems": 2, "maxItems": 2, "items": obj{"type": "string", "format": "date-time", "nullable": true}}},
					"trs":      str}}}}}},
		"Collections": obj{"type": "object", "required": []string{"links", "collections"}, "properties": obj{
			"links": links, "collections": obj{"type": "array", "items": ref("schemas", "Collection")}}},
		"Feature": obj{"type": "object", "required": []string{"type", "id", "geometry", "properties"}, "properties": obj{
			"type":     obj{"type": "string", "enum": []string{"Feature"}},
			"id":       str,
			"geometry": obj{"type": "object", "nullable": true, "description": "A GeoJSON geometry in CRS84."},
			"properties": obj{"type": "object", "description": "The entity's properties, plus kind, version, valid_from (RFC 3339), " +
				"and height, min_height (metres), levels when known and moving when true. These take precedence over source properties of the same name."},
			"relations": obj{"type": "array", "description": "Links to other entities.", "items": obj{"type": "object", "properties": obj{
				"rel": str, "to": str}}},
			"provenance": obj{"type": "array", "description": "Which source said what, and when.", "items": obj{"type": "object", "properties": obj{
				"source": str, "time": obj{"type": "string", "format": "date-time"}, "note": str}}},
			"links": links}},
		"FeatureCollection": obj{"type": "object", "required": []string{"type", "features"}, "properties": obj{
			"type":           obj{"type": "string", "enum": []string{"FeatureCollection"}},
			"features":       obj{"type": "array", "items": ref("schemas", "Feature")},
			"numberMatched":  obj{"type": "integer", "minimum": 0},
			"numberReturned": obj{"type": "integer", "minimum": 0},
			"timeStamp":      obj{"type": "string", "format": "date-time"},
			"links":          links}},
		"Health": obj{"type": "object", "properties": obj{
			"status": str, "entities": obj{"type": "integer"}, "seq": obj{"type": "integer"},
			"kinds":    obj{"type": "object", "additionalProperties": obj{"type": "integer"}},
			"uptime_s": obj{"type": "number"}}},
		"Problem": obj{"type": "object", "description": "RFC 9457 problem details.", "properties": obj{
			"type": str, "title": str, "status": obj{"type": "integer"}, "detail": str, "instance": str,
			"invalid-params": obj{"type": "array", "items": obj{"type": "object", "properties": obj{"name": str, "reason": str}}}}},
	}

	return obj{
		"openapi": "3.0.3",
		"info": obj{
			"title":       cfg.Title,
			"description": cfg.Description + " OGC API – Features Part 1 (core, GeoJSON, OpenAPI 3.0) with citytwin extensions.",
			"version":     "1.0.0",
		},
		"servers": []obj{{"url": base}},
		"paths":   paths,
		"components": obj{
			"parameters": params,
			"schemas":    schemas,
			"responses": obj{"Problem": obj{
				"description": "An error, naming the parameter at fault.",
				"content":     obj{ContentTypeProblem: obj{"schema": ref("schemas", "Problem")}},
			}},
		},
	}
}
