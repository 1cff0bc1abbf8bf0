package gtfsrt

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"citytwin/datasets/sharedtest"
	"citytwin/twin"

	"github.com/MobilityData/gtfs-realtime-bindings/golang/gtfs"
	"github.com/paulmach/orb"
	"google.golang.org/protobuf/proto"
)

func bullRunnerPath(tb testing.TB) string {
	return filepath.Join(sharedtest.Dir(tb), "datasets", "gtfs", "usf_bullrunner_vehicle_positions.pb")
}

func readBullRunner(tb testing.TB) []byte {
	tb.Helper()
	data, err := os.ReadFile(bullRunnerPath(tb))
	if err != nil {
		tb.Fatal(err)
	}
	return data
}

var now = time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)

// checkOps fails on an op that does not validate.
func checkOps(tb testing.TB, ops []twin.Op) {
	tb.Helper()
	for i := range ops {
		if err := ops[i].Validate(); err != nil {
			tb.Fatalf("op %d (%s) does not validate: %v", i, ops[i].Type, err)
		}
	}
}

// byType groups ops by type.
func byType(ops []twin.Op) map[twin.OpType][]twin.Op {
	m := map[twin.OpType][]twin.Op{}
	for _, op := range ops {
		m[op.Type] = append(m[op.Type], op)
	}
	return m
}

// The facts of datasets/SOURCES.md about the USF Bull Runner capture.
func TestDecodeBullRunner(t *testing.T) {
	r, err := Decode(readBullRunner(t), Options{Now: now, Feed: "usf_bullrunner_vehicle_positions.pb"})
	if err != nil {
		t.Fatal(err)
	}
	checkOps(t, r.Ops)
	if len(r.Rejects) != 0 || r.Skipped != 0 {
		t.Fatalf("rejects %v, skipped %d", r.Rejects, r.Skipped)
	}
	wantHeader := Header{Version: "1.0", Incrementality: "FULL_DATASET", Timestamp: time.Date(2017, 9, 13, 14, 52, 55, 0, time.UTC)}
	if r.Header != wantHeader {
		t.Errorf("header = %+v, want %+v", r.Header, wantHeader)
	}
	if r.Vehicles != 10 {
		t.Fatalf("vehicles = %d, want 10", r.Vehicles)
	}
	ops := byType(r.Ops)
	if len(ops[twin.OpUpsert]) != 10 || len(ops[twin.OpMove]) != 10 || len(ops[twin.OpPatch]) != 0 {
		t.Errorf("ops: %d upserts, %d moves, %d patches; want 10, 10, 0", len(ops[twin.OpUpsert]), len(ops[twin.OpMove]), len(ops[twin.OpPatch]))
	}

	wantIDs := []string{"1536", "1537", "1331", "2252", "3004", "1538", "3001", "3002", "1124", "9012"}
	routes := map[string]int{}
	for i, op := range ops[twin.OpUpsert] {
		e := op.Entity
		if want := twin.ID("gtfs:vehicle/" + wantIDs[i]); e.ID != want {
			t.Errorf("vehicle %d = %s, want %s", i, e.ID, want)
		}
		if e.Kind != twin.KindVehicle || !e.Moving || len(e.Provenance) != 1 || e.Provenance[0].Source != "gtfs-rt" ||
			!e.Provenance[0].Time.Equal(wantHeader.Timestamp) || e.Provenance[0].Note != "usf_bullrunner_vehicle_positions.pb" {
			t.Errorf("vehicle %s: kind %s moving %v provenance %+v", e.ID, e.Kind, e.Moving, e.Provenance)
		}
		route, _ := e.Props.Get("route_id")
		routes[route.String()]++
		if _, ok := e.Props.Get("trip_id"); ok {
			t.Errorf("vehicle %s has a trip_id; the capture has none", e.ID)
		}
		if op.T != wantHeader.Timestamp.UnixNano() {
			t.Errorf("vehicle %s at %v: want the header's time (vehicles have no timestamp)", e.ID, time.Unix(0, op.T))
		}
	}
	for route, n := range map[string]int{"F": 2, "B": 1, "C": 3, "A": 1, "D": 2, "E": 1} {
		if routes[route] != n {
			t.Errorf("route %s: %d vehicles, want %d", route, routes[route], n)
		}
	}
	for _, op := range ops[twin.OpMove] {
		p := op.Positions[0]
		if p.Point.Lat() < 28.054 || p.Point.Lat() > 28.070 || p.Point.Lon() < -82.418 || p.Point.Lon() > -82.408 {
			t.Errorf("%s at %v: outside the stop bbox", p.ID, p.Point)
		}
	}

	first := ops[twin.OpMove][0].Positions[0]
	if math.Abs(first.Point.Lat()-28.06622) > 1e-5 || math.Abs(first.Point.Lon()+82.41769) > 1e-5 {
		t.Errorf("vehicle 1536 at %v, want about -82.41769, 28.06622", first.Point)
	}
	// Entity "1": bearing 180; entity "3" (vehicle 1331, route B): bearing 0.
	// SOURCES.md calls the 0/1 of field 9 a current_status (INCOMING_AT,
	// STOPPED_AT), but field 9 of VehiclePosition is occupancy_status (field 4
	// is current_status, absent here): decoded by the spec, 1536 is EMPTY (0)
	// and 1331 MANY_SEATS_AVAILABLE (1).
	want := map[twin.ID]map[string]float64{
		"gtfs:vehicle/1536": {"bearing": 180, "occupancy_status": 0},
		"gtfs:vehicle/1331": {"bearing": 0, "occupancy_status": 1},
	}
	for _, op := range ops[twin.OpObserve] {
		for _, o := range op.Observations {
			if w, ok := want[o.ID]; ok {
				if v, ok := w[o.Metric]; !ok || v != o.V {
					t.Errorf("%s %s = %v, want %v", o.ID, o.Metric, o.V, v)
				}
				delete(w, o.Metric)
			}
		}
	}
	for id, w := range want {
		if len(w) > 0 {
			t.Errorf("%s: no observation of %v", id, w)
		}
	}
	if s, ok := r.Props["gtfs:vehicle/1331"].Get("current_status"); ok {
		t.Errorf("1331 has current_status %v; the capture has none", s)
	}
}

// Known vehicles get no upsert.
func TestDecodeKnown(t *testing.T) {
	known := func(id twin.ID) bool { return id != "gtfs:vehicle/9012" }
	r, err := Decode(readBullRunner(t), Options{Now: now, Known: known})
	if err != nil {
		t.Fatal(err)
	}
	checkOps(t, r.Ops)
	ups := byType(r.Ops)[twin.OpUpsert]
	if len(ups) != 1 || ups[0].Entity.ID != "gtfs:vehicle/9012" {
		t.Errorf("upserts = %v, want only 9012", ups)
	}
	// The upsert comes just before the vehicle's move.
	for i, op := range r.Ops {
		if op.Type == twin.OpUpsert && (i+1 >= len(r.Ops) || r.Ops[i+1].Type != twin.OpMove || r.Ops[i+1].Positions[0].ID != op.Entity.ID) {
			t.Errorf("upsert %d is not followed by its move", i)
		}
	}
}

// feed builds a FeedMessage of vehicle positions.
func feed(header uint64, vps ...*gtfs.VehiclePosition) *gtfs.FeedMessage {
	m := &gtfs.FeedMessage{Header: &gtfs.FeedHeader{GtfsRealtimeVersion: proto.String("2.0")}}
	if header != 0 {
		m.Header.Timestamp = proto.Uint64(header)
	}
	for i, vp := range vps {
		m.Entity = append(m.Entity, &gtfs.FeedEntity{Id: proto.String(string(rune('a' + i))), Vehicle: vp})
	}
	return m
}

// vehicle builds a good vehicle position; change modifies it.
func vehicle(id string, change ...func(*gtfs.VehiclePosition)) *gtfs.VehiclePosition {
	vp := &gtfs.VehiclePosition{
		Vehicle:  &gtfs.VehicleDescriptor{Id: proto.String(id)},
		Position: &gtfs.Position{Latitude: proto.Float32(60.17), Longitude: proto.Float32(24.94)},
		Trip:     &gtfs.TripDescriptor{TripId: proto.String("t1"), RouteId: proto.String("r1")},
	}
	for _, c := range change {
		c(vp)
	}
	return vp
}

func marshal(tb testing.TB, m *gtfs.FeedMessage) []byte {
	tb.Helper()
	b, err := proto.MarshalOptions{AllowPartial: true}.Marshal(m)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func TestDecodeDamage(t *testing.T) {
	hdr := uint64(now.Add(-time.Minute).Unix())
	tests := []struct {
		name    string
		bad     *gtfs.VehiclePosition
		reason  string
		keepBad bool // the vehicle is kept, one reading rejected
		noID    bool // the feed entity has no id either
	}{
		{"no position", vehicle("x", func(v *gtfs.VehiclePosition) { v.Position = nil }), "no position", false, false},
		{"no latitude", vehicle("x", func(v *gtfs.VehiclePosition) { v.Position.Latitude = nil }), "no latitude", false, false},
		{"latitude out of range", vehicle("x", func(v *gtfs.VehiclePosition) { v.Position.Latitude = proto.Float32(91) }), "not a WGS84", false, false},
		{"longitude out of range", vehicle("x", func(v *gtfs.VehiclePosition) { v.Position.Longitude = proto.Float32(-180.5) }), "not a WGS84", false, false},
		{"NaN", vehicle("x", func(v *gtfs.VehiclePosition) { v.Position.Latitude = proto.Float32(float32(math.NaN())) }), "not a WGS84", false, false},
		{"zero", vehicle("x", func(v *gtfs.VehiclePosition) {
			v.Position.Latitude, v.Position.Longitude = proto.Float32(0), proto.Float32(0)
		}), "unknown position", false, false},
		{"no ids", vehicle("", func(v *gtfs.VehiclePosition) { v.Vehicle = nil }), "no id", false, true},
		{"future", vehicle("x", func(v *gtfs.VehiclePosition) { v.Timestamp = proto.Uint64(uint64(now.Add(2 * time.Hour).Unix())) }), "ahead of now", false, false},
		{"milliseconds", vehicle("x", func(v *gtfs.VehiclePosition) { v.Timestamp = proto.Uint64(uint64(now.UnixMilli())) }), "ahead of now", false, false},
		{"duplicate", vehicle("good"), "kept the first", false, false},
		{"negative speed", vehicle("x", func(v *gtfs.VehiclePosition) { v.Position.Speed = proto.Float32(-3) }), "speed", true, false},
		{"infinite speed", vehicle("x", func(v *gtfs.VehiclePosition) { v.Position.Speed = proto.Float32(float32(math.Inf(1))) }), "speed", true, false},
		{"bearing", vehicle("x", func(v *gtfs.VehiclePosition) { v.Position.Bearing = proto.Float32(400) }), "bearing", true, false},
		{"odometer", vehicle("x", func(v *gtfs.VehiclePosition) { v.Position.Odometer = proto.Float64(math.NaN()) }), "odometer", true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			good := vehicle("good", func(v *gtfs.VehiclePosition) { v.Position.Speed = proto.Float32(12.5) })
			m := feed(hdr, good, tt.bad, vehicle("good2"))
			wantEntity := "b"
			if tt.noID {
				m.Entity[1].Id, wantEntity = nil, ""
			}
			r, err := Decode(marshal(t, m), Options{Now: now})
			if err != nil {
				t.Fatal(err)
			}
			checkOps(t, r.Ops)
			wantVehicles := 2
			if tt.keepBad {
				wantVehicles = 3
			}
			if r.Vehicles != wantVehicles {
				t.Errorf("vehicles = %d, want %d", r.Vehicles, wantVehicles)
			}
			if len(r.Rejects) != 1 || r.Rejects[0].Index != 1 || r.Rejects[0].Entity != wantEntity || !strings.Contains(r.Rejects[0].Reason, tt.reason) {
				t.Errorf("rejects = %v, want entity 1 with %q", r.Rejects, tt.reason)
			}
			moves := byType(r.Ops)[twin.OpMove]
			if len(moves) != wantVehicles {
				t.Errorf("%d moves, want %d", len(moves), wantVehicles)
			}
		})
	}
}

func TestDecodeFallbacks(t *testing.T) {
	hdr := uint64(now.Add(-time.Minute).Unix())
	m := feed(hdr,
		vehicle("", func(v *gtfs.VehiclePosition) { v.Vehicle.Label = proto.String("Bus 7") }),
		vehicle("", func(v *gtfs.VehiclePosition) { v.Vehicle = nil }),
		vehicle("own-time", func(v *gtfs.VehiclePosition) { v.Timestamp = proto.Uint64(hdr - 30) }),
	)
	m.Entity = append(m.Entity,
		&gtfs.FeedEntity{Id: proto.String("trip"), TripUpdate: &gtfs.TripUpdate{Trip: &gtfs.TripDescriptor{TripId: proto.String("t")}}},
		&gtfs.FeedEntity{Id: proto.String("gone"), IsDeleted: proto.Bool(true), Vehicle: vehicle("gone")},
	)
	r, err := Decode(marshal(t, m), Options{Now: now, IDPrefix: "gtfs:hsl/vehicle/"})
	if err != nil {
		t.Fatal(err)
	}
	checkOps(t, r.Ops)
	moves := byType(r.Ops)[twin.OpMove]
	want := []twin.Position{
		{ID: "gtfs:hsl/vehicle/Bus 7", T: int64(hdr) * 1e9, Point: orb.Point{24.94, 60.17}},
		{ID: "gtfs:hsl/vehicle/b", T: int64(hdr) * 1e9, Point: orb.Point{24.94, 60.17}},
		{ID: "gtfs:hsl/vehicle/own-time", T: int64(hdr-30) * 1e9, Point: orb.Point{24.94, 60.17}},
	}
	if len(moves) != len(want) {
		t.Fatalf("moves = %v", moves)
	}
	for i, w := range want {
		if got := moves[i].Positions[0]; got != w {
			t.Errorf("move %d = %v, want %v", i, got, w)
		}
	}
	if r.Skipped != 2 {
		t.Errorf("skipped = %d, want 2", r.Skipped)
	}

	// Without any timestamp the vehicle is at Now.
	r, err = Decode(marshal(t, feed(0, vehicle("v"))), Options{Now: now})
	if err != nil {
		t.Fatal(err)
	}
	if p := byType(r.Ops)[twin.OpMove][0].Positions[0]; p.T != now.UnixNano() {
		t.Errorf("time = %v, want now", time.Unix(0, p.T))
	}
	// A header timestamp from the future is not used, nor replaced by now.
	r, err = Decode(marshal(t, feed(uint64(now.Add(48*time.Hour).Unix()), vehicle("v"))), Options{Now: now})
	if err != nil {
		t.Fatal(err)
	}
	if r.Vehicles != 0 || len(r.Rejects) != 1 || !r.Header.Timestamp.IsZero() {
		t.Errorf("vehicles %d, rejects %v, header %v", r.Vehicles, r.Rejects, r.Header)
	}
}

func TestDecodeProps(t *testing.T) {
	vp := vehicle("v1", func(v *gtfs.VehiclePosition) {
		v.Vehicle.Label = proto.String("Bus 7")
		v.Vehicle.LicensePlate = proto.String("ABC-123")
		v.Trip.DirectionId = proto.Uint32(1)
		v.Trip.StartDate = proto.String("20261127")
		v.Trip.StartTime = proto.String("09:30:00")
		v.StopId = proto.String("s42")
		v.CurrentStatus = gtfs.VehiclePosition_STOPPED_AT.Enum()
		v.OccupancyStatus = gtfs.VehiclePosition_STANDING_ROOM_ONLY.Enum()
		v.OccupancyPercentage = proto.Uint32(85)
		v.CongestionLevel = gtfs.VehiclePosition_STOP_AND_GO.Enum()
		v.Position.Speed = proto.Float32(8.3)
		v.Position.Bearing = proto.Float32(271.5)
		v.Position.Odometer = proto.Float64(123456.7)
	})
	r, err := Decode(marshal(t, feed(uint64(now.Unix()), vp)), Options{Now: now})
	if err != nil {
		t.Fatal(err)
	}
	checkOps(t, r.Ops)
	ps := r.Props["gtfs:vehicle/v1"]
	want := map[string]any{"trip_id": "t1", "route_id": "r1", "direction_id": 1.0, "start_date": "20261127", "start_time": "09:30:00",
		"label": "Bus 7", "license_plate": "ABC-123", "current_status": "STOPPED_AT", "stop_id": "s42"}
	got := ps.Map()
	if len(got) != len(want) {
		t.Errorf("props = %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %v, want %v", k, got[k], v)
		}
	}
	obs := map[string]float64{}
	for _, o := range byType(r.Ops)[twin.OpObserve][0].Observations {
		obs[o.Metric] = o.V
	}
	wantObs := map[string]float64{"speed": 8.3, "bearing": 271.5, "odometer": 123456.7, "occupancy_status": 3, "occupancy_percentage": 85, "congestion_level": 2}
	for k, v := range wantObs {
		if obs[k] != v {
			t.Errorf("%s = %v, want %v", k, obs[k], v)
		}
	}
}

func TestDecodePatch(t *testing.T) {
	hdr := uint64(now.Unix())
	old := twin.Properties{
		{Key: "current_status", Value: twin.StringValue("IN_TRANSIT_TO")},
		{Key: "label", Value: twin.StringValue("Bus 7")},
		{Key: "route_id", Value: twin.StringValue("r0")},
		{Key: "trip_id", Value: twin.StringValue("t0")},
	}
	opts := Options{
		Now:      now,
		Known:    func(twin.ID) bool { return true },
		Previous: func(id twin.ID) (twin.Properties, bool) { return old, id != "gtfs:vehicle/new" },
	}
	r, err := Decode(marshal(t, feed(hdr,
		vehicle("v1"), // trip t0/r0 -> t1/r1, label gone, status gone
		vehicle("v2", func(v *gtfs.VehiclePosition) { // same trip, another stop
			v.Trip = &gtfs.TripDescriptor{TripId: proto.String("t0"), RouteId: proto.String("r0")}
			v.Vehicle.Label = proto.String("Bus 7")
			v.StopId = proto.String("s9")
		}),
		vehicle("new"),
	)), opts)
	if err != nil {
		t.Fatal(err)
	}
	checkOps(t, r.Ops)
	patches := byType(r.Ops)[twin.OpPatch]
	if len(patches) != 1 || patches[0].ID != "gtfs:vehicle/v1" {
		t.Fatalf("patches = %v, want one for v1", patches)
	}
	want := twin.Properties{
		{Key: "current_status"}, // removed
		{Key: "label"},          // removed
		{Key: "route_id", Value: twin.StringValue("r1")},
		{Key: "trip_id", Value: twin.StringValue("t1")},
	}
	got := patches[0].Patch
	if len(got) != len(want) {
		t.Fatalf("patch = %v, want %v", got, want)
	}
	for i := range want {
		if got[i].Key != want[i].Key || got[i].Value.Compare(want[i].Value) != 0 {
			t.Errorf("patch %d = %v, want %v", i, got[i], want[i])
		}
	}
	if patches[0].T != int64(hdr)*1e9 {
		t.Errorf("patch at %v", time.Unix(0, patches[0].T))
	}
	if n := len(byType(r.Ops)[twin.OpUpsert]); n != 0 {
		t.Errorf("%d upserts for known vehicles", n)
	}
}

func TestDecodeErrors(t *testing.T) {
	if _, err := Decode([]byte{0xff, 0xff, 0xff}, Options{}); !errors.Is(err, ErrNotFeed) {
		t.Errorf("garbage: error = %v, want ErrNotFeed", err)
	}
	if _, err := Decode(make([]byte, 100), Options{MaxBytes: 10}); !errors.Is(err, ErrTooLarge) {
		t.Errorf("large: error = %v, want ErrTooLarge", err)
	}
	if _, err := Decode(nil, Options{MaxBytes: -1}); !errors.Is(err, ErrBadOptions) {
		t.Errorf("options: error = %v, want ErrBadOptions", err)
	}
	// An empty message is a feed with nothing in it.
	r, err := Decode(nil, Options{})
	if err != nil || len(r.Ops) != 0 {
		t.Errorf("empty: %+v, %v", r, err)
	}
}

func TestDecimal(t *testing.T) {
	for _, tt := range []struct {
		in   float32
		want float64
	}{{28.06622, 28.06622}, {-82.41769, -82.41769}, {180, 180}, {0.1, 0.1}} {
		if got := decimal(tt.in); got != tt.want {
			t.Errorf("decimal(%v) = %v, want %v", tt.in, got, tt.want)
		}
	}
	if !math.IsNaN(decimal(float32(math.NaN()))) {
		t.Error("NaN")
	}
}

func TestRejectString(t *testing.T) {
	r := Reject{Index: 3, Entity: "4", Vehicle: "gtfs:vehicle/9", Reason: "bad"}
	if got, want := r.String(), `entity 3 ("4", gtfs:vehicle/9): bad`; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}
