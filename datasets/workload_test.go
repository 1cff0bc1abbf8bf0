package datasets

import (
	"math/rand/v2"
	"testing"

	"citytwin/geo"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
)

func TestWorkloadShapes(t *testing.T) {
	c := orb.Point{24.94, 60.17}
	b := BoxAround(c, 0.001)
	w := geo.Distance(orb.Point{b.Min[0], c[1]}, orb.Point{b.Max[0], c[1]})
	h := geo.Distance(orb.Point{c[0], b.Min[1]}, orb.Point{c[0], b.Max[1]})
	if w < 0.99*h || w > 1.01*h || !b.Contains(c) {
		t.Fatalf("box %v is %0.f × %0.f m", b, w, h)
	}
	d := District(c, 0.01, rand.New(rand.NewPCG(1, 1)))
	if len(d[0]) != 13 || d[0][0] != d[0][12] || !planar.PolygonContains(d, c) || planar.Area(d) <= 0 {
		t.Fatalf("district %v", d)
	}
}
