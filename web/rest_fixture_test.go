package web

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"citytwin/ingest"
	"citytwin/ingest/gateway"
	"citytwin/simulate"
	"citytwin/twin"
)

// restFixture is the fixture city with readings, served over TCP by a server
// with the write side on.
type restFixture struct {
	*fixture
	srv  *Server
	base string // http://127.0.0.1:port
	// obs are the pm25 readings given to the sensors, by sensor.
	obs map[twin.ID][]twin.Observation
}

// The sensors read pm25 every 10 minutes from t0 to t2 (exclusive): sensor i
// reads 10*i + the minute / 10.
func restReadings() map[twin.ID][]twin.Observation {
	out := make(map[twin.ID][]twin.Observation)
	for i := range 10 {
		id := twin.ID(fmt.Sprintf("sensor:aq-%d", i))
		for m := 0; m < 120; m += 10 {
			out[id] = append(out[id], twin.Observation{ID: id, Metric: "pm25", T: t0.Add(time.Duration(m) * time.Minute).UnixNano(), V: float64(10*i) + float64(m)/10})
		}
	}
	return out
}

func newRESTFixture(t *testing.T) *restFixture {
	t.Helper()
	fx := newFixture(t)
	rf := &restFixture{fixture: fx, obs: restReadings()}
	// sensor:aq-9 was deleted at t2: it takes no readings now.
	delete(rf.obs, "sensor:aq-9")
	var all []twin.Observation
	for i := range 9 {
		all = append(all, rf.obs[twin.ID(fmt.Sprintf("sensor:aq-%d", i))]...)
	}
	if _, err := fx.store.Apply(twin.Op{Type: twin.OpObserve, T: t0.UnixNano(), Observations: all}); err != nil {
		t.Fatal(err)
	}
	b, err := ingest.NewBatcher(fx.store, ingest.DefaultBatcherConfig())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	gw := gateway.New(gateway.Config{}, b, fx.store, ingest.NewDeadLetters(10), nil)
	fences := startFences(t, fx.store)
	scenarios, err := simulate.NewManager(fx.store, simulate.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = scenarios.Close() })
	s, err := New(DefaultConfig(), fx.store, slog.New(slog.DiscardHandler), WithIngest(gw, b), WithFences(fences), WithScenarios(scenarios))
	if err != nil {
		t.Fatal(err)
	}
	s.now = func() time.Time { return tNow }
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(ts.Close)
	rf.srv, rf.base = s, ts.URL
	return rf
}

// call sends a request over the wire.
func (rf *restFixture) call(t testing.TB, method, target, body string, header ...string) response {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, rf.base+target, rd)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: b}
}

func (rf *restFixture) get(t testing.TB, target string, header ...string) response {
	t.Helper()
	return rf.call(t, http.MethodGet, target, "", header...)
}

// wantProblem checks that r is a 400 problem naming param.
func wantProblem(t testing.TB, r response, status int, param string) {
	t.Helper()
	if r.status != status || r.header.Get("Content-Type") != ContentTypeProblem {
		t.Fatalf("status %d %s, want %d problem: %s", r.status, r.header.Get("Content-Type"), status, r.body)
	}
	if param == "" {
		return
	}
	var p Problem
	if err := json.Unmarshal(r.body, &p); err != nil {
		t.Fatal(err)
	}
	if len(p.InvalidParams) != 1 || p.InvalidParams[0].Name != param {
		t.Fatalf("problem names %+v, want %q: %s", p.InvalidParams, param, r.body)
	}
}

// ids pages through a REST list, following next links, and returns the ids in
// order.
func (rf *restFixture) ids(t testing.TB, target string) []string {
	t.Helper()
	var out []string
	for target != "" {
		p := decodePage(t, rf.get(t, target))
		for _, f := range p.features(t) {
			out = append(out, f.ID)
		}
		target = ""
		for _, l := range p.Links {
			if l.Rel == "next" {
				target = strings.TrimPrefix(l.Href, "http://"+hostOf(rf.base))
			}
		}
	}
	return out
}

func hostOf(base string) string {
	u, _ := url.Parse(base)
	return u.Host
}

func rfc(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }
