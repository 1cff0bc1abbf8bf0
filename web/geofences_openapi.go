package web

import "strconv"

// fenceOpenAPI documents the geofence routes.
func fenceOpenAPI(paths, schemas obj) {
	ref := func(kind, name string) obj { return obj{"$ref": "#/components/" + kind + "/" + name} }
	problems := func(resp obj, codes ...int) obj {
		for _, c := range codes {
			resp[strconv.Itoa(c)] = ref("responses", "Problem")
		}
		return resp
	}
	q := func(name, desc string, schema obj) obj {
		return obj{"name": name, "in": "query", "description": desc, "schema": schema}
	}
	str := obj{"type": "string"}
	integer := obj{"type": "integer", "minimum": 0}
	json := func(desc, schema string) obj {
		return obj{"description": desc, "content": obj{ContentTypeJSON: obj{"schema": ref("schemas", schema)}}}
	}
	paths["/api/v1/geofences/events"] = obj{"get": obj{
		"operationId": "getGeofenceEvents",
		"summary":     "Geofence events after a sequence number, oldest first: poll with the next link, or replay from any kept seq",
		"parameters": []obj{
			q("after", "The seq of the last event you have; 0 for the oldest kept.", integer),
			q("limit", "At most this many events (1-"+strconv.Itoa(maxEventsPage)+", default 1000).", obj{"type": "integer", "minimum": 1, "maximum": maxEventsPage}),
			q("fence", "Only events of this geofence (repeatable).", str),
			q("kind", "Only events of this kind (repeatable).", obj{"type": "string", "enum": []string{"enter", "exit", "inside", "outside", "cross"}}),
		},
		"responses": problems(obj{"200": json("A page of events.", "GeofenceEvents"),
			"410": ref("responses", "Problem")}, 400, 500),
	}}
	paths["/api/v1/geofences/endpoints"] = obj{
		"get": obj{"operationId": "listGeofenceEndpoints", "summary": "Where geofence events are delivered, with each endpoint's delivery counters (secrets are not shown)",
			"responses": problems(obj{"200": json("The endpoints.", "GeofenceEndpoints")}, 400, 500)},
		"post": obj{"operationId": "addGeofenceEndpoint",
			"summary":     "Deliver events to a webhook (POSTed JSON arrays, signed with HMAC-SHA256 when a secret is set) or the MQTT broker, at least once, in order, with retries",
			"requestBody": obj{"required": true, "content": obj{ContentTypeJSON: obj{"schema": ref("schemas", "GeofenceEndpointIn")}}},
			"responses":   problems(obj{"201": json("Added.", "GeofenceEndpoint")}, 400, 413, 422, 500)},
	}
	paths["/api/v1/geofences/endpoints/{id}"] = obj{"delete": obj{"operationId": "deleteGeofenceEndpoint", "summary": "Stop delivering to an endpoint",
		"parameters": []obj{{"name": "id", "in": "path", "required": true, "schema": str}},
		"responses":  problems(obj{"204": obj{"description": "Removed."}}, 400, 404, 500)}}

	event := obj{"type": "object", "required": []string{"seq", "fence", "object", "kind", "t", "point"}, "properties": obj{
		"seq": integer, "fence": str, "object": str, "kind": str, "t": obj{"type": "integer", "description": "Unix nanoseconds of the position"},
		"point": obj{"type": "array", "items": obj{"type": "number"}, "minItems": 2, "maxItems": 2}, "dwell": integer, "twin_seq": integer}}
	schemas["GeofenceEvent"] = event
	schemas["GeofenceEvents"] = obj{"type": "object", "required": []string{"events", "head", "first", "next", "links"}, "properties": obj{
		"events": obj{"type": "array", "items": ref("schemas", "GeofenceEvent")}, "head": integer, "first": integer, "next": integer,
		"links": obj{"type": "array", "items": ref("schemas", "Link")}}}
	endpointProps := obj{"id": str, "kind": obj{"type": "string", "enum": []string{"webhook", "mqtt"}}, "url": str,
		"fences": obj{"type": "array", "items": str}, "kinds": obj{"type": "array", "items": str}}
	in := obj{}
	for k, v := range endpointProps {
		in[k] = v
	}
	in["secret"], in["from_start"] = str, obj{"type": "boolean"}
	schemas["GeofenceEndpointIn"] = obj{"type": "object", "required": []string{"id", "kind"}, "properties": in, "additionalProperties": false}
	out := obj{"signed": obj{"type": "boolean"}, "stats": obj{"type": "object"}}
	for k, v := range endpointProps {
		out[k] = v
	}
	schemas["GeofenceEndpoint"] = obj{"type": "object", "required": []string{"id", "kind", "signed"}, "properties": out}
	schemas["GeofenceEndpoints"] = obj{"type": "object", "required": []string{"endpoints"}, "properties": obj{
		"endpoints": obj{"type": "array", "items": ref("schemas", "GeofenceEndpoint")}}}
}
