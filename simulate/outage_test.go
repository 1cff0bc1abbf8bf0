package simulate_test

import (
	"context"
	"math"
	"slices"
	"testing"

	"citytwin/datasets"
	"citytwin/simulate"
	"citytwin/twin"
)

// An outage of a demo city's substation cuts the substation, exactly the
// buildings fed by it, and what is in or on those buildings (their energy
// meters and weather stations); a failure of it is the substation alone.
func TestSubstationOutage(t *testing.T) {
	store := testCity(t)
	ctx := context.Background()
	query := func(k twin.Kind) []twin.Entity {
		res, err := store.Query(ctx, twin.Query{Kinds: []twin.Kind{k}})
		if err != nil {
			t.Fatal(err)
		}
		return res.Entities
	}
	// The oracle, from the generator's links: substation ← building ← sensor.
	cut := map[twin.ID][]twin.ID{}
	for _, s := range query(datasets.KindSubstation) {
		cut[s.ID] = []twin.ID{s.ID}
	}
	feeder := map[twin.ID]twin.ID{}
	for _, b := range query(twin.KindBuilding) {
		for _, l := range b.Links {
			if l.Rel == "fed_by" {
				feeder[b.ID] = l.To
				cut[l.To] = append(cut[l.To], b.ID)
			}
		}
	}
	withSensors := map[twin.ID]int{}
	for _, s := range query(twin.KindSensor) {
		for _, l := range s.Links {
			if sub, ok := feeder[l.To]; ok {
				cut[sub] = append(cut[sub], s.ID)
				withSensors[sub]++
			}
		}
	}
	if len(cut) < 2 || len(feeder) == 0 {
		t.Fatalf("%d substations feeding %d buildings: nothing to cut", len(cut), len(feeder))
	}
	// The substation with the most sensors in its buildings.
	var sub twin.ID
	for id := range cut {
		if withSensors[id] > withSensors[sub] || withSensors[id] == withSensors[sub] && id < sub {
			sub = id
		}
	}
	want := cut[sub]
	slices.Sort(want)
	if withSensors[sub] == 0 || len(want) < 3 {
		t.Fatalf("%s cuts %v: want buildings with sensors in them", sub, want)
	}

	got, err := simulate.Dependents(ctx, simulate.Fork(store, cityNow), []twin.ID{sub})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("an outage of %s cuts %d entities %v,\nwant %d %v", sub, len(got), got, len(want), want)
	}

	m := newManager(t, store, "")
	spec := simulate.DefaultSpec()
	spec.Horizon = 600
	for _, tc := range []struct {
		typ  simulate.InterventionType
		want int
	}{
		{simulate.Outage, len(want)},
		{simulate.Failure, 1},
	} {
		spec.Interventions = []simulate.Intervention{{Type: tc.typ, ID: sub}}
		_, res := run(t, m, spec)
		out, lost := kpi(t, res, "entities_out_of_service"), kpi(t, res, "service_hours_lost")
		if out.Baseline != 0 || out.Scenario != float64(tc.want) {
			t.Errorf("%s of %s: entities out of service %v → %v, want 0 → %d", tc.typ, sub, out.Baseline, out.Scenario, tc.want)
		}
		if h := float64(tc.want) * spec.Horizon / 3600; math.Abs(lost.Scenario-h) > 1e-9 {
			t.Errorf("%s of %s: %v service hours lost, want %v", tc.typ, sub, lost.Scenario, h)
		}
	}
	t.Logf("an outage of %s cuts %d entities: %d buildings and %d sensors in them", sub, len(want), len(want)-1-withSensors[sub], withSensors[sub])
}
