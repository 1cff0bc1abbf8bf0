package web

import (
	"net/http"
	"strconv"

	"citytwin/ingest/importer"
)

// obj is a JSON object of the OpenAPI document; maps marshal with sorted keys, so
// the document is stable.
type obj = map[string]any

func (s *Server) openAPI(w http.ResponseWriter, r *http.Request) {
	if !jsonOnly(w, r) {
		return
	}
	s.writeJSON(w, r, ContentTypeOpenAPI, openAPIDoc(s.base(r), s.cfg, s.gateway != nil, s.fences != nil, s.scenarios != nil))
}

// openAPIDoc describes exactly the endpoints and parameters this server serves.
// writes adds the write side (WithIngest), fences the geofence routes,
// scenarios the scenario routes.
func openAPIDoc(base string, cfg Config, writes, fences, scenarios bool) obj {
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
				ref("parameters", "cursor"), ref("parameters", "where"), ref("parameters", "near"), ref("parameters", "h3"),
				ref("parameters", "filter"), ref("parameters", "filter-lang"), ref("parameters", "filter-crs"), ref("parameters", "fGeoJSON")},
			with(obj{}, "200", ok("A page of features. Unknown parameters are refused with 400.", ContentTypeGeoJSON, "FeatureCollection")), 400, 404, 500)},
		"/collections/{collectionId}/items/{featureId}/tgsequence": obj{"get": op("getTemporalGeometrySequence",
			"OGC API - Moving Features: the track of a moving feature as an MF-JSON TemporalGeometrySequence (one MovingPoint)",
			[]obj{ref("parameters", "collectionId"), ref("parameters", "featureId"),
				{"name": "datetime", "in": "query", "schema": obj{"type": "string"},
					"description": "An instant (the track up to it) or an interval a/b, ../b, a/.. (the part within it, ends inclusive)."},
				{"name": "limit", "in": "query", "schema": obj{"type": "integer", "minimum": 1, "maximum": maxTrackPoints},
					"description": "At most this many positions; a next link continues."}, fJSON},
			obj{"200": obj{"description": "The track: datetimes and coordinates, linear interpolation.", "content": obj{ContentTypeJSON: obj{"schema": obj{"type": "object"}}}}}, 400, 404, 500)},
		"/collections/{collectionId}/queryables": obj{"get": op("getQueryables", "What filters on a collection may name, as a JSON Schema",
			[]obj{ref("parameters", "collectionId"), fJSON},
			obj{"200": obj{"description": "The queryable properties and their types.", "content": obj{ContentTypeSchema: obj{"schema": obj{"type": "object"}}}}}, 400, 404, 500)},
		"/collections/{collectionId}/items/{featureId}": obj{"get": op("getFeature", "One feature, now or as of an instant",
			[]obj{ref("parameters", "collectionId"), ref("parameters", "featureId"), ref("parameters", "datetime"), ref("parameters", "fGeoJSON")},
			with(obj{}, "200", ok("The feature.", ContentTypeGeoJSON, "Feature")), 400, 404, 500)},
		"/api/v1/health": obj{"get": op("getHealth", "Health and size of the twin, and its log and snapshots", nil,
			with(obj{"503": ok("The log has failed: reads work, writes are refused.", ContentTypeJSON, "Health")},
				"200", ok("The twin is serving.", ContentTypeJSON, "Health")), 500)},
		"/metrics": obj{"get": op("getMetrics", "Prometheus metrics", nil,
			obj{"200": obj{"description": "The metrics in the Prometheus text format.", "content": obj{"text/plain": obj{"schema": obj{"type": "string"}}}}})},
	}
	if writes {
		report := obj{
			"200": ok("At least one record was taken (or there were none); errors lists the others.", ContentTypeJSON, "IngestReport"),
			"422": ok("Records were sent and none was taken; errors says why.", ContentTypeJSON, "IngestReport"),
		}
		tooMany := obj{"description": "The log is behind: nothing was taken. Retry after Retry-After seconds.",
			"headers": obj{"Retry-After": obj{"schema": obj{"type": "integer"}}},
			"content": obj{ContentTypeProblem: obj{"schema": ref("schemas", "Problem")}}}
		text := obj{"schema": obj{"type": "string"}}
		records := obj{"schema": obj{"type": "array", "items": obj{"type": "object"}}}
		paths["/api/v1/observations"] = obj{"post": with(op("postObservations", "Readings: SenML (RFC 8428) or the plain JSON form, each record taken or refused on its own",
			[]obj{ref("parameters", "entity"), ref("parameters", "format")}, with(report, "429", tooMany), 400, 413, 500, 503),
			"requestBody", obj{"required": true, "content": obj{
				"application/senml+json":   records,
				"application/senml+ndjson": text,
				ContentTypeJSON:            obj{"schema": obj{}},
				"application/x-ndjson":     text,
			}})}
		paths["/api/v1/entities"] = obj{"post": with(op("postEntities", "Upsert entities from GeoJSON features (id = entity id, properties.kind = its kind)",
			[]obj{ref("parameters", "kind")}, with(obj{
				"200": ok("At least one feature was taken; errors lists the others.", ContentTypeJSON, "IngestReport"),
				"422": ok("No feature was taken; errors says why.", ContentTypeJSON, "IngestReport"),
			}, "429", tooMany), 400, 413, 500, 503),
			"requestBody", obj{"required": true, "content": obj{
				ContentTypeGeoJSON:     obj{"schema": obj{"type": "object", "description": "A FeatureCollection or a Feature."}},
				"application/x-ndjson": text,
			}})}
		paths["/api/v1/imports"] = obj{"post": with(op("postImport", "Import a whole file (OSM, CityJSON, IFC, GTFS, GeoJSON, CSV, GTFS-realtime, TSBS) with the importers of `citytwin import`",
			[]obj{ref("parameters", "importFormat"), ref("parameters", "importName")},
			obj{"200": obj{"description": "What the import did: records, entities by kind, buildings fused, rejects (in the dead letters).",
				"content": obj{ContentTypeJSON: obj{"schema": obj{"type": "object"}}}}}, 400, 413, 500, 503),
			"requestBody", obj{"required": true, "content": obj{"application/octet-stream": obj{"schema": obj{"type": "string", "format": "binary"}}}})}
		paths["/api/v1/deadletter"] = obj{"get": op("getDeadLetters", "Rejected input, newest first", []obj{ref("parameters", "deadLimit")},
			with(obj{}, "200", ok("The dead letters.", ContentTypeJSON, "DeadLetters")), 400, 500)}
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
		"datetime": query("datetime", "An RFC 3339 instant: the features as they were then; or an interval a/b, ../b or a/.. (ends inclusive): every feature valid at some instant of it, as it was when it last matched.",
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
		"filter": query("filter", "A CQL2 text filter (OGC API Features Part 3): comparisons, LIKE, BETWEEN, IN, IS NULL, CASEI, arithmetic, "+
			"S_INTERSECTS/S_WITHIN/S_CONTAINS/S_EQUALS/S_DISJOINT with WKT or BBOX, and temporal functions; /collections/{collectionId}/queryables lists the names. "+
			"Example: height > 20 AND S_INTERSECTS(geometry, BBOX(24.93,60.16,24.95,60.17)).",
			obj{"type": "string", "maxLength": 65536}, nil),
		"filter-lang": query("filter-lang", "The language of filter: cql2-text.", obj{"type": "string", "enum": []string{"cql2-text"}, "default": "cql2-text"}, nil),
		"filter-crs":  query("filter-crs", "The CRS of the filter's geometries: CRS84 (lon/lat).", obj{"type": "string", "enum": []string{CRS84}, "default": CRS84}, nil),
		"entity":      query("entity", "The default entity of records that name none.", obj{"type": "string"}, nil),
		"format": query("format", "The payload's format, instead of the Content-Type.",
			obj{"type": "string", "enum": []string{"senml", "senml-ndjson", "json"}}, nil),
		"kind":         query("kind", "The kind of features without properties.kind.", obj{"type": "string"}, nil),
		"importFormat": query("format", "The file's format when its content does not tell.", obj{"type": "string", "enum": importer.Formats}, nil),
		"importName":   query("name", "The file's name, for provenance and dead letters.", obj{"type": "string"}, nil),
		"deadLimit":    query("limit", "How many to list.", obj{"type": "integer", "minimum": 1, "maximum": 10000, "default": 100}, nil),
		"fJSON":        format("json"),
		"fGeoJSON":     format("json", "geojson"),
		"fLanding":     format("json", "html"),
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
			"uptime_s": obj{"type": "number"},
			"auth":     obj{"type": "string", "enum": []string{"bearer"}, "description": "Present when reading needs a bearer token."},
			"durability": obj{"type": "object", "description": "The write-ahead log and snapshots; absent when the twin lives in memory only.", "properties": obj{
				"dir": str, "fsync": obj{"type": "string", "enum": []string{"always", "batch", "off"}},
				"seq": obj{"type": "integer"}, "synced_seq": obj{"type": "integer"}, "snapshot_seq": obj{"type": "integer"},
				"snapshot_time": obj{"type": "string", "format": "date-time"}, "snapshot_pause_ms": obj{"type": "number"},
				"log_segments": obj{"type": "integer"}, "log_bytes": obj{"type": "integer"}, "log_pending_bytes": obj{"type": "integer"},
				"log_since_snapshot_bytes": obj{"type": "integer"}, "failed": str}}}},
		"IngestReport": obj{"type": "object", "required": []string{"records", "accepted", "rejected", "seq"}, "properties": obj{
			"records": obj{"type": "integer"}, "accepted": obj{"type": "integer"}, "rejected": obj{"type": "integer"},
			"seq": obj{"type": "integer", "description": "The twin's sequence number after the write."},
			"errors": obj{"type": "array", "items": obj{"type": "object", "properties": obj{
				"index": obj{"type": "integer", "description": "The record's (or feature's) index in the payload; -1 for several."},
				"line":  obj{"type": "integer"}, "name": str, "reason": str}}}}},
		"DeadLetters": obj{"type": "object", "properties": obj{
			"total":     obj{"type": "integer"},
			"by_source": obj{"type": "object", "additionalProperties": obj{"type": "integer"}},
			"letters": obj{"type": "array", "items": obj{"type": "object", "properties": obj{
				"time": obj{"type": "string", "format": "date-time"}, "source": str, "where": str, "reason": str, "raw": str}}}}},
		"Problem": obj{"type": "object", "description": "RFC 9457 problem details.", "properties": obj{
			"type": str, "title": str, "status": obj{"type": "integer"}, "detail": str, "instance": str,
			"invalid-params": obj{"type": "array", "items": obj{"type": "object", "properties": obj{"name": str, "reason": str}}}}},
	}
	restOpenAPI(paths, params, schemas, writes)
	tilesOpenAPI(paths, params, schemas)
	tiles3dOpenAPI(paths, params, schemas)
	streamOpenAPI(paths)
	if fences {
		fenceOpenAPI(paths, schemas)
	}
	if scenarios {
		scenarioOpenAPI(paths, schemas)
	}

	doc := obj{
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
			"securitySchemes": obj{"bearer": obj{"type": "http", "scheme": "bearer",
				"description": "A token given to the server (serve --token role:name:secret or --tokens FILE). Roles: viewer reads; " +
					"operator also writes live data, entities, geofences and alert rules; planner also runs scenarios; admin does everything. " +
					"Websocket clients may pass it as ?access_token=. /api/v1/health needs none."}},
		},
	}
	if len(cfg.Tokens) > 0 {
		// Every operation needs a token, anonymous reads too unless PublicRead.
		security := []obj{{"bearer": []string{}}}
		if cfg.PublicRead {
			security = append(security, obj{})
		}
		doc["security"] = security
	}
	return doc
}
