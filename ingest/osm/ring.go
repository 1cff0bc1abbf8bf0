package osm

import (
	"fmt"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
)

// RingWay is one way member of a multipolygon: its id, role and node ids.
type RingWay struct {
	ID    int64
	Inner bool // role "inner"; "outer" and "" are outer
	Nodes []int64
}

// AssembleRings joins the member ways of a multipolygon into closed rings of node
// ids: closed ways are rings by themselves, open ways are joined end to end
// (reversing them where needed) until each chain closes. The rings keep the
// inner/outer role of their first way. A way listed twice, a way of fewer than two
// nodes, a chain that cannot close or a ring of fewer than four nodes is an error.
func AssembleRings(ways []RingWay) (outer, inner [][]int64, err error) {
	seen := make(map[int64]bool, len(ways))
	ends := make(map[int64][]int, 2*len(ways)) // end node → open ways ending there
	for i, w := range ways {
		if seen[w.ID] {
			return nil, nil, fmt.Errorf("way %d is a member twice", w.ID)
		}
		seen[w.ID] = true
		if len(w.Nodes) < 2 {
			return nil, nil, fmt.Errorf("way %d has %d nodes", w.ID, len(w.Nodes))
		}
		if !closed(w.Nodes) {
			ends[w.Nodes[0]] = append(ends[w.Nodes[0]], i)
			ends[w.Nodes[len(w.Nodes)-1]] = append(ends[w.Nodes[len(w.Nodes)-1]], i)
		}
	}
	used := make([]bool, len(ways))
	for i, w := range ways {
		if used[i] {
			continue
		}
		used[i] = true
		chain := append([]int64(nil), w.Nodes...)
		for !closed(chain) {
			end := chain[len(chain)-1]
			next := -1
			for _, j := range ends[end] {
				if !used[j] {
					next = j
					break
				}
			}
			if next < 0 {
				return nil, nil, fmt.Errorf("ring from way %d does not close: open end at node %d", w.ID, end)
			}
			used[next] = true
			ns := ways[next].Nodes
			if ns[0] == end {
				chain = append(chain, ns[1:]...)
			} else {
				for k := len(ns) - 2; k >= 0; k-- {
					chain = append(chain, ns[k])
				}
			}
		}
		if len(chain) < 4 {
			return nil, nil, fmt.Errorf("ring from way %d has %d nodes, want at least 4", w.ID, len(chain))
		}
		if w.Inner {
			inner = append(inner, chain)
		} else {
			outer = append(outer, chain)
		}
	}
	if len(outer) == 0 {
		return nil, nil, fmt.Errorf("no outer ring")
	}
	return outer, inner, nil
}

func closed(ns []int64) bool { return len(ns) >= 2 && ns[0] == ns[len(ns)-1] }

// ringPoints looks up the coordinates of a ring of node ids.
func ringPoints(ns []int64, coord func(int64) (orb.Point, bool)) (orb.Ring, error) {
	r := make(orb.Ring, len(ns))
	for i, id := range ns {
		p, ok := coord(id)
		if !ok {
			return nil, fmt.Errorf("missing node %d", id)
		}
		r[i] = p
	}
	return r, nil
}

// orient makes a ring counter-clockwise (ccw) or clockwise, the right-hand
// rule of RFC 7946: outer rings counter-clockwise, holes clockwise.
func orient(r orb.Ring, ccw bool) {
	if (r.Orientation() == orb.CCW) != ccw {
		for i, j := 0, len(r)-1; i < j; i, j = i+1, j-1 {
			r[i], r[j] = r[j], r[i]
		}
	}
}

// Polygons turns assembled rings into a Polygon (one outer ring) or a
// MultiPolygon, each hole under the smallest outer ring that holds most of its
// vertices. A ring of zero area, a missing node or a hole outside every outer
// ring is an error.
func Polygons(outer, inner [][]int64, coord func(int64) (orb.Point, bool)) (orb.Geometry, error) {
	polys := make([]orb.Polygon, 0, len(outer))
	areas := make([]float64, 0, len(outer))
	for _, ns := range outer {
		r, err := ringPoints(ns, coord)
		if err != nil {
			return nil, err
		}
		a := planar.Area(r)
		if a == 0 {
			return nil, fmt.Errorf("outer ring at node %d has zero area", ns[0])
		}
		orient(r, true)
		polys = append(polys, orb.Polygon{r})
		areas = append(areas, a)
	}
	for _, ns := range inner {
		r, err := ringPoints(ns, coord)
		if err != nil {
			return nil, err
		}
		if planar.Area(r) == 0 {
			return nil, fmt.Errorf("inner ring at node %d has zero area", ns[0])
		}
		best, bestIn := -1, 0
		for k, p := range polys {
			in := 0
			for _, q := range r[:len(r)-1] {
				if planar.RingContains(p[0], q) {
					in++
				}
			}
			if in > bestIn || in == bestIn && in > 0 && areas[k] < areas[best] {
				best, bestIn = k, in
			}
		}
		if best < 0 {
			return nil, fmt.Errorf("inner ring at node %d lies outside every outer ring", ns[0])
		}
		orient(r, false)
		polys[best] = append(polys[best], r)
	}
	if len(polys) == 1 {
		return polys[0], nil
	}
	return orb.MultiPolygon(polys), nil
}
