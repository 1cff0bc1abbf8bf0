package traffic

import (
	"bytes"
	"context"
	"math"
	"testing"
)

// TestConservation checks at every step of a congested, signalised grid with a
// closure that departed = delivered + on the links + waiting at origins, and
// that the vehicles in each link's cells are those of its FIFO of trips.
func TestConservation(t *testing.T) {
	m := busyGrid(t, 2)
	worst, congested := 0.0, false
	for m.Time() < 5400 {
		m.Step()
		k := m.KPIs()
		bal := k.Departed - k.Delivered - k.OnNetwork - k.Waiting
		worst = max(worst, math.Abs(bal))
		if math.Abs(bal) > 1e-6 {
			t.Fatalf("t=%v: %v departed, %v delivered, %v on the links, %v waiting: %v missing",
				m.Time(), k.Departed, k.Delivered, k.OnNetwork, k.Waiting, bal)
		}
		for i := range m.q {
			in := 0.0
			for _, p := range m.q[i].live() {
				in += p.n
			}
			if v := m.Vehicles(i); math.Abs(in-v) > 1e-6 {
				t.Fatalf("t=%v: link %d holds %v vehicles, its trips %v", m.Time(), i, v, in)
			}
			congested = congested || m.qVeh[i] > 5
		}
	}
	k := m.KPIs()
	if !congested || k.DelayHours <= 0 {
		t.Errorf("the grid never congested (delay %v veh·h)", k.DelayHours)
	}
	if k.Delivered < 0.95*k.Departed {
		t.Errorf("delivered %v of %v", k.Delivered, k.Departed)
	}
	t.Logf("worst balance %.2g veh; %.0f departed, %.0f delivered, %.1f veh·h delay, %.0f veh·km",
		worst, k.Departed, k.Delivered, k.DelayHours, k.VehKm)
}

// TestDeterminism runs the busy grid twice with one worker and once with two:
// the states are byte-identical.
func TestDeterminism(t *testing.T) {
	var states [][]byte
	for _, w := range []int{1, 1, 2} {
		m := busyGrid(t, w)
		if err := m.Run(context.Background(), 2400); err != nil {
			t.Fatal(err)
		}
		states = append(states, m.State())
	}
	for i := 1; i < len(states); i++ {
		if !bytes.Equal(states[0], states[i]) {
			t.Errorf("run %d differs from run 0", i)
		}
	}
}

// TestSaveRestoreContinue saves a run in the middle of a closure and a
// reroute interval, restores it into a fresh model and continues: the final
// state is byte-identical to an uninterrupted run.
func TestSaveRestoreContinue(t *testing.T) {
	ctx := context.Background()
	whole := busyGrid(t, 2)
	if err := whole.Run(ctx, 3000); err != nil {
		t.Fatal(err)
	}
	first := busyGrid(t, 2)
	if err := first.Run(ctx, 1046); err != nil {
		t.Fatal(err)
	}
	saved := first.State()
	second := busyGrid(t, 1)
	if err := second.Restore(saved); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(second.State(), saved) {
		t.Fatal("restored state differs from the saved one")
	}
	if err := second.Run(ctx, 3000); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(whole.State(), second.State()) {
		t.Error("save, restore and continue differs from the uninterrupted run")
	}
	if whole.KPIs() != second.KPIs() {
		t.Errorf("KPIs %+v, want %+v", second.KPIs(), whole.KPIs())
	}
}

// TestRestoreRejects checks that damaged or foreign states are errors and leave
// the model as it was.
func TestRestoreRejects(t *testing.T) {
	m := busyGrid(t, 1)
	if err := m.Run(context.Background(), 200); err != nil {
		t.Fatal(err)
	}
	good := m.State()
	other := mustNew(t, chain(15, []float64{100}, []int{1}), Demand{}, testConfig())
	for name, b := range map[string][]byte{
		"empty":     nil,
		"truncated": good[:len(good)/2],
		"trailing":  append(append([]byte(nil), good...), 0),
		"foreign":   other.State(),
	} {
		if err := m.Restore(b); err == nil {
			t.Errorf("%s: restored", name)
		}
		if !bytes.Equal(m.State(), good) {
			t.Errorf("%s: model changed", name)
		}
	}
}

// TestWorkersAgree runs a grid large enough for every phase of a step to be
// split between two goroutines (run it with -race) and compares it with one
// worker: the states are byte-identical.
func TestWorkersAgree(t *testing.T) {
	net := Grid(24, 24, 200, 3)
	var states [][]byte
	for _, w := range []int{1, 2} {
		cfg := DefaultConfig()
		cfg.Workers = w
		cfg.RerouteEvery = 120
		m := mustNew(t, net, gridDemand(24, 24, 5, 60), cfg)
		if got := len(net.Nodes) / 256; w > 1 && got < 2 {
			t.Fatalf("%d nodes are too few to split", len(net.Nodes))
		}
		if err := m.Run(context.Background(), 1200); err != nil {
			t.Fatal(err)
		}
		if k := m.KPIs(); k.Delivered < 100 {
			t.Fatalf("only %v delivered", k.Delivered)
		}
		states = append(states, m.State())
	}
	if !bytes.Equal(states[0], states[1]) {
		t.Error("two workers differ from one")
	}
}
