package web

import (
	"context"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"citytwin/ingest"
	"citytwin/ingest/gateway"
	"citytwin/twin"
)

// ingestServer is a server over a durable twin with the write side on.
func ingestServer(t *testing.T, sink ingest.Sink) (*Server, *twin.Store) {
	t.Helper()
	return ingestServerWith(t, sink, nil)
}

// ingestServerWith is ingestServer with a config edited by edit (when not nil).
func ingestServerWith(t *testing.T, sink ingest.Sink, edit func(*Config)) (*Server, *twin.Store) {
	t.Helper()
	d := twin.DefaultDurability(t.TempDir())
	d.SnapshotEvery, d.SnapshotLogBytes = 0, 0
	store, _, err := twin.Open(context.Background(), twin.DefaultConfig(), d)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	b, err := ingest.NewBatcher(store, ingest.DefaultBatcherConfig())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	if sink == nil {
		sink = b
	}
	gw := gateway.New(gateway.Config{}, sink, store, ingest.NewDeadLetters(10), nil)
	cfg := DefaultConfig()
	if edit != nil {
		edit(&cfg)
	}
	s, err := New(cfg, store, slog.New(slog.DiscardHandler), WithIngest(gw, sink))
	if err != nil {
		t.Fatal(err)
	}
	s.now = func() time.Time { return tNow }
	return s, store
}

func post(t *testing.T, h http.Handler, target, contentType, body string) response {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, target, strings.NewReader(body))
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	b, _ := io.ReadAll(rec.Result().Body)
	return response{status: rec.Code, header: rec.Header(), body: b}
}

const twoSensors = `{"type":"FeatureCollection","features":[
 {"type":"Feature","id":"sensor:a","geometry":{"type":"Point","coordinates":[24.94,60.17]},"properties":{"kind":"sensor","model":"sds011"}},
 {"type":"Feature","id":"sensor:b","geometry":{"type":"Point","coordinates":[24.95,60.17]},"properties":{"kind":"sensor"}},
 {"type":"Feature","id":"sensor:c","geometry":{"type":"Point","coordinates":[24.95,60.17]},"properties":{}}]}`

func TestPostEntitiesAndObservations(t *testing.T) {
	s, store := ingestServer(t, nil)
	h := s.Handler()
	r := post(t, h, "/api/v1/entities", "application/geo+json", twoSensors)
	if m := r.json(t); r.status != 200 || m["accepted"] != 2.0 || m["rejected"] != 1.0 {
		t.Fatalf("entities: %d %s", r.status, r.body)
	}
	if e, err := store.Get("sensor:a"); err != nil || e.Kind != twin.KindSensor {
		t.Fatalf("sensor:a = %+v, %v", e, err)
	}

	ts := tNow.Add(-time.Minute).Unix()
	senml := `[{"bn":"sensor:a:","bt":` + itoa(ts) + `,"n":"temperature","u":"degF","v":212},{"n":"pm25","u":"ug/m3","v":3.5},{"n":"pm25","u":"parsec","v":1}]`
	r = post(t, h, "/api/v1/observations", "application/senml+json", senml)
	if m := r.json(t); r.status != 200 || m["accepted"] != 2.0 || m["rejected"] != 1.0 || !strings.Contains(string(r.body), "parsec") {
		t.Fatalf("senml: %d %s", r.status, r.body)
	}
	if p, _ := store.LastN("sensor:a", "temperature", 1, math.MaxInt64); len(p) != 1 || math.Abs(p[0].V-100) > 1e-9 {
		t.Fatalf("212 degF stored as %v, want 100 Cel", p)
	}

	ndjson := `{"id":"sensor:b","t":"` + tNow.Add(-time.Minute).Format(time.RFC3339) + `","metrics":{"pm25":7}}` + "\n" + `{"id":"sensor:zzz","metrics":{"pm25":1}}` + "\n"
	r = post(t, h, "/api/v1/observations", "application/x-ndjson", ndjson)
	if m := r.json(t); r.status != 200 || m["accepted"] != 1.0 || !strings.Contains(string(r.body), "not in the twin") {
		t.Fatalf("ndjson: %d %s", r.status, r.body)
	}
	// Nothing taken: 422 with the reasons.
	r = post(t, h, "/api/v1/observations?entity=sensor:zzz", "application/json", `{"metrics":{"pm25":1}}`)
	if r.status != http.StatusUnprocessableEntity {
		t.Fatalf("all rejected: %d %s", r.status, r.body)
	}
	// Unreadable payloads and content types are problems.
	for _, c := range []struct{ ct, body string }{{"application/senml+json", "{not json"}, {"application/xml", "<a/>"}} {
		if r := post(t, h, "/api/v1/observations", c.ct, c.body); r.status != 400 || r.header.Get("Content-Type") != ContentTypeProblem {
			t.Errorf("%s %q: %d %s", c.ct, c.body, r.status, r.body)
		}
	}
	r = get(t, h, "/api/v1/deadletter?limit=2")
	if m := r.json(t); r.status != 200 || m["total"].(float64) < 4 || len(m["letters"].([]any)) != 2 {
		t.Fatalf("deadletter: %d %s", r.status, r.body)
	}
	if r := get(t, h, "/api/v1/deadletter?limit=0"); r.status != 400 {
		t.Errorf("limit=0: %d", r.status)
	}
	r = get(t, h, "/metrics")
	for _, name := range []string{"citytwin_entities{kind=\"sensor\"} 2", "citytwin_ingest_records_total{result=\"accepted\"} 3", "citytwin_wal_records_total", "citytwin_deadletters_total{source=\"http\"}"} {
		if !strings.Contains(string(r.body), name) {
			t.Errorf("/metrics lacks %s", name)
		}
	}
}

// overloadedSink is a sink whose log is always behind.
type overloadedSink struct{}

func (overloadedSink) Submit(context.Context, []twin.Op) ([]error, error) {
	return nil, ingest.ErrOverloaded
}

func TestWritesAnswer429WhenOverloaded(t *testing.T) {
	s, _ := ingestServer(t, overloadedSink{})
	h := s.Handler()
	for _, c := range []struct{ path, ct, body string }{
		{"/api/v1/entities", "application/geo+json", twoSensors},
		{"/api/v1/observations?entity=sensor:a", "application/json", `{"metrics":{"pm25":1}}`},
	} {
		r := post(t, h, c.path, c.ct, c.body)
		if r.status != http.StatusTooManyRequests || r.header.Get("Retry-After") == "" {
			t.Errorf("%s: %d, Retry-After %q", c.path, r.status, r.header.Get("Retry-After"))
		}
	}
}

func TestReadOnlyServerHasNoWrites(t *testing.T) {
	f := newFixture(t)
	s, _ := newTestServer(t, f, nil)
	if r := post(t, s.Handler(), "/api/v1/observations", "application/json", `{}`); r.status != http.StatusMethodNotAllowed && r.status != http.StatusNotFound {
		t.Fatalf("write to a read-only server: %d", r.status)
	}
}

func itoa(v int64) string { return strconv.FormatInt(v, 10) }

func TestHealthReportsDurability(t *testing.T) {
	s, _ := ingestServer(t, nil)
	h := s.Handler()
	post(t, h, "/api/v1/entities", "application/geo+json", twoSensors)
	r := get(t, h, "/api/v1/health")
	d, ok := r.json(t)["durability"].(map[string]any)
	if r.status != 200 || !ok || d["fsync"] != "batch" || d["seq"].(float64) < 2 || d["log_segments"].(float64) < 1 {
		t.Fatalf("health: %d %s", r.status, r.body)
	}
}

// When the log is behind, writers get 429 and nothing of their request is
// taken; everything answered 200 is in the twin. The log here has almost no
// room (one byte may wait to be written), so concurrent writers find it full.
func TestBackPressureRefusesCleanly(t *testing.T) {
	d := twin.DefaultDurability(t.TempDir())
	d.SnapshotEvery, d.SnapshotLogBytes = 0, 0
	d.Log.MaxPending = 1
	store, _, err := twin.Open(context.Background(), twin.DefaultConfig(), d)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	b, err := ingest.NewBatcher(store, ingest.DefaultBatcherConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	gw := gateway.New(gateway.Config{}, b, store, ingest.NewDeadLetters(10), nil)
	s, err := New(DefaultConfig(), store, slog.New(slog.DiscardHandler), WithIngest(gw, b))
	if err != nil {
		t.Fatal(err)
	}
	h := s.Handler()
	const writers = 16
	var features []string
	for w := range writers {
		features = append(features, `{"type":"Feature","id":"sensor:bp-`+strconv.Itoa(w)+`","geometry":{"type":"Point","coordinates":[24.9,60.1]},"properties":{"kind":"sensor"}}`)
	}
	for {
		if r := post(t, h, "/api/v1/entities", "application/geo+json", `{"type":"FeatureCollection","features":[`+strings.Join(features, ",")+`]}`); r.status == 200 {
			break
		}
	}
	base := time.Now().Add(-time.Hour).Truncate(time.Second)
	type result struct{ taken, refused map[int64]bool }
	results := make([]result, writers)
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			res := result{map[int64]bool{}, map[int64]bool{}}
			for k := 0; k < 2000 && (len(res.refused) == 0 || k < 200); k++ {
				var body strings.Builder
				var ts []int64
				for j := range 20 {
					at := base.Add(time.Duration(k*20+j) * time.Millisecond)
					ts = append(ts, at.UnixNano())
					body.WriteString(`{"id":"sensor:bp-` + strconv.Itoa(w) + `","t":"` + at.Format(time.RFC3339Nano) + `","metrics":{"pm25":1}}` + "\n")
				}
				r := post(t, h, "/api/v1/observations", "application/x-ndjson", body.String())
				into := res.taken
				switch r.status {
				case 200:
				case http.StatusTooManyRequests:
					if r.header.Get("Retry-After") == "" {
						t.Error("429 without Retry-After")
					}
					into = res.refused
				default:
					t.Errorf("status %d: %s", r.status, r.body)
					return
				}
				for _, x := range ts {
					into[x] = true
				}
			}
			results[w] = res
		})
	}
	wg.Wait()
	refused, taken := 0, 0
	for w, res := range results {
		refused += len(res.refused)
		taken += len(res.taken)
		pts, _ := store.Range(twin.ID("sensor:bp-"+strconv.Itoa(w)), "pm25", math.MinInt64, math.MaxInt64)
		have := map[int64]bool{}
		for _, p := range pts {
			have[p.T] = true
		}
		for x := range res.taken {
			if !have[x] {
				t.Fatalf("writer %d: a reading answered 200 is not in the twin", w)
			}
		}
		for x := range res.refused {
			if have[x] {
				t.Fatalf("writer %d: a reading answered 429 was taken", w)
			}
		}
	}
	if refused == 0 || taken == 0 {
		t.Fatalf("%d readings taken, %d refused: the test needs both to prove anything", taken, refused)
	}
	t.Logf("%d readings taken, %d refused with 429 and not applied", taken, refused)
}
