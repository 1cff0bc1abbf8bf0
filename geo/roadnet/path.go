package roadnet

import (
	"fmt"
	"math"
)

// ShortestPath returns the fastest path from node from to node to by free-flow
// travel time (Dijkstra with a binary heap), as the edges in travel order, and its
// time in seconds. A path from a node to itself is empty and takes 0 s.
func (g *Graph) ShortestPath(from, to int) ([]Edge, float64, error) {
	n := len(g.Nodes)
	if from < 0 || from >= n || to < 0 || to >= n {
		return nil, 0, fmt.Errorf("%w: %d or %d (have %d)", ErrNoNode, from, to, n)
	}
	dist := make([]float64, n)
	via := make([]int32, n) // edge that reached the node, -1 for none
	for i := range dist {
		dist[i] = math.Inf(1)
		via[i] = -1
	}
	dist[from] = 0
	h := heap{{node: int32(from)}}
	for len(h) > 0 {
		it := h.pop()
		if it.d > dist[it.node] {
			continue // stale entry
		}
		if int(it.node) == to {
			break
		}
		for _, ei := range g.Out(int(it.node)) {
			e := &g.Edges[ei]
			if d := it.d + e.Seconds(); d < dist[e.To] {
				dist[e.To] = d
				via[e.To] = ei
				h.push(item{d: d, node: e.To})
			}
		}
	}
	if math.IsInf(dist[to], 1) {
		return nil, 0, fmt.Errorf("%w: from node %d to node %d", ErrNoPath, g.Nodes[from].OSMID, g.Nodes[to].OSMID)
	}
	var path []Edge
	for v := to; v != from; {
		e := g.Edges[via[v]]
		path = append(path, e)
		v = int(e.From)
	}
	for i, j := 0, len(path)-1; i < j; i, j = i+1, j-1 {
		path[i], path[j] = path[j], path[i]
	}
	return path, dist[to], nil
}

type item struct {
	d    float64
	node int32
}

// heap is a binary min-heap on d; written out rather than container/heap to
// avoid the interface boxing on every push and pop.
type heap []item

func (h *heap) push(it item) {
	*h = append(*h, it)
	s := *h
	i := len(s) - 1
	for i > 0 {
		p := (i - 1) / 2
		if s[p].d <= s[i].d {
			break
		}
		s[p], s[i] = s[i], s[p]
		i = p
	}
}

func (h *heap) pop() item {
	s := *h
	top := s[0]
	last := len(s) - 1
	s[0] = s[last]
	s = s[:last]
	i := 0
	for {
		l, r, m := 2*i+1, 2*i+2, i
		if l < len(s) && s[l].d < s[m].d {
			m = l
		}
		if r < len(s) && s[r].d < s[m].d {
			m = r
		}
		if m == i {
			break
		}
		s[i], s[m] = s[m], s[i]
		i = m
	}
	*h = s
	return top
}
