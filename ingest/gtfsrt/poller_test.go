package gtfsrt

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/MobilityData/gtfs-realtime-bindings/golang/gtfs"
	"google.golang.org/protobuf/proto"
)

// feedServer serves body with an ETag and Last-Modified, answering 304 when the
// client already has it (if etags is true).
type feedServer struct {
	mu       sync.Mutex
	body     []byte
	etags    bool
	status   int
	requests int
	inm      []string // If-None-Match of each request
}

func (s *feedServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests++
	s.inm = append(s.inm, r.Header.Get("If-None-Match"))
	if s.status != 0 {
		http.Error(w, "down", s.status)
		return
	}
	if s.etags {
		w.Header().Set("ETag", `"v1"`)
		w.Header().Set("Last-Modified", "Wed, 13 Sep 2017 14:52:55 GMT")
		if r.Header.Get("If-None-Match") == `"v1"` {
			w.WriteHeader(http.StatusNotModified)
			return
		}
	}
	w.Header().Set("Content-Type", "application/x-protobuf")
	w.Write(s.body)
}

// runUntil runs p until cond holds (or a few seconds pass) and returns what Run
// returned.
func runUntil(t *testing.T, p *Poller, cond func() bool) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run = %v, want nil after cancel", err)
	}
	if !cond() {
		t.Fatalf("condition not met; stats %+v", p.Stats())
	}
}

func TestPollerHTTP(t *testing.T) {
	srv := &feedServer{body: readBullRunner(t), etags: true}
	ts := httptest.NewServer(srv)
	defer ts.Close()

	var (
		mu      sync.Mutex
		results []Result
	)
	p, err := NewPoller(PollerConfig{URL: ts.URL, Interval: 5 * time.Millisecond, Options: Options{Now: now}},
		func(_ context.Context, r Result) error {
			mu.Lock()
			defer mu.Unlock()
			results = append(results, r)
			return nil
		})
	if err != nil {
		t.Fatal(err)
	}
	runUntil(t, p, func() bool { return p.Stats().NotModified >= 3 })

	mu.Lock()
	defer mu.Unlock()
	if len(results) != 1 {
		t.Fatalf("%d results, want 1 (the rest were 304s)", len(results))
	}
	if r := results[0]; r.Vehicles != 10 || len(r.Ops) != 30 {
		t.Errorf("result: %d vehicles, %d ops", r.Vehicles, len(r.Ops))
	}
	if up := results[0].Ops[0].Entity.Provenance[0].Note; up != ts.URL {
		t.Errorf("provenance note = %q, want the feed URL", up)
	}
	st := p.Stats()
	if st.Updates != 1 || st.NotModified < 3 || st.Errors != 0 {
		t.Errorf("stats = %+v", st)
	}
	srv.mu.Lock()
	defer srv.mu.Unlock()
	if srv.inm[0] != "" || srv.inm[1] != `"v1"` {
		t.Errorf("If-None-Match = %q", srv.inm[:2])
	}
}

// A server without validators serving the same feed: the header timestamp does
// not advance, so the feed is handed on once.
func TestPollerStale(t *testing.T) {
	srv := &feedServer{body: readBullRunner(t)}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	var calls atomic.Int32
	p, err := NewPoller(PollerConfig{URL: ts.URL, Interval: 5 * time.Millisecond, Options: Options{Now: now}},
		func(context.Context, Result) error { calls.Add(1); return nil })
	if err != nil {
		t.Fatal(err)
	}
	runUntil(t, p, func() bool { return p.Stats().Stale >= 2 })
	if calls.Load() != 1 {
		t.Errorf("%d calls, want 1", calls.Load())
	}
}

// restamp returns the real feed with another header timestamp.
func restamp(t *testing.T, data []byte, ts time.Time) []byte {
	t.Helper()
	var m gtfs.FeedMessage
	if err := proto.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	m.Header.Timestamp = proto.Uint64(uint64(ts.Unix()))
	out, err := proto.Marshal(&m)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestPollerAdvancing(t *testing.T) {
	orig := readBullRunner(t)
	srv := &feedServer{body: orig}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	p, err := NewPoller(PollerConfig{URL: ts.URL, Options: Options{Now: now}}, func(context.Context, Result) error { return nil })
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	t0 := time.Date(2017, 9, 13, 14, 52, 55, 0, time.UTC)
	for i, step := range []struct {
		at    time.Time
		fresh bool
	}{{t0, true}, {t0, false}, {t0.Add(30 * time.Second), true}, {t0.Add(10 * time.Second), false}} {
		srv.mu.Lock()
		srv.body = restamp(t, orig, step.at)
		srv.mu.Unlock()
		r, fresh, err := p.Poll(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if fresh != step.fresh {
			t.Errorf("poll %d: fresh = %v, want %v", i, fresh, step.fresh)
		}
		if fresh && !r.Header.Timestamp.Equal(step.at) {
			t.Errorf("poll %d: header %v, want %v", i, r.Header.Timestamp, step.at)
		}
	}
}

func TestPollerFile(t *testing.T) {
	orig := readBullRunner(t)
	path := filepath.Join(t.TempDir(), "vp.pb")
	if err := os.WriteFile(path, orig, 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := NewPoller(PollerConfig{URL: "file://" + path, Options: Options{Now: now}}, func(context.Context, Result) error { return nil })
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if r, fresh, err := p.Poll(ctx); err != nil || !fresh || r.Vehicles != 10 {
		t.Fatalf("first poll: %d vehicles, fresh %v, %v", r.Vehicles, fresh, err)
	}
	if _, fresh, err := p.Poll(ctx); err != nil || fresh {
		t.Fatalf("unchanged file: fresh %v, %v", fresh, err)
	}
	next := restamp(t, orig, time.Date(2017, 9, 13, 14, 53, 25, 0, time.UTC))
	if err := os.WriteFile(path, next, 0o644); err != nil {
		t.Fatal(err)
	}
	later := time.Now().Add(time.Second)
	if err := os.Chtimes(path, later, later); err != nil {
		t.Fatal(err)
	}
	if r, fresh, err := p.Poll(ctx); err != nil || !fresh || r.Header.Timestamp.Minute() != 53 {
		t.Fatalf("rewritten file: header %v, fresh %v, %v", r.Header.Timestamp, fresh, err)
	}
	if st := p.Stats(); st.Polls != 3 || st.Updates != 2 || st.NotModified != 1 {
		t.Errorf("stats = %+v", st)
	}
	// A plain path works too.
	q, err := NewPoller(PollerConfig{URL: path, Options: Options{Now: now}}, func(context.Context, Result) error { return nil })
	if err != nil {
		t.Fatal(err)
	}
	if _, fresh, err := q.Poll(ctx); err != nil || !fresh {
		t.Errorf("path: fresh %v, %v", fresh, err)
	}
}

func TestPollerErrors(t *testing.T) {
	srv := &feedServer{body: readBullRunner(t), status: http.StatusServiceUnavailable}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	handled := errors.New("sink full")
	p, err := NewPoller(PollerConfig{URL: ts.URL, Interval: 5 * time.Millisecond, Options: Options{Now: now}},
		func(context.Context, Result) error { return handled })
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := p.Poll(context.Background()); err == nil {
		t.Error("503: no error")
	}
	// Run keeps polling through errors; a callback error is counted too.
	runUntil(t, p, func() bool { return p.Stats().Errors >= 3 })
	srv.mu.Lock()
	srv.status = 0
	srv.mu.Unlock()
	before := p.Stats().Errors
	runUntil(t, p, func() bool { return p.Stats().Updates >= 1 && p.Stats().Errors > before })

	// A body over the limit.
	big := &feedServer{body: make([]byte, 2048)}
	ts2 := httptest.NewServer(big)
	defer ts2.Close()
	q, _ := NewPoller(PollerConfig{URL: ts2.URL, Options: Options{MaxBytes: 1024}}, func(context.Context, Result) error { return nil })
	if _, _, err := q.Poll(context.Background()); !errors.Is(err, ErrTooLarge) {
		t.Errorf("large body: %v, want ErrTooLarge", err)
	}
	// A missing file.
	f, _ := NewPoller(PollerConfig{URL: filepath.Join(t.TempDir(), "none.pb")}, func(context.Context, Result) error { return nil })
	if _, _, err := f.Poll(context.Background()); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}

func TestPollerRunOnce(t *testing.T) {
	srv := &feedServer{body: readBullRunner(t), etags: true}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	p, _ := NewPoller(PollerConfig{URL: ts.URL, Interval: time.Hour}, func(context.Context, Result) error { return nil })
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	for p.Stats().Polls == 0 {
		time.Sleep(time.Millisecond)
	}
	if err := p.Run(ctx); !errors.Is(err, ErrRunning) {
		t.Errorf("second Run = %v, want ErrRunning", err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run = %v", err)
	}
}

func TestPollerConfig(t *testing.T) {
	ok := func(context.Context, Result) error { return nil }
	for _, tt := range []struct {
		name string
		cfg  PollerConfig
		h    func(context.Context, Result) error
	}{
		{"no url", PollerConfig{}, ok},
		{"negative interval", PollerConfig{URL: "x", Interval: -1}, ok},
		{"bad options", PollerConfig{URL: "x", Options: Options{MaxBytes: -1}}, ok},
		{"no callback", PollerConfig{URL: "x"}, nil},
	} {
		if _, err := NewPoller(tt.cfg, tt.h); !errors.Is(err, ErrBadOptions) {
			t.Errorf("%s: %v, want ErrBadOptions", tt.name, err)
		}
	}
	if d := DefaultPollerConfig("http://x"); d.Validate() != nil || d.Interval != 30*time.Second {
		t.Errorf("default config %+v", d)
	}
}
