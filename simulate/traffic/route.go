package traffic

import "math"

// minSpeed keeps the travel time of a jammed cell finite for route choice.
const minSpeed = 0.1 // m/s

// linkCost is the current travel time of link i in seconds, from the densities
// of its cells (Inf when the link is closed).
func (m *Model) linkCost(i int, t float64) float64 {
	if m.entryFactor(i, t) == 0 {
		return math.Inf(1)
	}
	l := &m.net.Links[i]
	fd := m.fd(i)
	c := 0.0
	dx := m.dxe[i]
	for _, n := range m.n[m.cellOff[i]:m.cellOff[i+1]] {
		k := n / dx / float64(l.Lanes)
		c += dx / max(fd.Speed(k), minSpeed)
	}
	return max(c, m.cfg.Step)
}

// reroute recomputes the next-hop tables from current link travel times: for
// every destination, a Dijkstra search backwards over the links.
func (m *Model) reroute() {
	t := m.Time()
	m.parallel(len(m.net.Links), func(lo, hi, _ int) {
		for i := lo; i < hi; i++ {
			m.cost[i] = m.linkCost(i, t)
		}
	})
	m.parallel(len(m.inAdj), func(lo, hi, _ int) {
		for k := lo; k < hi; k++ {
			m.costIn[k] = m.cost[m.inAdj[k]]
		}
	})
	m.parallel(len(m.dests), func(lo, hi, w int) {
		s := &m.work[w]
		for d := lo; d < hi; d++ {
			m.dijkstra(d, s)
		}
	})
}

// dijkstra fills the next-hop table of destination d and the current travel
// times of the OD pairs that end there.
func (m *Model) dijkstra(d int, s *worker) {
	nn := len(m.net.Nodes)
	if cap(s.dist) < nn {
		s.dist = make([]float64, nn)
	}
	dist := s.dist[:nn]
	for i := range dist {
		dist[i] = math.Inf(1)
	}
	nd := len(m.dests)
	for v := range nn {
		m.next[v*nd+d] = -1
	}
	dest := m.dests[d]
	dist[dest] = 0
	h := s.heap[:0]
	h = h.push(hitem{0, int32(dest)})
	for len(h) > 0 {
		var it hitem
		h, it = h.pop()
		u := int(it.node)
		if it.d > dist[u] {
			continue
		}
		for k := m.inOff[u]; k < m.inOff[u+1]; k++ {
			l := m.inAdj[k]
			v := m.inFrom[k]
			if du := it.d + m.costIn[k]; du < dist[v] { // false for a closed link (+Inf)
				dist[v] = du
				m.next[int(v)*nd+d] = l
				h = h.push(hitem{du, v})
			}
		}
	}
	s.heap = h
	for _, od := range m.odByDest[m.odByDestOff[d]:m.odByDestOff[d+1]] {
		m.odTime[od] = dist[m.dem.ODs[od].Origin]
		if m.step == 0 {
			m.odFree[od] = m.odTime[od]
		}
	}
}

type hitem struct {
	d    float64
	node int32
}

func (a hitem) less(b hitem) bool { return a.d < b.d || a.d == b.d && a.node < b.node }

// hheap is a 4-ary min-heap (shallower than a binary one, fewer cache misses).
type hheap []hitem

func (h hheap) push(it hitem) hheap {
	h = append(h, it)
	i := len(h) - 1
	for i > 0 {
		p := (i - 1) / 4
		if !h[i].less(h[p]) {
			break
		}
		h[i], h[p] = h[p], h[i]
		i = p
	}
	return h
}

func (h hheap) pop() (hheap, hitem) {
	top := h[0]
	n := len(h) - 1
	h[0] = h[n]
	h = h[:n]
	i := 0
	for {
		l := 4*i + 1
		if l >= n {
			break
		}
		c := l
		for r := l + 1; r < min(l+4, n); r++ {
			if h[r].less(h[c]) {
				c = r
			}
		}
		if !h[c].less(h[i]) {
			break
		}
		h[i], h[c] = h[c], h[i]
		i = c
	}
	return h, top
}
