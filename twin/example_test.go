package twin_test

import (
	"context"
	"fmt"
	"time"

	"citytwin/twin"
	"citytwin/twin/series"

	"github.com/paulmach/orb"
)

func Example() {
	store, _ := twin.New(twin.DefaultConfig())
	t0 := time.Date(2026, 5, 1, 8, 0, 0, 0, time.UTC).UnixNano()
	minute := int64(time.Minute)

	store.Apply(
		twin.Op{Type: twin.OpUpsert, T: t0, Entity: &twin.Entity{ID: "osm:way/1", Kind: twin.KindBuilding,
			Geometry: orb.Polygon{{{24.940, 60.170}, {24.942, 60.170}, {24.942, 60.171}, {24.940, 60.171}, {24.940, 60.170}}},
			Height:   21, Levels: 6}},
		twin.Op{Type: twin.OpUpsert, T: t0, Entity: &twin.Entity{ID: "sensor:aq-1", Kind: twin.KindSensor,
			Geometry: orb.Point{24.941, 60.1705}, Links: []twin.Link{{Rel: "in", To: "osm:way/1"}}}},
	)
	store.Apply(twin.Op{Type: twin.OpObserve, Observations: []twin.Observation{
		{ID: "sensor:aq-1", Metric: "pm25", T: t0, V: 6.5},
		{ID: "sensor:aq-1", Metric: "pm25", T: t0 + minute, V: 7.5},
	}})

	ctx := context.Background()
	near, _ := store.Nearest(ctx, orb.Point{24.9415, 60.1702}, 1, twin.Query{Kinds: []twin.Kind{twin.KindSensor}})
	fmt.Printf("nearest sensor: %s, %.0f m away\n", near[0].Entity.ID, near[0].Distance)

	inside, _ := store.Query(ctx, twin.Query{Within: orb.Polygon{{{24.93, 60.16}, {24.95, 60.16}, {24.95, 60.18}, {24.93, 60.18}, {24.93, 60.16}}}})
	fmt.Println("entities in the district:", inside.Matched)

	avg, _ := store.AggregateCells(ctx, twin.Aggregate{Metric: "pm25", Agg: series.Avg, Res: 8})
	fmt.Printf("pm25 in %v: %.1f\n", avg[0].Cell, avg[0].Value)
	// Output:
	// nearest sensor: sensor:aq-1, 43 m away
	// entities in the district: 2
	// pm25 in 881126d331fffff: 7.5
}

func ExampleStore_GetAt() {
	store, _ := twin.New(twin.DefaultConfig())
	at := func(h int) int64 { return time.Date(2026, 5, 1, h, 0, 0, 0, time.UTC).UnixNano() }
	bus := &twin.Entity{ID: "gtfs:vehicle/7", Kind: twin.KindVehicle, Geometry: orb.Point{24.94, 60.17}}
	store.Apply(twin.Op{Type: twin.OpUpsert, T: at(6), Entity: bus})
	store.Apply(twin.Op{Type: twin.OpMove, Positions: []twin.Position{
		{ID: "gtfs:vehicle/7", T: at(8), Point: orb.Point{24.95, 60.17}},
		{ID: "gtfs:vehicle/7", T: at(9), Point: orb.Point{24.96, 60.17}},
	}})
	then, _ := store.GetAt("gtfs:vehicle/7", at(8)+1)
	now, _ := store.Get("gtfs:vehicle/7")
	fmt.Println("at 08:00:", then.Geometry, "now:", now.Geometry)
	// Output: at 08:00: [24.95 60.17] now: [24.96 60.17]
}

func ExampleStore_Query_interval() {
	store, _ := twin.New(twin.DefaultConfig())
	at := func(h int) int64 { return time.Date(2026, 5, 1, h, 0, 0, 0, time.UTC).UnixNano() }
	store.Apply(twin.Op{Type: twin.OpUpsert, T: at(6), Entity: &twin.Entity{ID: "gtfs:vehicle/7", Kind: twin.KindVehicle, Geometry: orb.Point{24.90, 60.17}}})
	store.Apply(twin.Op{Type: twin.OpMove, Positions: []twin.Position{
		{ID: "gtfs:vehicle/7", T: at(8), Point: orb.Point{24.95, 60.17}},
		{ID: "gtfs:vehicle/7", T: at(9), Point: orb.Point{24.99, 60.17}},
	}})
	centre := []orb.Bound{{Min: orb.Point{24.94, 60.16}, Max: orb.Point{24.96, 60.18}}}
	ctx := context.Background()
	now, _ := store.Query(ctx, twin.Query{BBox: centre})
	// Which vehicles were in the centre at some time between 07:00 and 10:00?
	then, _ := store.Query(ctx, twin.Query{BBox: centre, At: at(7), Until: at(10)})
	fmt.Println("now:", now.Matched, "07:00–10:00:", then.Matched, then.Entities[0].Geometry)
	// Output: now: 0 07:00–10:00: 1 [24.95 60.17]
}

func ExampleStore_Subscribe() {
	store, _ := twin.New(twin.DefaultConfig())
	sub := store.Subscribe(store.Seq())
	store.Apply(twin.Op{Type: twin.OpUpsert, Entity: &twin.Entity{ID: "zone:park-1", Kind: twin.KindZone}})
	changes, missed, _ := sub.Next(context.Background(), 10)
	fmt.Println(len(changes), changes[0].Op.Type, changes[0].Op.Entity.ID, "missed", missed)
	// Output: 1 upsert zone:park-1 missed 0
}
