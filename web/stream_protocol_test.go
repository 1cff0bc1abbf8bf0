package web

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"citytwin/twin"
	"citytwin/twin/fence"

	"github.com/gorilla/websocket"
	"github.com/paulmach/orb"
)

// The channels, access rules and errors of the protocol.

func TestStreamFences(t *testing.T) {
	store, err := twin.New(twin.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	eng := startFences(t, store)
	srv, err := New(DefaultConfig(), store, slog.New(slog.DiscardHandler), WithFences(eng))
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	poly := orb.Polygon{{{13.39, 52.49}, {13.41, 52.49}, {13.41, 52.51}, {13.39, 52.51}, {13.39, 52.49}}}
	props, _ := twin.PropertiesOf(map[string]any{"fence.kinds": "vehicle"})
	if _, err := store.Apply(twin.Op{Type: twin.OpUpsert, Entity: &twin.Entity{ID: "fence:depot", Kind: fence.KindGeofence, Geometry: poly, Props: props}},
		twin.Op{Type: twin.OpUpsert, Entity: &twin.Entity{ID: "vehicle:1", Kind: twin.KindVehicle, Geometry: orb.Point{13.3, 52.5}}}); err != nil {
		t.Fatal(err)
	}
	c := dialStream(t, "ws"+strings.TrimPrefix(ts.URL, "http")+streamPath, nil)
	c.send(map[string]any{"type": "fences", "after": 0})
	time.Sleep(50 * time.Millisecond)
	if _, err := store.Apply(twin.Op{Type: twin.OpMove, Positions: []twin.Position{{ID: "vehicle:1", T: time.Now().UnixNano(), Point: orb.Point{13.4, 52.5}}}}); err != nil {
		t.Fatal(err)
	}
	c.until("a fence event", func() bool { return len(c.fenceEv) > 0 })
	if e := c.fenceEv[0]; e.Kind != "enter" || e.Object != "vehicle:1" || e.Fence != "fence:depot" {
		t.Fatalf("event %+v", e)
	}
}

func TestStreamAuthAndOrigin(t *testing.T) {
	tok, err := NewToken("ui", RoleViewer, "0123456789abcdef0123")
	if err != nil {
		t.Fatal(err)
	}
	env := newStreamEnv(t, 10, func(c *Config, _ *StreamConfig) { c.Tokens = []Token{tok} })
	for _, tc := range []struct {
		name   string
		url    string
		header http.Header
		status int
	}{
		{"no token", env.url, nil, http.StatusUnauthorized},
		{"bad token", env.url + "?access_token=nope", nil, http.StatusUnauthorized},
		{"bad origin", env.url + "?access_token=0123456789abcdef0123", http.Header{"Origin": {"https://evil.example"}}, http.StatusForbidden},
		{"token", env.url + "?access_token=0123456789abcdef0123", nil, http.StatusSwitchingProtocols},
		{"header", env.url, http.Header{"Authorization": {"Bearer 0123456789abcdef0123"}}, http.StatusSwitchingProtocols},
	} {
		t.Run(tc.name, func(t *testing.T) {
			conn, resp, err := websocket.DefaultDialer.Dial(tc.url, tc.header)
			if conn != nil {
				conn.Close()
			}
			if resp == nil {
				t.Fatalf("no response: %v", err)
			}
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d (%v)", resp.StatusCode, tc.status, err)
			}
		})
	}
}

// Bad control messages are answered with precise errors; the stream goes on.
func TestStreamControlErrors(t *testing.T) {
	env := newStreamEnv(t, 10, func(_ *Config, s *StreamConfig) { s.ControlBurst = 100 })
	c := dialStream(t, env.url, nil)
	for _, tc := range []struct{ msg, want string }{
		{`{"type":"subscribe","bbox":[1,2,3]}`, "bbox: has 3 numbers"},
		{`{"type":"subscribe","bbox":[0,50,1,51],"speed":2}`, "speed: not a member of subscribe"},
		{`{"type":"jump"}`, `type: "jump" is not a control message`},
		{`{"type":"seek","at":"yesterday"}`, "at: \"yesterday\" is not an RFC 3339"},
		{`not json`, "not JSON"},
		{`{"type":"viewport","bbox":[0,50,1,51]}`, "subscribe before changing the viewport"},
	} {
		if err := c.conn.WriteMessage(websocket.TextMessage, []byte(tc.msg)); err != nil {
			t.Fatal(err)
		}
		c.errs = nil
		c.until("an error", func() bool { return len(c.errs) > 0 })
		if !strings.Contains(c.errs[0], tc.want) {
			t.Errorf("%s: %q, want %q", tc.msg, c.errs[0], tc.want)
		}
	}
	c.send(map[string]any{"type": "ping"})
	c.until("pong", func() bool { return c.types["pong"] > 0 })
}
