package gtfsrt

import (
	"os"
	"testing"
	"time"

	"citytwin/datasets"
	"citytwin/twin"

	"github.com/MobilityData/gtfs-realtime-bindings/golang/gtfs"
	"google.golang.org/protobuf/proto"
)

func FuzzDecode(f *testing.F) {
	if _, ok := datasets.SharedDir(); ok {
		f.Add(readBullRunner(f))
	} else if os.Getenv("CI") == "true" {
		f.Fatal("gtfsrt: shared/datasets not found above the test directory")
	}
	damaged := feed(uint64(now.Unix()),
		vehicle("a", func(v *gtfs.VehiclePosition) { v.Position.Speed = proto.Float32(-1) }),
		vehicle("b", func(v *gtfs.VehiclePosition) { v.Position.Latitude = nil }),
		vehicle("", func(v *gtfs.VehiclePosition) { v.Vehicle = nil; v.OccupancyPercentage = proto.Uint32(120) }),
	)
	b, _ := proto.MarshalOptions{AllowPartial: true}.Marshal(damaged)
	f.Add(b)
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		known := func(id twin.ID) bool { return len(id)%2 == 0 }
		prev := func(twin.ID) (twin.Properties, bool) {
			return twin.Properties{{Key: "route_id", Value: twin.StringValue("Z")}}, true
		}
		r, err := Decode(data, Options{Now: time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC), Known: known, Previous: prev})
		if err != nil {
			return
		}
		moves := 0
		for i := range r.Ops {
			if err := r.Ops[i].Validate(); err != nil {
				t.Fatalf("op %d (%s) does not validate: %v", i, r.Ops[i].Type, err)
			}
			if r.Ops[i].Type == twin.OpMove {
				moves++
			}
		}
		if moves != r.Vehicles || len(r.Props) != r.Vehicles {
			t.Fatalf("%d moves, %d props for %d vehicles", moves, len(r.Props), r.Vehicles)
		}
	})
}
