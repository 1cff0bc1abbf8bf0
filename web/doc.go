// Package web serves the twin over HTTP: OGC API – Features (Part 1: core,
// GeoJSON, OpenAPI 3.0) at the root, a health endpoint under /api/v1, and an HTML
// landing page for people who open the server in a browser.
//
// Every error is an RFC 9457 problem (application/problem+json) that names the
// parameter at fault. Query parameters of the items endpoint are parsed by one pure
// function, ParseItemsParams, which is fuzzed.
//
// A Server holds no goroutines of its own: New builds it, Handler serves it, and
// HTTPServer wraps it in an *http.Server with the configured timeouts, which the
// caller starts and shuts down.
package web
