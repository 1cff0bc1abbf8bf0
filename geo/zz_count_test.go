package geo

import (
	"testing"

	"github.com/paulmach/orb"
)

func TestZZCount(t *testing.T) {
	r := newRand(25)
	items := randomItems(r, 1_000_000, orb.Point{24.94, 60.17}, 0.3, 0)
	var tr RTree[int]
	for _, it := range items {
		tr.Insert(it.b, it.id)
	}
	var nodes, leaves, pops int
	for i := 0; i < 1000; i++ {
		p := orb.Point{24.8 + 0.28*r.Float64(), 60.03 + 0.28*r.Float64()}
		q := newBoxBounder(p)
		n := 0
		tr.tr.Nearby(func(min, max [2]float32, _ int, item bool) float64 {
			if item {
				leaves++
			} else {
				nodes++
			}
			return q.lower(bound64(min, max))
		}, func(_, _ [2]float32, _ int, _ float64) bool { pops++; n++; return n < 10 })
	}
	t.Logf("per query: node dists %d, item dists %d, pops %d", nodes/1000, leaves/1000, pops/1000)
}
