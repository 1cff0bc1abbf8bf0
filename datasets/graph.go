package datasets

import (
	"container/heap"

	"github.com/paulmach/orb"
)

// graph is the road graph as adjacency lists: the roads at each node.
type graph struct {
	start []int32 // roads at node n: adj[start[n]:start[n+1]]
	adj   []int32
}

func newGraph(nodes int, roads []Road) *graph {
	g := &graph{start: make([]int32, nodes+1), adj: make([]int32, 2*len(roads))}
	for _, r := range roads {
		g.start[r.From+1]++
		g.start[r.To+1]++
	}
	for i := 1; i <= nodes; i++ {
		g.start[i] += g.start[i-1]
	}
	fill := make([]int32, nodes)
	copy(fill, g.start[:nodes])
	for i, r := range roads {
		g.adj[fill[r.From]] = int32(i)
		fill[r.From]++
		g.adj[fill[r.To]] = int32(i)
		fill[r.To]++
	}
	return g
}

func (g *graph) at(n int) []int32 { return g.adj[g.start[n]:g.start[n+1]] }

// other is the node at the other end of road r from n.
func other(r *Road, n int) int {
	if r.From == n {
		return r.To
	}
	return r.From
}

// step is one road of a path, driven forwards (From to To) or backwards.
type step struct {
	road    int
	forward bool
}

type pqItem struct {
	node int
	f    float64
}

type pq []pqItem

func (q pq) Len() int           { return len(q) }
func (q pq) Less(i, j int) bool { return q[i].f < q[j].f }
func (q pq) Swap(i, j int)      { q[i], q[j] = q[j], q[i] }
func (q *pq) Push(x any)        { *q = append(*q, x.(pqItem)) }
func (q *pq) Pop() any {
	old := *q
	x := old[len(old)-1]
	*q = old[:len(old)-1]
	return x
}

// shortestPath finds the shortest path in metres from node a to node b using
// only roads that ok accepts, by A* with the straight-line distance. pts are
// the nodes in metres. It returns nil when b cannot be reached.
func (g *graph) shortestPath(roads []Road, pts []orb.Point, a, b int, ok func(*Road) bool) []step {
	dist := map[int]float64{a: 0}
	via := map[int]int{} // node -> road that reached it
	q := &pq{{a, 0}}
	done := map[int]bool{}
	for q.Len() > 0 {
		it := heap.Pop(q).(pqItem)
		n := it.node
		if done[n] {
			continue
		}
		done[n] = true
		if n == b {
			break
		}
		for _, ri := range g.at(n) {
			r := &roads[ri]
			if !ok(r) || r.OneWay && r.From != n {
				continue
			}
			m := other(r, n)
			nd := dist[n] + r.Length
			if d, seen := dist[m]; !seen || nd < d {
				dist[m] = nd
				via[m] = int(ri)
				heap.Push(q, pqItem{m, nd + distM(pts[m], pts[b])})
			}
		}
	}
	if !done[b] {
		return nil
	}
	var path []step
	for n := b; n != a; {
		ri := via[n]
		r := &roads[ri]
		path = append(path, step{road: ri, forward: r.To == n})
		n = other(r, n)
	}
	for i, j := 0, len(path)-1; i < j; i, j = i+1, j-1 {
		path[i], path[j] = path[j], path[i]
	}
	return path
}

func distM(a, b orb.Point) float64 { return dist(a, b) }
