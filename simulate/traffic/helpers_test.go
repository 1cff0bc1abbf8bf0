package traffic

import "testing"

// chain is a line of links 0→1→…→len(lengths), all at speed v.
func chain(v float64, lengths []float64, lanes []int) *Network {
	net := &Network{}
	for i := range len(lengths) + 1 {
		net.Nodes = append(net.Nodes, Node{ID: int64(i)})
	}
	for i, l := range lengths {
		net.Links = append(net.Links, Link{Road: "r" + string(rune('a'+i)), From: i, To: i + 1,
			Length: l, Lanes: lanes[i], FreeSpeed: v})
	}
	return net
}

// testConfig is Δt = 1 s, w = 6 m/s, k_j = 0.15 veh/m, 0.5 veh/s per lane,
// continuous departures.
func testConfig() Config {
	c := DefaultConfig()
	c.Step, c.WaveSpeed, c.JamDensity, c.Capacity, c.Release = 1, 6, 0.15, 0.5, 0
	return c
}

func mustNew(t testing.TB, net *Network, dem Demand, cfg Config) *Model {
	t.Helper()
	m, err := New(net, dem, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func near(got, want, tol float64) bool { return got-want <= tol && want-got <= tol }

// gridDemand makes trips between all pairs of zones, a zone being every
// every-th node in both directions, rate veh/h each, with a morning-peak
// profile in 15-minute steps.
func gridDemand(rows, cols, every int, rate float64) Demand {
	var zones []int
	for r := every / 2; r < rows; r += every {
		for c := every / 2; c < cols; c += every {
			zones = append(zones, r*cols+c)
		}
	}
	d := Demand{Profile: []float64{0.6, 1, 1.3, 1, 0.7}, ProfileStep: 900}
	for _, o := range zones {
		for _, z := range zones {
			if o != z {
				d.ODs = append(d.ODs, OD{Origin: o, Dest: z, Rate: rate})
			}
		}
	}
	return d
}

// busyGrid is a 12×12 grid with 16 zones loaded into congestion, signals at the
// arterial crossings and a closure, for the conservation and determinism tests.
func busyGrid(t testing.TB, workers int) *Model {
	net := Grid(12, 12, 200, 7)
	cfg := testConfig()
	cfg.Step = 2
	cfg.RerouteEvery = 120
	cfg.SampleEvery = 300
	cfg.Release = 1
	cfg.Workers = workers
	m := mustNew(t, net, gridDemand(12, 12, 3, 40), cfg)
	for v := range net.Nodes {
		if r, c := v/12, v%12; r%5 == 0 && c%5 == 0 {
			s := Signal{Node: v, Cycle: 60, Offset: float64(v % 7 * 5)}
			for _, l := range m.inAdj[m.inOff[v]:m.inOff[v+1]] {
				start := 0.0
				if net.Links[l].From/12 == r { // along the row
					start = 30
				}
				s.Greens = append(s.Greens, Green{Link: int(l), Start: start, Duration: 27})
			}
			if err := m.AddSignal(s); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, r := range []Restriction{Closure(40, 300, 1500), Closure(41, 300, 1500), {Link: 100, From: 0, To: 3600, Factor: 0.3}} {
		if err := m.Restrict(r); err != nil {
			t.Fatal(err)
		}
	}
	return m
}
