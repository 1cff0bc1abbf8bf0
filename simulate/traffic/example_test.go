package traffic_test

import (
	"context"
	"fmt"

	"citytwin/simulate/traffic"
)

// Example builds a small network from road segments as the twin holds them,
// loads it with a morning peak between two nodes, closes the direct road for
// twenty minutes and reads the KPIs.
func Example() {
	segs := []traffic.Segment{
		// The direct road A–B and a detour A–C–B, two-way, one lane each way.
		{Road: "road/ab", From: 1, To: 2, LengthM: 2000, Lanes: 2, SpeedKmh: 50},
		{Road: "road/ac", From: 1, To: 3, LengthM: 1500, Lanes: 2, SpeedKmh: 50},
		{Road: "road/cb", From: 3, To: 2, LengthM: 1500, Lanes: 2, SpeedKmh: 50},
	}
	net, err := traffic.FromSegments(segs)
	if err != nil {
		fmt.Println(err)
		return
	}
	a, _ := net.NodeIndex(1)
	b, _ := net.NodeIndex(2)
	dem := traffic.Demand{
		ODs:         []traffic.OD{{Origin: a, Dest: b, Rate: 900}}, // veh/h
		Profile:     []float64{1, 1, 0},                            // an hour, then nothing
		ProfileStep: 1800,
	}
	m, err := traffic.New(net, dem, traffic.DefaultConfig())
	if err != nil {
		fmt.Println(err)
		return
	}
	// Close A→B (link 0: the forward direction of the first segment) from 10 to 30 minutes.
	if err := m.Restrict(traffic.Closure(0, 600, 1800)); err != nil {
		fmt.Println(err)
		return
	}
	if err := m.Run(context.Background(), 2*3600); err != nil {
		fmt.Println(err)
		return
	}
	k := m.KPIs()
	links := m.Links()
	fmt.Printf("delivered %.0f of %.0f vehicles\n", k.Delivered, k.Departed)
	fmt.Printf("direct road carried %.0f, detour %.0f\n", links[0].Count, links[2].Count)
	fmt.Printf("%.0f veh·km, mean trip %.0f s against %.0f s at free flow\n", k.VehKm, k.MeanTravel, k.MeanFreeFlow)
	// Output:
	// delivered 900 of 900 vehicles
	// direct road carried 600, detour 300
	// 2100 veh·km, mean trip 168 s against 144 s at free flow
}
