package web

import (
	"os"
	"testing"
)

func TestDumpLanding(t *testing.T) {
	fx := newFixture(t)
	s, _ := newTestServer(t, fx, nil)
	os.WriteFile("/tmp/landing.html", get(t, s.Handler(), "/?f=html").body, 0o644)
	os.WriteFile("/tmp/items.json", get(t, s.Handler(), "/collections/buildings/items?limit=2&bbox=13.4,52.5,13.41,52.51").body, 0o644)
	os.WriteFile("/tmp/colls.json", get(t, s.Handler(), "/collections").body, 0o644)
	os.WriteFile("/tmp/problem.json", get(t, s.Handler(), "/collections/buildings/items?bbox=13,53,14,52").body, 0o644)
}
