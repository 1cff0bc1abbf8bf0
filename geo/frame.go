package geo

import (
	"math"

	"github.com/paulmach/orb"
)

// Frame is a local metric frame for a city: metres east (X) and north (Y) of
// Origin, by the equirectangular projection with the scale of Origin's
// latitude. It is exact on the parallel and meridian through Origin; elsewhere
// the east scale is off by about tan(lat0)·Δlat, e.g. 0.27% 10 km north or
// south of a 60° origin, 0.1% at 45°. Good for meshes, tiles and simulation
// grids over a city; use Distance for metres between lon/lat points.
// Longitudes are taken relative to Origin across the antimeridian, so a
// city on ±180 has no seam. The zero Frame is not valid; use NewFrame.
type Frame struct {
	Origin orb.Point

	mx, my float64 // metres per degree east and north at Origin
}

// NewFrame returns the frame centred on origin. Origins closer than ~1 m to a
// pole get the east scale of that distance, as the frame has no meaning there.
func NewFrame(origin orb.Point) Frame {
	my := EarthRadius * degToRad
	c := math.Cos(clampLat(origin[1]) * degToRad)
	if c < 1e-7 {
		c = 1e-7
	}
	return Frame{Origin: origin, mx: my * c, my: my}
}

// ToLocal returns p in metres east and north of the origin.
func (f Frame) ToLocal(p orb.Point) (x, y float64) {
	dLon := p[0] - f.Origin[0]
	if dLon > 180 || dLon < -180 {
		dLon = math.Mod(dLon, 360)
		if dLon > 180 {
			dLon -= 360
		} else if dLon < -180 {
			dLon += 360
		}
	}
	return dLon * f.mx, (p[1] - f.Origin[1]) * f.my
}

// ToLonLat is the inverse of ToLocal; the longitude is wrapped into
// [-180, 180].
func (f Frame) ToLonLat(x, y float64) orb.Point {
	return orb.Point{normLon(f.Origin[0] + x/f.mx), f.Origin[1] + y/f.my}
}

// Project maps g to local metres, keeping its orb type (a Bound maps to the
// Bound of its projected corners). Unknown types give nil.
func (f Frame) Project(g orb.Geometry) orb.Geometry {
	return MapPoints(g, func(p orb.Point) orb.Point {
		x, y := f.ToLocal(p)
		return orb.Point{x, y}
	})
}

// Unproject maps g from local metres back to lon/lat.
func (f Frame) Unproject(g orb.Geometry) orb.Geometry {
	return MapPoints(g, func(p orb.Point) orb.Point { return f.ToLonLat(p[0], p[1]) })
}

// MapPoints applies fn to every point of g, into freshly allocated geometry
// so that the input (often shared twin state) is never mutated.
func MapPoints(g orb.Geometry, fn func(orb.Point) orb.Point) orb.Geometry {
	mapPoints := func(ps []orb.Point) []orb.Point {
		if ps == nil {
			return nil
		}
		out := make([]orb.Point, len(ps))
		for i, p := range ps {
			out[i] = fn(p)
		}
		return out
	}
	mapPolygon := func(poly orb.Polygon) orb.Polygon {
		if poly == nil {
			return nil
		}
		out := make(orb.Polygon, len(poly))
		for i, r := range poly {
			out[i] = mapPoints(r)
		}
		return out
	}
	switch g := g.(type) {
	case orb.Point:
		return fn(g)
	case orb.MultiPoint:
		return orb.MultiPoint(mapPoints(g))
	case orb.LineString:
		return orb.LineString(mapPoints(g))
	case orb.MultiLineString:
		out := make(orb.MultiLineString, len(g))
		for i, l := range g {
			out[i] = mapPoints(l)
		}
		return out
	case orb.Ring:
		return orb.Ring(mapPoints(g))
	case orb.Polygon:
		return mapPolygon(g)
	case orb.MultiPolygon:
		out := make(orb.MultiPolygon, len(g))
		for i, poly := range g {
			out[i] = mapPolygon(poly)
		}
		return out
	case orb.Collection:
		out := make(orb.Collection, len(g))
		for i, c := range g {
			out[i] = MapPoints(c, fn)
		}
		return out
	case orb.Bound:
		a, b := fn(g.Min), fn(g.Max)
		return orb.Bound{Min: a, Max: a}.Extend(b)
	}
	return nil
}
