package web

import (
	"strings"
	"testing"
)

// Requests are timed by the route that served them, so the series stay few
// however many ids are asked for.
func TestRequestsAreTimedByRoute(t *testing.T) {
	f := newFixture(t)
	s, _ := newTestServer(t, f, nil)
	h := s.Handler()
	for _, target := range []string{"/collections", "/collections/buildings/items/osm:way%2F101", "/collections/buildings/items/osm:way%2F102", "/nowhere"} {
		get(t, h, target)
	}
	body := string(get(t, h, "/metrics").body)
	for _, want := range []string{
		`citytwin_http_request_duration_seconds_count{code="200",method="GET",route="GET /collections"} 1`,
		`citytwin_http_request_duration_seconds_count{code="200",method="GET",route="GET /collections/{collectionId}/items/{featureId...}"} 2`,
		`citytwin_http_request_duration_seconds_count{code="404",method="GET",route="unrouted"} 1`,
		`citytwin_http_requests_in_flight 1`, // the scrape itself
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}
