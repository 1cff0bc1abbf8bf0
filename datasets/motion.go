package datasets

import (
	"math"
	"math/rand/v2"

	"citytwin/twin"

	"github.com/paulmach/orb"
)

// motion moves the vehicles: cars wander the road graph, turning at random at
// each junction and keeping to one-way streets where they can; buses drive their
// route to its end and back, stopping at every stop.
type motion struct {
	city   *City
	g      *graph
	lines  []polyline // roads in metres
	routes []polyline // bus routes in metres
	movers []mover
	pcg    *rand.PCG
	rng    *rand.Rand
	opts   []int32
}

type mover struct {
	road    int32
	forward bool
	s       float64 // metres along the road in the direction of travel (cars) or along the route (buses)
	driver  float64 // how fast this driver goes, relative to the others
	dir     float64 // buses: +1 outbound, -1 inbound
	dwell   float64 // buses: seconds left at a stop
}

func newMotion(c *City, seed uint64) *motion {
	m := &motion{city: c, g: newGraph(len(c.Nodes), c.Roads), pcg: rand.NewPCG(0, 0)}
	m.rng = rand.New(m.pcg)
	m.lines = make([]polyline, len(c.Roads))
	for i := range c.Roads {
		m.lines[i] = newPolyline(c.lines[i])
	}
	m.routes = make([]polyline, len(c.Routes))
	for i := range c.Routes {
		m.routes[i] = c.routeLine(&c.Routes[i])
	}
	m.movers = make([]mover, len(c.Vehicles))
	for i, v := range c.Vehicles {
		h := hash2(hash2(seed, saltMotion), uint64(i))
		mv := mover{driver: 0.85 + 0.25*unit(h), dir: 1}
		if v.Route >= 0 && m.routes[v.Route].length() > 0 {
			mv.road = -1
			mv.s = routePos(c, &c.Routes[v.Route], v.Road, v.Offset)
			if mix64(h)&1 == 1 {
				mv.dir = -1
			}
		} else {
			mv.road = int32(v.Road)
			mv.forward = mix64(h)&1 == 0 || c.Roads[v.Road].OneWay
			l := m.lines[v.Road].length()
			off := v.Offset * l / math.Max(c.Roads[v.Road].Length, 1e-9)
			mv.s = off
			if !mv.forward {
				mv.s = l - off
			}
		}
		m.movers[i] = mv
	}
	return m
}

// routePos is how far along its route a bus at offset on road is.
func routePos(c *City, rt *Route, road int, offset float64) float64 {
	at := 0.0
	for i, ri := range rt.Roads {
		l := c.Roads[ri].Length
		if ri == road {
			if rt.Ahead[i] {
				return at + offset
			}
			return at + l - offset
		}
		at += l
	}
	return 0
}

// speed is how fast a vehicle goes on a road in m/s given the traffic.
func speed(r *Road, traffic, driver float64) float64 {
	slow := 0.45
	if !r.Class.arterial() {
		slow = 0.2
	}
	return r.SpeedKmh / 3.6 * driver * (1 - slow*traffic)
}

// step moves every vehicle on by dt seconds and returns their positions at ns.
func (m *motion) step(ns int64, dt float64, key uint64, e *environment) []twin.Position {
	c := m.city
	out := make([]twin.Position, len(m.movers))
	for i := range m.movers {
		mv := &m.movers[i]
		v := &c.Vehicles[i]
		var p orb.Point
		if mv.road < 0 {
			p = m.moveBus(mv, v.Route, dt, e, key, i)
		} else {
			p = m.moveCar(mv, dt, e, key, i)
		}
		out[i] = twin.Position{ID: v.ID, T: ns, Point: c.Frame.ToLonLat(p[0], p[1])}
	}
	return out
}

func (m *motion) moveCar(mv *mover, dt float64, e *environment, key uint64, i int) orb.Point {
	c := m.city
	m.pcg.Seed(key, uint64(i))
	left := dt
	for range 64 {
		if left <= 0 {
			break
		}
		rd := &c.Roads[mv.road]
		l := m.lines[mv.road].length()
		v := speed(rd, e.traffic, mv.driver)
		if d := v * left; mv.s+d < l {
			mv.s += d
			break
		}
		left -= (l - mv.s) / v
		node := rd.To
		if !mv.forward {
			node = rd.From
		}
		next := m.turn(node, int(mv.road))
		mv.road = int32(next)
		mv.forward = c.Roads[next].From == node
		mv.s = 0
	}
	l := m.lines[mv.road]
	s := mv.s
	if !mv.forward {
		s = l.length() - s
	}
	p, _, _ := l.at(s)
	return p
}

// turn picks the road to take at node, coming from road: any other road that
// may be driven away from node, or back the way it came at a dead end.
func (m *motion) turn(node, from int) int {
	c := m.city
	m.opts = m.opts[:0]
	for _, ri := range m.g.at(node) {
		r := &c.Roads[ri]
		if int(ri) == from || r.Class == Motorway || r.OneWay && r.From != node {
			continue
		}
		m.opts = append(m.opts, ri)
	}
	if len(m.opts) == 0 {
		// A dead end, or only wrong-way streets: turn round on the first road that
		// is not the motorway.
		for _, ri := range m.g.at(node) {
			if c.Roads[ri].Class != Motorway {
				m.opts = append(m.opts, ri)
			}
		}
		if len(m.opts) == 0 {
			return from
		}
	}
	return int(m.opts[m.rng.IntN(len(m.opts))])
}

func (m *motion) moveBus(mv *mover, route int, dt float64, e *environment, key uint64, i int) orb.Point {
	c := m.city
	rt := &c.Routes[route]
	line := m.routes[route]
	total := line.length()
	m.pcg.Seed(key, uint64(i))
	left := dt
	for range 64 {
		if mv.dwell > 0 {
			if mv.dwell >= left {
				mv.dwell -= left
				break
			}
			left -= mv.dwell
			mv.dwell = 0
		}
		if left <= 0 {
			break
		}
		// The next stop ahead, or the end of the route.
		target := total
		if mv.dir < 0 {
			target = 0
		}
		terminus := true
		for _, si := range rt.Stops {
			at := c.Stops[si].At
			if mv.dir > 0 && at > mv.s+0.1 && at < target || mv.dir < 0 && at < mv.s-0.1 && at > target {
				target, terminus = at, false
			}
		}
		v := 0.8 * speed(&Road{Class: Primary, SpeedKmh: 50}, e.traffic, mv.driver)
		d := math.Abs(target - mv.s)
		if v*left < d {
			mv.s += mv.dir * v * left
			break
		}
		left -= d / v
		mv.s = target
		if terminus {
			mv.dir = -mv.dir
			mv.dwell = between(m.rng, 60, 180)
		} else {
			mv.dwell = between(m.rng, 15, 40)
		}
	}
	p, _, _ := line.at(clamp(mv.s, 0, total))
	return p
}
