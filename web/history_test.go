package web

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"citytwin/twin"
	"citytwin/twin/history"
	"citytwin/twin/history/historytest"

	"github.com/paulmach/orb"
)

// *history.Reader is the reader citytwin serve hands the API.
var _ HistoryReader = (*history.Reader)(nil)

// histStart is when the history test's city starts: four hours of minutes.
var histStart = time.Date(2026, 11, 26, 6, 0, 0, 0, time.UTC)

const (
	histSteps  = 240
	histKeep   = 30 * time.Minute
	histSensor = 6
	histCars   = 3
)

// historyOps is the history test's city, minute by minute: sensors that read
// pm25 and no2 (multiples of 0.5, so that sums are exact in any order,
// sometimes twice at one instant), vehicles that move, patches, a delete and a
// re-creation, a vehicle re-imported.
func historyOps() [][]twin.Op {
	rng := rand.New(rand.NewPCG(9, 9))
	pt := func() orb.Point { return orb.Point{24.9 + rng.Float64()*0.1, 60.1 + rng.Float64()*0.1} }
	at := func(step int) int64 { return histStart.Add(time.Duration(step) * time.Minute).UnixNano() }
	var setup []twin.Op
	for i := range histSensor {
		setup = append(setup, twin.Op{Type: twin.OpUpsert, T: at(0), Source: "test", Entity: &twin.Entity{
			ID: twin.ID(fmt.Sprintf("sensor:s%d", i)), Kind: twin.KindSensor, Geometry: pt(),
			Props: twin.Properties{{Key: "model", Value: twin.StringValue("aq")}, {Key: "n", Value: twin.NumberValue(float64(i))}}}})
	}
	for i := range histCars {
		setup = append(setup, twin.Op{Type: twin.OpUpsert, T: at(0), Source: "test", Entity: &twin.Entity{
			ID: twin.ID(fmt.Sprintf("vehicle:v%d", i)), Kind: twin.KindVehicle, Geometry: pt()}})
	}
	c := pt()
	setup = append(setup, twin.Op{Type: twin.OpUpsert, T: at(0), Source: "test", Entity: &twin.Entity{
		ID: "osm:way/1", Kind: twin.KindBuilding, Height: 12, Levels: 4,
		Geometry: orb.Polygon{{{c[0], c[1]}, {c[0] + 0.001, c[1]}, {c[0] + 0.001, c[1] + 0.001}, {c[0], c[1] + 0.001}, {c[0], c[1]}}},
		Props:    twin.Properties{{Key: "name", Value: twin.StringValue("town hall")}}}})
	out := [][]twin.Op{setup}
	for step := 1; step < histSteps; step++ {
		obs := twin.Op{Type: twin.OpObserve, T: at(step)}
		for i := range histSensor {
			id := twin.ID(fmt.Sprintf("sensor:s%d", i))
			if i == 5 && step > 50 && step <= 80 { // deleted meanwhile
				continue
			}
			for _, m := range []string{"pm25", "no2"} {
				t := at(step) - int64(rng.IntN(20))*1e9
				obs.Observations = append(obs.Observations, twin.Observation{ID: id, Metric: m, T: t, V: float64(rng.IntN(400)) / 2})
				if rng.IntN(30) == 0 { // the same instant again: the later wins
					obs.Observations = append(obs.Observations, twin.Observation{ID: id, Metric: m, T: t, V: float64(rng.IntN(400)) / 2})
				}
			}
		}
		mv := twin.Op{Type: twin.OpMove, T: at(step)}
		for i := range histCars {
			mv.Positions = append(mv.Positions, twin.Position{ID: twin.ID(fmt.Sprintf("vehicle:v%d", i)), T: at(step), Point: pt()})
		}
		ops := []twin.Op{obs, mv}
		switch {
		case step%37 == 0:
			ops = append(ops, twin.Op{Type: twin.OpPatch, T: at(step), ID: twin.ID(fmt.Sprintf("sensor:s%d", step%histSensor)),
				Patch: twin.Properties{{Key: "state", Value: twin.StringValue(fmt.Sprint(step))}}})
		case step == 50:
			ops = append(ops, twin.Op{Type: twin.OpDelete, T: at(step), ID: "sensor:s5"})
		case step == 80:
			ops = append(ops, twin.Op{Type: twin.OpUpsert, T: at(step), Source: "test", Entity: &twin.Entity{ID: "sensor:s5", Kind: twin.KindSensor, Geometry: pt()}})
		case step == 100:
			ops = append(ops, twin.Op{Type: twin.OpUpsert, T: at(step), Source: "again", Entity: &twin.Entity{ID: "vehicle:v1", Kind: twin.KindVehicle, Geometry: pt(),
				Props: twin.Properties{{Key: "line", Value: twin.NumberValue(4)}}}})
		}
		out = append(out, ops)
	}
	return out
}

// historyServers builds the two twins of the history test from the same ops
// and serves them: live keeps 30 minutes and answers older ranges from
// PostgreSQL through a history.Reader, full keeps everything and has no
// history. empty serves a twin that holds nothing, with the same reader; bare
// serves live's twin without the reader.
func historyServers(t *testing.T) (live, full, empty, bare http.Handler, cut int64) {
	dsn := historytest.DSN(t, "citytwin_web")
	ctx := context.Background()
	fullStore, err := twin.New(twin.Config{Retention: 0, GridMetres: 250, RefLat: 60, FeedSize: 4096})
	if err != nil {
		t.Fatal(err)
	}
	cfg := twin.DefaultConfig()
	cfg.Retention, cfg.RefLat = histKeep, 60
	d := twin.DefaultDurability(t.TempDir())
	d.SnapshotEvery = 0
	liveStore, _, err := twin.Open(ctx, cfg, d)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { liveStore.Close() })
	scfg := history.DefaultConfig(dsn)
	scfg.BatchRows, scfg.BatchWait = 5000, 20*time.Millisecond
	sctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	sink, err := history.Open(sctx, scfg, liveStore, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sink.Close() })
	var seq uint64
	for _, ops := range historyOps() {
		if _, err := fullStore.Apply(ops...); err != nil {
			t.Fatal(err)
		}
		if seq, err = liveStore.Apply(ops...); err != nil {
			t.Fatal(err)
		}
	}
	if err := sink.WaitFor(sctx, seq); err != nil {
		t.Fatalf("sink at %d, want %d: %v", sink.Position(), seq, err)
	}
	now := histStart.Add(histSteps * time.Minute)
	if n, err := liveStore.Trim(ctx, now.UnixNano()); err != nil || n == 0 {
		t.Fatalf("trim dropped %d: %v", n, err)
	}
	reader, err := history.OpenReader(history.ReaderConfig{DSN: dsn, Conns: 2, Retention: histKeep, Now: func() time.Time { return now }}, liveStore)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(reader.Close)
	emptyStore, err := twin.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	serve := func(store *twin.Store, opts ...Option) http.Handler {
		s, err := New(DefaultConfig(), store, nil, opts...)
		if err != nil {
			t.Fatal(err)
		}
		s.now = func() time.Time { return now }
		return s.Handler()
	}
	return serve(liveStore, WithHistory(reader)), serve(fullStore), serve(emptyStore, WithHistory(reader)), serve(liveStore), reader.Cut()
}

// historyAnswer is one response of the history test.
type historyAnswer struct {
	code   int
	source string
	body   []byte
}

func ask(t *testing.T, h http.Handler, method, target, body string) historyAnswer {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, "http://citytwin.test"+target, rd)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return historyAnswer{rec.Code, rec.Header().Get(HeaderSource), rec.Body.Bytes()}
}

func histTime(d time.Duration) string {
	return url.QueryEscape(histStart.Add(d).Format(time.RFC3339Nano))
}

// TestHistoryAnswersOldRanges checks that a twin that keeps 30 minutes, with
// the history reader, answers over HTTP exactly as a twin that keeps
// everything: byte-equal bodies for series, bucketed aggregates, entities as of
// old instants (one, lists, pages, POST queries, OGC items), histories and
// tracks, and says where each answer came from.
func TestHistoryAnswersOldRanges(t *testing.T) {
	live, full, _, bare, cut := historyServers(t)
	if want := histStart.Add(histSteps*time.Minute - histKeep).UnixNano(); cut != want {
		t.Fatalf("cut %d, want %d", cut, want)
	}
	h := time.Hour
	for _, c := range []struct {
		name, method, target, body, source string
		same                               bool // memory alone is right too (no track involved)
	}{
		{"series old", "GET", "/api/v1/entities/sensor:s0/series/pm25?from=" + histTime(0) + "&to=" + histTime(h), "", SourceHistory, false},
		{"series columns", "GET", "/api/v1/entities/sensor:s1/series/no2?format=columns&from=" + histTime(h) + "&to=" + histTime(2*h), "", SourceHistory, false},
		{"series across", "GET", "/api/v1/entities/sensor:s2/series/pm25?from=" + histTime(3*h) + "&to=" + histTime(4*h), "", SourceMerged, false},
		{"series all", "GET", "/api/v1/entities/sensor:s3/series/no2", "", SourceMerged, false},
		{"series paged", "GET", "/api/v1/entities/sensor:s3/series/no2?limit=100&from=" + histTime(30*time.Minute), "", SourceMerged, false},
		{"series at", "GET", "/api/v1/entities/sensor:s4/series/pm25?at=" + histTime(h), "", SourceHistory, false},
		{"series recent", "GET", "/api/v1/entities/sensor:s0/series/pm25?from=" + histTime(3*h+45*time.Minute), "", SourceMemory, false},
		{"series deleted and back", "GET", "/api/v1/entities/sensor:s5/series/pm25?to=" + histTime(2*h), "", SourceHistory, false},
		{"last old", "GET", "/api/v1/entities/sensor:s0/series/pm25?last=20&before=" + histTime(h), "", SourceHistory, false},
		{"last across", "GET", "/api/v1/entities/sensor:s1/series/pm25?last=200", "", SourceMerged, false},
		{"last recent", "GET", "/api/v1/entities/sensor:s1/series/pm25?last=5", "", SourceMemory, false},
		{"buckets old avg", "GET", "/api/v1/aggregate?metric=pm25&by=time&step=15m&from=" + histTime(0) + "&to=" + histTime(2*h), "", SourceHistory, false},
		{"buckets across count", "GET", "/api/v1/aggregate?metric=no2&agg=count&by=time&step=10m&from=" + histTime(2*h), "", SourceMerged, false},
		{"buckets across sum", "GET", "/api/v1/aggregate?metric=pm25&agg=sum&by=time&step=7m&from=" + histTime(h) + "&to=" + histTime(4*h), "", SourceMerged, false},
		{"buckets across min", "GET", "/api/v1/aggregate?metric=pm25&agg=min&by=time&step=1h", "", SourceMerged, false},
		{"buckets across max kind", "GET", "/api/v1/aggregate?metric=no2&agg=max&by=time&step=20m&kind=sensor&from=" + histTime(0), "", SourceMerged, false},
		{"buckets old p95", "GET", "/api/v1/aggregate?metric=pm25&agg=p95&by=time&step=30m&to=" + histTime(3*h), "", SourceHistory, false},
		{"buckets across as of recent", "GET", "/api/v1/aggregate?metric=pm25&agg=max&by=time&step=30m&from=" + histTime(0) + "&at=" + histTime(3*h+50*time.Minute), "", SourceMerged, false},
		{"buckets old ids", "GET", "/api/v1/aggregate?metric=pm25&by=time&step=30m&id=sensor:s1&id=sensor:s2&to=" + histTime(3*h), "", SourceHistory, false},
		{"buckets across p50", "GET", "/api/v1/aggregate?metric=pm25&agg=p50&by=time&step=30m&from=" + histTime(3*h+40*time.Minute), "", SourceMemory, false},
		{"entities old avg", "GET", "/api/v1/aggregate?metric=pm25&from=" + histTime(0) + "&to=" + histTime(2*h), "", SourceHistory, false},
		{"entities across avg", "GET", "/api/v1/aggregate?metric=pm25&from=" + histTime(h), "", SourceMerged, false},
		{"entities across count box", "GET", "/api/v1/aggregate?metric=no2&agg=count&bbox=24.9,60.1,24.95,60.2&from=" + histTime(0), "", SourceMerged, false},
		{"entities across min", "GET", "/api/v1/aggregate?metric=no2&agg=min&by=entity&from=" + histTime(3*h) + "&to=" + histTime(4*h), "", SourceMerged, false},
		{"entities across max", "GET", "/api/v1/aggregate?metric=pm25&agg=max&kind=sensor&from=" + histTime(2*h), "", SourceMerged, false},
		{"entities across sum as of", "GET", "/api/v1/aggregate?metric=pm25&agg=sum&from=" + histTime(0) + "&at=" + histTime(3*h+45*time.Minute), "", SourceMerged, false},
		{"entities old p95", "GET", "/api/v1/aggregate?metric=no2&agg=p95&to=" + histTime(3*h), "", SourceHistory, false},
		{"vehicle as of", "GET", "/api/v1/entities/vehicle:v0?at=" + histTime(h+30*time.Second), "", SourceHistory, false},
		{"vehicle re-imported as of", "GET", "/api/v1/entities/vehicle:v1?at=" + histTime(100*time.Minute+10*time.Second), "", SourceHistory, false},
		{"sensor as of", "GET", "/api/v1/entities/sensor:s1?at=" + histTime(2*h), "", SourceHistory, true},
		{"deleted as of", "GET", "/api/v1/entities/sensor:s5?at=" + histTime(60*time.Minute), "", "", true},
		{"building as of", "GET", "/api/v1/entities/osm:way%2F1?at=" + histTime(h), "", SourceHistory, true},
		{"links as of", "GET", "/api/v1/entities/vehicle:v2/links?at=" + histTime(h), "", SourceHistory, true},
		{"vehicle now", "GET", "/api/v1/entities/vehicle:v0", "", SourceMemory, false},
		{"list as of", "GET", "/api/v1/entities?at=" + histTime(90*time.Minute), "", SourceHistory, false},
		{"list as of box", "GET", "/api/v1/entities?kind=vehicle&bbox=24.9,60.1,24.95,60.2&at=" + histTime(2*h), "", SourceHistory, false},
		{"list as of page 1", "GET", "/api/v1/entities?limit=2&kind=vehicle&at=" + histTime(h), "", SourceHistory, false},
		{"list as of where", "GET", "/api/v1/entities?where=" + url.QueryEscape("n>=2") + "&at=" + histTime(h), "", SourceMemory, false},
		{"post query as of", "POST", "/api/v1/query", `{"kinds":["vehicle"],"at":"` + histStart.Add(h).Format(time.RFC3339) + `","limit":2}`, SourceHistory, false},
		{"items as of", "GET", "/collections/vehicles/items?datetime=" + histTime(h), "", SourceHistory, false},
		{"item as of", "GET", "/collections/vehicles/items/vehicle:v2?datetime=" + histTime(2*h+5*time.Second), "", SourceHistory, false},
		{"history", "GET", "/api/v1/entities/sensor:s5/history", "", SourceMemory, false},
		{"track", "GET", "/collections/vehicles/items/vehicle:v0/tgsequence", "", SourceMerged, false},
		{"track old", "GET", "/collections/vehicles/items/vehicle:v1/tgsequence?datetime=" + histTime(h) + "/" + histTime(2*h), "", SourceHistory, false},
		{"track paged", "GET", "/collections/vehicles/items/vehicle:v2/tgsequence?limit=50&datetime=" + histTime(3*h) + "/..", "", SourceMerged, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			want := ask(t, full, c.method, c.target, c.body)
			got := ask(t, live, c.method, c.target, c.body)
			if got.code != want.code || !bytes.Equal(got.body, want.body) {
				t.Fatalf("%s %s:\n with history %d %s\n keeping all  %d %s", c.method, c.target, got.code, got.body, want.code, want.body)
			}
			if got.source != c.source {
				t.Errorf("%s %s: source %q, want %q", c.method, c.target, got.source, c.source)
			}
			if c.source != SourceMemory && !c.same && bytes.Equal(ask(t, bare, c.method, c.target, c.body).body, want.body) {
				t.Errorf("%s %s: the trimmed twin alone answers so too: the case tests nothing", c.method, c.target)
			}
		})
	}
}

// TestHistoryPagesAsOf follows the next links of an as-of list answered from
// the history and checks that every page equals the full twin's.
func TestHistoryPagesAsOf(t *testing.T) {
	live, full, _, _, _ := historyServers(t)
	target := "/api/v1/entities?limit=3&at=" + histTime(70*time.Minute)
	for pages := 0; target != ""; pages++ {
		if pages > 10 {
			t.Fatal("more than 10 pages")
		}
		want, got := ask(t, full, "GET", target, ""), ask(t, live, "GET", target, "")
		if got.code != http.StatusOK || !bytes.Equal(got.body, want.body) || got.source != SourceHistory {
			t.Fatalf("%s:\n with history %d %s %s\n keeping all  %d %s", target, got.code, got.source, got.body, want.code, want.body)
		}
		var fc struct {
			Links []Link `json:"links"`
		}
		if err := json.Unmarshal(got.body, &fc); err != nil {
			t.Fatal(err)
		}
		target = ""
		for _, l := range fc.Links {
			if l.Rel == "next" {
				target = strings.TrimPrefix(l.Href, "http://citytwin.test")
			}
		}
	}
}

// TestHistoryOfForgottenEntities serves a twin that holds nothing with the
// same history: versions, old series and old entities come from the database
// alone and equal the full twin's.
func TestHistoryOfForgottenEntities(t *testing.T) {
	_, full, empty, _, _ := historyServers(t)
	for _, target := range []string{
		"/api/v1/entities/sensor:s5/history",
		"/api/v1/entities/vehicle:v1/history",
		"/api/v1/entities/osm:way%2F1/history",
		"/api/v1/entities/sensor:s0/history?at=" + histTime(2*time.Hour),
	} {
		want, got := ask(t, full, "GET", target, ""), ask(t, empty, "GET", target, "")
		if got.code != want.code || !bytes.Equal(got.body, want.body) || got.source != SourceHistory {
			t.Errorf("%s:\n empty twin with history %d %s %s\n keeping all             %d %s", target, got.code, got.source, got.body, want.code, want.body)
		}
	}
}
