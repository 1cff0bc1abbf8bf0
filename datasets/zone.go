package datasets

import (
	"strconv"

	"citytwin/twin"

	"github.com/paulmach/orb"
)

// Zone is an open block: a park or a parking lot.
type Zone struct {
	Kind     string // park or parking
	Name     string
	Polygon  orb.Polygon // lon/lat, counter-clockwise, closed
	Capacity int         // parking spaces; 0 for parks
}

// ZoneID is the entity id of zone i.
func ZoneID(i int) twin.ID { return twin.ID("synth:zone/" + strconv.Itoa(i)) }

// zones converts the districts' open areas within the built-up radius.
func (c *City) zones(districts []*district) {
	r := newRand(c.Config.Seed, saltPick, 1)
	for _, d := range districts {
		for _, a := range d.areas {
			if a.c[0]*a.c[0]+a.c[1]*a.c[1] > c.Radius*c.Radius {
				continue
			}
			q := quad(a.c, a.ux, a.uy, a.hw, a.hd)
			ring := make(orb.Ring, 5)
			for i, p := range q {
				ring[i] = c.Frame.ToLonLat(p[0], p[1])
			}
			ring[4] = ring[0]
			z := Zone{Kind: "park", Polygon: orb.Polygon{ring}}
			if a.kind == areaParking {
				z.Kind = "parking"
				// About 25 m² per space, aisles included.
				z.Capacity = max(4, int(4*a.hw*a.hd/25))
				z.Name = nameRoot(r) + " Car Park"
			} else {
				z.Name = nameRoot(r) + " Park"
			}
			c.Zones = append(c.Zones, z)
			c.areas = append(c.areas, a)
		}
		d.areas = nil
	}
}
