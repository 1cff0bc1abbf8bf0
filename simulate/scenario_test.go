package simulate_test

import (
	"bytes"
	"context"
	"encoding/gob"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"citytwin/datasets"
	"citytwin/datasets/datasetstest"
	"citytwin/simulate"
	"citytwin/twin"
)

// The test city: the demo generator at a few hundred buildings, loaded once.
var (
	cityOnce  sync.Once
	cityStore *twin.Store
	cityErr   error
	cityNow   = time.Date(2025, 6, 2, 8, 0, 0, 0, time.UTC)
)

func testCity(t testing.TB) *twin.Store {
	t.Helper()
	cityOnce.Do(func() {
		cfg := datasets.Demo()
		cfg.Buildings, cfg.Sensors, cfg.Vehicles, cfg.Buses, cfg.Routes = 600, 80, 0, 0, 0
		cityStore, _, cityErr = datasetstest.Load(context.Background(), cfg)
	})
	if cityErr != nil {
		t.Fatal(cityErr)
	}
	return cityStore
}

func newManager(t testing.TB, store *twin.Store, dir string) *simulate.Manager {
	t.Helper()
	cfg := simulate.DefaultConfig()
	cfg.Dir = dir
	cfg.Now = func() time.Time { return cityNow }
	cfg.LoadGrid = loadGrid
	m, err := simulate.NewManager(store, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Close() })
	return m
}

// run creates and runs a spec to the end.
func run(t testing.TB, m *simulate.Manager, spec simulate.Spec) (simulate.Info, *simulate.Result) {
	t.Helper()
	info, err := m.Create(context.Background(), spec)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Run(info.ID, false); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	info, err = m.Wait(ctx, info.ID)
	if err != nil {
		t.Fatal(err)
	}
	if info.Status != simulate.StatusDone {
		t.Fatalf("run ended %s: %s", info.Status, info.Error)
	}
	res, err := m.Result(info.ID)
	if err != nil {
		t.Fatal(err)
	}
	return info, res
}

func kpi(t testing.TB, res *simulate.Result, name string) simulate.KPI {
	t.Helper()
	for _, k := range res.KPIs {
		if k.Name == name {
			return k
		}
	}
	t.Fatalf("no KPI %s in %v", name, res.KPIs)
	return simulate.KPI{}
}

func encode(t testing.TB, res *simulate.Result) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := gob.NewEncoder(&b).Encode(res); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// busiest is the road with the most vehicles in the baseline.
func busiest(res *simulate.Result) twin.ID {
	ents := append([]simulate.EntityResult(nil), res.Entities...)
	sort.SliceStable(ents, func(i, j int) bool {
		a, _ := ents[i].Value("vehicles")
		b, _ := ents[j].Value("vehicles")
		return a.Baseline > b.Baseline
	})
	return ents[0].ID
}

// A closed road carries nothing in the scenario, the trips find other ways
// (the same vehicles depart in both runs), and the baseline equals a run
// without interventions.
func TestTrafficClosure(t *testing.T) {
	store := testCity(t)
	m := newManager(t, store, "")
	spec := simulate.DefaultSpec()
	spec.Horizon = 1800
	_, base := run(t, m, spec)
	if d := kpi(t, base, "delay"); d.Baseline != d.Scenario || d.Baseline <= 0 {
		t.Fatalf("without interventions the scenario must equal the baseline, with traffic: %+v", d)
	}
	road := busiest(base)
	spec.Interventions = []simulate.Intervention{{Type: simulate.CloseRoad, ID: road}}
	_, res := run(t, m, spec)
	e, ok := res.Entity(road)
	if !ok {
		t.Fatalf("no result for %s", road)
	}
	got, _ := e.Value("vehicles")
	if got.Scenario != 0 || got.Baseline <= 0 {
		t.Fatalf("closed road %s: %v vehicles in the scenario, %v in the baseline", road, got.Scenario, got.Baseline)
	}
	dep := kpi(t, res, "trips_completed")
	tt := kpi(t, res, "mean_travel_time")
	t.Logf("closing %s: mean travel time %.1f → %.1f s, vehicle-km %.0f → %.0f, trips %.0f → %.0f", road, tt.Baseline, tt.Scenario,
		kpi(t, res, "vehicle_km").Baseline, kpi(t, res, "vehicle_km").Scenario, dep.Baseline, dep.Scenario)
	// Taking away the busiest road cannot make trips shorter on this
	// uncongested network: the detours are longer.
	if tt.Scenario <= tt.Baseline {
		t.Fatalf("closing the busiest road made trips faster: %+v", tt)
	}
	if dep.Scenario <= 0 {
		t.Fatal("no trips completed in the scenario: closures must re-route, not stop the city")
	}
	// Some other road carries more.
	more := 0
	for _, e := range res.Entities {
		if p, ok := e.Value("vehicles"); ok && p.Scenario > p.Baseline+1 {
			more++
		}
	}
	if more == 0 {
		t.Fatal("no road carries more traffic after the closure")
	}
}

// The same snapshot, spec and seed give the same result byte for byte; another
// seed gives another.
func TestDeterminism(t *testing.T) {
	store := testCity(t)
	m := newManager(t, store, "")
	spec := simulate.DefaultSpec()
	spec.Horizon = 1200
	spec.Seed = 7
	_, a := run(t, m, spec)
	_, b := run(t, m, spec)
	if !bytes.Equal(encode(t, a), encode(t, b)) {
		t.Fatal("two runs of one spec differ")
	}
	spec.Seed = 8
	_, c := run(t, m, spec)
	if bytes.Equal(encode(t, a), encode(t, c)) {
		t.Fatal("another seed gave the same result")
	}
}

// A run cancelled after a checkpoint and resumed gives the result of one
// uninterrupted run, also after the manager restarted from its directory.
func TestResumeEqualsUninterrupted(t *testing.T) {
	store := testCity(t)
	dir := t.TempDir()
	spec := simulate.DefaultSpec()
	spec.Horizon = 1800
	spec.Interventions = []simulate.Intervention{{Type: simulate.CloseRoad, ID: "synth:road/3", From: 300, To: 1200}}
	_, want := run(t, newManager(t, store, ""), spec)

	m := newManager(t, store, dir)
	info, err := m.Create(context.Background(), spec)
	if err != nil {
		t.Fatal(err)
	}
	events, stop := m.Subscribe()
	defer stop()
	if _, err := m.Run(info.ID, false); err != nil {
		t.Fatal(err)
	}
	// Cancel once the run is past its first checkpoint.
	for ev := range events {
		if ev.ID != info.ID {
			continue
		}
		if ev.Progress.Phase == simulate.PhaseTraffic && ev.Progress.SimTime >= 600 || ev.Status == simulate.StatusDone || ev.Status == simulate.StatusFailed {
			break
		}
	}
	if info, err = m.Cancel(info.ID); err != nil {
		t.Fatal(err)
	}
	if info.Status == simulate.StatusDone {
		t.Skip("the run finished before it could be cancelled")
	}
	if !info.Resumable {
		t.Fatalf("cancelled run has no checkpoint: %+v", info)
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	// A new manager over the same directory resumes it.
	m2 := newManager(t, store, dir)
	if _, err := m2.Run(info.ID, true); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if info, err = m2.Wait(ctx, info.ID); err != nil || info.Status != simulate.StatusDone {
		t.Fatalf("resumed run: %+v %v", info, err)
	}
	got, err := m2.Result(info.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(encode(t, got), encode(t, want)) {
		t.Fatal("the resumed run differs from the uninterrupted one")
	}
}

// With traffic counters in the twin the demand is scaled to them: counters
// that saw twice the flows of the uncalibrated model give a scale of 2. The
// counters began reporting a quarter of an hour before the fork (a server
// that just started): the rate is taken over the time they cover.
func TestCalibrationToCounters(t *testing.T) {
	cfg := datasets.Demo()
	cfg.Buildings, cfg.Sensors, cfg.Vehicles, cfg.Buses, cfg.Routes = 600, 80, 0, 0, 0
	store, city := datasetstest.Twin(t, cfg)
	m := newManager(t, store, "")
	spec := simulate.DefaultSpec()
	spec.Horizon = 1800
	_, plain := run(t, m, spec)
	if got := plain.Notes[len(plain.Notes)-1]; !strings.Contains(got, "uncalibrated") {
		t.Fatalf("notes %v", plain.Notes)
	}
	// The flows the calibration run sees: the baseline's mean over its second
	// half (the same model, demand and seed).
	var obs []twin.Observation
	counted := 0
	for _, s := range city.Sensors {
		if s.Type != datasets.Traffic || s.Road < 0 {
			continue
		}
		e, ok := plain.Entity(datasets.RoadID(s.Road))
		if !ok {
			continue
		}
		flow := e.Series[0].Baseline // veh/h in samples ending at 300, 600, … 1800 s
		f := (flow[3] + flow[4] + flow[5]) / 3
		if f <= 0 {
			continue
		}
		counted++
		id := s.ID
		for i := 0; i <= 15; i++ { // a reading a minute for the last 15 minutes
			at := cityNow.Add(time.Duration(i-15) * time.Minute)
			obs = append(obs, twin.Observation{ID: id, Metric: "vehicle_count", T: at.UnixNano(), V: 2 * f / 60})
		}
	}
	if counted < 3 {
		t.Fatalf("only %d counters beside roads with traffic", counted)
	}
	if _, err := store.Apply(twin.Op{Type: twin.OpObserve, T: cityNow.Add(-time.Second).UnixNano(), Observations: obs}); err != nil {
		t.Fatal(err)
	}
	_, cal := run(t, m, spec)
	want := fmt.Sprintf("demand calibrated on %d traffic counters: scale 2.000", counted)
	if !slices.Contains(cal.Notes, want) {
		t.Fatalf("notes %v; want %q", cal.Notes, want)
	}
}
