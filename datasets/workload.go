package datasets

import (
	"math"
	"math/rand/v2"

	"github.com/paulmach/orb"
)

// The shapes benchmarks and load tests ask about, so that every measurement of the
// same figure asks the same kind of question.

// BoxAround is a square of 2×halfLat degrees of latitude (and the same ground
// width in longitude) centred on p.
func BoxAround(p orb.Point, halfLat float64) orb.Bound {
	halfLon := halfLat / math.Cos(p[1]*math.Pi/180)
	return orb.Bound{Min: orb.Point{p[0] - halfLon, p[1] - halfLat}, Max: orb.Point{p[0] + halfLon, p[1] + halfLat}}
}

// District is an irregular 12-sided polygon around c whose vertices lie 0.8 to 1.2
// times rad (degrees of latitude, the same ground distance in longitude) from it,
// like a city district drawn by hand.
func District(c orb.Point, rad float64, r *rand.Rand) orb.Polygon {
	ring := make(orb.Ring, 0, 13)
	for i := range 12 {
		a := 2 * math.Pi * float64(i) / 12
		k := rad * (0.8 + 0.4*r.Float64())
		ring = append(ring, orb.Point{c[0] + k*math.Cos(a)/math.Cos(c[1]*math.Pi/180), c[1] + k*math.Sin(a)})
	}
	return orb.Polygon{append(ring, ring[0])}
}
