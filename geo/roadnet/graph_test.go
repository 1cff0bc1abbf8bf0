package roadnet

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/paulmach/orb"
)

// randomSegments makes a random graph of n nodes and m segments with a fixed seed.
func randomSegments(r *rand.Rand, n, m int) []Segment {
	segs := make([]Segment, 0, m)
	for k := range m {
		a, b := int64(r.IntN(n)), int64(r.IntN(n))
		segs = append(segs, Segment{
			From: a, To: b,
			FromPt:   orb.Point{float64(a) / 100, 60},
			ToPt:     orb.Point{float64(b) / 100, 60},
			LengthM:  float64(r.IntN(1000)),
			SpeedMPS: float64(1 + r.IntN(30)),
			Oneway:   int8(r.IntN(3) - 1),
			Road:     "r" + string(rune('a'+k%26)),
		})
	}
	return segs
}

// bellmanFord is the oracle: relax every edge n times.
func bellmanFord(g *Graph, from int) []float64 {
	d := make([]float64, len(g.Nodes))
	for i := range d {
		d[i] = math.Inf(1)
	}
	d[from] = 0
	for range len(g.Nodes) {
		for i := range g.Edges {
			e := &g.Edges[i]
			if v := d[e.From] + e.Seconds(); v < d[e.To] {
				d[e.To] = v
			}
		}
	}
	return d
}

func TestShortestPathMatchesBellmanFord(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for trial := range 300 {
		n := 2 + r.IntN(15)
		g, err := Build(randomSegments(r, n, r.IntN(3*n)))
		if err != nil {
			t.Fatal(err)
		}
		if len(g.Nodes) == 0 {
			continue
		}
		from := r.IntN(len(g.Nodes))
		want := bellmanFord(g, from)
		for to := range g.Nodes {
			path, got, err := g.ShortestPath(from, to)
			if math.IsInf(want[to], 1) {
				if !errors.Is(err, ErrNoPath) {
					t.Fatalf("trial %d %d→%d: err %v, want ErrNoPath", trial, from, to, err)
				}
				continue
			}
			if err != nil {
				t.Fatalf("trial %d %d→%d: %v", trial, from, to, err)
			}
			if math.Abs(got-want[to]) > 1e-9*max(1, want[to]) {
				t.Fatalf("trial %d %d→%d: got %v s, want %v s", trial, from, to, got, want[to])
			}
			// The path is a chain from from to to whose times add up.
			at, sum := from, 0.0
			for _, e := range path {
				if int(e.From) != at {
					t.Fatalf("trial %d: path breaks at node %d", trial, at)
				}
				at = int(e.To)
				sum += e.Seconds()
			}
			if at != to || math.Abs(sum-got) > 1e-9*max(1, got) {
				t.Fatalf("trial %d: path ends at %d with %v s, want %d with %v s", trial, at, sum, to, got)
			}
		}
	}
}

// reach is the oracle for components: reachability by DFS from every node.
func reach(g *Graph) [][]bool {
	n := len(g.Nodes)
	out := make([][]bool, n)
	for s := range n {
		seen := make([]bool, n)
		stack := []int{s}
		seen[s] = true
		for len(stack) > 0 {
			v := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			for _, ei := range g.Out(v) {
				if w := int(g.Edges[ei].To); !seen[w] {
					seen[w] = true
					stack = append(stack, w)
				}
			}
		}
		out[s] = seen
	}
	return out
}

func TestLargestComponentMatchesReachability(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for trial := range 300 {
		n := 1 + r.IntN(12)
		g, err := Build(randomSegments(r, n, r.IntN(2*n+1)))
		if err != nil {
			t.Fatal(err)
		}
		rc := reach(g)
		want := 0
		for v := range g.Nodes {
			size := 0
			for w := range g.Nodes {
				if rc[v][w] && rc[w][v] {
					size++
				}
			}
			want = max(want, size)
		}
		got := g.LargestComponent()
		if len(got) != want {
			t.Fatalf("trial %d: largest component has %d nodes, want %d", trial, len(got), want)
		}
		for _, v := range got {
			for _, w := range got {
				if !rc[v][w] {
					t.Fatalf("trial %d: %d cannot reach %d in the component", trial, v, w)
				}
			}
		}
	}
}

func TestBuildEdges(t *testing.T) {
	mk := func(ow int8) Segment {
		return Segment{From: 1, To: 2, LengthM: 100, SpeedMPS: 10, Oneway: ow, Road: "r"}
	}
	tests := []struct {
		name   string
		oneway int8
		want   [][2]int32
	}{
		{"two-way", 0, [][2]int32{{0, 1}, {1, 0}}},
		{"forward", 1, [][2]int32{{0, 1}}},
		{"backward", -1, [][2]int32{{1, 0}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, err := Build([]Segment{mk(tt.oneway)})
			if err != nil {
				t.Fatal(err)
			}
			if len(g.Edges) != len(tt.want) {
				t.Fatalf("got %d edges, want %d", len(g.Edges), len(tt.want))
			}
			for i, w := range tt.want {
				if got := [2]int32{g.Edges[i].From, g.Edges[i].To}; got != w {
					t.Errorf("edge %d: got %v, want %v", i, got, w)
				}
			}
		})
	}
	for _, bad := range []Segment{
		{From: 1, To: 2, LengthM: math.NaN(), SpeedMPS: 1},
		{From: 1, To: 2, LengthM: 1, SpeedMPS: 0},
		{From: 1, To: 2, LengthM: -1, SpeedMPS: 1},
	} {
		if _, err := Build([]Segment{bad}); !errors.Is(err, ErrBadSegment) {
			t.Errorf("Build(%+v): err %v, want ErrBadSegment", bad, err)
		}
	}
	g, _ := Build([]Segment{mk(0)})
	if _, _, err := g.ShortestPath(0, 5); !errors.Is(err, ErrNoNode) {
		t.Errorf("out of range: err %v, want ErrNoNode", err)
	}
	if m := g.Filter(func(e *Edge) bool { return e.Motor }); len(m.Edges) != 0 || len(m.Nodes) != 2 {
		t.Errorf("Filter: %d edges %d nodes, want 0 and 2", len(m.Edges), len(m.Nodes))
	}
}
