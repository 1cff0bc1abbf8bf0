package web

// streamOpenAPI adds the websocket stream to the OpenAPI document's paths.
// OpenAPI 3.0 cannot describe the messages; docs/stream.md does.
func streamOpenAPI(paths obj) {
	problem := obj{"$ref": "#/components/responses/Problem"}
	paths[streamPath] = obj{"get": obj{
		"operationId": "getStream",
		"summary":     "The live stream: a websocket of JSON control messages, snapshots and deltas, and binary columnar frames (docs/stream.md)",
		"description": "Open with a websocket client; browsers pass the token as ?access_token=. The server says hello (its origin for the frames' " +
			"metres, the epoch for resume), then answers subscribe with a snapshot of the view and streams enter, leave and update " +
			"messages and binary position and value frames as the twin changes; seek plays back the past.",
		"parameters": []obj{{"name": "access_token", "in": "query", "required": false, "schema": obj{"type": "string"},
			"description": "The bearer token, for clients that cannot set the Authorization header on a websocket upgrade."}},
		"responses": obj{
			"101": obj{"description": "Switching Protocols: the websocket is open."},
			"400": problem, // a bad websocket handshake
			"426": problem, // a plain GET: upgrade required
			"503": problem, // too many streams
		},
	}}
}
