package traffic

import (
	"math"
	"testing"
)

// bottleneck is a two-lane link of 3000 m into a one-lane link of 300 m at
// 15 m/s (cells of 15 m at Δt = 1 s), fed at qa = 0.8 veh/s for 600 s and then
// at qb = 0.2 veh/s; the bottleneck serves μ = 0.5 veh/s.
const (
	bnLen  = 3000.0
	bnV    = 15.0
	bnQa   = 0.8
	bnQb   = 0.2
	bnMu   = 0.5
	bnT1   = 600.0
	bnHold = 2400.0
)

func bottleneckModel(t testing.TB) *Model {
	net := chain(bnV, []float64{bnLen, 300}, []int{2, 1})
	dem := Demand{ODs: []OD{{Origin: 0, Dest: 2, Rate: bnQa * 3600}},
		Profile: []float64{1, bnQb / bnQa, bnQb / bnQa, bnQb / bnQa, 0}, ProfileStep: bnT1}
	return mustNew(t, net, dem, testConfig())
}

// TestBottleneckQueue compares the model with deterministic queueing at the
// bottleneck (Newell's kinematic-wave delays equal the point-queue ones): the
// queue (arrivals at free flow minus departures) grows at qa − μ from the first
// arrival t0 = L/v, clears at t0 + T1 + (qa − μ)T1/(μ − qb), and the total delay
// is the triangle ½·(qa − μ)T1·(T1 + (qa − μ)T1/(μ − qb)).
func TestBottleneckQueue(t *testing.T) {
	m := bottleneckModel(t)
	t0 := bnLen / bnV
	peak := (bnQa - bnMu) * bnT1
	clear := t0 + bnT1 + peak/(bnMu-bnQb)
	wantDelay := 0.5 * peak * (clear - t0)
	var dep []float64 // departures by step
	cleared := math.NaN()
	for m.Time() < clear+600 {
		dep = append(dep, m.KPIs().Departed)
		m.Step()
		tt := m.Time()
		// Vertical queue: what arrived at the bottleneck at free flow, less what passed it.
		arrived := 0.0
		if k := int(math.Round(tt - t0)); k >= 0 && k < len(dep) {
			arrived = dep[k]
		} else if k >= len(dep) {
			arrived = m.KPIs().Departed
		}
		got := arrived - m.cnt[0]
		want := 0.0
		switch {
		case tt <= t0:
		case tt <= t0+bnT1:
			want = (bnQa - bnMu) * (tt - t0)
		case tt <= clear:
			want = peak - (bnMu-bnQb)*(tt-t0-bnT1)
		}
		if !near(got, want, bnQa*1+1e-9) { // one step of arrivals
			t.Fatalf("t=%v: queue %.3f veh, want %.3f", tt, got, want)
		}
		if math.IsNaN(cleared) && tt > t0+bnT1 && m.qVeh[0] == 0 {
			cleared = tt
		}
	}
	if !near(cleared, clear, 2) {
		t.Errorf("queue cleared at %v s, want %v", cleared, clear)
	}
	k := m.KPIs()
	if got := k.DelayHours * 3600; !near(got, wantDelay, 0.005*wantDelay) {
		t.Errorf("delay %.1f veh·s, want %.1f", got, wantDelay)
	}
	t.Logf("delay %.1f veh·s (analytic %.1f), cleared at %v s (analytic %.1f)", k.DelayHours*3600, wantDelay, cleared, clear)
}

// TestShockwaveSpeed follows the tail of the bottleneck's queue cell by cell:
// it must move upstream at the Rankine–Hugoniot speed (μ − qa)/(k_c − k_a)
// between the arriving free-flow state and the queue at capacity, then, once the
// lighter demand reaches it, downstream at (μ − qb)/(k_c − k_b); the queue's
// length matches the analytic front within one cell at every step.
func TestShockwaveSpeed(t *testing.T) {
	m := bottleneckModel(t)
	lane := m.fd(0)
	ka, kb := bnQa/bnV, bnQb/bnV
	kc := 2 * lane.Congested(bnMu/2) // two lanes at μ/2 each
	u1 := Shock(ka, bnQa, kc, bnMu)
	u2 := Shock(kb, bnQb, kc, bnMu)
	if u1 >= 0 || u2 <= 0 {
		t.Fatalf("shock speeds %v, %v", u1, u2)
	}
	t0 := bnLen / bnV
	// The lighter demand leaves at T1 at speed v and meets the tail at tm.
	tm := (bnLen + -u1*t0 + bnV*bnT1) / (bnV - u1)
	xm := bnLen + u1*(tm-t0)
	dx := m.dx[0]
	worst := 0.0
	var ts, xs []float64 // the growing queue, for its speed
	for m.Time() < 1600 {
		m.Step()
		tt := m.Time()
		var tail float64
		switch {
		case tt <= t0:
			tail = bnLen
		case tt <= tm:
			tail = bnLen + u1*(tt-t0)
		default:
			tail = min(bnLen, xm+u2*(tt-tm))
		}
		got, want := m.qLen[0], bnLen-tail
		if tt > t0+60 && tt < tm-10 {
			ts, xs = append(ts, tt), append(xs, got)
		}
		worst = max(worst, math.Abs(got-want))
		if !near(got, want, dx) {
			t.Fatalf("t=%v: queue %.1f m, kinematic wave %.1f m (cell %.0f m)", tt, got, want, dx)
		}
	}
	if got := -slope(ts, xs); !near(got, u1, 0.01*-u1) {
		t.Errorf("queue tail moves at %.4f m/s, want %.4f", got, u1)
	}
	t.Logf("shocks %.4f and %.4f m/s; worst front error %.1f m of a %.0f m cell", u1, u2, worst, dx)
}

// slope is the least-squares slope of y over x.
func slope(x, y []float64) float64 {
	n := float64(len(x))
	var sx, sy, sxx, sxy float64
	for i := range x {
		sx += x[i]
		sy += y[i]
		sxx += x[i] * x[i]
		sxy += x[i] * y[i]
	}
	return (n*sxy - sx*sy) / (n*sxx - sx*sx)
}
