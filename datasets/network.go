package datasets

import (
	"math"
	"math/rand/v2"
	"slices"
	"strconv"

	"citytwin/twin"

	"github.com/paulmach/orb"
)

// RoadClass is the functional class of a road, as in OpenStreetMap's highway=*.
type RoadClass string

// The road classes, from the fastest to the slowest.
const (
	Motorway    RoadClass = "motorway"
	Primary     RoadClass = "primary"
	Secondary   RoadClass = "secondary"
	Residential RoadClass = "residential"
	Service     RoadClass = "service"
)

// arterial reports whether the class carries through traffic.
func (c RoadClass) arterial() bool { return c == Motorway || c == Primary || c == Secondary }

// halfWidth is half the width of the carriageway in metres.
func (c RoadClass) halfWidth() float64 {
	switch c {
	case Motorway:
		return 14
	case Primary:
		return 8
	case Secondary:
		return 6
	case Residential:
		return 4.5
	}
	return 3
}

func (c RoadClass) lanes() int {
	switch c {
	case Motorway:
		return 6
	case Primary:
		return 4
	case Service:
		return 1
	}
	return 2
}

func (c RoadClass) speedKmh() float64 {
	switch c {
	case Motorway:
		return 100
	case Primary:
		return 50
	case Secondary:
		return 40
	case Residential:
		return 30
	}
	return 20
}

// Node is a junction or a dead end of the road graph.
type Node struct {
	ID    int
	Point orb.Point // lon/lat
}

// Road is an edge of the road graph between two nodes. Line runs from From to To
// in lon/lat; a one-way road may only be driven from From to To.
type Road struct {
	ID       int
	From, To int
	Line     orb.LineString
	Class    RoadClass
	Lanes    int // in both directions together
	SpeedKmh float64
	OneWay   bool
	Name     string
	Length   float64 // metres
}

// RoadID is the entity id of road i.
func RoadID(i int) twin.ID { return twin.ID("synth:road/" + strconv.Itoa(i)) }

// network builds the road graph in metres. Ring roads and radial arterials are
// "macro segments" first; district streets end on them at junctions, and once all
// districts are made each macro segment is split at its junctions.
type network struct {
	nodes   []orb.Point
	segs    []*macroSeg
	streets []street
}

type macroSeg struct {
	line     polyline
	from, to int
	class    RoadClass
	name     string
	juncs    []junction
}

type junction struct {
	s   float64 // metres along the segment
	p   orb.Point
	dst *int // where to write the node id once known
}

// street is a finished road in metres.
type street struct {
	line     []orb.Point
	from, to int
	class    RoadClass
	name     string
	oneway   bool
}

func (n *network) addNode(p orb.Point) int {
	n.nodes = append(n.nodes, p)
	return len(n.nodes) - 1
}

func (n *network) addSeg(pts []orb.Point, from, to int, class RoadClass, name string) int {
	n.segs = append(n.segs, &macroSeg{line: newPolyline(pts), from: from, to: to, class: class, name: name})
	return len(n.segs) - 1
}

// snapMetres is how close two junctions on an arterial may be before they merge.
const snapMetres = 2.0

// split cuts every macro segment at its junctions and resolves their node ids.
func (n *network) split() {
	type cut struct {
		s    float64
		node int
		p    orb.Point
	}
	for _, seg := range n.segs {
		slices.SortStableFunc(seg.juncs, func(a, b junction) int {
			switch {
			case a.s < b.s:
				return -1
			case a.s > b.s:
				return 1
			}
			return 0
		})
		pts, cum := seg.line.pts, seg.line.cum
		total := seg.line.length()
		cuts := []cut{{0, seg.from, pts[0]}}
		for _, j := range seg.juncs {
			last := cuts[len(cuts)-1]
			switch {
			case j.s-last.s < snapMetres:
				*j.dst = last.node
			case total-j.s < snapMetres:
				*j.dst = seg.to
			default:
				id := n.addNode(j.p)
				cuts = append(cuts, cut{j.s, id, j.p})
				*j.dst = id
			}
		}
		cuts = append(cuts, cut{total, seg.to, pts[len(pts)-1]})
		vi := 1
		for i := 1; i < len(cuts); i++ {
			a, b := cuts[i-1], cuts[i]
			line := []orb.Point{a.p}
			for vi < len(pts)-1 && cum[vi] <= a.s {
				vi++
			}
			for vi < len(pts)-1 && cum[vi] < b.s {
				line = append(line, pts[vi])
				vi++
			}
			line = append(line, b.p)
			n.streets = append(n.streets, street{line: line, from: a.node, to: b.node, class: seg.class, name: seg.name})
		}
		seg.juncs = nil
	}
}

// layout is the skeleton of the city: ring roads and the radial arterials
// ("spokes") between them. Spokes multiply as the rings grow so that districts
// stay a few kilometres wide.
type layout struct {
	rng    *rand.Rand
	radii  []float64
	spokes []spoke
	active [][]int       // per ring, the spokes that reach it, by angle
	node   []map[int]int // per ring, spoke -> node
	arc    [][]int       // per ring, arc from active[k][i] to active[k][i+1] -> segment
	radial []map[int]int // per ring k > 0, spoke -> segment from ring k-1 to ring k
}

type spoke struct {
	angle float64 // radians, [0, 2π)
	name  string
}

const (
	arcStep  = 25.0   // metres between the vertices of curved roads
	maxArc   = 2200.0 // widest district, metres along its inner ring
	coreSize = 300.0  // radius of the first ring
)

func newLayout(rng *rand.Rand) *layout {
	l := &layout{rng: rng}
	rot := rng.Float64() * 2 * math.Pi
	const base = 6
	for j := 0; j < base; j++ {
		a := rot + 2*math.Pi*float64(j)/base + between(rng, -0.12, 0.12)
		l.spokes = append(l.spokes, spoke{angle: normAngle(a), name: streetName(rng, "Avenue", "Road", "Boulevard")})
	}
	return l
}

func normAngle(a float64) float64 {
	a = math.Mod(a, 2*math.Pi)
	if a < 0 {
		a += 2 * math.Pi
	}
	return a
}

// sweep is the counter-clockwise angle from a to b, in (0, 2π].
func sweep(a, b float64) float64 {
	d := b - a
	for d <= 0 {
		d += 2 * math.Pi
	}
	return d
}

// nextRadius is the radius of the next ring: spacing grows with the radius.
func (l *layout) nextRadius() float64 {
	if len(l.radii) == 0 {
		return coreSize
	}
	r := l.radii[len(l.radii)-1]
	return r + (250+0.2*r)*between(l.rng, 0.85, 1.15)
}

// addRing adds ring k at radius r with its arcs, and the spokes from ring k-1.
func (l *layout) addRing(n *network, r float64, class RoadClass) {
	k := len(l.radii)
	var act []int
	if k == 0 {
		for j := range l.spokes {
			act = append(act, j)
		}
	} else {
		prev := l.active[k-1]
		for i, a := range prev {
			act = append(act, a)
			b := prev[(i+1)%len(prev)]
			d := sweep(l.spokes[a].angle, l.spokes[b].angle)
			if class != Motorway && r*d > maxArc {
				ang := normAngle(l.spokes[a].angle + d*between(l.rng, 0.4, 0.6))
				l.spokes = append(l.spokes, spoke{angle: ang, name: streetName(l.rng, "Road", "Avenue", "Way")})
				act = append(act, len(l.spokes)-1)
			}
		}
	}
	slices.SortFunc(act, func(a, b int) int {
		switch {
		case l.spokes[a].angle < l.spokes[b].angle:
			return -1
		case l.spokes[a].angle > l.spokes[b].angle:
			return 1
		}
		return 0
	})
	nodes := make(map[int]int, len(act))
	for _, j := range act {
		nodes[j] = n.addNode(polar(r, l.spokes[j].angle))
	}
	name := "Ring " + strconv.Itoa(k+1)
	if class == Motorway {
		name = "Outer Ring Motorway"
	}
	arcs := make([]int, len(act))
	for i, a := range act {
		b := act[(i+1)%len(act)]
		pa, pb := n.nodes[nodes[a]], n.nodes[nodes[b]]
		d := sweep(l.spokes[a].angle, l.spokes[b].angle)
		steps := max(2, int(math.Ceil(r*d/arcStep)))
		pts := make([]orb.Point, 0, steps+1)
		pts = append(pts, pa)
		for s := 1; s < steps; s++ {
			pts = append(pts, polar(r, l.spokes[a].angle+d*float64(s)/float64(steps)))
		}
		pts = append(pts, pb)
		arcs[i] = n.addSeg(pts, nodes[a], nodes[b], class, name)
	}
	radial := map[int]int{}
	if k > 0 {
		for _, j := range l.active[k-1] {
			from, to := l.node[k-1][j], nodes[j]
			cls := Primary
			radial[j] = n.addSeg([]orb.Point{n.nodes[from], n.nodes[to]}, from, to, cls, l.spokes[j].name)
		}
	}
	l.radii = append(l.radii, r)
	l.active = append(l.active, act)
	l.node = append(l.node, nodes)
	l.arc = append(l.arc, arcs)
	l.radial = append(l.radial, radial)
}

// districtsOf returns the districts between ring k-1 and ring k (k = 0: the
// core inside the first ring).
func (l *layout) districtsOf(n *network, k int) []districtSpec {
	if k == 0 {
		b := &boundary{}
		for _, s := range l.arc[0] {
			b.add(n.segs[s], s, false)
		}
		b.finish()
		return []districtSpec{{ring: 0, bnd: b, rOut: l.radii[0]}}
	}
	prev, cur := l.active[k-1], l.active[k]
	idx := make(map[int]int, len(cur))
	for i, j := range cur {
		idx[j] = i
	}
	var out []districtSpec
	for i, a := range prev {
		bsp := prev[(i+1)%len(prev)]
		b := &boundary{}
		b.add(n.segs[l.arc[k-1][i]], l.arc[k-1][i], false)
		b.add(n.segs[l.radial[k][bsp]], l.radial[k][bsp], false)
		// Back along the outer ring from spoke b to spoke a; spokes that start at
		// ring k split it into several arcs.
		for j := idx[bsp]; j != idx[a]; {
			j = (j - 1 + len(cur)) % len(cur)
			b.add(n.segs[l.arc[k][j]], l.arc[k][j], true)
		}
		b.add(n.segs[l.radial[k][a]], l.radial[k][a], true)
		b.finish()
		phiA := l.spokes[a].angle
		out = append(out, districtSpec{
			ring: k, bnd: b,
			rIn: l.radii[k-1], rOut: l.radii[k],
			phiA: phiA, phiB: phiA + sweep(phiA, l.spokes[bsp].angle),
			segA: l.radial[k][a], segB: l.radial[k][bsp],
		})
	}
	return out
}
