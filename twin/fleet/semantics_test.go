package fleet_test

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"citytwin/twin"
	"citytwin/twin/fleet"
)

// A tiny fleet whose damaged rows exercise the rules the reference follows.
// Times are minutes after 2016-01-01 00:00 UTC.

var t0 = time.Date(2016, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano()

func at(min, sec int) int64 { return t0 + int64(min)*60e9 + int64(sec)*1e9 }

type row map[string]float64

// tinyStore makes trucks (name → fleet, model) and applies their rows.
func tinyStore(t *testing.T, rows map[string][]struct {
	T int64
	F row
}) *twin.Store {
	t.Helper()
	cfg := twin.DefaultConfig()
	cfg.Retention = 0
	s, err := twin.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for name, rs := range rows {
		id := twin.ID("tsbs:truck/" + name)
		e := &twin.Entity{ID: id, Kind: twin.KindVehicle, Moving: true, Props: twin.Properties{
			{Key: "driver", Value: twin.StringValue("D-" + name)},
			{Key: "fleet", Value: twin.StringValue("North")},
			{Key: "load_capacity", Value: twin.NumberValue(1500)},
			{Key: "model", Value: twin.StringValue("H-2")},
			{Key: "name", Value: twin.StringValue(name)},
			{Key: "nominal_fuel_consumption", Value: twin.NumberValue(12)},
		}}
		ops := []twin.Op{{Type: twin.OpUpsert, T: t0, Entity: e}}
		var obs []twin.Observation
		for _, r := range rs {
			for m, v := range r.F {
				obs = append(obs, twin.Observation{ID: id, Metric: m, T: r.T, V: v})
			}
		}
		ops = append(ops, twin.Op{Type: twin.OpObserve, Observations: obs})
		if _, err := s.Apply(ops...); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

type rows = []struct {
	T int64
	F row
}

func reading(lat, lon, vel float64) row {
	return row{"latitude": lat, "longitude": lon, "velocity": vel, "elevation": 1, "heading": 1, "grade": 0, "fuel_consumption": 20}
}

func without(r row, k string) row {
	out := row{}
	for kk, v := range r {
		if kk != k {
			out[kk] = v
		}
	}
	return out
}

// The newest row decides, blanked values and all.
func TestNewestRow(t *testing.T) {
	s := tinyStore(t, map[string][]struct {
		T int64
		F row
	}{
		"a": { // newest readings row lost its latitude
			{at(0, 0), reading(10, 20, 5)},
			{at(0, 10), without(reading(11, 21, 5), "latitude")},
			{at(0, 0), row{"fuel_state": 0.05, "current_load": 1400, "status": 0}},
			{at(0, 10), row{"current_load": 1400, "status": 0}}, // fuel_state blanked
		},
		"b": {
			{at(0, 0), reading(30, 40, 5)},
			{at(0, 10), row{"fuel_state": 0.05, "current_load": 100, "status": 0}},
		},
		"c": { // diagnostics only: no location
			{at(0, 0), row{"fuel_state": 0.5, "current_load": 1499, "status": 0}},
		},
	})
	ctx := context.Background()
	locs, err := fleet.LastLoc(ctx, s, "North")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]fleet.Location{
		"a": {Name: "a", Driver: "D-a", Longitude: sql.Null[float64]{V: 21, Valid: true}},
		"b": {Name: "b", Driver: "D-b", Longitude: sql.Null[float64]{V: 40, Valid: true}, Latitude: sql.Null[float64]{V: 30, Valid: true}},
	}
	if len(locs) != len(want) {
		t.Fatalf("locations %+v, want %+v", locs, want)
	}
	for _, l := range locs {
		if l != want[l.Name] {
			t.Errorf("got %+v, want %+v", l, want[l.Name])
		}
	}
	low, err := fleet.LowFuel(ctx, s, "North")
	if err != nil || len(low) != 1 || low[0].Name != "b" {
		t.Errorf("low fuel %+v, %v: want only b (a's newest fuel_state is NULL)", low, err)
	}
	high, err := fleet.HighLoad(ctx, s, "")
	if err != nil || len(high) != 2 {
		t.Errorf("high load %+v, %v: want a and c", high, err)
	}
	if other, err := fleet.LastLoc(ctx, s, "South"); err != nil || len(other) != 0 {
		t.Errorf("another fleet: %+v, %v", other, err)
	}
	one, err := fleet.LastLocByName(ctx, s, "b", "c")
	if err != nil || len(one) != 1 || one[0].Name != "b" {
		t.Errorf("by name: %+v, %v", one, err)
	}
}

// A bucket whose velocities are all blanked still exists: it is no change,
// and the bucket after it is none either.
func TestDrivingSessionNullBucket(t *testing.T) {
	var rs rows
	add := func(min int, r row) {
		rs = append(rs, struct {
			T int64
			F row
		}{at(min, 0), r})
	}
	add(0, reading(1, 1, 10))                       // driving
	add(10, reading(1, 1, 0))                       // standing: a change
	add(20, reading(1, 1, 10))                      // driving: a change, until 50
	add(30, without(reading(1, 1, 10), "velocity")) // NULL
	add(40, reading(1, 1, 0))                       // standing, after NULL: no change
	add(50, reading(1, 1, 10))                      // driving: a change, the last (no end)
	add(70, reading(1, 1, 0))                       // standing: a change; 50's ends at 70
	add(80, reading(1, 1, 10))                      // driving: the last change, no end
	s := tinyStore(t, map[string][]struct {
		T int64
		F row
	}{"a": rs})
	got, err := fleet.AvgDailyDrivingSession(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	// Driving changes at 20 (to 50: 30 min), 50 (to 70: 20 min), 80 (no end).
	want := fleet.DrivingSession{Name: "a", Day: time.Unix(0, t0).UTC(), Duration: sql.Null[time.Duration]{V: 25 * time.Minute, Valid: true}}
	if len(got) != 1 || got[0] != want {
		t.Errorf("got %+v, want %+v", got, want)
	}
	// Duration: buckets above 1 are 0, 20, 50, 80 (the NULL one is not).
	dur, err := fleet.AvgDailyDrivingDuration(context.Background(), s)
	if err != nil || len(dur) != 1 || dur[0].AvgDailyHours != 0 {
		t.Errorf("duration %+v, %v: 4 moving buckets are 0 whole hours", dur, err)
	}
}

// Breakdowns count buckets with a blanked status followed by one without;
// activity counts rows, NULL statuses included.
func TestStatusBuckets(t *testing.T) {
	var rs rows
	add := func(min, sec int, r row) {
		rs = append(rs, struct {
			T int64
			F row
		}{at(min, sec), r})
	}
	add(0, 0, row{"fuel_state": 1, "current_load": 1, "status": 0})
	add(0, 10, row{"fuel_state": 1, "current_load": 1}) // status blanked
	add(10, 0, row{"fuel_state": 1, "current_load": 1, "status": 3})
	add(10, 10, row{"current_load": 1, "status": 3})    // fuel_state blanked: still a row
	add(20, 0, row{"fuel_state": 1, "current_load": 1}) // status blanked
	add(30, 0, row{"fuel_state": 1, "status": 0})
	s := tinyStore(t, map[string][]struct {
		T int64
		F row
	}{"a": rs})
	ctx := context.Background()
	br, err := fleet.BreakdownFrequency(ctx, s)
	if err != nil || len(br) != 1 || br[0].Count != 2 {
		t.Errorf("breakdowns %+v, %v: want 2 (0→10, 20→30)", br, err)
	}
	act, err := fleet.DailyActivity(ctx, s)
	// Active cells (mean status < 1): 0 (2 rows) and 30 (1 row); 20 has no status.
	if err != nil || len(act) != 1 || act[0].DailyActivity != 3.0/144 {
		t.Errorf("activity %+v, %v: want 3/144", act, err)
	}
}
