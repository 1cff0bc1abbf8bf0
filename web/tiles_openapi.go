package web

import (
	"strconv"
	"strings"

	"citytwin/render"
)

// tilesOpenAPI documents the vector tile routes.
func tilesOpenAPI(paths, params, schemas obj) {
	ref := func(kind, name string) obj { return obj{"$ref": "#/components/" + kind + "/" + name} }
	problems := func(resp obj, codes ...int) obj {
		for _, c := range codes {
			resp[strconv.Itoa(c)] = ref("responses", "Problem")
		}
		return resp
	}
	str := obj{"type": "string"}
	path := func(name, desc string, schema obj) obj {
		return obj{"name": name, "in": "path", "required": true, "description": desc, "schema": schema}
	}
	q := func(name, desc string, schema obj) obj {
		return obj{"name": name, "in": "query", "required": false, "description": desc, "schema": schema}
	}
	layers := render.TileLayerNames()
	params["tileLayer"] = path("layer", "The layer: "+strings.Join(layers, ", ")+"; docs/tiles.md lists their attributes.", obj{"type": "string", "enum": layers})
	params["tileZ"] = path("z", "Zoom, 0.."+strconv.Itoa(render.TileMaxZoom)+".", obj{"type": "integer", "minimum": 0, "maximum": render.TileMaxZoom})
	params["tileX"] = path("x", "Column, 0..2^z-1.", obj{"type": "integer", "minimum": 0})
	params["tileY"] = path("y", "Row, 0..2^z-1, followed by .mvt (e.g. 9484.mvt).", obj{"type": "string", "pattern": "^[0-9]+\\.mvt$"})
	params["tileMetric"] = q("metric", "h3 layer (required there): the metric aggregated, e.g. pm25, or a numeric property.", str)
	params["tileAgg"] = q("agg", "h3 layer: the aggregate.", obj{"type": "string", "enum": []string{"avg", "min", "max", "sum", "count", "p50", "p95"}, "default": "avg"})
	params["tileRes"] = q("res", "h3 layer: the H3 resolution, or auto (from the zoom).", obj{"type": "string", "default": "auto", "pattern": "^(auto|[0-9]|1[0-5])$"})
	params["tileAt"] = q("at", "An RFC 3339 instant: the tile as the twin was then (not cached by the server). Default now.", obj{"type": "string", "format": "date-time"})
	tileParams := []obj{ref("parameters", "tileLayer"), ref("parameters", "tileZ"), ref("parameters", "tileX"), ref("parameters", "tileY"),
		ref("parameters", "tileAt"), ref("parameters", "tileMetric"), ref("parameters", "tileAgg"), ref("parameters", "tileRes")}
	paths[tilesPath+"/{layer}/{z}/{x}/{y}"] = obj{"get": obj{
		"operationId": "getTile",
		"summary":     "A Mapbox Vector Tile (2.1) of one layer; gzip with Accept-Encoding: gzip. Empty tiles have an empty body.",
		"parameters":  tileParams,
		"responses": problems(obj{
			"200": obj{"description": "The tile.", "headers": obj{"ETag": obj{"schema": str}, "Cache-Control": obj{"schema": str}},
				"content": obj{ContentTypeMVT: obj{"schema": obj{"type": "string", "format": "binary"}}}},
			"304": obj{"description": "Not modified (If-None-Match)."},
		}, 400, 404, 500, 503),
	}}
	paths[tilesPath+"/{name}"] = obj{"get": obj{
		"operationId": "getTileJSON",
		"summary":     "TileJSON 3.0.0 of a layer: /tiles/{layer}.json (the h3 layer takes metric, agg and res, which its tile URL carries)",
		"parameters": []obj{path("name", "The layer followed by .json, e.g. buildings.json.", obj{"type": "string"}),
			ref("parameters", "tileAt"), ref("parameters", "tileMetric"), ref("parameters", "tileAgg"), ref("parameters", "tileRes")},
		"responses": problems(obj{"200": obj{"description": "The TileJSON.", "content": obj{ContentTypeJSON: obj{"schema": ref("schemas", "TileJSON")}}}},
			400, 404, 500),
	}}
	num := obj{"type": "number"}
	schemas["TileJSON"] = obj{"type": "object", "required": []string{"tilejson", "tiles", "vector_layers"}, "properties": obj{
		"tilejson": str, "name": str, "description": str, "version": str, "scheme": str,
		"tiles":   obj{"type": "array", "items": str},
		"minzoom": obj{"type": "integer"}, "maxzoom": obj{"type": "integer"},
		"bounds": obj{"type": "array", "minItems": 4, "maxItems": 4, "items": num},
		"center": obj{"type": "array", "minItems": 3, "maxItems": 3, "items": num},
		"vector_layers": obj{"type": "array", "items": obj{"type": "object", "required": []string{"id", "fields"}, "properties": obj{
			"id": str, "description": str, "minzoom": obj{"type": "integer"}, "maxzoom": obj{"type": "integer"},
			"fields": obj{"type": "object", "additionalProperties": str}}}},
	}}
}
