package simulate_test

import (
	"context"
	"fmt"
	"time"

	"citytwin/datasets"
	"citytwin/simulate"
	"citytwin/twin"
)

// A planner closes a road of a small synthetic district for the first half
// hour and compares one hour of traffic with the baseline.
func Example() {
	cfg := datasets.Demo()
	cfg.Buildings, cfg.Sensors, cfg.Vehicles, cfg.Buses, cfg.Routes = 300, 0, 0, 0, 0
	city, _ := datasets.Generate(context.Background(), cfg, nil)
	store, _ := twin.New(twin.DefaultConfig())
	_ = city.Load(context.Background(), store, nil)

	m, _ := simulate.NewManager(store, simulate.DefaultConfig())
	defer m.Close()
	spec := simulate.DefaultSpec()
	spec.Name = "close the ring road"
	spec.Interventions = []simulate.Intervention{{Type: simulate.CloseRoad, ID: "synth:road/0", To: 1800}}
	info, err := m.Create(context.Background(), spec)
	if err != nil {
		fmt.Println(err)
		return
	}
	_, _ = m.Run(info.ID, false)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	info, _ = m.Wait(ctx, info.ID)
	res, _ := m.Result(info.ID)
	fmt.Println(info.Status)
	for _, k := range res.KPIs[:3] {
		fmt.Println(k.Name, k.Unit)
	}
	// Output:
	// done
	// delay veh·h
	// vehicle_hours veh·h
	// vehicle_km veh·km
}
