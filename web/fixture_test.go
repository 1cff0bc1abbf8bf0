package web

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"citytwin/twin"

	"github.com/paulmach/orb"
)

// The fixture's clock: everything is created at t0, some things change at t2, and
// the store's "now" is tNow.
var (
	t0   = time.Date(2024, 5, 1, 8, 0, 0, 0, time.UTC)
	t1   = t0.Add(time.Hour)
	t2   = t0.Add(2 * time.Hour)
	tNow = t0.Add(3 * time.Hour)
)

// fixture is a small city: 24 buildings (some with holes, one changed at t2, one
// deleted at t2), 8 roads, 10 sensors (one deleted at t2), stops on both sides of the
// antimeridian, and one moving vehicle.
type fixture struct {
	store *twin.Store
	// all is every entity as last upserted (deleted ones excluded), by id.
	all map[twin.ID]twin.Entity
}

func square(lon, lat, d float64) orb.Ring {
	return orb.Ring{{lon, lat}, {lon + d, lat}, {lon + d, lat + d}, {lon, lat + d}, {lon, lat}}
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	cfg := twin.DefaultConfig()
	cfg.Retention = 0
	cfg.Now = func() time.Time { return tNow }
	store, err := twin.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{store: store, all: make(map[twin.ID]twin.Entity)}
	upsert := func(at time.Time, e twin.Entity) {
		t.Helper()
		if _, err := store.Apply(twin.Op{Type: twin.OpUpsert, T: at.UnixNano(), Source: "fixture", Entity: &e}); err != nil {
			t.Fatalf("upsert %s: %v", e.ID, err)
		}
		f.all[e.ID] = e
	}
	del := func(at time.Time, id twin.ID) {
		t.Helper()
		if _, err := store.Apply(twin.Op{Type: twin.OpDelete, T: at.UnixNano(), ID: id}); err != nil {
			t.Fatalf("delete %s: %v", id, err)
		}
		delete(f.all, id)
	}
	props := func(kv ...any) twin.Properties {
		m := make(map[string]any)
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i].(string)] = kv[i+1]
		}
		ps, err := twin.PropertiesOf(m)
		if err != nil {
			t.Fatal(err)
		}
		return ps
	}

	// Buildings on a 6×4 grid of 0.004° squares from (13.400, 52.500); every third
	// has a courtyard (a hole).
	for i := range 24 {
		lon, lat := 13.400+float64(i%6)*0.005, 52.500+float64(i/6)*0.005
		poly := orb.Polygon{square(lon, lat, 0.004)}
		if i%3 == 0 {
			hole := square(lon+0.001, lat+0.001, 0.002)
			hole.Reverse()
			poly = append(poly, hole)
		}
		use := "residential"
		if i%2 == 1 {
			use = "office"
		}
		upsert(t0, twin.Entity{
			ID: twin.ID(fmt.Sprintf("osm:way/%d", 100+i)), Kind: twin.KindBuilding, Geometry: poly,
			Height: float64(10 + i), Levels: 3 + i%5, Props: props("name", fmt.Sprintf("House %d", i), "use", use, "floors", float64(3+i%5)),
			Provenance: []twin.Provenance{{Source: "osm", Time: t0, Note: "fixture"}},
		})
	}
	// osm:way/100 is rebuilt at t2: taller, an office, and moved east.
	upsert(t2, twin.Entity{
		ID: "osm:way/100", Kind: twin.KindBuilding, Geometry: orb.Polygon{square(13.440, 52.500, 0.004)},
		Height: 50, Levels: 12, Props: props("name", "House 0", "use", "office", "floors", 12.0),
	})
	del(t2, "osm:way/123")

	// Roads: east-west lines between the rows of buildings, and two north-south.
	for i := range 6 {
		lat := 52.4995 + float64(i%4)*0.005
		upsert(t0, twin.Entity{
			ID: twin.ID(fmt.Sprintf("osm:way/%d", 200+i)), Kind: twin.KindRoad,
			Geometry: orb.LineString{{13.399, lat}, {13.430, lat}},
			Props:    props("highway", "residential", "lanes", float64(1+i%2)),
		})
	}
	for i := range 2 {
		lon := 13.4045 + float64(i)*0.010
		upsert(t0, twin.Entity{
			ID: twin.ID(fmt.Sprintf("osm:way/%d", 210+i)), Kind: twin.KindRoad,
			Geometry: orb.LineString{{lon, 52.499}, {lon, 52.520}},
			Props:    props("highway", "secondary", "lanes", 2.0),
		})
	}

	// Sensors at the centre of some buildings, each linked to its building.
	for i := range 10 {
		b := 2 * i
		lon, lat := 13.400+float64(b%6)*0.005+0.0005, 52.500+float64(b/6)*0.005+0.0005
		upsert(t0, twin.Entity{
			ID: twin.ID(fmt.Sprintf("sensor:aq-%d", i)), Kind: twin.KindSensor, Geometry: orb.Point{lon, lat},
			Props: props("metric", "pm25", "ok", i%4 != 0),
			Links: []twin.Link{{Rel: "in", To: twin.ID(fmt.Sprintf("osm:way/%d", 100+b))}},
		})
	}
	del(t2, "sensor:aq-9")

	// Stops in Fiji, on both sides of the antimeridian, and one in Berlin.
	for i, p := range []orb.Point{{179.95, -16.80}, {179.99, -16.79}, {-179.98, -16.78}, {-179.90, -16.77}, {13.410, 52.505}} {
		upsert(t0, twin.Entity{
			ID: twin.ID(fmt.Sprintf("gtfs:stop/%d", 4520+i)), Kind: twin.KindStop, Geometry: p,
			Props: props("name", fmt.Sprintf("Stop %d", i)),
		})
	}

	// A vehicle that drives east along the first road.
	upsert(t0, twin.Entity{ID: "veh:bus-1", Kind: twin.KindVehicle, Geometry: orb.Point{13.400, 52.4995}, Props: props("line", "100")})
	if _, err := store.Apply(twin.Op{Type: twin.OpMove, T: t1.UnixNano(), Positions: []twin.Position{
		{ID: "veh:bus-1", T: t1.UnixNano(), Point: orb.Point{13.405, 52.4995}},
		{ID: "veh:bus-1", T: t2.UnixNano(), Point: orb.Point{13.410, 52.4995}},
	}}); err != nil {
		t.Fatal(err)
	}
	return f
}

// live returns the current entity with id from the store.
func (f *fixture) live(t testing.TB, id twin.ID) twin.Entity {
	t.Helper()
	e, err := f.store.Get(id)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// lockedWriter collects log lines from concurrent requests.
type lockedWriter struct {
	mu sync.Mutex
	b  strings.Builder
}

func (w *lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func (w *lockedWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}

func newTestServer(t testing.TB, f *fixture, edit func(*Config)) (*Server, *lockedWriter) {
	t.Helper()
	cfg := DefaultConfig()
	cfg.BaseURL = "http://twin.test"
	if edit != nil {
		edit(&cfg)
	}
	logs := &lockedWriter{}
	s, err := New(cfg, f.store, slog.New(slog.NewJSONHandler(logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	s.now = func() time.Time { return tNow }
	return s, logs
}

// response is a recorded answer.
type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) json(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("body is not a JSON object: %v\n%s", err, r.body)
	}
	return m
}

// do sends a GET (or method) to the handler.
func do(t testing.TB, h http.Handler, method, target string, header ...string) response {
	t.Helper()
	req := httptest.NewRequest(method, target, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	body, _ := io.ReadAll(rec.Result().Body)
	return response{status: rec.Code, header: rec.Header(), body: body}
}

func get(t testing.TB, h http.Handler, target string, header ...string) response {
	t.Helper()
	return do(t, h, http.MethodGet, target, header...)
}
