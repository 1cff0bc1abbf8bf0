package web

import (
	"bufio"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"citytwin/twin"
)

func TestNew(t *testing.T) {
	fx := newFixture(t)
	bad := DefaultConfig()
	bad.MaxLimit = 0
	if _, err := New(bad, fx.store, nil); err == nil {
		t.Error("New accepted an invalid config")
	}
	if _, err := New(DefaultConfig(), nil, nil); err == nil {
		t.Error("New accepted a nil store")
	}
	s, err := New(DefaultConfig(), fx.store, nil)
	if err != nil {
		t.Fatal(err)
	}
	if r := get(t, s.Handler(), "/api/v1/health"); r.status != 200 {
		t.Errorf("with a nil logger: status %d", r.status)
	}
	hs := s.HTTPServer("127.0.0.1:0")
	if hs.ReadHeaderTimeout != DefaultConfig().ReadHeaderTimeout || hs.WriteTimeout != DefaultConfig().WriteTimeout || hs.Handler == nil {
		t.Errorf("HTTPServer: %+v", hs)
	}
}

func TestUnrouted(t *testing.T) {
	fx := newFixture(t)
	s, _ := newTestServer(t, fx, nil)
	h := s.Handler()
	checkProblem(t, get(t, h, "/nope"), http.StatusNotFound, "")
	r := do(t, h, http.MethodPost, "/collections")
	m := checkProblem(t, r, http.StatusMethodNotAllowed, "")
	if allow := r.header.Get("Allow"); !strings.Contains(allow, "GET") {
		t.Errorf("Allow %q, want GET", allow)
	}
	if d, _ := m["detail"].(string); !strings.Contains(d, "POST") {
		t.Errorf("detail %q does not name the method", d)
	}
	if r := do(t, h, http.MethodHead, "/collections"); r.status != http.StatusOK {
		t.Errorf("HEAD /collections: %d", r.status)
	}
}

// TestPanicRecovery checks that a panicking handler gives a 500 problem and a log
// line, and that the server goes on serving.
func TestPanicRecovery(t *testing.T) {
	logs := &lockedWriter{}
	log := slog.New(slog.NewJSONHandler(logs, nil))
	mux := http.NewServeMux()
	mux.HandleFunc("GET /boom", func(http.ResponseWriter, *http.Request) { panic("boom") })
	mux.HandleFunc("GET /ok", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) })
	h := logRequests(log, problemMux(mux))

	checkProblem(t, get(t, h, "/boom?x=1"), http.StatusInternalServerError, "")
	if r := get(t, h, "/ok"); r.status != http.StatusNoContent {
		t.Errorf("after a panic: status %d", r.status)
	}
	var sawPanic, sawRequest bool
	sc := bufio.NewScanner(strings.NewReader(logs.String()))
	for sc.Scan() {
		var line map[string]any
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			t.Fatalf("log line is not JSON: %s", sc.Text())
		}
		switch line["msg"] {
		case "http panic":
			sawPanic = line["panic"] == "boom" && line["path"] == "/boom" && strings.Contains(line["stack"].(string), "goroutine")
		case "http request":
			if line["path"] == "/boom" {
				sawRequest = line["status"] == 500.0 && line["level"] == "ERROR" && line["query"] == "x=1"
			}
			for _, k := range []string{"method", "path", "query", "status", "bytes", "dur_ms", "remote"} {
				if _, ok := line[k]; !ok {
					t.Errorf("request log line has no %q: %s", k, sc.Text())
				}
			}
		}
	}
	if !sawPanic || !sawRequest {
		t.Errorf("want a panic line and a 500 request line, got:\n%s", logs.String())
	}
}

func TestPanicAfterWrite(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	h := logRequests(log, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte("partial"))
		panic("late")
	}))
	r := get(t, h, "/")
	if r.status != http.StatusOK || string(r.body) != "partial" {
		t.Errorf("a panic after writing must not write again: %d %q", r.status, r.body)
	}
}

func TestAbortHandlerPropagates(t *testing.T) {
	h := logRequests(slog.New(slog.DiscardHandler), http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		panic(http.ErrAbortHandler)
	}))
	defer func() {
		if v := recover(); v != http.ErrAbortHandler { //nolint:errorlint
			t.Errorf("recovered %v, want http.ErrAbortHandler to pass through", v)
		}
	}()
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/", nil))
}

func TestQueryError(t *testing.T) {
	fx := newFixture(t)
	s, logs := newTestServer(t, fx, nil)
	req := httptest.NewRequest(http.MethodGet, "/collections/buildings/items", nil)
	rec := httptest.NewRecorder()
	s.queryError(rec, req, errors.New("disk on fire"))
	checkProblem(t, response{status: rec.Code, header: rec.Header(), body: rec.Body.Bytes()}, 500, "")
	if strings.Contains(rec.Body.String(), "disk on fire") {
		t.Error("an internal error leaked into the answer")
	}
	if !strings.Contains(logs.String(), "disk on fire") {
		t.Error("an internal error was not logged")
	}
	rec = httptest.NewRecorder()
	s.queryError(rec, req, twin.ErrBadCursor)
	checkProblem(t, response{status: rec.Code, header: rec.Header(), body: rec.Body.Bytes()}, 400, "cursor")
}

func TestBodyLimit(t *testing.T) {
	var got error
	h := limitBodies(4, 0, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, got = r.Body.Read(make([]byte, 10))
		if got == nil {
			_, got = r.Body.Read(make([]byte, 10))
		}
	}))
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodPost, "/", strings.NewReader("0123456789")))
	var mbe *http.MaxBytesError
	if !errors.As(got, &mbe) {
		t.Errorf("reading 10 bytes through a 4-byte limit: %v", got)
	}
}
