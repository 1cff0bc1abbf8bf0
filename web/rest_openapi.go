package web

import (
	"strconv"
)

// restOpenAPI adds the developer REST API under /api/v1 to the OpenAPI
// document's paths, parameters and schemas. writes adds PUT, PATCH and DELETE
// of entities (WithIngest).
func restOpenAPI(paths, params, schemas obj, writes bool) {
	ref := func(kind, name string) obj { return obj{"$ref": "#/components/" + kind + "/" + name} }
	p := func(name string) obj { return ref("parameters", name) }
	ok := func(desc, mediaType, schema string) obj {
		return obj{"description": desc, "content": obj{mediaType: obj{"schema": ref("schemas", schema)}}}
	}
	op := func(id, summary string, ps []obj, resp obj, codes ...int) obj {
		for _, c := range codes {
			resp[strconv.Itoa(c)] = ref("responses", "Problem")
		}
		o := obj{"operationId": id, "summary": summary, "responses": resp}
		if len(ps) > 0 {
			o["parameters"] = ps
		}
		return o
	}
	query := func(name, desc string, schema obj, extra obj) obj {
		q := obj{"name": name, "in": "query", "required": false, "description": desc, "schema": schema}
		for k, v := range extra {
			q[k] = v
		}
		return q
	}
	required := func(q obj) obj { q["required"] = true; return q }
	str := obj{"type": "string"}
	num := obj{"type": "number", "nullable": true, "description": "null when the value is not a finite number"}
	integer := obj{"type": "integer"}
	instant := obj{"type": "string", "format": "date-time"}
	geometry := obj{"type": "object", "description": "A GeoJSON geometry in CRS84."}

	// The selection shared by the reads, as params names them.
	sel := func(names ...string) []obj {
		out := make([]obj, len(names))
		for i, n := range names {
			out[i] = p(restParam[n])
		}
		return out
	}
	entityID := p("entityId")
	at := p("at")

	paths["/api/v1/openapi.json"] = obj{"get": op("getOpenAPIJSON", "This OpenAPI document (as /api)", []obj{p("fJSON")},
		obj{"200": obj{"description": "The API definition.", "content": obj{ContentTypeOpenAPI: obj{"schema": obj{"type": "object"}}}}}, 400, 500)}
	entities := obj{"get": op("listEntities", "Entities of any kind, filtered in space, time and by property, paged",
		sel(entitiesParams...),
		obj{"200": ok("A page of entities; next (and the next link) continues it.", ContentTypeGeoJSON, "EntityPage")}, 400, 500)}
	if writes { // POST /api/v1/entities is documented with the write side
		if post, found := paths[entitiesPath].(obj); found {
			entities["post"] = post["post"]
		}
	}
	paths[entitiesPath] = entities
	one := obj{"get": op("getEntity", "One entity, now or as of at; its ETag is its version",
		[]obj{entityID, at},
		obj{"200": obj{"description": "The entity as a GeoJSON feature.", "headers": obj{"ETag": obj{"schema": str}},
			"content": obj{ContentTypeGeoJSON: obj{"schema": ref("schemas", "Feature")}}}}, 400, 404, 500)}
	if writes {
		written := func(desc string) obj {
			return obj{"description": desc, "headers": obj{"ETag": obj{"schema": str}},
				"content": obj{ContentTypeGeoJSON: obj{"schema": ref("schemas", "Feature")}}}
		}
		ifMatch := p("ifMatch")
		one["put"] = op("putEntity", "Create or replace an entity with a GeoJSON feature (its id, if given, must be the path's)",
			[]obj{entityID, ifMatch, p("ifNoneMatch")},
			obj{"200": written("Replaced: the entity as the twin now holds it."), "201": written("Created.")}, 400, 412, 413, 422, 429, 500, 503)
		one["put"].(obj)["requestBody"] = obj{"required": true, "content": obj{ContentTypeGeoJSON: obj{"schema": ref("schemas", "Feature")}}}
		one["patch"] = op("patchEntity", "Change properties with a JSON merge patch (RFC 7396) {\"properties\": {...}}: null removes one",
			[]obj{entityID, ifMatch},
			obj{"200": written("The entity as the twin now holds it.")}, 400, 404, 412, 413, 422, 429, 500, 503)
		one["patch"].(obj)["requestBody"] = obj{"required": true, "content": obj{
			"application/merge-patch+json": obj{"schema": ref("schemas", "MergePatch")},
			ContentTypeJSON:                obj{"schema": ref("schemas", "MergePatch")}}}
		one["delete"] = op("deleteEntity", "End an entity (its history stays)", []obj{entityID, ifMatch},
			obj{"204": obj{"description": "Deleted."}}, 400, 404, 412, 429, 500, 503)
	}
	paths[entitiesPath+"/{id}"] = one
	paths[entitiesPath+"/{id}/history"] = obj{"get": op("getEntityHistory", "Every version of an entity, oldest first; deleted marks tombstones; with at, the versions begun by then",
		[]obj{entityID, at}, obj{"200": ok("The versions.", ContentTypeGeoJSON, "FeatureCollection")}, 400, 404, 500)}
	paths[entitiesPath+"/{id}/links"] = obj{"get": op("getEntityLinks", "An entity's links to other entities", []obj{entityID, at},
		obj{"200": ok("The links.", ContentTypeJSON, "EntityLinks")}, 400, 404, 500)}
	paths[entitiesPath+"/{id}/provenance"] = obj{"get": op("getEntityProvenance", "Which sources said what about an entity, and when", []obj{entityID, at},
		obj{"200": ok("The provenance.", ContentTypeJSON, "EntityProvenance")}, 400, 404, 500)}
	paths[entitiesPath+"/{id}/metrics"] = obj{"get": op("getEntityMetrics", "The names of an entity's time series", []obj{entityID, at},
		obj{"200": ok("The metrics.", ContentTypeJSON, "EntityMetrics")}, 400, 404, 500)}
	seriesPs := []obj{entityID, p("metricPath")}
	for _, n := range seriesParams {
		seriesPs = append(seriesPs, p(restParam["series."+n]))
	}
	paths[entitiesPath+"/{id}/series/{metric}"] = obj{"get": op("getSeries", "A time series: a range [from, to) or the last N points",
		seriesPs, obj{"200": ok("The points, or columns with format=columns; next continues a range cut at limit.", ContentTypeJSON, "Series")}, 400, 404, 500)}
	paths[queryPath] = obj{"post": op("postQuery", "GET /api/v1/entities with a JSON body, for geometries too big for a URL", nil,
		obj{"200": ok("A page of entities; post again with cursor = next for the next.", ContentTypeGeoJSON, "EntityPage")}, 400, 413, 500)}
	paths[queryPath].(obj)["post"].(obj)["requestBody"] = obj{"required": true, "content": obj{ContentTypeJSON: obj{"schema": ref("schemas", "QueryBody")}}}
	nearestPs := sel(nearestParams...)
	paths[nearestPath] = obj{"get": op("getNearest", "The k entities nearest to a point, nearest first, with distance_m (true metres to the geometry)",
		nearestPs, obj{"200": ok("The entities, distance_m in their properties.", ContentTypeGeoJSON, "EntityPage")}, 400, 500)}
	paths[latestPath] = obj{"get": op("getLatest", "The newest value of a metric of every matching entity, now or as of at",
		sel(latestParams...), obj{"200": ok("The values.", ContentTypeJSON, "Latest")}, 400, 500)}
	paths[aggregatePath] = obj{"get": op("getAggregate", "A metric summarised per entity or per time bucket over a window",
		sel(aggregateParams...), obj{"200": ok("The aggregates.", ContentTypeJSON, "Aggregate")}, 400, 500)}
	paths[h3Path] = obj{"get": op("getH3", "A metric summarised per H3 cell: newest values as of at, or observations in [from, to)",
		append(sel(h3Params...), p("h3Format")), obj{"200": obj{"description": "The cells with a value, sorted: JSON, or with format=binary the columns of docs/api.md (H3 layers in binary).",
			"content": obj{ContentTypeJSON: obj{"schema": ref("schemas", "CellValues")}, ContentTypeH3Layer: obj{"schema": obj{"type": "string", "format": "binary"}}}}}, 400, 500)}
	glbOpenAPI(paths, params)
	paths[h3CellsPath] = obj{"get": op("getH3Cells", "The H3 cells at res that cover a bbox",
		[]obj{p("bboxRequired"), p("res")}, obj{"200": ok("The cells, sorted.", ContentTypeJSON, "Cells")}, 400, 500)}

	// Parameters. Those the OGC endpoints share (bbox, near, where, limit,
	// cursor) are theirs.
	list := func(name, desc string, items obj, max int) obj {
		return query(name, desc, obj{"type": "array", "maxItems": max, "items": items}, obj{"style": "form", "explode": false})
	}
	params["entityId"] = obj{"name": "id", "in": "path", "required": true, "schema": str,
		"description": "The entity id as one path segment, percent-encoded: osm:way/123 is osm:way%2F123."}
	params["metricPath"] = obj{"name": "metric", "in": "path", "required": true, "schema": str, "description": "The metric, e.g. pm25."}
	params["at"] = query("at", "An RFC 3339 instant: the answer as the twin was then (default now).", instant, nil)
	params["kindList"] = list("kind", "Kinds (building, sensor, …), comma-separated or repeated: any of them.", str, maxKinds)
	params["idList"] = query("id", "Entity ids, repeated (not split on commas): any of them.",
		obj{"type": "array", "maxItems": maxIDs, "items": str}, obj{"style": "form", "explode": true})
	params["within"] = query("within", "A GeoJSON Polygon or MultiPolygon: entities wholly inside it.", str, nil)
	params["intersects"] = query("intersects", "A GeoJSON geometry: entities that share a point with it.", str, nil)
	params["cells"] = list("cells", "H3 cell indexes (hex): entities whose point or centre lies in any of them.", str, maxCells)
	params["ring"] = query("ring", "cell,k: the cells within grid distance k (0.."+strconv.Itoa(maxRingK)+") of an H3 cell; not with cells.", str, nil)
	params["point"] = required(query("point", "lon,lat.", obj{"type": "array", "minItems": 2, "maxItems": 2, "items": obj{"type": "number"}},
		obj{"style": "form", "explode": false}))
	params["k"] = query("k", "How many.", obj{"type": "integer", "minimum": 1, "maximum": maxNearestK, "default": 10}, nil)
	params["metric"] = required(query("metric", "The metric, e.g. pm25 (or a numeric property, for /api/v1/h3).", str, nil))
	params["agg"] = query("agg", "The aggregate.", obj{"type": "string", "enum": []string{"avg", "min", "max", "sum", "count", "p50", "p95"}, "default": "avg"}, nil)
	params["by"] = query("by", "Per entity, or per time bucket of step over all of them.", obj{"type": "string", "enum": []string{"entity", "time"}, "default": "entity"}, nil)
	params["step"] = query("step", "The bucket width of by=time, a duration such as 15m or 1h.", str, nil)
	params["from"] = query("from", "The window's start (inclusive), RFC 3339.", instant, nil)
	params["to"] = query("to", "The window's end (exclusive), RFC 3339; with at and no to, the window ends at at.", instant, nil)
	params["res"] = required(query("res", "The H3 resolution.", obj{"type": "integer", "minimum": 0, "maximum": 15}, nil))
	params["bboxRequired"] = required(query("bbox", "minLon,minLat,maxLon,maxLat in CRS84.",
		obj{"type": "array", "minItems": 4, "maxItems": 6, "items": obj{"type": "number"}}, obj{"style": "form", "explode": false}))
	params["seriesLast"] = query("last", "The last N points before before (not with from, to).", obj{"type": "integer", "minimum": 1, "maximum": maxLastN}, nil)
	params["seriesBefore"] = query("before", "With last: points before this instant.", instant, nil)
	params["seriesAt"] = query("at", "What was known at an instant: points at or before it.", instant, nil)
	params["seriesLimit"] = query("limit", "Points per answer; a longer range has a next link.",
		obj{"type": "integer", "minimum": 1, "maximum": maxSeriesPoints, "default": defSeriesPoints}, nil)
	params["seriesFormat"] = query("format", "points: [[time, value], …]; columns: t (Unix ms) and v arrays.",
		obj{"type": "string", "enum": []string{"points", "columns"}, "default": "points"}, nil)
	params["h3Format"] = query("format", "json: [{cell, value, count}, …]; binary: little-endian columns (magic CTH3, uint64 cells, float32 values, uint32 counts) for typed arrays, laid out in docs/api.md.",
		obj{"type": "string", "enum": []string{"json", "binary"}, "default": "json"}, nil)
	params["latestFormat"] = query("format", "values: [{id, t, v}, …]; columns: id, t (Unix ms) and v arrays.",
		obj{"type": "string", "enum": []string{"values", "columns"}, "default": "values"}, nil)
	params["ifMatch"] = obj{"name": "If-Match", "in": "header", "required": false, "schema": str,
		"description": "Change only if the entity is at this version (its ETag, e.g. \"3\"), or exists (*); else 412."}
	params["ifNoneMatch"] = obj{"name": "If-None-Match", "in": "header", "required": false, "schema": str,
		"description": "* creates only: 412 if the entity exists."}

	// Schemas.
	values := func(item obj) obj { return obj{"type": "array", "items": item} }
	schemas["EntityPage"] = obj{"allOf": []obj{ref("schemas", "FeatureCollection"), {"type": "object", "properties": obj{
		"next": obj{"type": "string", "description": "The cursor of the next page; absent on the last."}}}}}
	schemas["EntityLinks"] = obj{"type": "object", "required": []string{"entity", "links"}, "properties": obj{
		"entity": str, "version": integer, "links": values(obj{"type": "object", "properties": obj{"rel": str, "to": str}})}}
	schemas["EntityProvenance"] = obj{"type": "object", "required": []string{"entity", "provenance"}, "properties": obj{
		"entity": str, "version": integer, "provenance": values(obj{"type": "object", "properties": obj{"source": str, "time": instant, "note": str}})}}
	schemas["EntityMetrics"] = obj{"type": "object", "required": []string{"entity", "metrics"}, "properties": obj{
		"entity": str, "metrics": values(str)}}
	schemas["Series"] = obj{"type": "object", "required": []string{"entity", "metric"}, "properties": obj{
		"entity": str, "metric": str, "unit": obj{"type": "string", "description": "The canonical unit, when the entity records the unit it sends in."},
		"points": values(obj{"type": "array", "minItems": 2, "maxItems": 2, "items": obj{}, "description": "[RFC 3339 time, value]"}),
		"t":      values(obj{"type": "integer", "description": "Unix milliseconds"}),
		"v":      values(num),
		"next":   obj{"type": "string", "description": "The rest of the range."}}}
	schemas["Latest"] = obj{"type": "object", "required": []string{"metric", "numberReturned"}, "properties": obj{
		"metric": str, "numberReturned": integer,
		"values": values(obj{"type": "object", "properties": obj{"id": str, "t": instant, "v": num}}),
		"id":     values(str), "t": values(integer), "v": values(num)}}
	schemas["Aggregate"] = obj{"type": "object", "required": []string{"metric", "agg", "by", "values"}, "properties": obj{
		"metric": str, "agg": str, "by": obj{"type": "string", "enum": []string{"entity", "time"}}, "step": str,
		"values": values(obj{"type": "object", "properties": obj{"id": str, "t": instant, "value": num, "count": integer}})}}
	schemas["CellValues"] = values(obj{"type": "object", "required": []string{"cell", "value", "count"}, "properties": obj{
		"cell": str, "value": num, "count": obj{"type": "integer", "description": "The entities that contributed."}}})
	schemas["Cells"] = obj{"type": "object", "required": []string{"res", "cells"}, "properties": obj{"res": integer, "cells": values(str)}}
	schemas["MergePatch"] = obj{"type": "object", "properties": obj{"properties": obj{"type": "object",
		"additionalProperties": obj{"nullable": true, "description": "A string, number or boolean; null removes the property."}}}}
	schemas["QueryBody"] = obj{"type": "object", "additionalProperties": false, "properties": obj{
		"kinds": values(str), "ids": values(str),
		"bbox":   obj{"type": "array", "minItems": 4, "maxItems": 6, "items": obj{"type": "number"}},
		"within": geometry, "intersects": geometry,
		"near": obj{"type": "object", "required": []string{"lon", "lat", "radius"}, "additionalProperties": false, "properties": obj{
			"lon": obj{"type": "number"}, "lat": obj{"type": "number"}, "radius": obj{"type": "number", "description": "metres"}}},
		"cells": values(str),
		"ring":  obj{"type": "object", "additionalProperties": false, "properties": obj{"cell": str, "k": integer}},
		"where": values(str), "at": instant,
		"limit":  obj{"type": "integer", "minimum": 1, "maximum": MaxPageLimit},
		"cursor": str}}
}

// restParam maps a parameter of the REST endpoints to its component.
var restParam = map[string]string{
	pKind: "kindList", pID: "idList", pBBox: "bbox", pWithin: "within", pIntersects: "intersects", pNear: "near",
	pCells: "cells", pRing: "ring", pWhere: "where", pAt: "at", pLimit: "limit", pCursor: "cursor",
	"point": "point", "k": "k", "metric": "metric", "agg": "agg", "by": "by", "step": "step", "from": "from", "to": "to",
	"res": "res", "format": "latestFormat",
	"series.from": "from", "series.to": "to", "series.last": "seriesLast", "series.before": "seriesBefore",
	"series.at": "seriesAt", "series.limit": "seriesLimit", "series.format": "seriesFormat",
}
