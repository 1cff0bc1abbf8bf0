package flood

import (
	"context"
	"math"
	"testing"

	"github.com/paulmach/orb"
)

// TestMassConservationClosedBasin rains (a hyetograph on a polygon and a
// constant rate on a mask) and pours a hydrograph into a closed, irregular
// basin: all of it must be stored, to round-off, and no depth may go negative.
func TestMassConservationClosedBasin(t *testing.T) {
	dem := bumpyBowl(t, 60, 45, 1)
	mask := make([]bool, 60*45)
	for k := range mask {
		mask[k] = k%7 == 0
	}
	b := dem.Bounds()
	cfg := DefaultConfig()
	cfg.DEM = dem
	cfg.Rain = []Rain{
		{Area: orb.Polygon{{{b.Min[0] + 10, b.Min[1] + 10}, {b.Max[0] - 20, b.Min[1] + 15}, {b.Max[0] - 30, b.Max[1] - 10}, {b.Min[0] + 10, b.Min[1] + 10}}},
			Intensity: Series{Times: []float64{0, 300, 600, 900}, Values: []float64{0, 120, 40, 0}}},
		{Mask: mask, Intensity: Constant(25)},
	}
	cfg.Inflows = []Inflow{{ID: "pipe", At: orb.Point{b.Min[0] + 5, b.Max[1] - 5}, Radius: 3,
		Discharge: Series{Times: []float64{0, 100, 400}, Values: []float64{0, 0.8, 0}}}}
	m, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, stop := range []float64{100, 400, 1200} {
		if err := m.Run(context.Background(), stop, nil); err != nil {
			t.Fatal(err)
		}
		bal := m.Balance()
		t.Logf("t=%4.0f s: rain %.6f m³, inflow %.6f m³, stored %.6f m³, error %.2e m³ (relative %.1e), clipped %.1e m³, steps %d",
			m.Time(), bal.Rain, bal.Inflow, bal.Stored, bal.Error(), bal.RelativeError(), bal.Clipped, m.Steps())
		if e := math.Abs(bal.RelativeError()); e > 1e-13 {
			t.Errorf("t=%v: relative balance error %.2e, want ≤ 1e-13", m.Time(), e)
		}
		if bal.BoundaryIn != 0 || bal.BoundaryOut != 0 {
			t.Errorf("closed basin exchanged water: in %v out %v", bal.BoundaryIn, bal.BoundaryOut)
		}
		if bal.Clipped > 1e-12*bal.In() {
			t.Errorf("clipped %.2e m³, more than round-off", bal.Clipped)
		}
		for k, h := range m.h {
			if !(h >= 0) || math.IsInf(h, 0) {
				t.Fatalf("cell %d depth %v", k, h)
			}
		}
	}
	// The forcing integrates exactly: 120 mm/h peak triangle-ish hyetograph
	// and a 0.8 m³/s peak triangular hydrograph of 400 s (160 m³).
	if bal := m.Balance(); math.Abs(bal.Inflow-160) > 1e-9 {
		t.Errorf("inflow volume %v, want 160 m³", bal.Inflow)
	}
}
