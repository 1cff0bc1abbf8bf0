package traffic

import (
	"math"
	"testing"
)

// TestFundamentalDiagram sets a homogeneous link to density k and checks that
// the flow between its cells in one step is min(v·k, q_max, w·(k_j − k))·Δt
// for every lane, across the free-flow, capacity and congested branches.
func TestFundamentalDiagram(t *testing.T) {
	cfg := testConfig()
	net := chain(15, []float64{150}, []int{3})
	m := mustNew(t, net, Demand{}, cfg)
	fd := m.fd(0)
	if got := len(m.n); got != 10 {
		t.Fatalf("%d cells, want 10 of v·Δt = 15 m", got)
	}
	dx, lanes := m.dx[0], 3.0
	for i := 0; i <= 100; i++ {
		k := fd.JamDensity * float64(i) / 100 // per lane
		for c := range m.n {
			m.n[c] = k * lanes * dx
		}
		m.q[0].p = []packet{{n: k * lanes * dx * float64(len(m.n))}} // so the link is not idle
		m.occupied[0] = true
		before := m.n[0]
		m.advance(0, cfg.Step) // no inflow or outflow at the ends
		got := (before - m.n[0]) / lanes / cfg.Step
		want := min(fd.FreeSpeed*k, fd.Capacity, fd.WaveSpeed*(fd.JamDensity-k))
		if !near(got, want, 1e-12) {
			t.Errorf("k=%.5f: flow %.15f veh/s per lane, want %.15f", k, got, want)
		}
		if k > 0 && k < fd.JamDensity && !near(fd.Flow(k), want, 1e-15) {
			t.Errorf("Fundamental.Flow(%v) = %v, want %v", k, fd.Flow(k), want)
		}
	}
}

// TestShockFormula checks Shock against the figures of a textbook case.
func TestShockFormula(t *testing.T) {
	// 1000 veh/h at 20 veh/km meeting 1800 veh/h at 60 veh/km: (1800−1000)/(60−20) = 20 km/h.
	got := Shock(20.0/1000, 1000.0/3600, 60.0/1000, 1800.0/3600) * 3.6
	if math.Abs(got-20) > 1e-12 {
		t.Errorf("shock %v km/h, want 20", got)
	}
}
