package traffic

import (
	"math"
	"testing"
)

// TestNodeModel checks the general node model on cases with figures by hand.
func TestNodeModel(t *testing.T) {
	inf := math.Inf(1)
	tests := []struct {
		name string
		S, C []float64
		Sij  [][]float64
		R    []float64
		want []float64 // theta
	}{
		{"free merge", []float64{1, 1}, []float64{2, 2}, [][]float64{{1}, {1}}, []float64{3}, []float64{1, 1}},
		// supply 2 shared by capacities 3:1 → 1.5 and 0.5
		{"proportional merge", []float64{2, 2}, []float64{3, 1}, [][]float64{{2}, {2}}, []float64{2}, []float64{0.75, 0.25}},
		// the weaker one needs less than its share (0.4 < 1): it moves fully, the other takes the rest
		{"merge with a demand-constrained link", []float64{3, 0.4}, []float64{1, 1}, [][]float64{{3}, {0.4}}, []float64{2}, []float64{1.6 / 3, 1}},
		// 2 to each of two links, the second can take 0.5: FIFO holds back the whole link to 1/4
		{"FIFO diverge", []float64{4}, []float64{1}, [][]float64{{2, 2}}, []float64{5, 0.5}, []float64{0.25}},
		{"diverge with sink", []float64{4}, []float64{1}, [][]float64{{1, 3}}, []float64{2, inf}, []float64{1}},
		{"blocked", []float64{1}, []float64{1}, [][]float64{{0.5, 0.5}}, []float64{1, 0}, []float64{0}},
		// two links each into two: out0 supply 1 wanted by both, out1 free
		{"general 2x2", []float64{2, 2}, []float64{1, 1}, [][]float64{{1, 1}, {1, 1}}, []float64{1, 10}, []float64{0.5, 0.5}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var nm nodeModel
			nm.reset(len(tc.S), len(tc.R))
			copy(nm.S, tc.S)
			copy(nm.C, tc.C)
			copy(nm.R, tc.R)
			for r, row := range tc.Sij {
				copy(nm.Sij[r*len(tc.R):], row)
			}
			nm.solve()
			for r, want := range tc.want {
				if !near(nm.theta[r], want, 1e-12) {
					t.Errorf("theta[%d] = %v, want %v", r, nm.theta[r], want)
				}
			}
			// No outgoing link receives more than its supply.
			for k, R := range tc.R {
				in := 0.0
				for r := range tc.S {
					in += nm.theta[r] * tc.Sij[r][k]
				}
				if in > R+1e-12 {
					t.Errorf("out %d receives %v > supply %v", k, in, R)
				}
			}
		})
	}
}

// TestJunctionBlockedApproach sets up a junction where one approach is held
// back entirely (its next link is jammed) and another is free: the free one
// must move its own vehicles into its own next link, and the jammed link must
// receive nothing.
func TestJunctionBlockedApproach(t *testing.T) {
	net := &Network{Nodes: []Node{{ID: 0}, {ID: 1}, {ID: 2}, {ID: 3}, {ID: 4}}}
	for _, e := range [][2]int{{0, 2}, {1, 2}, {2, 3}, {2, 4}} {
		net.Links = append(net.Links, Link{Road: itoa(e[0]) + ">" + itoa(e[1]), From: e[0], To: e[1], Length: 150, Lanes: 1, FreeSpeed: 15})
	}
	const a, b, x, y = 0, 1, 2, 3
	dem := Demand{ODs: []OD{{Origin: 0, Dest: 3}, {Origin: 1, Dest: 4}}} // rate 0: only the destinations matter
	m := mustNew(t, net, dem, testConfig())
	to3, to4 := m.destOfNode[3], m.destOfNode[4]
	fill := func(l int, dest int32, perCell float64) {
		for c := m.cellOff[l]; c < m.cellOff[l+1]; c++ {
			m.n[c] = perCell
		}
		half := perCell * float64(m.cellOff[l+1]-m.cellOff[l]) / 2 // two packets, only the first at the head
		m.q[l].p = []packet{{dest: dest, n: half}, {dest: dest, n: half}}
		m.occupied[l] = true
	}
	fill(a, to3, 1)
	fill(b, to4, 1)
	fill(x, to3, m.cfd[x].ncap) // jammed: receives nothing this step
	inX := m.Vehicles(x)
	m.Step()
	if got := m.Vehicles(x); got > inX {
		t.Errorf("jammed link went from %v to %v vehicles", inX, got)
	}
	if m.Vehicles(y) <= 0 {
		t.Errorf("the free approach moved nothing")
	}
	for l, want := range map[int]int32{x: to3, y: to4} {
		for _, p := range m.q[l].live() {
			if p.dest != want {
				t.Errorf("link %d holds vehicles for destination %d", l, p.dest)
			}
		}
	}
}
