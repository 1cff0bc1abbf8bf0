package web

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"citytwin/twin"
	"citytwin/twin/fence"

	"github.com/paulmach/orb"
)

// startFences runs a geofence engine on store until the test ends.
func startFences(t testing.TB, store *twin.Store) *fence.Engine {
	t.Helper()
	cfg := fence.DefaultConfig(t.TempDir())
	cfg.RetryBase, cfg.RetryMax = 10*time.Millisecond, 50*time.Millisecond
	eng, err := fence.New(store, cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = eng.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done; eng.Close() })
	return eng
}

// A geofence written over the API watches the twin; its events can be read
// back from any seq and reach a webhook that was down for a while, each once.
func TestGeofencesOverTheAPI(t *testing.T) {
	rf := newRESTFixture(t)
	var mu sync.Mutex
	var got []fence.Event
	failures := 3
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if failures > 0 {
			failures--
			http.Error(w, "down for maintenance", http.StatusServiceUnavailable)
			return
		}
		var evs []fence.Event
		body, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(body, &evs); err != nil {
			t.Errorf("webhook body: %v %s", err, body)
		}
		got = append(got, evs...)
	}))
	defer hook.Close()

	r := rf.call(t, "POST", "/api/v1/geofences/endpoints", `{"id":"ops","kind":"webhook","url":"`+hook.URL+`","secret":"s3cret"}`)
	if r.status != 201 || strings.Contains(string(r.body), "s3cret") {
		t.Fatalf("add endpoint: %d %s", r.status, r.body)
	}
	// A depot around the bus's route, and a fence with a typo.
	depot := `{"type":"Feature","geometry":{"type":"Polygon","coordinates":[[[13.4045,52.499],[13.4065,52.499],[13.4065,52.500],[13.4045,52.500],[13.4045,52.499]]]},
		"properties":{"kind":"geofence","name":"depot","fence.kinds":"vehicle","fence.events":"enter,exit"}}`
	if r := rf.call(t, "PUT", "/api/v1/entities/fence:depot", depot, "Content-Type", ContentTypeGeoJSON); r.status != 201 {
		t.Fatalf("put fence: %d %s", r.status, r.body)
	}
	if r := rf.call(t, "PUT", "/api/v1/entities/fence:bad", strings.Replace(depot, "fence.events", "fence.evnets", 1), "Content-Type", ContentTypeGeoJSON); r.status != 422 || !strings.Contains(string(r.body), "fence.evnets") {
		t.Fatalf("fence with a typo: %d %s", r.status, r.body)
	}
	// The bus drives through the depot.
	start := tNow.Add(time.Minute).UnixNano()
	for i, lon := range []float64{13.4030, 13.4050, 13.4060, 13.4080} {
		if _, err := rf.store.Apply(twin.Op{Type: twin.OpMove, Positions: []twin.Position{{ID: "veh:bus-1", T: start + int64(i)*int64(time.Second), Point: orb.Point{lon, 52.4995}}}}); err != nil {
			t.Fatal(err)
		}
	}
	var page eventsPage
	deadline := time.Now().Add(10 * time.Second)
	for {
		r := rf.get(t, "/api/v1/geofences/events?after=0&fence=fence:depot")
		if err := json.Unmarshal(r.body, &page); err != nil {
			t.Fatal(err)
		}
		if len(page.Events) >= 2 || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if len(page.Events) != 2 || page.Events[0].Kind != fence.Enter || page.Events[1].Kind != fence.Exit || page.Events[0].Object != "veh:bus-1" {
		t.Fatalf("events %+v", page.Events)
	}
	// Replay from the first event gives the rest.
	r = rf.get(t, "/api/v1/geofences/events?after="+itoa(int64(page.Events[0].Seq)))
	var rest eventsPage
	if err := json.Unmarshal(r.body, &rest); err != nil || len(rest.Events) != 1 || rest.Events[0].Seq != page.Events[1].Seq {
		t.Fatalf("replay after %d: %s", page.Events[0].Seq, r.body)
	}
	// The webhook, after its failures, has each event once, in order.
	for deadline := time.Now().Add(10 * time.Second); ; {
		mu.Lock()
		n := len(got)
		mu.Unlock()
		if n >= 2 || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	mu.Lock()
	if len(got) != 2 || got[0].Seq != page.Events[0].Seq || got[1].Seq != page.Events[1].Seq {
		t.Errorf("webhook received %+v, want the two events once", got)
	}
	mu.Unlock()
	var eps struct {
		Endpoints []endpointView `json:"endpoints"`
	}
	if err := json.Unmarshal(rf.get(t, "/api/v1/geofences/endpoints").body, &eps); err != nil || len(eps.Endpoints) != 1 || !eps.Endpoints[0].Signed || eps.Endpoints[0].Stats == nil || eps.Endpoints[0].Stats.Failed < 3 {
		t.Errorf("endpoints: %+v %v", eps, err)
	}
	if r := rf.call(t, "DELETE", "/api/v1/geofences/endpoints/ops", ""); r.status != 204 {
		t.Errorf("delete endpoint: %d", r.status)
	}
	m := string(rf.get(t, "/metrics").body)
	for _, want := range []string{"citytwin_geofences 1", `citytwin_geofence_events_total 2`} {
		if !strings.Contains(m, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
}
