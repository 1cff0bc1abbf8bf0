package web

import (
	"encoding/json"
	"testing"
)

func TestTemporalGeometrySequence(t *testing.T) {
	f := newFixture(t)
	s, _ := newTestServer(t, f, nil)
	h := s.Handler()
	decode := func(target string) temporalGeometrySequence {
		t.Helper()
		r := get(t, h, target)
		if r.status != 200 {
			t.Fatalf("%s: %d %s", target, r.status, r.body)
		}
		var seq temporalGeometrySequence
		if err := json.Unmarshal(r.body, &seq); err != nil {
			t.Fatal(err)
		}
		return seq
	}
	seq := decode("/collections/vehicles/items/veh:bus-1/tgsequence")
	if seq.Type != "TemporalGeometrySequence" || len(seq.GeometrySequence) != 1 {
		t.Fatalf("%+v", seq)
	}
	mp := seq.GeometrySequence[0]
	if mp.Type != "MovingPoint" || len(mp.Datetimes) != len(mp.Coordinates) || len(mp.Coordinates) < 2 {
		t.Fatalf("moving point %+v", mp)
	}
	last := len(mp.Coordinates) - 1
	if mp.Coordinates[last] != [2]float64{13.410, 52.4995} || mp.Datetimes[last] != t2.Format("2006-01-02T15:04:05Z07:00") {
		t.Errorf("last position %v at %s, want 13.410,52.4995 at %s", mp.Coordinates[last], mp.Datetimes[last], t2)
	}

	// An interval keeps the positions within it; its end is inclusive.
	in := decode("/collections/vehicles/items/veh:bus-1/tgsequence?datetime=" + t1.Format("2006-01-02T15:04:05Z") + "/..")
	if n := len(in.GeometrySequence[0].Coordinates); n != 2 || in.NumberMatched != 2 {
		t.Errorf("from t1 on: %d positions, matched %d, want 2", n, in.NumberMatched)
	}
	upTo := decode("/collections/vehicles/items/veh:bus-1/tgsequence?datetime=../" + t1.Format("2006-01-02T15:04:05Z"))
	if got := upTo.GeometrySequence[0].Coordinates; got[len(got)-1] != [2]float64{13.405, 52.4995} {
		t.Errorf("up to t1: %v", got)
	}
	// A limit pages with a next link.
	page := decode("/collections/vehicles/items/veh:bus-1/tgsequence?limit=1")
	hasNext := false
	for _, l := range page.Links {
		hasNext = hasNext || l.Rel == "next"
	}
	if page.NumberReturned != 1 || !hasNext {
		t.Errorf("limit=1: %+v", page)
	}

	for _, c := range []struct {
		target string
		status int
	}{
		{"/collections/buildings/items/osm:way%2F100/tgsequence", 404}, // never moved
		{"/collections/vehicles/items/veh:nobody/tgsequence", 404},
		{"/collections/vehicles/items/veh:bus-1/tgsequence?limit=0", 400},
		{"/collections/vehicles/items/veh:bus-1/tgsequence?datetime=2024-05-02T00:00:00Z/2024-05-01T00:00:00Z", 400},
		{"/collections/vehicles/items/veh:bus-1/tgsequence?bbox=1,2,3,4", 400},
	} {
		if r := get(t, h, c.target); r.status != c.status {
			t.Errorf("%s: %d, want %d: %s", c.target, r.status, c.status, r.body)
		}
	}
}
