// Package web serves the twin over HTTP: OGC API – Features (Part 1 core,
// GeoJSON and OpenAPI 3.0; Part 3 filtering in CQL2 text) and Moving Features
// tracks at the root, the REST API under /api/v1 (entities, queries, time
// series, H3 aggregates, geofence events and endpoints, GLB meshes), vector
// tiles under /tiles, the websocket stream at /api/v1/stream, Prometheus
// metrics, and an HTML landing page for people who open the server in a
// browser. docs/api.md, docs/tiles.md and docs/stream.md describe them for
// users; /api/v1/openapi.json is the OpenAPI 3 document, which a test keeps
// equal to the routes served.
//
// Every error is an RFC 9457 problem (application/problem+json) that names the
// parameter at fault. Parameter and body parsers are pure functions, fuzzed.
// Bearer tokens with roles (auth.go), CORS and origin checks (origin.go) and
// request limits wrap every route.
//
// New builds a Server, Handler serves it, and HTTPServer wraps it in an
// *http.Server with the configured timeouts, which the caller starts and shuts
// down. The only goroutines a Server runs are the stream's: one fan-out
// goroutine while any stream is open (stopped, and waited for, when the last
// closes) and a reader and a writer per connection.
package web
