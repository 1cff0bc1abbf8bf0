package gtfsrt

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"citytwin/twin"

	"github.com/MobilityData/gtfs-realtime-bindings/golang/gtfs"
	"google.golang.org/protobuf/proto"
)

// bigFeed is a city-sized feed: n buses around Helsinki with trips, speeds and
// bearings, from a fixed seed.
func bigFeed(n int) []byte {
	r := rand.New(rand.NewPCG(7, 7))
	m := &gtfs.FeedMessage{Header: &gtfs.FeedHeader{GtfsRealtimeVersion: proto.String("2.0"), Timestamp: proto.Uint64(1795770000)}}
	for i := range n {
		m.Entity = append(m.Entity, &gtfs.FeedEntity{
			Id: proto.String(fmt.Sprint(i)),
			Vehicle: &gtfs.VehiclePosition{
				Trip:      &gtfs.TripDescriptor{TripId: proto.String(fmt.Sprintf("trip-%d", i)), RouteId: proto.String(fmt.Sprint(r.IntN(300))), DirectionId: proto.Uint32(uint32(i % 2))},
				Vehicle:   &gtfs.VehicleDescriptor{Id: proto.String(fmt.Sprintf("bus-%d", i)), Label: proto.String(fmt.Sprint(i))},
				Position:  &gtfs.Position{Latitude: proto.Float32(60.1 + r.Float32()*0.2), Longitude: proto.Float32(24.8 + r.Float32()*0.3), Bearing: proto.Float32(r.Float32() * 360), Speed: proto.Float32(r.Float32() * 20)},
				Timestamp: proto.Uint64(1795770000 - uint64(r.IntN(30))),
			},
		})
	}
	b, err := proto.Marshal(m)
	if err != nil {
		panic(err)
	}
	return b
}

func benchDecode(b *testing.B, data []byte, opts Options) {
	r, err := Decode(data, opts)
	if err != nil || len(r.Rejects) != 0 {
		b.Fatal(err, r.Rejects)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := Decode(data, opts); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(r.Vehicles*b.N)/b.Elapsed().Seconds(), "vehicles/s")
}

// BenchmarkDecode decodes the real 10-vehicle capture, and a 2,000-bus feed of
// known vehicles (the steady state: no upserts).
func BenchmarkDecode(b *testing.B) {
	b.Run("bullrunner", func(b *testing.B) {
		benchDecode(b, readBullRunner(b), Options{Now: now})
	})
	b.Run("city-2000", func(b *testing.B) {
		benchDecode(b, bigFeed(2000), Options{Now: now, Known: func(twin.ID) bool { return true }})
	})
}
