package ifc

import "math"

// Vec3 is a point or direction in 3D.
type Vec3 [3]float64

func (a Vec3) add(b Vec3) Vec3      { return Vec3{a[0] + b[0], a[1] + b[1], a[2] + b[2]} }
func (a Vec3) sub(b Vec3) Vec3      { return Vec3{a[0] - b[0], a[1] - b[1], a[2] - b[2]} }
func (a Vec3) scale(s float64) Vec3 { return Vec3{a[0] * s, a[1] * s, a[2] * s} }
func (a Vec3) dot(b Vec3) float64   { return a[0]*b[0] + a[1]*b[1] + a[2]*b[2] }
func (a Vec3) cross(b Vec3) Vec3 {
	return Vec3{a[1]*b[2] - a[2]*b[1], a[2]*b[0] - a[0]*b[2], a[0]*b[1] - a[1]*b[0]}
}
func (a Vec3) norm() float64 { return math.Sqrt(a.dot(a)) }
func (a Vec3) finite() bool  { return finite(a[0]) && finite(a[1]) && finite(a[2]) }
func finite(f float64) bool  { return !math.IsNaN(f) && !math.IsInf(f, 0) }
func (a Vec3) unit() (Vec3, bool) {
	n := a.norm()
	if !(n > 1e-12) || !finite(n) {
		return Vec3{}, false
	}
	return a.scale(1 / n), true
}

// Transform is a rigid placement: the columns X, Y, Z are the local axes in
// the parent frame and O the local origin, in metres.
type Transform struct {
	X, Y, Z, O Vec3
}

// Identity is the transform that changes nothing.
var Identity = Transform{X: Vec3{1, 0, 0}, Y: Vec3{0, 1, 0}, Z: Vec3{0, 0, 1}}

// Apply maps a local point to the parent frame.
func (t Transform) Apply(p Vec3) Vec3 {
	return t.O.add(t.X.scale(p[0])).add(t.Y.scale(p[1])).add(t.Z.scale(p[2]))
}

// ApplyDir maps a local direction (no translation).
func (t Transform) ApplyDir(p Vec3) Vec3 {
	return t.X.scale(p[0]).add(t.Y.scale(p[1])).add(t.Z.scale(p[2]))
}

// Then is t placed inside parent: parent.Apply(t.Apply(p)) for every p.
func (t Transform) Then(parent Transform) Transform {
	return Transform{
		X: parent.ApplyDir(t.X),
		Y: parent.ApplyDir(t.Y),
		Z: parent.ApplyDir(t.Z),
		O: parent.Apply(t.O),
	}
}

// Axes builds the frame of an IfcAxis2Placement3D: z along axis (default
// +Z), x along the part of ref perpendicular to z (default +X), y = z × x.
// Degenerate directions fall back to the defaults.
func Axes(origin Vec3, axis, ref *Vec3) Transform {
	z := Vec3{0, 0, 1}
	if axis != nil {
		if u, ok := axis.unit(); ok {
			z = u
		}
	}
	x := Vec3{1, 0, 0}
	if ref != nil {
		x = *ref
	}
	xp, ok := x.sub(z.scale(x.dot(z))).unit()
	if !ok {
		// ref missing or parallel to z: pick any perpendicular axis.
		for _, c := range []Vec3{{1, 0, 0}, {0, 1, 0}, {0, 0, 1}} {
			if xp, ok = c.sub(z.scale(c.dot(z))).unit(); ok {
				break
			}
		}
	}
	return Transform{X: xp, Y: z.cross(xp), Z: z, O: origin}
}
