package geo

import (
	"math"

	"github.com/paulmach/orb"
)

// DistanceToBound returns a lower bound in metres on the great-circle
// distance from p to any point of the lon/lat box b, and 0 when p is inside.
// It is the exact spherical distance to the box less a rounding margin of a
// micrometre, so it can prune k-nearest searches safely. Longitudes wrap: a
// box ending at +180 is close to a point at -179.9, and a box with
// Min.X > Max.X is read as crossing the antimeridian (the OGC bbox
// convention). A box with Min.Y > Max.Y is empty: +Inf. NaN input gives 0,
// which is never wrong for a lower bound.
func DistanceToBound(p orb.Point, b orb.Bound) float64 {
	if math.IsNaN(p[0]) || math.IsNaN(p[1]) || math.IsNaN(b.Min[0]) || math.IsNaN(b.Min[1]) ||
		math.IsNaN(b.Max[0]) || math.IsNaN(b.Max[1]) {
		return 0
	}
	if b.Min[1] > b.Max[1] {
		return math.Inf(1)
	}
	if b.Min == b.Max {
		// A point entry, the common case in an index of sensors and stops.
		return lowerMargin(Distance(p, b.Min))
	}
	minLat, maxLat := clampLat(b.Min[1]), clampLat(b.Max[1])
	lat := clampLat(p[1])
	width := b.Max[0] - b.Min[0]
	if width < 0 {
		width += 360
	}
	// Offset of p east of the box's west edge, in [0, 360).
	off := math.Mod(p[0]-b.Min[0], 360)
	if off < 0 {
		off += 360
	}
	if width >= 360 || off <= width {
		// Within the box's longitudes the nearest point is on p's own
		// meridian, since no point is closer than the latitude difference.
		var dLat float64
		switch {
		case lat < minLat:
			dLat = minLat - lat
		case lat > maxLat:
			dLat = lat - maxLat
		default:
			return 0
		}
		return lowerMargin(EarthRadius * dLat * degToRad)
	}
	// Outside the box's longitudes the nearest point lies on the bounding
	// meridian nearer in longitude (along any parallel, distance grows with
	// the longitude difference up to 180°).
	dLon := math.Min(off-width, 360-off)
	return lowerMargin(EarthRadius * meridianDistance(lat, dLon, minLat, maxLat))
}

// meridianDistance is the central angle from a point at latitude lat (deg) to
// the meridian arc dLon degrees away spanning [minLat, maxLat].
func meridianDistance(lat, dLon, minLat, maxLat float64) float64 {
	sLat, cLat := math.Sincos(lat * degToRad)
	sdLon, cdLon := math.Sincos(dLon * degToRad)
	// cos(d) = sLat*sin(phi) + cLat*cdLon*cos(phi) peaks at phi = foot, the
	// foot of the perpendicular to the meridian's great circle.
	foot := math.Atan2(sLat, cLat*cdLon) * radToDeg
	at := func(phi float64) float64 {
		sPhi, cPhi := math.Sincos(phi * degToRad)
		c := sLat*sPhi + cLat*cPhi*cdLon
		s := math.Hypot(cLat*sPhi-sLat*cPhi*cdLon, cPhi*sdLon)
		return math.Atan2(s, c)
	}
	if dLon <= 90 {
		// The foot is then on this half of the meridian and the distance
		// grows monotonically away from it.
		if foot >= minLat && foot <= maxLat {
			return math.Asin(math.Min(1, cLat*sdLon)) // cross-track distance
		}
		return at(math.Max(minLat, math.Min(maxLat, foot)))
	}
	// Beyond 90° the foot is past a pole; the nearest point is an end.
	return math.Min(at(minLat), at(maxLat))
}

// lowerMargin shaves the rounding error off a computed distance so that it
// stays a lower bound of the exact one (and of Distance to any point).
func lowerMargin(d float64) float64 {
	d = d*(1-1e-12) - 1e-6
	if d < 0 {
		return 0
	}
	return d
}

func clampLat(lat float64) float64 {
	return math.Max(-90, math.Min(90, lat))
}

// normLon wraps a longitude into [-180, 180], leaving ±180 as given.
func normLon(lon float64) float64 {
	if lon >= -180 && lon <= 180 {
		return lon
	}
	lon = math.Mod(lon+180, 360)
	if lon < 0 {
		lon += 360
	}
	return lon - 180
}

// BoundAround returns lon/lat boxes that together cover every point within
// radius metres of p (the spherical cap), padded outward by about 0.1 mm for
// rounding: one box normally, two when the cap crosses the antimeridian, and
// one box spanning all longitudes when it contains a pole. A negative or NaN
// radius gives nil.
func BoundAround(p orb.Point, radius float64) []orb.Bound {
	return appendBoundAround(nil, p, radius)
}

// appendBoundAround is BoundAround appending to out, which lets a search
// keep its boxes on the stack.
func appendBoundAround(out []orb.Bound, p orb.Point, radius float64) []orb.Bound {
	if !(radius >= 0) || !isFinitePt(p) {
		return out
	}
	const pad = 1e-9 // degrees, ~0.1 mm
	lon, lat := normLon(p[0]), clampLat(p[1])
	delta := radius / EarthRadius // radians
	dLat := delta*radToDeg + pad
	minLat, maxLat := lat-dLat, lat+dLat
	if minLat <= -90 || maxLat >= 90 || delta >= math.Pi/2 {
		return append(out, orb.Bound{Min: orb.Point{-180, clampLat(minLat)}, Max: orb.Point{180, clampLat(maxLat)}})
	}
	// Half-width in longitude of the cap: the meridians tangent to it.
	s := math.Sin(delta) / math.Cos(lat*degToRad)
	if s >= 1 {
		return append(out, orb.Bound{Min: orb.Point{-180, minLat}, Max: orb.Point{180, maxLat}})
	}
	dLon := math.Asin(s)*radToDeg + pad
	return appendSplitBound(out, lon-dLon, minLat, lon+dLon, maxLat)
}

// SplitBound turns a bbox in the OGC convention into orb bounds: when
// minLon > maxLon the box crosses the antimeridian and becomes two boxes,
// [minLon, 180] and [-180, maxLon]. Longitudes beyond ±180 are wrapped
// first, so a box from 170 to 190 splits the same way. A box spanning 360
// degrees or more becomes one box over all longitudes. NaN or
// minLat > maxLat gives nil.
func SplitBound(minLon, minLat, maxLon, maxLat float64) []orb.Bound {
	return appendSplitBound(nil, minLon, minLat, maxLon, maxLat)
}

func appendSplitBound(out []orb.Bound, minLon, minLat, maxLon, maxLat float64) []orb.Bound {
	if math.IsNaN(minLon) || math.IsNaN(minLat) || math.IsNaN(maxLon) || math.IsNaN(maxLat) || minLat > maxLat {
		return out
	}
	if minLon <= maxLon && maxLon-minLon >= 360 {
		return append(out, orb.Bound{Min: orb.Point{-180, minLat}, Max: orb.Point{180, maxLat}})
	}
	minLon, maxLon = normLon(minLon), normLon(maxLon)
	if minLon <= maxLon {
		return append(out, orb.Bound{Min: orb.Point{minLon, minLat}, Max: orb.Point{maxLon, maxLat}})
	}
	return append(out,
		orb.Bound{Min: orb.Point{minLon, minLat}, Max: orb.Point{180, maxLat}},
		orb.Bound{Min: orb.Point{-180, minLat}, Max: orb.Point{maxLon, maxLat}},
	)
}
