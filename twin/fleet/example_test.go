package fleet_test

import (
	"context"
	"fmt"

	"citytwin/twin"
	"citytwin/twin/fleet"
)

func ExampleLastLoc() {
	s, _ := twin.New(twin.DefaultConfig())
	id := twin.ID("tsbs:truck/truck_7")
	t := int64(1451606400e9) // 2016-01-01T00:00:00Z
	_, _ = s.Apply(
		twin.Op{Type: twin.OpUpsert, T: t, Entity: &twin.Entity{ID: id, Kind: twin.KindVehicle, Moving: true, Props: twin.Properties{
			{Key: "driver", Value: twin.StringValue("Seth")},
			{Key: "fleet", Value: twin.StringValue("West")},
			{Key: "name", Value: twin.StringValue("truck_7")},
		}}},
		// The newest row lost its latitude: the answer says NULL, as SQL does.
		twin.Op{Type: twin.OpObserve, Observations: []twin.Observation{
			{ID: id, Metric: "latitude", T: t, V: 52.3},
			{ID: id, Metric: "longitude", T: t, V: 4.7},
			{ID: id, Metric: "longitude", T: t + 10e9, V: 4.8},
		}},
	)
	locs, _ := fleet.LastLoc(context.Background(), s, "West")
	for _, l := range locs {
		fmt.Println(l.Name, l.Driver, l.Longitude.V, l.Latitude.Valid)
	}
	// Output: truck_7 Seth 4.8 false
}

func ExampleParseSQL() {
	q, _ := fleet.ParseSQL(`SELECT t.name AS name, t.driver AS driver
FROM tags t
INNER JOIN readings r ON r.tags_id = t.id
WHERE time >= '2016-01-01 23:44:53.646325 +0000' AND time < '2016-01-01 23:54:53.646325 +0000'
AND t.name IS NOT NULL
AND t.fleet = 'West'
GROUP BY 1, 2
HAVING avg(r.velocity) < 1`)
	fmt.Println(q.Type, q.Fleet, (q.Window.To-q.Window.From)/60e9, "minutes")
	// Output: stationary-trucks West 10 minutes
}
