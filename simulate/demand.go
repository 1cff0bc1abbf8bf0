package simulate

import (
	"math"
	"math/rand/v2"
	"sort"

	"citytwin/geo"
	"citytwin/simulate/traffic"
	"citytwin/twin"

	"github.com/paulmach/orb"
	"github.com/uber/h3-go/v4"
)

// Travel demand from the buildings of the twin, by the classic four-step
// model's first two steps: trip generation per zone from floor area, then a
// gravity distribution between zones.
//
// Zones are H3 cells at resolution zoneRes (about 0.74 km² each). A zone
// produces trips in proportion to its residential floor area and attracts them
// in proportion to the floor area of every other use. The rate is
// peakTripsPerM2 vehicle trips per m² of residential floor area in the peak
// hour: ITE's Trip Generation Manual gives about 1 peak-hour trip per
// single-family dwelling and 0.5 per flat; at 100–200 m² and 60–90 m² of floor
// each that is 0.5–0.8 trips per 100 m². Distribution is a doubly unconstrained
// gravity model with an exponential deterrence exp(−β·d), β = gravityBeta per
// km of straight-line distance, over each origin's gravityDests most
// attractive destinations.
const (
	zoneRes        = 8
	peakTripsPerM2 = 0.006
	gravityBeta    = 0.25
	gravityDests   = 12
	// accessNodes is how many junctions a zone's trips start from (its
	// centroid connectors): the nearest ones that have a road out.
	accessNodes = 4
	// demandCV is the day-to-day variation of each OD flow (coefficient of
	// variation of a log-normal factor drawn from the scenario's seed).
	demandCV = 0.1
)

// zone is a demand zone: its access nodes on the network and its totals.
type zone struct {
	cell        h3.Cell
	node        int       // where its trips end: the nearest junction with a road in
	starts      []int     // where they start: the accessNodes nearest junctions with a road out
	centre      orb.Point // mean of the buildings' centres
	produce     float64   // trips/h
	attractArea float64   // m² of floor of other uses
	buildings   int
}

// floorArea is a building's floor area: footprint × storeys (levels, or
// height / 3 m, or 1).
func floorArea(e *twin.Entity) float64 {
	a := geo.Area(e.Geometry)
	if v, ok, _ := e.Props.Float("area_m2"); ok && v > 0 {
		a = v
	}
	levels := float64(e.Levels)
	if levels <= 0 {
		levels = math.Max(1, math.Round(e.Height/3))
	}
	return a * levels
}

// residential reads a building's use: "use" (synthetic city) or "building"
// (OSM) naming a home.
func residential(e *twin.Entity) bool {
	for _, k := range []string{"use", "building"} {
		if s, ok, _ := e.Props.Text(k); ok {
			switch s {
			case "residential", "house", "apartments", "detached", "terrace", "semidetached_house", "dormitory", "mixed":
				return true
			}
			return false
		}
	}
	return false
}

// demandOf builds the OD matrix of the buildings on net: per hour, before the
// spec's demand factor and interventions. It is deterministic: zones in cell
// order, ODs in (origin, destination) order.
func demandOf(buildings []twin.Entity, net *traffic.Network) []zoneOD {
	byCell := map[h3.Cell]*zone{}
	for i := range buildings {
		e := &buildings[i]
		if e.Geometry == nil {
			continue
		}
		c := e.Geometry.Bound().Center()
		cell := geo.Cell(c, zoneRes)
		z := byCell[cell]
		if z == nil {
			z = &zone{cell: cell}
			byCell[cell] = z
		}
		a := floorArea(e)
		if residential(e) {
			z.produce += a * peakTripsPerM2
		} else {
			z.attractArea += a
		}
		z.centre[0] += c[0]
		z.centre[1] += c[1]
		z.buildings++
	}
	zones := make([]*zone, 0, len(byCell))
	for _, z := range byCell {
		n := float64(z.buildings)
		z.centre = orb.Point{z.centre[0] / n, z.centre[1] / n}
		zones = append(zones, z)
	}
	sort.Slice(zones, func(i, j int) bool { return zones[i].cell < zones[j].cell })
	connect(zones, net)
	var ods []zoneOD
	type cand struct {
		j int
		w float64
	}
	cands := make([]cand, 0, len(zones))
	for i, o := range zones {
		if o.produce <= 0 || len(o.starts) == 0 {
			continue
		}
		cands = cands[:0]
		for j, d := range zones {
			if j == i || d.attractArea <= 0 || d.node < 0 {
				continue
			}
			km := geo.Distance(o.centre, d.centre) / 1000
			cands = append(cands, cand{j, d.attractArea * math.Exp(-gravityBeta*km)})
		}
		sort.Slice(cands, func(a, b int) bool {
			if cands[a].w != cands[b].w {
				return cands[a].w > cands[b].w
			}
			return cands[a].j < cands[b].j
		})
		if len(cands) > gravityDests {
			cands = cands[:gravityDests]
		}
		total := 0.0
		for _, c := range cands {
			total += c.w
		}
		for _, c := range cands {
			d := zones[c.j]
			for _, start := range o.starts {
				if start == d.node {
					continue
				}
				ods = append(ods, zoneOD{
					OD:     traffic.OD{Origin: start, Dest: d.node, Rate: o.produce * c.w / total / float64(len(o.starts))},
					origin: o.centre, dest: d.centre,
				})
			}
		}
	}
	return ods
}

// zoneOD is an OD flow with the places of its zones (for demand
// interventions by area).
type zoneOD struct {
	traffic.OD
	origin, dest orb.Point
}

// vary draws each OD's day-to-day factor from the seed: log-normal with mean 1
// and coefficient of variation demandCV.
func vary(ods []zoneOD, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, 0x5ce7a210))
	s2 := math.Log(1 + demandCV*demandCV)
	for i := range ods {
		ods[i].Rate *= math.Exp(rng.NormFloat64()*math.Sqrt(s2) - s2/2)
	}
}

// connect gives each zone its access nodes: the nearest junction with a road
// in (where trips end) and the accessNodes nearest with a road out (where
// they start), found through a grid of the junctions.
func connect(zones []*zone, net *traffic.Network) {
	in := make([]bool, len(net.Nodes))
	out := make([]bool, len(net.Nodes))
	for i := range net.Links {
		out[net.Links[i].From] = true
		in[net.Links[i].To] = true
	}
	ref := 0.0
	if len(net.Nodes) > 0 {
		ref = net.Nodes[0].Point[1]
	}
	grid := geo.NewPointGrid(200, ref)
	for i, n := range net.Nodes {
		if in[i] || out[i] {
			grid.Set(uint32(i), n.Point)
		}
	}
	for _, z := range zones {
		z.node = -1
		grid.Nearby(z.centre, func(slot uint32, _ orb.Point, _ float64) bool {
			if z.node < 0 && in[slot] {
				z.node = int(slot)
			}
			if out[slot] && len(z.starts) < accessNodes {
				z.starts = append(z.starts, int(slot))
			}
			return z.node < 0 || len(z.starts) < accessNodes
		})
	}
}
