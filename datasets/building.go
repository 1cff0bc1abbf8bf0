package datasets

import (
	"math"
	"math/rand/v2"
	"strconv"

	"citytwin/geo"
	"citytwin/twin"

	"github.com/paulmach/orb"
)

// Building is a generated building. Footprint is an orb.Polygon (outer ring
// counter-clockwise, holes clockwise, rings closed, as RFC 7946 asks) or, for a
// building in separate parts, an orb.MultiPolygon.
type Building struct {
	Footprint orb.Geometry // lon/lat
	Height    float64      // metres
	Levels    int
	Use       string    // residential, office, retail, mixed, hotel, industrial, warehouse, school, hospital, public
	Year      int       // year built
	Name      string    // empty for most
	Area      float64   // footprint area, m²
	Inside    orb.Point // a lon/lat point inside the footprint (where a meter sits)
	Shape     string    // rect, l, u, courtyard, tower, parts
	// Substation is the substation that feeds it (an index into
	// City.Substations): the nearest to Inside.
	Substation int
}

// BuildingID is the entity id of building i.
func BuildingID(i int) twin.ID { return twin.ID("synth:building/" + strconv.Itoa(i)) }

// shape is a footprint in lot coordinates: u along the lot's street, v across,
// metres from the lot's centre.
type shape struct {
	polys [][][]orb.Point // polygons of rings; outer CCW, holes CW; not closed
	in    orb.Point       // a point inside
	kind  string
}

func rectRing(x0, y0, x1, y1 float64) []orb.Point {
	return []orb.Point{{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}}
}

// mirror flips a ring across the axes given and restores its orientation.
func mirror(ring []orb.Point, fx, fy bool) []orb.Point {
	if !fx && !fy {
		return ring
	}
	out := make([]orb.Point, len(ring))
	for i, p := range ring {
		if fx {
			p[0] = -p[0]
		}
		if fy {
			p[1] = -p[1]
		}
		out[i] = p
	}
	if fx != fy {
		for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
			out[i], out[j] = out[j], out[i]
		}
	}
	return out
}

// makeShape draws a footprint that fits the lot with setbacks of at least 1 m.
func makeShape(r *rand.Rand, l *lot) shape {
	sb := func() float64 { return between(r, 1, 3.5) }
	x0, x1 := -l.hw+sb(), l.hw-sb()
	y0, y1 := -l.hd+sb(), l.hd-sb()
	if l.style == styleRow || l.style == styleIndustrial {
		// Most buildings leave part of the lot free: a front or back garden.
		w, dp := x1-x0, y1-y0
		nw := w * between(r, 0.7, 1)
		nd := dp * between(r, 0.55, 1)
		x0 += (w - nw) * r.Float64()
		y0 += (dp - nd) * r.Float64()
		x1, y1 = x0+nw, y0+nd
	}
	w, dp := x1-x0, y1-y0
	cx, cy := (x0+x1)/2, (y0+y1)/2
	rect := func() shape {
		return shape{polys: [][][]orb.Point{{rectRing(x0, y0, x1, y1)}}, in: orb.Point{cx, cy}, kind: "rect"}
	}
	switch l.style {
	case styleCourtyard:
		wing := between(r, 9, 15)
		if w-2*wing < 8 || dp-2*wing < 8 {
			return rect()
		}
		hole := rectRing(x0+wing, y0+wing, x1-wing, y1-wing)
		for i, j := 0, len(hole)-1; i < j; i, j = i+1, j-1 {
			hole[i], hole[j] = hole[j], hole[i]
		}
		return shape{polys: [][][]orb.Point{{rectRing(x0, y0, x1, y1), hole}}, in: orb.Point{cx, y0 + wing/2}, kind: "courtyard"}
	case styleTower:
		side := math.Min(w, dp) * between(r, 0.6, 1)
		if chance(r, 0.4) && side > 10 {
			rad := side / 2
			ring := make([]orb.Point, 8)
			for i := range ring {
				ring[i] = orb.Point{cx + rad*math.Cos(math.Pi/8+float64(i)*math.Pi/4), cy + rad*math.Sin(math.Pi/8+float64(i)*math.Pi/4)}
			}
			return shape{polys: [][][]orb.Point{{ring}}, in: orb.Point{cx, cy}, kind: "tower"}
		}
		h := side / 2
		return shape{polys: [][][]orb.Point{{rectRing(cx-h, cy-h, cx+h, cy+h)}}, in: orb.Point{cx, cy}, kind: "tower"}
	case styleCampus:
		// A U around a schoolyard, or an L.
		a, b := w*between(r, 0.25, 0.35), dp*between(r, 0.3, 0.45)
		fx, fy := r.IntN(2) == 0, r.IntN(2) == 0
		if chance(r, 0.6) {
			return uShape(x0, y0, x1, y1, a, b, fx, fy)
		}
		return lShape(x0, y0, x1, y1, w-a, dp-b, fx, fy)
	}
	if w < 8 || dp < 8 {
		return rect()
	}
	switch p := r.Float64(); {
	case p < 0.18:
		return lShape(x0, y0, x1, y1, w*between(r, 0.35, 0.6), dp*between(r, 0.35, 0.6), r.IntN(2) == 0, r.IntN(2) == 0)
	case p < 0.26 && w >= 18 && dp >= 14:
		return uShape(x0, y0, x1, y1, w*between(r, 0.25, 0.35), dp*between(r, 0.35, 0.55), r.IntN(2) == 0, r.IntN(2) == 0)
	case p < 0.32 && w >= 16:
		// Two parts: a main building and a detached annex.
		gap := between(r, 2, 4)
		split := x0 + (w-gap)*between(r, 0.55, 0.7)
		ad := dp * between(r, 0.4, 0.8)
		main := rectRing(x0, y0, split, y1)
		annex := rectRing(split+gap, y0, x1, y0+ad)
		return shape{polys: [][][]orb.Point{{main}, {annex}}, in: orb.Point{(x0 + split) / 2, cy}, kind: "parts"}
	}
	return rect()
}

// lShape is the rectangle minus a corner of size a × b (the corner at +x +y,
// mirrored as asked).
func lShape(x0, y0, x1, y1, a, b float64, fx, fy bool) shape {
	cx, cy := (x0+x1)/2, (y0+y1)/2
	// Work centred, so mirroring keeps the shape in place.
	hx, hy := (x1-x0)/2, (y1-y0)/2
	ring := []orb.Point{{-hx, -hy}, {hx, -hy}, {hx, hy - b}, {hx - a, hy - b}, {hx - a, hy}, {-hx, hy}}
	ring = mirror(ring, fx, fy)
	in := orb.Point{-hx + (2*hx-a)/2, -hy + (2*hy-b)/2}
	if fx {
		in[0] = -in[0]
	}
	if fy {
		in[1] = -in[1]
	}
	return shape{polys: [][][]orb.Point{{shift(ring, cx, cy)}}, in: orb.Point{in[0] + cx, in[1] + cy}, kind: "l"}
}

// uShape is the rectangle minus a notch a wide and b deep in its +y side.
func uShape(x0, y0, x1, y1, a, b float64, fx, fy bool) shape {
	cx, cy := (x0+x1)/2, (y0+y1)/2
	hx, hy := (x1-x0)/2, (y1-y0)/2
	n := hx - a // half width of the notch
	if n < 2 {
		return shape{polys: [][][]orb.Point{{rectRing(x0, y0, x1, y1)}}, in: orb.Point{cx, cy}, kind: "rect"}
	}
	ring := []orb.Point{{-hx, -hy}, {hx, -hy}, {hx, hy}, {n, hy}, {n, hy - b}, {-n, hy - b}, {-n, hy}, {-hx, hy}}
	ring = mirror(ring, fx, fy)
	in := orb.Point{0, -hy + (2*hy-b)/2}
	if fy {
		in[1] = -in[1]
	}
	return shape{polys: [][][]orb.Point{{shift(ring, cx, cy)}}, in: orb.Point{cx + in[0], cy + in[1]}, kind: "u"}
}

func shift(ring []orb.Point, dx, dy float64) []orb.Point {
	for i := range ring {
		ring[i][0] += dx
		ring[i][1] += dy
	}
	return ring
}

var (
	usesCore       = []string{"office", "office", "office", "retail", "retail", "mixed", "mixed", "residential", "residential", "hotel"}
	usesMid        = []string{"residential", "residential", "residential", "residential", "residential", "residential", "mixed", "mixed", "retail", "office"}
	usesOuter      = []string{"residential", "residential", "residential", "residential", "residential", "residential", "residential", "residential", "residential", "retail"}
	usesIndustrial = []string{"industrial", "industrial", "industrial", "warehouse", "warehouse", "office"}
	usesCampus     = []string{"school", "school", "school", "hospital", "public", "public"}
)

// makeBuilding builds the building of a lot in lon/lat.
func makeBuilding(r *rand.Rand, l *lot, f geo.Frame) Building {
	sh := makeShape(r, l)
	toWorld := func(p orb.Point) orb.Point {
		x := l.c[0] + p[0]*l.ux - p[1]*l.uy
		y := l.c[1] + p[0]*l.uy + p[1]*l.ux
		return f.ToLonLat(x, y)
	}
	area := 0.0
	polys := make(orb.MultiPolygon, len(sh.polys))
	for i, poly := range sh.polys {
		op := make(orb.Polygon, len(poly))
		for j, ring := range poly {
			area += signedArea(ring)
			rr := make(orb.Ring, len(ring)+1)
			for k, p := range ring {
				rr[k] = toWorld(p)
			}
			rr[len(ring)] = rr[0]
			op[j] = rr
		}
		polys[i] = op
	}
	b := Building{Area: round1(area), Inside: toWorld(sh.in), Shape: sh.kind}
	if len(polys) == 1 {
		b.Footprint = polys[0]
	} else {
		b.Footprint = polys
	}
	var uses []string
	lv := [2]int{1, 3}
	year := [2]int{1950, 2024}
	switch {
	case l.style == styleCampus:
		uses, lv = usesCampus, [2]int{2, 4}
	case l.style == styleIndustrial:
		uses, lv = usesIndustrial, [2]int{1, 2}
		year = [2]int{1955, 2024}
	case l.zone == zoneCore:
		uses, lv, year = usesCore, [2]int{4, 10}, [2]int{1860, 2024}
	case l.zone == zoneMid:
		uses, lv, year = usesMid, [2]int{3, 7}, [2]int{1900, 2024}
	default:
		uses = usesOuter
	}
	b.Use = uses[r.IntN(len(uses))]
	switch {
	case l.style == styleTower:
		lv = [2]int{14, 42}
		year = [2]int{1965, 2024}
	case l.style == styleCourtyard:
		lv = [2]int{4, 8}
	case b.Use == "hospital":
		lv = [2]int{4, 9}
	}
	b.Levels = intBetween(r, lv[0], lv[1])
	storey := between(r, 3, 3.5)
	if b.Use == "industrial" || b.Use == "warehouse" {
		storey = between(r, 4.5, 6) // halls have tall storeys
	}
	b.Height = round1(float64(b.Levels) * storey)
	// Older buildings in the centre are more common: bias the year towards the
	// lower end.
	u := r.Float64()
	b.Year = year[0] + int(float64(year[1]-year[0])*math.Sqrt(u))
	switch {
	case b.Use == "school":
		b.Name = nameRoot(r) + " School"
	case b.Use == "hospital":
		b.Name = nameRoot(r) + " Hospital"
	case b.Use == "hotel":
		b.Name = "Hotel " + nameRoot(r)
	case l.style == styleTower:
		b.Name = nameRoot(r) + " Tower"
	case b.Use == "office" && chance(r, 0.3):
		b.Name = nameRoot(r) + " House"
	}
	return b
}
