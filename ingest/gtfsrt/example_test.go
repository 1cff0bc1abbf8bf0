package gtfsrt_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	"citytwin/ingest/gtfsrt"
	"citytwin/twin"

	"github.com/MobilityData/gtfs-realtime-bindings/golang/gtfs"
	"google.golang.org/protobuf/proto"
)

func ExampleDecode() {
	feed, _ := proto.Marshal(&gtfs.FeedMessage{
		Header: &gtfs.FeedHeader{GtfsRealtimeVersion: proto.String("2.0"), Timestamp: proto.Uint64(1795770000)},
		Entity: []*gtfs.FeedEntity{{
			Id: proto.String("e1"),
			Vehicle: &gtfs.VehiclePosition{
				Trip:     &gtfs.TripDescriptor{TripId: proto.String("t-550"), RouteId: proto.String("550")},
				Vehicle:  &gtfs.VehicleDescriptor{Id: proto.String("1208")},
				Position: &gtfs.Position{Latitude: proto.Float32(60.1699), Longitude: proto.Float32(24.9384), Speed: proto.Float32(9.5)},
			},
		}},
	})
	known := map[twin.ID]bool{}
	r, err := gtfsrt.Decode(feed, gtfsrt.Options{
		Feed:  "https://example.org/vp.pb",
		Known: func(id twin.ID) bool { return known[id] },
		Now:   time.Date(2026, 11, 27, 9, 0, 30, 0, time.UTC),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, op := range r.Ops {
		switch op.Type {
		case twin.OpUpsert:
			fmt.Println(op.Type, op.Entity.ID, op.Entity.Kind, op.Entity.Geometry, op.Entity.Props.Map())
		case twin.OpMove:
			fmt.Println(op.Type, op.Positions[0].ID, op.Positions[0].Point, time.Unix(0, op.Positions[0].T).UTC().Format(time.RFC3339))
		case twin.OpObserve:
			fmt.Println(op.Type, op.Observations[0].Metric, op.Observations[0].V)
		}
	}
	// Output:
	// upsert gtfs:vehicle/1208 vehicle [24.9384 60.1699] map[route_id:550 trip_id:t-550]
	// move gtfs:vehicle/1208 [24.9384 60.1699] 2026-11-27T09:00:00Z
	// observe speed 9.5
}

func ExamplePoller() {
	feed, _ := proto.Marshal(&gtfs.FeedMessage{
		Header: &gtfs.FeedHeader{GtfsRealtimeVersion: proto.String("2.0"), Timestamp: proto.Uint64(1795770000)},
		Entity: []*gtfs.FeedEntity{{Id: proto.String("e1"), Vehicle: &gtfs.VehiclePosition{
			Vehicle:  &gtfs.VehicleDescriptor{Id: proto.String("1208")},
			Position: &gtfs.Position{Latitude: proto.Float32(60.1699), Longitude: proto.Float32(24.9384)},
		}}},
	})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write(feed) }))
	defer srv.Close()

	ctx, cancel := context.WithCancel(context.Background())
	cfg := gtfsrt.DefaultPollerConfig(srv.URL)
	cfg.Options.Now = time.Date(2026, 11, 27, 9, 0, 30, 0, time.UTC)
	p, err := gtfsrt.NewPoller(cfg,
		func(ctx context.Context, r gtfsrt.Result) error {
			fmt.Println("feed of", r.Header.Timestamp.Format(time.RFC3339), "with", r.Vehicles, "vehicle")
			cancel() // one is enough for the example
			return nil
		})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("run:", p.Run(ctx))
	// Output:
	// feed of 2026-11-27T09:00:00Z with 1 vehicle
	// run: <nil>
}
