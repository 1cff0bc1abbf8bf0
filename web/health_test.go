package web

import "testing"

func TestHealth(t *testing.T) {
	fx := newFixture(t)
	s, _ := newTestServer(t, fx, nil)
	r := get(t, s.Handler(), "/api/v1/health")
	if r.status != 200 || r.header.Get("Content-Type") != ContentTypeJSON {
		t.Fatalf("%d %s", r.status, r.header.Get("Content-Type"))
	}
	m := r.json(t)
	kinds, _ := m["kinds"].(map[string]any)
	if m["status"] != "ok" || m["entities"] != float64(fx.store.Len()) || m["seq"] != float64(fx.store.Seq()) {
		t.Errorf("health %v", m)
	}
	want := map[string]float64{"building": 23, "road": 8, "sensor": 9, "stop": 5, "vehicle": 1}
	for k, n := range want {
		if kinds[k] != n {
			t.Errorf("kinds[%s] = %v, want %v", k, kinds[k], n)
		}
	}
	if up, ok := m["uptime_s"].(float64); !ok || up < 0 {
		t.Errorf("uptime_s %v", m["uptime_s"])
	}
}

// Health tells the command centre whether to ask for a token: "bearer" when
// reads need one, nothing when they are open (no tokens, or public reads).
func TestHealthSaysWhetherReadsNeedAToken(t *testing.T) {
	for _, tt := range []struct {
		name   string
		config func(*Config)
		want   any
	}{
		{"open", nil, nil},
		{"tokens", func(c *Config) { c.Tokens = testTokens(t) }, "bearer"},
		{"tokens, public reads", func(c *Config) { c.Tokens, c.PublicRead = testTokens(t), true }, nil},
	} {
		s, _ := ingestServerWith(t, nil, tt.config)
		r := get(t, s.Handler(), "/api/v1/health")
		if r.status != 200 {
			t.Fatalf("%s: %d", tt.name, r.status)
		}
		if got := r.json(t)["auth"]; got != tt.want {
			t.Errorf("%s: auth %v, want %v", tt.name, got, tt.want)
		}
	}
}
