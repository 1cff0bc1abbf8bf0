package datasets

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"citytwin/geo"

	"github.com/paulmach/orb"
)

// City is a generated city. Its slices are indexed by the number in each
// entity's id: Buildings[7] is "synth:building/7".
type City struct {
	Config CityConfig
	// Frame is the local metric frame the city was laid out in.
	Frame geo.Frame

	Nodes       []Node
	Roads       []Road
	Zones       []Zone
	Substations []Substation
	Buildings   []Building
	Sensors     []Sensor
	Vehicles    []Vehicle // cars, vans, trucks and taxis first, then buses
	Routes      []Route
	Stops       []Stop

	// Radius is the radius in metres of the built-up area around the centre.
	Radius float64

	lines [][]orb.Point // road lines in metres, by road
	areas []area        // parks and parking lots in metres, by zone
}

// ErrTooBig is returned when the buildings asked for do not fit the rings the
// generator is willing to lay out.
var ErrTooBig = errors.New("datasets: city too big")

// maxRings bounds the layout: the 40th ring is some 500 km out.
const maxRings = 40

// Generate builds the city described by cfg. progress, when not nil, is called
// from the calling goroutine with the number of things made so far and the total
// (buildings, sensors and vehicles); it is not called more than a few hundred
// times. Generate uses cfg.Workers goroutines and stops early, returning
// ctx.Err(), when ctx is done.
func Generate(ctx context.Context, cfg CityConfig, progress func(done, total int)) (*City, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if progress == nil {
		progress = func(int, int) {}
	}
	total := cfg.Buildings + cfg.Sensors + cfg.Vehicles + cfg.Buses
	progress(0, total)
	w := workers(cfg.Workers)
	c := &City{Config: cfg, Frame: geo.NewFrame(cfg.Center)}

	// Rings, spokes and districts, ring by ring until there are lots enough.
	net := &network{}
	lay := newLayout(newRand(cfg.Seed, saltLayout, 0))
	var districts []*district
	nLots := 0
	for k := 0; ; k++ {
		if k >= maxRings {
			return nil, fmt.Errorf("%w: %d buildings need more than %d rings", ErrTooBig, cfg.Buildings, maxRings)
		}
		lay.addRing(net, lay.nextRadius(), Primary)
		specs := lay.districtsOf(net, k)
		for i := range specs {
			specs[i].index = len(districts) + i
		}
		made := make([]*district, len(specs))
		if err := parallel(ctx, w, len(specs), func(i int) { made[i] = genDistrict(cfg.Seed, specs[i]) }); err != nil {
			return nil, err
		}
		for _, d := range made {
			nLots += len(d.lots)
		}
		districts = append(districts, made...)
		if nLots >= cfg.Buildings && k >= 2 {
			break
		}
	}
	lay.addRing(net, lay.radii[len(lay.radii)-1]+400, Motorway)
	c.assemble(net, districts)

	// Choose the lots to build on: the nearest to the centre, with a ragged edge.
	lots := make([]lot, 0, nLots)
	for _, d := range districts {
		lots = append(lots, d.lots...)
		d.lots = nil
	}
	pickKey := hash2(cfg.Seed, saltPick)
	rank := func(l *lot) float64 {
		return math.Hypot(l.c[0], l.c[1]) * (1 + 0.3*unit(hash2(pickKey, l.key)))
	}
	if len(lots) > cfg.Buildings {
		ranks := make([]float64, len(lots))
		order := make([]int32, len(lots))
		for i := range lots {
			ranks[i] = rank(&lots[i])
			order[i] = int32(i)
		}
		slices.SortFunc(order, func(a, b int32) int {
			switch {
			case ranks[a] < ranks[b]:
				return -1
			case ranks[a] > ranks[b]:
				return 1
			}
			return int(a - b)
		})
		order = order[:cfg.Buildings]
		slices.Sort(order) // back to district order, so ids run through districts
		chosen := make([]lot, len(order))
		for i, o := range order {
			chosen[i] = lots[o]
		}
		lots = chosen
	}
	for i := range lots {
		c.Radius = math.Max(c.Radius, math.Hypot(lots[i].c[0], lots[i].c[1]))
	}
	if c.Radius == 0 {
		c.Radius = lay.radii[min(2, len(lay.radii)-1)]
	}

	// Buildings, in parallel chunks; each lot has its own random stream.
	c.Buildings = make([]Building, len(lots))
	const chunk = 4096
	nChunks := (len(lots) + chunk - 1) / chunk
	done := make(chan int, nChunks)
	errc := make(chan error, 1)
	go func() {
		errc <- parallel(ctx, w, nChunks, func(i int) {
			pcg := rand.NewPCG(0, 0)
			r := rand.New(pcg)
			lotSeed := hash2(cfg.Seed, saltLot)
			hi := min(len(lots), (i+1)*chunk)
			for j := i * chunk; j < hi; j++ {
				pcg.Seed(lotSeed, lots[j].key)
				c.Buildings[j] = makeBuilding(r, &lots[j], c.Frame)
			}
			done <- hi - i*chunk
		})
		close(done)
	}()
	built := 0
	for n := range done {
		built += n
		progress(built, total)
	}
	if err := <-errc; err != nil {
		return nil, err
	}
	if err := c.feed(ctx, w, lots); err != nil {
		return nil, err
	}
	lots = nil
	c.zones(districts)

	if err := c.placeSensors(ctx); err != nil {
		return nil, err
	}
	progress(built+cfg.Sensors, total)
	if err := c.placeTransit(ctx, w); err != nil {
		return nil, err
	}
	progress(total, total)
	return c, nil
}

// assemble splits the arterials at the district streets' junctions and converts
// the road graph to lon/lat.
func (c *City) assemble(net *network, districts []*district) {
	for _, d := range districts {
		d.jnode = make([]int, len(d.juncs))
		for i, j := range d.juncs {
			seg := net.segs[j.seg]
			seg.juncs = append(seg.juncs, junction{s: j.s, p: j.p, dst: &d.jnode[i]})
		}
	}
	net.split()
	for _, d := range districts {
		base := len(net.nodes)
		net.nodes = append(net.nodes, d.nodes...)
		resolve := func(end int) int {
			if end >= 0 {
				return base + end
			}
			return d.jnode[-end-1]
		}
		for _, s := range d.streets {
			net.streets = append(net.streets, street{line: s.line, from: resolve(s.a), to: resolve(s.b), class: s.class, name: s.name, oneway: s.oneway})
		}
		d.streets, d.nodes, d.juncs, d.jnode = nil, nil, nil, nil
	}
	// Drop nodes no road uses (junctions that snapped to a neighbour) by
	// renumbering the used ones in order.
	used := make([]int, len(net.nodes))
	for i := range used {
		used[i] = -1
	}
	for _, s := range net.streets {
		if s.from != s.to {
			used[s.from], used[s.to] = 0, 0
		}
	}
	for i, p := range net.nodes {
		if used[i] < 0 {
			continue
		}
		used[i] = len(c.Nodes)
		c.Nodes = append(c.Nodes, Node{ID: len(c.Nodes), Point: c.Frame.ToLonLat(p[0], p[1])})
	}
	c.Roads = make([]Road, 0, len(net.streets))
	c.lines = make([][]orb.Point, 0, len(net.streets))
	for _, s := range net.streets {
		if s.from == s.to {
			continue // a street that snapped to nothing
		}
		line := s.line
		line[0], line[len(line)-1] = net.nodes[s.from], net.nodes[s.to]
		ll := make(orb.LineString, len(line))
		length := 0.0
		for i, p := range line {
			ll[i] = c.Frame.ToLonLat(p[0], p[1])
			if i > 0 {
				length += dist(line[i-1], p)
			}
		}
		id := len(c.Roads)
		c.Roads = append(c.Roads, Road{
			ID: id, From: used[s.from], To: used[s.to], Line: ll, Class: s.class,
			Lanes: s.class.lanes(), SpeedKmh: s.class.speedKmh(), OneWay: s.oneway,
			Name: s.name, Length: round1(length),
		})
		if s.oneway {
			c.Roads[id].Lanes = 1
		}
		c.lines = append(c.lines, line)
	}
}
