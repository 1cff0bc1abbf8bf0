package traffic

import (
	"errors"
	"testing"

	"citytwin/geo/roadnet"
)

func TestFromSegments(t *testing.T) {
	segs := []Segment{
		{Road: "osm:way/1/0", From: 30, To: 10, LengthM: 120, Lanes: 4, SpeedKmh: 54, Oneway: 0},
		{Road: "osm:way/2/0", From: 10, To: 20, LengthM: 80, Lanes: 2, SpeedKmh: 36, Oneway: 1},
		{Road: "osm:way/3/0", From: 20, To: 30, LengthM: 50, Lanes: 1, SpeedKmh: 18, Oneway: -1},
		{Road: "synth:road/4", From: 20, To: 40, LengthM: 70, Lanes: 1, SpeedKmh: 30, Oneway: ParseOneway("false")},
	}
	net, err := FromSegments(segs)
	if err != nil {
		t.Fatal(err)
	}
	if err := net.Validate(); err != nil {
		t.Fatal(err)
	}
	if got := len(net.Nodes); got != 4 || net.Nodes[0].ID != 10 || net.Nodes[3].ID != 40 {
		t.Fatalf("nodes %+v", net.Nodes)
	}
	id := func(i int) int64 { return net.Nodes[i].ID }
	want := []struct {
		road     string
		from, to int64
		lanes    int
		speed    float64
	}{
		{"osm:way/1/0", 30, 10, 2, 15}, {"osm:way/1/0", 10, 30, 2, 15},
		{"osm:way/2/0", 10, 20, 2, 10},
		{"osm:way/3/0", 30, 20, 1, 5},
		{"synth:road/4", 20, 40, 1, 30 / 3.6}, {"synth:road/4", 40, 20, 1, 30 / 3.6},
	}
	if len(net.Links) != len(want) {
		t.Fatalf("%d links, want %d", len(net.Links), len(want))
	}
	for i, w := range want {
		l := net.Links[i]
		if l.Road != w.road || id(l.From) != w.from || id(l.To) != w.to || l.Lanes != w.lanes || !near(l.FreeSpeed, w.speed, 1e-12) {
			t.Errorf("link %d = %+v, want %+v", i, l, w)
		}
	}
	if _, err := FromSegments([]Segment{{Road: "x", From: 1, To: 2, LengthM: 10}}); !errors.Is(err, ErrBadNetwork) {
		t.Errorf("zero speed: %v", err)
	}
}

func TestParseOneway(t *testing.T) {
	for in, want := range map[string]int8{"yes": 1, "true": 1, "1": 1, "-1": -1, "reverse": -1, "no": 0, "false": 0, "": 0, "alternating": 0} {
		if got := ParseOneway(in); got != want {
			t.Errorf("ParseOneway(%q) = %d, want %d", in, got, want)
		}
	}
}

func TestFromGraph(t *testing.T) {
	g, err := roadnet.Build([]roadnet.Segment{
		{From: 1, To: 2, LengthM: 100, Lanes: 1, SpeedMPS: 10, Road: "a", Motor: true},
		{From: 2, To: 3, LengthM: 200, Lanes: 2, SpeedMPS: 20, Road: "b", Oneway: 1, Motor: true},
	})
	if err != nil {
		t.Fatal(err)
	}
	net := FromGraph(g)
	if len(net.Links) != len(g.Edges) || len(net.Nodes) != len(g.Nodes) {
		t.Fatalf("%d links, %d nodes", len(net.Links), len(net.Nodes))
	}
	for i, e := range g.Edges {
		l := net.Links[i]
		if l.From != int(e.From) || l.To != int(e.To) || l.Length != e.LengthM || l.FreeSpeed != e.SpeedMPS || l.Road != e.Road {
			t.Errorf("link %d = %+v, edge %+v", i, l, e)
		}
	}
	if err := net.Validate(); err != nil {
		t.Error(err)
	}
}

func TestValidate(t *testing.T) {
	good := chain(10, []float64{100}, []int{1})
	bad := map[string]func(n *Network){
		"node":     func(n *Network) { n.Links[0].To = 5 },
		"length":   func(n *Network) { n.Links[0].Length = 0 },
		"speed":    func(n *Network) { n.Links[0].FreeSpeed = -1 },
		"lanes":    func(n *Network) { n.Links[0].Lanes = 0 },
		"capacity": func(n *Network) { n.Links[0].Capacity = -1 },
	}
	for name, f := range bad {
		n := *good
		n.Links = append([]Link(nil), good.Links...)
		f(&n)
		if err := n.Validate(); !errors.Is(err, ErrBadNetwork) {
			t.Errorf("%s: %v", name, err)
		}
	}
	cfg := DefaultConfig()
	cfg.Step = 0
	if _, err := New(good, Demand{}, cfg); !errors.Is(err, ErrBadConfig) {
		t.Errorf("config: %v", err)
	}
	for name, d := range map[string]Demand{
		"node":    {ODs: []OD{{Origin: 0, Dest: 7, Rate: 1}}},
		"same":    {ODs: []OD{{Origin: 1, Dest: 1, Rate: 1}}},
		"rate":    {ODs: []OD{{Origin: 0, Dest: 1, Rate: -1}}},
		"profile": {ODs: []OD{{Origin: 0, Dest: 1, Rate: 1}}, Profile: []float64{1}},
	} {
		if _, err := New(good, d, DefaultConfig()); !errors.Is(err, ErrBadDemand) {
			t.Errorf("demand %s: %v", name, err)
		}
	}
	m := mustNew(t, good, Demand{}, DefaultConfig())
	for name, s := range map[string]Signal{
		"node":  {Node: 9, Cycle: 60},
		"cycle": {Node: 1, Cycle: 0},
		"link":  {Node: 0, Cycle: 60, Greens: []Green{{Link: 0, Duration: 10}}}, // link 0 ends at node 1
		"green": {Node: 1, Cycle: 60, Greens: []Green{{Link: 0, Duration: 70}}},
	} {
		if err := m.AddSignal(s); !errors.Is(err, ErrBadSignal) {
			t.Errorf("signal %s: %v", name, err)
		}
	}
	if err := m.Restrict(Restriction{Link: 0, Factor: 2}); !errors.Is(err, ErrBadConfig) {
		t.Errorf("restriction: %v", err)
	}
}

// TestGreenFraction checks the share of a step that is green, across the
// window's edges and the cycle's wrap.
func TestGreenFraction(t *testing.T) {
	p := phase{cycle: 60, start: 50, dur: 20} // green 50–70, i.e. 50–60 and 0–10
	tests := []struct{ t0, t1, want float64 }{
		{0, 10, 1}, {10, 20, 0}, {45, 55, 0.5}, {55, 65, 1}, {65, 75, 0.5}, {100, 120, 0.5}, {110, 130, 1}, {-10, 0, 1},
	}
	for _, tc := range tests {
		if got := p.fraction(tc.t0, tc.t1); !near(got, tc.want, 1e-12) {
			t.Errorf("fraction(%v, %v) = %v, want %v", tc.t0, tc.t1, got, tc.want)
		}
	}
}
