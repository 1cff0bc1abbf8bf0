package twin

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"citytwin/geo"

	"github.com/paulmach/orb"
	"github.com/uber/h3-go/v4"
)

// world drives a Store and an oracle with the same random ops.
type world struct {
	t      *testing.T
	r      *rand.Rand
	s      *Store
	o      *oracle
	center orb.Point
	span   float64 // degrees around center
	clock  int64
	next   int
	times  []int64 // instants worth asking "as of"
}

var worldKinds = []Kind{KindBuilding, KindSensor, KindRoad, KindPOI}

func newWorld(t *testing.T, seed uint64, center orb.Point, span float64) *world {
	t.Helper()
	s, err := New(DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	return &world{t: t, r: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), s: s, o: newOracle(),
		center: center, span: span, clock: 1_700_000_000_000_000_000}
}

func (w *world) tick() int64 {
	w.clock += int64(1+w.r.IntN(1000)) * 1e6
	if w.r.IntN(10) == 0 {
		w.times = append(w.times, w.clock)
	}
	return w.clock
}

// point is a random point around the centre, wrapped across the antimeridian.
func (w *world) point() orb.Point {
	lon := w.center[0] + (w.r.Float64()*2-1)*w.span
	lat := w.center[1] + (w.r.Float64()*2-1)*w.span*0.5
	if lon > 180 {
		lon -= 360
	} else if lon < -180 {
		lon += 360
	}
	return orb.Point{lon, math.Max(-90, math.Min(90, lat))}
}

// inside moves a shape's centre so that a shape of half-size s around it stays
// within lon/lat range (shapes are not split at the antimeridian).
func inside(c orb.Point, s float64) orb.Point {
	return orb.Point{math.Max(-180+s, math.Min(180-s, c[0])), math.Max(-90+s, math.Min(90-s, c[1]))}
}

// geometry makes a random point, line, polygon (sometimes with a hole) or
// multipolygon near the centre.
func (w *world) geometry() orb.Geometry {
	size := w.span * 0.02 * (0.1 + w.r.Float64())
	c := inside(w.point(), 5*size)
	box := func(c orb.Point, s float64) orb.Ring {
		return orb.Ring{{c[0] - s, c[1] - s}, {c[0] + s, c[1] - s}, {c[0] + s, c[1] + s}, {c[0] - s, c[1] + s}, {c[0] - s, c[1] - s}}
	}
	switch w.r.IntN(10) {
	case 0, 1, 2, 3, 4:
		return c
	case 5, 6:
		return orb.LineString{c, {c[0] + size, c[1] + size*w.r.Float64()}, {c[0] + 2*size, c[1] - size}}
	case 7:
		hole := box(c, size/3)
		hole.Reverse()
		return orb.Polygon{box(c, size), hole}
	case 8:
		return orb.MultiPolygon{{box(c, size)}, {box(orb.Point{c[0] + 4*size, c[1]}, size/2)}}
	default:
		return orb.Polygon{box(c, size)}
	}
}

func (w *world) props() Properties {
	ps := Properties{{Key: "floors", Value: NumberValue(float64(w.r.IntN(10)))}}
	if w.r.IntN(2) == 0 {
		ps = append(ps, Prop{Key: "use", Value: StringValue([]string{"office", "home", "shop"}[w.r.IntN(3)])})
	}
	return ps
}

func (w *world) apply(ops ...Op) {
	w.t.Helper()
	if _, err := w.s.Apply(ops...); err != nil {
		w.t.Fatalf("apply: %v", err)
	}
	for _, op := range ops {
		w.o.apply(op)
	}
}

// live returns a random live entity id, or "".
func (w *world) live() ID {
	for range 20 {
		if len(w.o.order) == 0 {
			return ""
		}
		id := w.o.order[w.r.IntN(len(w.o.order))]
		if _, ok := w.o.at(id, 0); ok {
			return id
		}
	}
	return ""
}

// step applies one random op.
func (w *world) step() {
	t := w.tick()
	switch n := w.r.IntN(20); {
	case n < 8 || len(w.o.order) < 5:
		w.next++
		e := Entity{ID: ID(fmt.Sprintf("e%d", w.next)), Kind: worldKinds[w.r.IntN(len(worldKinds))], Geometry: w.geometry(), Props: w.props()}
		w.apply(Op{Type: OpUpsert, T: t, Entity: &e})
	case n < 11: // a new version of an existing entity, often moved
		id := w.live()
		if id == "" {
			return
		}
		cur, _ := w.o.current(id)
		e := cur.e
		if w.o.tracks[id] == nil && w.r.IntN(2) == 0 {
			e.Geometry = w.geometry()
		}
		e.Props = w.props()
		w.apply(Op{Type: OpUpsert, T: t, Entity: &e})
	case n < 13:
		if id := w.live(); id != "" {
			w.apply(Op{Type: OpPatch, T: t, ID: id, Patch: Properties{{Key: "floors", Value: NumberValue(float64(w.r.IntN(10)))}}})
		}
	case n < 14:
		if id := w.live(); id != "" {
			w.apply(Op{Type: OpDelete, T: t, ID: id})
		}
	case n < 17: // move point entities, sometimes out of order
		var ps []Position
		for range 1 + w.r.IntN(5) {
			id := w.live()
			if id == "" {
				continue
			}
			if cur, _ := w.o.current(id); cur.e.Geometry == nil || cur.e.Geometry.GeoJSONType() != "Point" {
				continue
			}
			pt := t
			if w.r.IntN(8) == 0 {
				pt -= int64(w.r.IntN(5000)) * 1e6
			}
			ps = append(ps, Position{ID: id, T: pt, Point: w.point()})
		}
		if len(ps) > 0 {
			w.apply(Op{Type: OpMove, T: t, Positions: ps})
		}
	default:
		var obs []Observation
		for range 1 + w.r.IntN(10) {
			if id := w.live(); id != "" {
				obs = append(obs, Observation{ID: id, Metric: []string{"pm25", "temp"}[w.r.IntN(2)], T: t - int64(w.r.IntN(3000))*1e6, V: math.Round(w.r.NormFloat64()*100) / 10})
			}
		}
		if len(obs) > 0 {
			w.apply(Op{Type: OpObserve, T: t, Observations: obs})
		}
	}
}

// at picks "now" or a past instant worth asking about.
func (w *world) at() int64 {
	if len(w.times) == 0 || w.r.IntN(3) == 0 {
		return 0
	}
	return w.times[w.r.IntN(len(w.times))] + int64(w.r.IntN(3))*1e6 - 1e6
}

// interval picks [at, until] for an interval query: between instants worth
// asking about, short or long, sometimes open at either end or one instant.
func (w *world) interval() (at, until int64) {
	pick := func() int64 {
		if len(w.times) == 0 {
			return w.clock
		}
		return w.times[w.r.IntN(len(w.times))] + int64(w.r.IntN(3))*1e6 - 1e6
	}
	at, until = pick(), pick()
	if at > until {
		at, until = until, at
	}
	switch w.r.IntN(8) {
	case 0:
		at = math.MinInt64
	case 1:
		until = math.MaxInt64
	case 2:
		at, until = math.MinInt64, math.MaxInt64
	case 3:
		until = at
	case 4, 5:
		until = at + int64(w.r.IntN(3000))*1e6
	}
	return at, until
}

// query makes a random query with one or two conditions.
func (w *world) query() Query {
	q := Query{At: w.at()}
	switch w.r.IntN(6) {
	case 0:
		a, b := w.point(), w.point()
		q.BBox = geo.SplitBound(a[0], min(a[1], b[1]), b[0], max(a[1], b[1]))
	case 1:
		q.Within = w.polygon()
	case 2:
		q.Intersects = w.polygon()
	case 3:
		q.Near = &Circle{Center: w.point(), Radius: w.r.Float64() * w.span * 30000}
	case 4:
		q.Cells = w.cells()
	}
	if w.r.IntN(3) == 0 {
		q.Kinds = []Kind{worldKinds[w.r.IntN(len(worldKinds))]}
	}
	if w.r.IntN(3) == 0 {
		q.Where = []Filter{{Key: "floors", Op: []FilterOp{Lt, Ge, Eq, Ne}[w.r.IntN(4)], Value: NumberValue(float64(w.r.IntN(10)))}}
	}
	if w.r.IntN(4) == 0 {
		// A last test that needs the whole entity: its id and its geometry.
		parity := w.r.IntN(2)
		q.Match = func(e *Entity) bool {
			return len(e.ID)%2 == parity || e.Geometry != nil && e.Geometry.GeoJSONType() == "Point"
		}
	}
	return q
}

// polygon is a random star-shaped polygon, sometimes with a hole.
func (w *world) polygon() orb.Polygon {
	n := 3 + w.r.IntN(8)
	rad := w.span * (0.1 + w.r.Float64()*0.6)
	c := inside(w.point(), rad)
	var ring orb.Ring
	for i := range n {
		a := 2 * math.Pi * float64(i) / float64(n)
		r := rad * (0.3 + 0.7*w.r.Float64())
		ring = append(ring, orb.Point{c[0] + r*math.Cos(a), c[1] + r*math.Sin(a)*0.5})
	}
	ring = append(ring, ring[0])
	poly := orb.Polygon{ring}
	if w.r.IntN(3) == 0 {
		s := rad * 0.15
		poly = append(poly, orb.Ring{{c[0] - s, c[1] - s}, {c[0] - s, c[1] + s}, {c[0] + s, c[1] + s}, {c[0] + s, c[1] - s}, {c[0] - s, c[1] - s}})
	}
	return poly
}

// cells picks a random cell near the centre (resolution scaled to the span) and
// sometimes its ring.
func (w *world) cells() []h3.Cell {
	res := 4 + w.r.IntN(6)
	if w.span < 0.05 {
		res += 3
	}
	c := geo.Cell(w.point(), res)
	if w.r.IntN(2) == 0 {
		return geo.Ring(c, 1)
	}
	return []h3.Cell{c}
}
