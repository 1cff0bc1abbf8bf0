package geo

import (
	"math"

	"github.com/paulmach/orb"
)

// The WGS84 ellipsoid.
const (
	WGS84A   = 6378137.0         // semi-major axis, metres
	WGS84F   = 1 / 298.257223563 // flattening
	wgs84B   = WGS84A * (1 - WGS84F)
	wgs84E2  = WGS84F * (2 - WGS84F)   // first eccentricity squared
	wgs84EP2 = wgs84E2 / (1 - wgs84E2) // second eccentricity squared
)

// ECEF is an earth-centred, earth-fixed point in metres (WGS84: x towards
// lon 0 on the equator, y towards lon 90°E, z towards the north pole).
type ECEF [3]float64

// ToECEF returns the earth-centred point of lon/lat (degrees) at h metres
// above the WGS84 ellipsoid.
func ToECEF(p orb.Point, h float64) ECEF {
	sl, cl := math.Sincos(p[0] * degToRad)
	sp, cp := math.Sincos(p[1] * degToRad)
	n := WGS84A / math.Sqrt(1-wgs84E2*sp*sp) // prime vertical radius of curvature
	return ECEF{(n + h) * cp * cl, (n + h) * cp * sl, (n*(1-wgs84E2) + h) * sp}
}

// FromECEF returns lon/lat (degrees) and the height above the WGS84
// ellipsoid of an earth-centred point: Bowring's (1976) parametric latitude
// start, refined twice, which is below a micrometre from the Earth's centre
// to far beyond geostationary orbit. The height comes from the formula that
// holds at the poles too. The centre of the Earth gives 0, 0, -a.
func FromECEF(x ECEF) (orb.Point, float64) {
	p := math.Hypot(x[0], x[1])
	lon := math.Atan2(x[1], x[0])
	if p == 0 && x[2] == 0 {
		return orb.Point{0, 0}, -WGS84A
	}
	// Bowring: the parametric latitude of the point's foot, then the
	// geodetic latitude from it.
	beta := math.Atan2(x[2]*WGS84A, p*wgs84B)
	var lat float64
	for range 3 {
		sb, cb := math.Sincos(beta)
		lat = math.Atan2(x[2]+wgs84EP2*wgs84B*sb*sb*sb, p-wgs84E2*WGS84A*cb*cb*cb)
		beta = math.Atan((1 - WGS84F) * math.Tan(lat))
		if math.Abs(lat) == math.Pi/2 {
			break
		}
	}
	sp, cp := math.Sincos(lat)
	n := WGS84A / math.Sqrt(1-wgs84E2*sp*sp)
	// h = p cos φ + z sin φ − a²/N, stable at every latitude.
	h := p*cp + x[2]*sp - WGS84A*WGS84A/n
	return orb.Point{lon / degToRad, lat / degToRad}, h
}

// ENU is the east-north-up tangent frame of the WGS84 ellipsoid at a point
// of it (height 0): metres east, north and along the ellipsoid's normal. It
// is a rigid frame, so one 4×4 matrix (Matrix) takes its points to ECEF;
// unlike Frame it is exact at any distance, and the ellipsoid curves away
// below its plane (about 8 cm 1 km out, 7.8 m 10 km out).
type ENU struct {
	Origin orb.Point
	o      ECEF          // the origin
	r      [3][3]float64 // rows: the east, north and up unit vectors in ECEF
}

// NewENU returns the tangent frame at origin (lon, lat in degrees).
func NewENU(origin orb.Point) ENU {
	sl, cl := math.Sincos(origin[0] * degToRad)
	sp, cp := math.Sincos(origin[1] * degToRad)
	return ENU{
		Origin: origin,
		o:      ToECEF(origin, 0),
		r: [3][3]float64{
			{-sl, cl, 0},
			{-sp * cl, -sp * sl, cp},
			{cp * cl, cp * sl, sp},
		},
	}
}

// FromECEF returns an earth-centred point in the frame.
func (f ENU) FromECEF(x ECEF) (e, n, u float64) {
	d := [3]float64{x[0] - f.o[0], x[1] - f.o[1], x[2] - f.o[2]}
	r := &f.r
	return r[0][0]*d[0] + r[0][1]*d[1] + r[0][2]*d[2],
		r[1][0]*d[0] + r[1][1]*d[1] + r[1][2]*d[2],
		r[2][0]*d[0] + r[2][1]*d[1] + r[2][2]*d[2]
}

// FromGeodetic returns lon/lat at h metres above the ellipsoid in the frame.
func (f ENU) FromGeodetic(p orb.Point, h float64) (e, n, u float64) {
	return f.FromECEF(ToECEF(p, h))
}

// ToECEF returns a point of the frame as an earth-centred one.
func (f ENU) ToECEF(e, n, u float64) ECEF {
	r := &f.r
	return ECEF{
		f.o[0] + r[0][0]*e + r[1][0]*n + r[2][0]*u,
		f.o[1] + r[0][1]*e + r[1][1]*n + r[2][1]*u,
		f.o[2] + r[0][2]*e + r[1][2]*n + r[2][2]*u,
	}
}

// Matrix is the 4×4 transform from the frame to ECEF, column-major as glTF
// and 3D Tiles write matrices: the columns are the east, north and up unit
// vectors and the origin.
func (f ENU) Matrix() [16]float64 {
	r := &f.r
	return [16]float64{
		r[0][0], r[0][1], r[0][2], 0,
		r[1][0], r[1][1], r[1][2], 0,
		r[2][0], r[2][1], r[2][2], 0,
		f.o[0], f.o[1], f.o[2], 1,
	}
}
