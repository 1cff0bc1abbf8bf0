package fleet_test

import (
	"context"
	"testing"

	"citytwin/twin"
	"citytwin/twin/fleet"
)

// The roster follows the store: a truck added, moved to another fleet or
// deleted shows in the next query, while new observations alone do not
// rebuild it.
func TestRosterFollowsChanges(t *testing.T) {
	s := tinyStore(t, map[string][]struct {
		T int64
		F row
	}{"a": {{at(0, 0), reading(1, 2, 3)}}})
	ctx := context.Background()
	names := func(fleetName string) []string {
		t.Helper()
		locs, err := fleet.LastLoc(ctx, s, fleetName)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, l := range locs {
			out = append(out, l.Name)
		}
		return out
	}
	if got := names("North"); len(got) != 1 || got[0] != "a" {
		t.Fatalf("North: %v", got)
	}
	apply := func(ops ...twin.Op) {
		t.Helper()
		if _, err := s.Apply(ops...); err != nil {
			t.Fatal(err)
		}
	}
	// A new truck, with a reading.
	b := twin.ID("tsbs:truck/b")
	apply(twin.Op{Type: twin.OpUpsert, T: at(1, 0), Entity: &twin.Entity{ID: b, Kind: twin.KindVehicle, Moving: true, Props: twin.Properties{
		{Key: "driver", Value: twin.StringValue("Bo")}, {Key: "fleet", Value: twin.StringValue("North")}, {Key: "name", Value: twin.StringValue("b")},
	}}}, twin.Op{Type: twin.OpObserve, Observations: []twin.Observation{
		{ID: b, Metric: "latitude", T: at(1, 0), V: 5}, {ID: b, Metric: "longitude", T: at(1, 0), V: 6},
	}})
	if got := names("North"); len(got) != 2 {
		t.Fatalf("after an upsert: %v", got)
	}
	// Truck a moves to the South fleet.
	apply(twin.Op{Type: twin.OpPatch, T: at(2, 0), ID: "tsbs:truck/a", Patch: twin.Properties{{Key: "fleet", Value: twin.StringValue("South")}}})
	if got := names("South"); len(got) != 1 || got[0] != "a" {
		t.Fatalf("after a patch: South %v", got)
	}
	// Truck b is deleted.
	apply(twin.Op{Type: twin.OpDelete, T: at(3, 0), ID: b})
	if got := names("North"); len(got) != 0 {
		t.Fatalf("after a delete: North %v", got)
	}
	// New observations of a: its newest location, same roster.
	apply(twin.Op{Type: twin.OpObserve, Observations: []twin.Observation{
		{ID: "tsbs:truck/a", Metric: "latitude", T: at(4, 0), V: 7}, {ID: "tsbs:truck/a", Metric: "longitude", T: at(4, 0), V: 8},
	}})
	locs, err := fleet.LastLoc(ctx, s, "South")
	if err != nil || len(locs) != 1 || locs[0].Latitude.V != 7 || locs[0].Longitude.V != 8 {
		t.Fatalf("after new observations: %+v, %v", locs, err)
	}
}
