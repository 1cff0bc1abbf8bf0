package mesh

import (
	"errors"
	"fmt"
	"math"
)

// Semantic surface types, as CityJSON names them. Other names are kept as
// they are.
const (
	Roof    = "RoofSurface"
	Wall    = "WallSurface"
	Ground  = "GroundSurface"
	Floor   = "FloorSurface"
	Ceiling = "CeilingSurface"
	Closure = "ClosureSurface"
)

// ErrBadMesh reports a mesh that cannot be stored: a non-finite coordinate,
// a ring of fewer than three points, too many points.
var ErrBadMesh = errors.New("mesh: bad mesh")

// Point3 is lon, lat in WGS84 degrees and z in metres above the ground of the
// entity the mesh belongs to.
type Point3 [3]float64

// Surface is one planar polygon: its first ring is the exterior, the others
// holes. Rings are not closed (the first point is not repeated) and run
// counter-clockwise seen from the side the surface faces (its outside).
type Surface struct {
	Semantic string // RoofSurface, WallSurface, GroundSurface, …; "" when unknown
	Rings    [][]Point3
}

// Mesh is the 3D surface of one entity.
type Mesh struct {
	// LoD is the level of detail the surfaces come from ("2.2", "1"), "" when
	// unknown.
	LoD string
	// Ground is the height of z = 0 in the source's vertical system (e.g. NAP
	// metres); 0 when unknown.
	Ground   float64
	Surfaces []Surface
}

// Limits of one mesh, so that a corrupt file cannot make a reader allocate
// without bound.
const (
	MaxPoints   = 1 << 22 // points in all rings of a mesh
	MaxSurfaces = 1 << 20
)

// NumPoints is the number of points in all rings.
func (m *Mesh) NumPoints() int {
	n := 0
	for _, s := range m.Surfaces {
		for _, r := range s.Rings {
			n += len(r)
		}
	}
	return n
}

// Validate reports the first thing that keeps m from being stored.
func (m *Mesh) Validate() error {
	if len(m.Surfaces) > MaxSurfaces {
		return fmt.Errorf("%w: %d surfaces, at most %d", ErrBadMesh, len(m.Surfaces), MaxSurfaces)
	}
	if n := m.NumPoints(); n > MaxPoints {
		return fmt.Errorf("%w: %d points, at most %d", ErrBadMesh, n, MaxPoints)
	}
	if !finite(m.Ground) {
		return fmt.Errorf("%w: ground %v", ErrBadMesh, m.Ground)
	}
	for i, s := range m.Surfaces {
		if len(s.Rings) == 0 {
			return fmt.Errorf("%w: surface %d has no ring", ErrBadMesh, i)
		}
		for j, r := range s.Rings {
			if len(r) < 3 {
				return fmt.Errorf("%w: surface %d ring %d has %d points", ErrBadMesh, i, j, len(r))
			}
			for k, p := range r {
				if !finite(p[0]) || !finite(p[1]) || !finite(p[2]) || p[0] < -180 || p[0] > 180 || p[1] < -90 || p[1] > 90 {
					return fmt.Errorf("%w: surface %d ring %d point %d is %v", ErrBadMesh, i, j, k, p)
				}
			}
		}
	}
	return nil
}

// Bound returns the lon/lat box and the z range of the mesh's points; ok is
// false for an empty mesh.
func (m *Mesh) Bound() (minP, maxP Point3, ok bool) {
	minP = Point3{math.Inf(1), math.Inf(1), math.Inf(1)}
	maxP = Point3{math.Inf(-1), math.Inf(-1), math.Inf(-1)}
	for _, s := range m.Surfaces {
		for _, r := range s.Rings {
			for _, p := range r {
				for i := range 3 {
					minP[i] = math.Min(minP[i], p[i])
					maxP[i] = math.Max(maxP[i], p[i])
				}
				ok = true
			}
		}
	}
	return minP, maxP, ok
}

func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }
