package traffic

import (
	"math"
	"testing"
	"time"
)

func TestIDMAccel(t *testing.T) {
	p := DefaultIDM()
	v0 := 15.0
	if got := p.Accel(0, v0, math.Inf(1), 0); got != p.A {
		t.Errorf("at rest on a free road: %v, want a = %v", got, p.A)
	}
	if got := p.Accel(v0, v0, math.Inf(1), 0); math.Abs(got) > 1e-12 {
		t.Errorf("at the desired speed: %v, want 0", got)
	}
	for _, v := range []float64{1, 5, 10, 14} {
		s := p.EquilibriumGap(v, v0)
		if got := p.Accel(v, v0, s, 0); math.Abs(got) > 1e-12 {
			t.Errorf("v=%v at the equilibrium gap %v: %v, want 0", v, s, got)
		}
	}
	// Closing in on a stopped leader brakes harder than following one at the same speed.
	if a, b := p.Accel(10, v0, 30, 10), p.Accel(10, v0, 30, 0); !(a < b) {
		t.Errorf("approach %v, follow %v", a, b)
	}
}

// square is a one-way loop of four links of side metres at speed v.
func square(side, v float64) (*Network, []int) {
	net := &Network{Nodes: []Node{{ID: 0}, {ID: 1}, {ID: 2}, {ID: 3}}}
	for i := range 4 {
		net.Links = append(net.Links, Link{Road: itoa(i), From: i, To: (i + 1) % 4, Length: side, Lanes: 1, FreeSpeed: v})
	}
	return net, []int{0, 1, 2, 3}
}

// TestMicroRingEquilibrium starts vehicles at rest on a ring, evenly spaced but
// for one 10 m out of place: they must settle at the speed whose IDM
// equilibrium gap is the mean spacing, with no gap ever below the minimum.
func TestMicroRingEquilibrium(t *testing.T) {
	const side, v0, n = 250.0, 15.0, 20
	net, loop := square(side, v0)
	p := DefaultIDM()
	m, err := NewMicro(net, p, 0.5)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.AddLoop(loop, n); err != nil {
		t.Fatal(err)
	}
	m.x[n/2] -= 10 // vehicle 10, 200 m along the second link
	gap := 4*side/n - p.Length
	lo, hi := 0.0, v0 // bisection for EquilibriumGap(v) = gap
	for range 100 {
		mid := (lo + hi) / 2
		if p.EquilibriumGap(mid, v0) < gap {
			lo = mid
		} else {
			hi = mid
		}
	}
	want := lo
	minGap := math.Inf(1)
	for m.Time() < 900 {
		m.Step()
		for l, ln := range m.lane {
			for k := range ln {
				if g, _ := m.leader(l, k); g < minGap {
					minGap = g
				}
			}
		}
	}
	for i := range n {
		if _, _, v := m.Vehicle(i); !near(v, want, 0.001*want) {
			t.Errorf("vehicle %d at %.4f m/s, equilibrium %.4f", i, v, want)
		}
	}
	if minGap < p.S0*0.5 {
		t.Errorf("smallest gap %.2f m", minGap)
	}
	t.Logf("equilibrium %.3f m/s at a gap of %.1f m; smallest gap on the way %.2f m", want, gap, minGap)
}

// TestMicroOpenRoutes sends a platoon down a chain of links: every vehicle
// arrives, in order, none overtakes and the last leaves within the time the
// IDM's capacity allows.
func TestMicroOpenRoutes(t *testing.T) {
	net := chain(15, []float64{300, 200, 400}, []int{1, 1, 1})
	m, err := NewMicro(net, DefaultIDM(), 0.5)
	if err != nil {
		t.Fatal(err)
	}
	const n = 30
	for range n {
		if _, err := m.Add([]int{0, 1, 2}); err != nil {
			t.Fatal(err)
		}
	}
	order := []int{}
	left := make([]bool, n)
	for m.Time() < 600 && m.Arrived() < n {
		m.Step()
		for i := range n {
			if l, _, _ := m.Vehicle(i); l < 0 && !left[i] && m.at[i] == 2 {
				left[i] = true
				order = append(order, i)
			}
		}
	}
	if m.Arrived() != n {
		t.Fatalf("%d of %d arrived by %v s", m.Arrived(), n, m.Time())
	}
	for k, i := range order {
		if i != k {
			t.Fatalf("arrival order %v", order)
		}
	}
	if _, err := m.Add([]int{0, 2}); err == nil {
		t.Error("a broken route was accepted")
	}
}

// BenchmarkIDM drives 60,840 vehicles round the 1,521 blocks of a 40×40 grid
// district (each directed street is one lane of one block's loop), 40 to a
// block, at Δt = 0.5 s, on one goroutine.
func BenchmarkIDM(b *testing.B) {
	const rows, cols = 40, 40
	net := Grid(rows, cols, 200, 1)
	linkOf := make(map[[2]int]int, len(net.Links))
	for i, l := range net.Links {
		linkOf[[2]int{l.From, l.To}] = i
	}
	m, err := NewMicro(net, DefaultIDM(), 0.5)
	if err != nil {
		b.Fatal(err)
	}
	for r := range rows - 1 {
		for c := range cols - 1 {
			a, bb, cc, d := r*cols+c, r*cols+c+1, (r+1)*cols+c+1, (r+1)*cols+c
			loop := []int{linkOf[[2]int{a, bb}], linkOf[[2]int{bb, cc}], linkOf[[2]int{cc, d}], linkOf[[2]int{d, a}]}
			if err := m.AddLoop(loop, 40); err != nil {
				b.Fatal(err)
			}
		}
	}
	for range 20 { // warm up: every vehicle moving
		m.Step()
	}
	b.ReportAllocs()
	start, before := time.Now(), m.Updates()
	for b.Loop() { // 20 steps (10 s) an iteration, so that -benchtime 1x means something
		for range 20 {
			m.Step()
		}
	}
	b.ReportMetric(float64(m.Updates()-before)/time.Since(start).Seconds(), "vehicle-updates/s")
	b.ReportMetric(float64(len(m.x)), "vehicles")
}
