package traffic

import (
	"context"
	"testing"
)

// star is three origins 0, 1, 2 feeding junction 3 on their own links, and
// one link from 3 to the destination 4.
func star() (*Network, Demand) {
	net := &Network{}
	for i := range 5 {
		net.Nodes = append(net.Nodes, Node{ID: int64(i)})
	}
	for _, o := range []int{0, 1, 2} {
		net.Links = append(net.Links, Link{Road: "in" + itoa(o), From: o, To: 3, Length: 600, Lanes: 1, FreeSpeed: 15})
	}
	net.Links = append(net.Links, Link{Road: "out", From: 3, To: 4, Length: 600, Lanes: 3, FreeSpeed: 15})
	return net, Demand{ODs: []OD{{Origin: 0, Dest: 4, Rate: 300}, {Origin: 1, Dest: 4, Rate: 200}, {Origin: 2, Dest: 4, Rate: 400}}}
}

// TestCalibrateRecoversScales makes counts from a known demand (the base
// demand scaled per OD pair), then calibrates the base demand to them: the
// scales must come back within 1 %.
func TestCalibrateRecoversScales(t *testing.T) {
	tests := []struct {
		name   string
		truth  []float64
		counts []int // counted links
	}{
		{"one count per pair and the shared link", []float64{1.5, 0.8, 1.2}, []int{0, 1, 2, 3}},
		{"a single count scales all pairs", []float64{1.3, 1.3, 1.3}, []int{3}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			net, base := star()
			cfg := testConfig()
			ctx := context.Background()
			truth, err := New(net, base.Scaled(tc.truth), cfg)
			if err != nil {
				t.Fatal(err)
			}
			var counts []Count
			for _, l := range tc.counts {
				counts = append(counts, Count{Link: l, From: 600, To: 1800})
			}
			flows, err := truth.countFlows(ctx, counts, 1800)
			if err != nil {
				t.Fatal(err)
			}
			for i := range counts {
				counts[i].Flow = flows[i]
			}
			cal, err := Calibrate(ctx, net, base, cfg, counts, CalibrateOptions{Tolerance: 1e-4})
			if err != nil {
				t.Fatal(err)
			}
			for i, want := range tc.truth {
				if !near(cal.Scale[i], want, 0.01*want) {
					t.Errorf("scale of OD %d = %.4f, want %.4f", i, cal.Scale[i], want)
				}
			}
			if cal.MaxError > 1e-4 {
				t.Errorf("max error %v after %d runs", cal.MaxError, cal.Iterations)
			}
			t.Logf("scales %.4f after %d runs", cal.Scale, cal.Iterations)
		})
	}
}

// TestCalibrateRejects checks that bad counts are errors.
func TestCalibrateRejects(t *testing.T) {
	net, base := star()
	for _, c := range []Count{{Link: 9, From: 0, To: 10}, {Link: 0, From: 10, To: 10}, {Link: 0, From: 0, To: 10, Flow: -1}} {
		if _, err := Calibrate(context.Background(), net, base, testConfig(), []Count{c}, CalibrateOptions{}); err == nil {
			t.Errorf("%+v: no error", c)
		}
	}
}
