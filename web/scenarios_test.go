package web

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"citytwin/datasets"
	"citytwin/datasets/datasetstest"
	"citytwin/simulate"

	"github.com/gorilla/websocket"
)

// scenarioServer serves a small synthetic city with a scenario manager.
func scenarioServer(t *testing.T) *httptest.Server {
	t.Helper()
	cfg := datasets.Demo()
	cfg.Buildings, cfg.Sensors, cfg.Vehicles, cfg.Buses, cfg.Routes = 400, 40, 0, 0, 0
	store, _ := datasetstest.Twin(t, cfg)
	m, err := simulate.NewManager(store, simulate.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Close() })
	s, err := New(DefaultConfig(), store, slog.New(slog.DiscardHandler), WithScenarios(m))
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(ts.Close)
	return ts
}

func doJSON(t *testing.T, method, url, body string, want int, out any) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		t.Fatalf("%s %s: %d, want %d: %s", method, url, resp.StatusCode, want, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: %v: %.200s", method, url, err, b)
		}
	}
}

// A planner creates a scenario, runs it, follows its progress on the stream,
// and reads the results, the comparison, an entity, the H3 layer and a plot;
// then deletes it.
func TestScenarioAPI(t *testing.T) {
	ts := scenarioServer(t)
	api := ts.URL + scenariosPath

	// Follow scenarios on the stream first.
	ws, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(ts.URL, "http")+streamPath, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	if err := ws.WriteJSON(map[string]any{"type": "scenarios"}); err != nil {
		t.Fatal(err)
	}

	var info simulate.Info
	doJSON(t, "POST", api, `{"name":"close the busiest road","model":"traffic","horizon_s":1200,"step_s":2,"seed":3,
		"interventions":[{"type":"close_road","id":"synth:road/0","from_s":300}]}`, http.StatusCreated, &info)
	if info.Status != simulate.StatusCreated || info.Seq == 0 {
		t.Fatalf("created %+v", info)
	}
	doJSON(t, "POST", api, `{"model":"traffic","interventions":[{"type":"close_road","id":"synth:road/nope"}]}`, http.StatusUnprocessableEntity, nil)
	doJSON(t, "GET", api+"/"+info.ID+"/results", "", http.StatusConflict, nil)
	doJSON(t, "POST", api+"/"+info.ID+"/run", "", http.StatusAccepted, &info)
	doJSON(t, "POST", api+"/"+info.ID+"/run", "", http.StatusConflict, nil)

	// The stream lists the scenarios (none when it subscribed), then reports
	// the new one's progress until it is done.
	phases := map[string]bool{}
	deadline := time.Now().Add(3 * time.Minute)
	_ = ws.SetReadDeadline(deadline)
	var listed bool
	for {
		var msg struct {
			Type      string          `json:"type"`
			Scenarios []simulate.Info `json:"scenarios"`
			Scenario  simulate.Info   `json:"scenario"`
		}
		if err := ws.ReadJSON(&msg); err != nil {
			t.Fatalf("stream: %v (phases seen %v)", err, phases)
		}
		switch msg.Type {
		case "scenarios":
			listed = msg.Scenarios != nil // subscribed before the scenario was created: []
		case "scenario":
			if msg.Scenario.ID != info.ID {
				continue
			}
			phases[msg.Scenario.Progress.Phase] = true
			if msg.Scenario.Status == simulate.StatusFailed {
				t.Fatalf("run failed: %s", msg.Scenario.Error)
			}
		}
		if msg.Type == "scenario" && msg.Scenario.Status == simulate.StatusDone {
			break
		}
	}
	if !listed || !phases[simulate.PhaseTraffic] {
		t.Fatalf("stream: listed %v, phases %v", listed, phases)
	}

	var results struct {
		KPIs  []simulate.KPI `json:"kpis"`
		Plots []Link         `json:"plots"`
	}
	doJSON(t, "GET", api+"/"+info.ID+"/results", "", http.StatusOK, &results)
	if len(results.KPIs) < 5 || len(results.Plots) == 0 {
		t.Fatalf("results: %+v", results)
	}
	var cmp struct {
		Metric   string       `json:"metric"`
		Entities []entityDiff `json:"entities"`
	}
	doJSON(t, "GET", api+"/"+info.ID+"/compare?metric=vehicles&limit=5", "", http.StatusOK, &cmp)
	if cmp.Metric != "vehicles" || len(cmp.Entities) != 5 {
		t.Fatalf("compare: %+v", cmp)
	}
	for i := 1; i < len(cmp.Entities); i++ {
		if abs(cmp.Entities[i].Diff) > abs(cmp.Entities[i-1].Diff) {
			t.Fatalf("compare is not ordered by |diff|: %+v", cmp.Entities)
		}
	}
	var ent struct {
		Entity simulate.EntityResult `json:"entity"`
		Times  []float64             `json:"times_s"`
		Series []simulate.SeriesPair `json:"series"`
	}
	doJSON(t, "GET", api+"/"+info.ID+"/entities/synth:road%2F0", "", http.StatusOK, &ent)
	if v, _ := ent.Entity.Value("vehicles"); len(ent.Series) != 3 || len(ent.Times) != 4 {
		t.Fatalf("entity: %+v (times %v)", v, ent.Times)
	}
	// Closed from 300 s: nothing flows on it in the later samples.
	if flow := ent.Series[0].Scenario; flow[len(flow)-1] != 0 {
		t.Fatalf("closed road flows in the scenario: %v", flow)
	}
	var cells struct {
		Cells []map[string]any `json:"cells"`
	}
	doJSON(t, "GET", api+"/"+info.ID+"/h3?metric=delay&res=8", "", http.StatusOK, &cells)
	if len(cells.Cells) == 0 {
		t.Fatal("no H3 cells")
	}
	resp, err := http.Get(results.Plots[0].Href)
	if err != nil {
		t.Fatal(err)
	}
	svg, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.HasPrefix(string(svg), "<svg") || resp.Header.Get("Content-Type") != "image/svg+xml" {
		t.Fatalf("plot %s: %d %s %.80s", results.Plots[0].Href, resp.StatusCode, resp.Header.Get("Content-Type"), svg)
	}
	var list struct {
		Scenarios []simulate.Info `json:"scenarios"`
	}
	doJSON(t, "GET", api, "", http.StatusOK, &list)
	if len(list.Scenarios) != 1 || list.Scenarios[0].Status != simulate.StatusDone {
		t.Fatalf("list: %+v", list)
	}
	doJSON(t, "DELETE", api+"/"+info.ID, "", http.StatusNoContent, nil)
	doJSON(t, "GET", api+"/"+info.ID, "", http.StatusNotFound, nil)
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}
