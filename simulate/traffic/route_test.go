package traffic

import (
	"context"
	"testing"
)

// detour is a short route 0→1→3 (2 × 1000 m) and a long one 0→2→3 (2 × 1200
// m), with a connector 1→2 (300 m) so that vehicles caught at 1 by a closure of
// 1→3 can still leave.
func detour() *Network {
	net := &Network{Nodes: []Node{{ID: 0}, {ID: 1}, {ID: 2}, {ID: 3}}}
	add := func(from, to int, length float64) {
		net.Links = append(net.Links, Link{Road: itoa(from) + ">" + itoa(to), From: from, To: to,
			Length: length, Lanes: 1, FreeSpeed: 15})
	}
	add(0, 1, 1000) // 0
	add(1, 3, 1000) // 1
	add(0, 2, 1200) // 2
	add(2, 3, 1200) // 3
	add(1, 2, 300)  // 4
	return net
}

// TestClosureReroutes closes the short route's second link from 600 s to
// 1800 s: before it the long route is unused, during it the short route's
// second link carries nothing once the vehicles on it have left and the flow
// moves to the long route, after it the flow comes back; every vehicle is
// delivered.
func TestClosureReroutes(t *testing.T) {
	dem := Demand{ODs: []OD{{Origin: 0, Dest: 3, Rate: 0.3 * 3600}}, Profile: []float64{1, 0}, ProfileStep: 2400}
	cfg := testConfig()
	cfg.RerouteEvery = 60
	m := mustNew(t, detour(), dem, cfg)
	if err := m.Restrict(Closure(1, 600, 1800)); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	count := func(i int) float64 { return m.Links()[i].Count }
	if err := m.Run(ctx, 600); err != nil {
		t.Fatal(err)
	}
	if c := count(2); c != 0 {
		t.Errorf("long route used before the closure: %v", c)
	}
	short := count(1)
	if short < 100 {
		t.Fatalf("short route carried only %v before the closure", short)
	}
	if err := m.Run(ctx, 700); err != nil { // vehicles on 1→3 at 600 s have left by 667 s
		t.Fatal(err)
	}
	short = count(1)
	long := count(2)
	if err := m.Run(ctx, 1800); err != nil {
		t.Fatal(err)
	}
	if got := count(1) - short; got != 0 {
		t.Errorf("closed link carried %v vehicles", got)
	}
	if got, want := count(2)-long, 0.3*1100; !near(got, want, 0.05*want) {
		t.Errorf("long route carried %v during the closure, want about %v", got, want)
	}
	if m.Links()[4].Count == 0 {
		t.Errorf("vehicles at node 1 did not take the connector")
	}
	if err := m.Run(ctx, 1900); err != nil {
		t.Fatal(err)
	}
	long = count(2)
	short = count(1)
	if err := m.Run(ctx, 3600); err != nil {
		t.Fatal(err)
	}
	if count(2)-long > 0.3*60+1e-9 {
		t.Errorf("long route still used after reopening: %v", count(2)-long)
	}
	if count(1)-short < 100 {
		t.Errorf("short route not used after reopening")
	}
	k := m.KPIs()
	if !near(k.Delivered, k.Departed, 1e-6) || !near(k.Departed, 0.3*2400, 1e-6) {
		t.Errorf("delivered %v of %v departed", k.Delivered, k.Departed)
	}
}

// TestRestrictionDelays halves the capacity of a link under a demand above
// half of it: the queue and the delay appear only with the restriction.
func TestRestrictionDelays(t *testing.T) {
	run := func(factor float64) KPIs {
		net := chain(15, []float64{1500, 1500}, []int{1, 1})
		dem := Demand{ODs: []OD{{Origin: 0, Dest: 2, Rate: 0.4 * 3600}}, Profile: []float64{1, 0}, ProfileStep: 900}
		m := mustNew(t, net, dem, testConfig())
		if err := m.Restrict(Restriction{Link: 1, From: 0, To: 900, Factor: factor}); err != nil {
			t.Fatal(err)
		}
		if err := m.Run(context.Background(), 3600); err != nil {
			t.Fatal(err)
		}
		return m.KPIs()
	}
	free, half := run(1), run(0.5)
	if free.DelayHours > 1e-9 {
		t.Errorf("delay without restriction %v", free.DelayHours)
	}
	if half.DelayHours < 1 {
		t.Errorf("delay with half capacity %v veh·h", half.DelayHours)
	}
	if !near(half.Delivered, free.Delivered, 1e-6) {
		t.Errorf("delivered %v, want %v", half.Delivered, free.Delivered)
	}
}
