package traffic

import (
	"context"
	"testing"
)

// TestSignalUniformDelay runs a one-lane approach through a fixed-time signal
// under steady arrivals below capacity. The kinematic-wave delay equals the
// deterministic queueing one, so the mean delay per vehicle over whole cycles
// must match the uniform-delay term of Webster (1958), the D/D/1 figure
// d = C(1 − λ)² / (2(1 − λx)) with λ = g/C and x = q/(λs).
func TestSignalUniformDelay(t *testing.T) {
	tests := []struct {
		name         string
		cycle, green float64
		q            float64 // veh/s
	}{
		{"C60 g30 x0.8", 60, 30, 0.2},
		{"C90 g40 x0.5", 90, 40, 0.5 * 0.5 * 40 / 90},
		{"C120 g80 x0.9", 120, 80, 0.9 * 0.5 * 80 / 120},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			const s = 0.5 // saturation flow of the lane, veh/s
			cycles := 30.0
			net := chain(15, []float64{1500, 300}, []int{1, 1})
			dem := Demand{ODs: []OD{{Origin: 0, Dest: 2, Rate: tc.q * 3600}},
				Profile: []float64{1, 0}, ProfileStep: cycles * tc.cycle}
			m := mustNew(t, net, dem, testConfig())
			if err := m.AddSignal(Signal{Node: 1, Cycle: tc.cycle, Greens: []Green{{Link: 0, Start: 0, Duration: tc.green}}}); err != nil {
				t.Fatal(err)
			}
			if err := m.Run(context.Background(), cycles*tc.cycle+1200); err != nil {
				t.Fatal(err)
			}
			k := m.KPIs()
			if !near(k.Delivered, k.Departed, 1e-6) {
				t.Fatalf("delivered %v of %v", k.Delivered, k.Departed)
			}
			lambda := tc.green / tc.cycle
			x := tc.q / (lambda * s)
			want := tc.cycle * (1 - lambda) * (1 - lambda) / (2 * (1 - lambda*x))
			got := k.DelayHours * 3600 / k.Delivered
			if !near(got, want, 0.02*want) {
				t.Errorf("delay %.3f s/veh, Webster uniform delay %.3f", got, want)
			}
			// The travel time is the free-flow time plus the same delay.
			od, dest := m.ODs()[0], m.Destinations()[0]
			if !near(dest.MeanTravel-od.FreeFlow, want, 0.02*want) {
				t.Errorf("travel time %.2f − free flow %.2f, want delay %.2f", dest.MeanTravel, od.FreeFlow, want)
			}
			t.Logf("delay %.3f s/veh, Webster %.3f; travel %.2f s, free flow %.2f s", got, want, dest.MeanTravel, od.FreeFlow)
		})
	}
}
