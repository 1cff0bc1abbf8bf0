package ifc

import (
	"errors"
	"math"
)

var errBadAngle = errors.New("ifc: bad compound plane angle")

// CompoundAngle converts an IfcCompoundPlaneAngleMeasure — degrees, minutes,
// seconds and optionally millionths of a second, all carrying the sign of the
// angle — to decimal degrees.
func CompoundAngle(parts []float64) (float64, error) {
	if len(parts) < 3 || len(parts) > 4 {
		return 0, errBadAngle
	}
	for _, p := range parts {
		if !finite(p) || p != math.Trunc(p) {
			return 0, errBadAngle
		}
	}
	deg := math.Abs(parts[0]) + math.Abs(parts[1])/60 + math.Abs(parts[2])/3600
	if len(parts) == 4 {
		deg += math.Abs(parts[3]) / 3600e6
	}
	if parts[0] < 0 || parts[1] < 0 || parts[2] < 0 || len(parts) == 4 && parts[3] < 0 {
		deg = -deg
	}
	if deg > 360 {
		return 0, errBadAngle
	}
	return deg, nil
}
