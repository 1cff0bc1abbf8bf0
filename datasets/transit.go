package datasets

import (
	"context"
	"fmt"
	"math"
	"strconv"

	"citytwin/twin"

	"github.com/paulmach/orb"
)

// Vehicle is a car, van, truck, taxi or bus, parked or driving at its starting
// place.
type Vehicle struct {
	ID     twin.ID // synth:vehicle/<n>, or synth:vehicle/bus-<n>
	Type   string  // car, van, truck, taxi, bus
	Road   int     // the road it starts on
	Offset float64 // metres from the road's From node
	Route  int     // bus route, -1 for other vehicles
	Point  orb.Point
}

// Route is a bus route along the road graph, driven to its end and back.
type Route struct {
	ID     twin.ID // synth:route/<ref>
	Ref    string
	Name   string
	Roads  []int  // the roads in order
	Ahead  []bool // whether each road is driven From to To
	Line   orb.LineString
	Length float64 // metres
	Stops  []int   // indexes into City.Stops, in order along the route
}

// Stop is a bus stop on one route.
type Stop struct {
	ID    twin.ID // synth:stop/<n>
	Name  string
	Point orb.Point
	Route int
	At    float64 // metres along the route
}

var vehicleTypes = []string{"car", "van", "truck", "taxi"}
var vehicleWeights = []float64{0.8, 0.1, 0.05, 0.05}

// placeTransit makes the vehicles, the bus routes with their stops, and buses.
func (c *City) placeTransit(ctx context.Context, w int) error {
	r := newRand(c.Config.Seed, saltVehicle, 0)
	var drivable cumulative
	r2 := (c.Radius + 150) * (c.Radius + 150)
	for i, rd := range c.Roads {
		m := c.lines[i][len(c.lines[i])/2]
		if rd.Class != Service && m[0]*m[0]+m[1]*m[1] <= r2 {
			drivable.add(i, rd.Length)
		}
	}
	c.Vehicles = make([]Vehicle, 0, c.Config.Vehicles+c.Config.Buses)
	for n := range c.Config.Vehicles {
		if n%4096 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		v := Vehicle{ID: twin.ID("synth:vehicle/" + strconv.Itoa(n+1)), Type: vehicleTypes[pickWeighted(r, vehicleWeights)], Route: -1}
		v.Road = drivable.draw(r)
		v.Offset = round1(c.Roads[v.Road].Length * r.Float64())
		v.Point = c.pointOn(v.Road, v.Offset)
		c.Vehicles = append(c.Vehicles, v)
	}
	nRoutes := c.Config.routes()
	if nRoutes == 0 {
		return nil
	}
	// Routes run on primary and secondary roads, between ends far apart.
	pts := make([]orb.Point, len(c.Nodes))
	for i, nd := range c.Nodes {
		x, y := c.Frame.ToLocal(nd.Point)
		pts[i] = orb.Point{x, y}
	}
	var ends []int
	for _, rd := range c.Roads {
		if (rd.Class == Primary || rd.Class == Secondary) && math.Hypot(pts[rd.From][0], pts[rd.From][1]) <= c.Radius {
			ends = append(ends, rd.From)
		}
	}
	if len(ends) < 2 {
		return fmt.Errorf("datasets: no arterial roads for bus routes")
	}
	g := newGraph(len(c.Nodes), c.Roads)
	onArterial := func(rd *Road) bool { return rd.Class == Primary || rd.Class == Secondary }
	c.Routes = make([]Route, nRoutes)
	if err := parallel(ctx, w, nRoutes, func(i int) {
		rr := newRand(c.Config.Seed, saltRoute, uint64(i))
		minLen := math.Min(3000, c.Radius)
		var path []step
		for try := 0; try < 50 && path == nil; try++ {
			a, b := ends[rr.IntN(len(ends))], ends[rr.IntN(len(ends))]
			if dist(pts[a], pts[b]) < minLen*math.Pow(0.95, float64(try)) {
				continue
			}
			path = g.shortestPath(c.Roads, pts, a, b, onArterial)
		}
		ref := strconv.Itoa(i + 1)
		c.Routes[i] = Route{ID: twin.ID("synth:route/" + ref), Ref: ref, Name: "Route " + ref + ": " + nameRoot(rr) + " – " + nameRoot(rr)}
		c.Routes[i].setPath(c, path)
	}); err != nil {
		return err
	}
	// Stops every 300–500 m along each route.
	for i := range c.Routes {
		rt := &c.Routes[i]
		if rt.Length == 0 {
			continue
		}
		line := c.routeLine(rt)
		for at := between(r, 80, 200); at < rt.Length-50; at += between(r, 300, 500) {
			p, _, _ := line.at(at)
			c.Stops = append(c.Stops, Stop{
				ID: twin.ID("synth:stop/" + strconv.Itoa(len(c.Stops)+1)), Name: nameRoot(r) + " Stop",
				Point: c.Frame.ToLonLat(p[0], p[1]), Route: i, At: round1(at),
			})
			rt.Stops = append(rt.Stops, len(c.Stops)-1)
		}
	}
	for n := range c.Config.Buses {
		ri := n % nRoutes
		rt := &c.Routes[ri]
		v := Vehicle{ID: twin.ID("synth:vehicle/bus-" + strconv.Itoa(n+1)), Type: "bus", Route: ri, Road: -1}
		if rt.Length > 0 {
			at := rt.Length * r.Float64()
			v.Road, v.Offset = rt.roadAt(c, at)
			v.Point = c.pointOn(v.Road, v.Offset)
		} else {
			v.Road = drivable.draw(r)
			v.Point = c.pointOn(v.Road, 0)
		}
		c.Vehicles = append(c.Vehicles, v)
	}
	return nil
}

// setPath fills the route's roads and line from a path.
func (rt *Route) setPath(c *City, path []step) {
	var line []orb.Point
	for _, st := range path {
		rt.Roads = append(rt.Roads, st.road)
		rt.Ahead = append(rt.Ahead, st.forward)
		l := c.lines[st.road]
		for k := range l {
			p := l[k]
			if !st.forward {
				p = l[len(l)-1-k]
			}
			if k == 0 && len(line) > 0 {
				continue
			}
			line = append(line, p)
		}
		rt.Length += c.Roads[st.road].Length
	}
	rt.Length = round1(rt.Length)
	rt.Line = make(orb.LineString, len(line))
	for i, p := range line {
		rt.Line[i] = c.Frame.ToLonLat(p[0], p[1])
	}
}

// routeLine is the route in metres.
func (c *City) routeLine(rt *Route) polyline {
	var pts []orb.Point
	for i, ri := range rt.Roads {
		l := c.lines[ri]
		for k := range l {
			p := l[k]
			if !rt.Ahead[i] {
				p = l[len(l)-1-k]
			}
			if k == 0 && len(pts) > 0 {
				continue
			}
			pts = append(pts, p)
		}
	}
	return newPolyline(pts)
}

// roadAt returns the road at metres along the route and the offset on it from
// its From node.
func (rt *Route) roadAt(c *City, at float64) (road int, offset float64) {
	for i, ri := range rt.Roads {
		l := c.Roads[ri].Length
		if at <= l || i == len(rt.Roads)-1 {
			at = math.Min(at, l)
			if !rt.Ahead[i] {
				at = l - at
			}
			return ri, at
		}
		at -= l
	}
	return 0, 0
}

// pointOn is the lon/lat point offset metres along road i from its From node.
func (c *City) pointOn(i int, offset float64) orb.Point {
	line := newPolyline(c.lines[i])
	p, _, _ := line.at(offset * line.length() / math.Max(c.Roads[i].Length, 1e-9))
	return c.Frame.ToLonLat(p[0], p[1])
}
