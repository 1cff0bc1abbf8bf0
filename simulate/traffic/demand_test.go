package traffic

import (
	"context"
	"errors"
	"testing"
)

// TestDemandWindowAndProfile checks the departures of an OD stream bounded to
// a window and multiplied by a profile.
func TestDemandWindowAndProfile(t *testing.T) {
	net := chain(15, []float64{1500}, []int{2})
	dem := Demand{
		ODs:     []OD{{Origin: 0, Dest: 1, Rate: 1800, From: 600, To: 1200}, {Origin: 0, Dest: 1, Rate: 360}},
		Profile: []float64{1, 0.5}, ProfileStep: 900,
	}
	m := mustNew(t, net, dem, testConfig())
	if err := m.Run(context.Background(), 1800); err != nil {
		t.Fatal(err)
	}
	ods := m.ODs()
	// 1800 veh/h for 300 s at factor 1, then 300 s at 0.5.
	if got, want := ods[0].Departed, 1800.0/3600*(300+150); !near(got, want, 1e-9) {
		t.Errorf("windowed stream departed %v, want %v", got, want)
	}
	if got, want := ods[1].Departed, 360.0/3600*(900+450); !near(got, want, 1e-9) {
		t.Errorf("open stream departed %v, want %v", got, want)
	}
	bad := Demand{ODs: []OD{{Origin: 0, Dest: 1, Rate: 1, From: 50, To: 10}}}
	if _, err := New(net, bad, testConfig()); !errors.Is(err, ErrBadDemand) {
		t.Errorf("window [50, 10): %v", err)
	}
}
