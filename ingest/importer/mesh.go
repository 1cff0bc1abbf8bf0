package importer

import (
	"fmt"
	"math"
	"path/filepath"
	"strconv"

	"citytwin/geo/crs"
	"citytwin/geo/mesh"
	"citytwin/ingest/cityjson"
	"citytwin/twin"

	"github.com/paulmach/orb"
)

// MeshDir is where, under Options.DataDir, imports keep the 3D surfaces of
// buildings (see geo/mesh) for the 3D view.
const MeshDir = "meshes"

// openMeshes opens the mesh store of the data directory, or returns nil when
// there is no data directory.
func (r *run) openMeshes() (*mesh.Store, error) {
	if r.o.DataDir == "" {
		return nil, nil
	}
	return mesh.Open(filepath.Join(r.o.DataDir, MeshDir), mesh.Options{RefreshEvery: -1})
}

// saveCityJSONMeshes keeps the surfaces of the highest LoD of every building
// and building part in the mesh store, z in metres above the object's ground.
// A building with no surfaces of its own (3D BAG keeps them in its parts) gets
// those of its parts, so that every building has a mesh.
func (r *run) saveCityJSONMeshes(res *cityjson.Result) error {
	store, err := r.openMeshes()
	if store == nil || err != nil {
		return err
	}
	saved, err := cityJSONMeshes(res, store.Put)
	if cerr := store.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("keep meshes: %w", err)
	}
	r.sum.Notes = append(r.sum.Notes, fmt.Sprintf("kept the 3D surfaces of %d buildings and parts", saved))
	return nil
}

// cityJSONMeshes calls put with the mesh of each building and building part.
func cityJSONMeshes(res *cityjson.Result, put func(id string, m mesh.Mesh) error) (int, error) {
	model := res.Model
	if model == nil || model.NumVertices() == 0 {
		return 0, nil
	}
	tr, err := crs.For(model.CRS)
	if err != nil {
		return 0, err
	}
	// Every vertex to lon/lat once; z stays in the source's vertical system.
	flat := make([]float64, len(model.Vertices))
	for i := 0; i < len(flat); i += 3 {
		flat[i] = model.Vertices[i] + model.Origin[0]
		flat[i+1] = model.Vertices[i+1] + model.Origin[1]
		flat[i+2] = model.Vertices[i+2] + model.Origin[2]
	}
	if err := tr.ToLonLatFlat(flat, 3); err != nil {
		return 0, err
	}
	byID := make(map[string]*cityjson.Object, len(res.Objects))
	for i := range res.Objects {
		byID[res.Objects[i].ID] = &res.Objects[i]
	}
	saved := 0
	for i := range res.Objects {
		o := &res.Objects[i]
		if o.Kind != twin.KindBuilding && o.Kind != twin.KindBuildingPart {
			continue
		}
		m := mesh.Mesh{Ground: o.Ground}
		if g := bestGeometry(o); g != nil {
			m.LoD = g.LoD
			m.Surfaces = surfacesOf(g, model, flat, o.Ground)
		} else {
			for _, c := range o.Children {
				if co := byID[c]; co != nil {
					if g := bestGeometry(co); g != nil {
						m.LoD = g.LoD
						m.Surfaces = append(m.Surfaces, surfacesOf(g, model, flat, o.Ground)...)
					}
				}
			}
		}
		if len(m.Surfaces) == 0 {
			continue
		}
		if err := put("cityjson:"+o.ID, m); err != nil {
			return saved, err
		}
		saved++
	}
	return saved, nil
}

// bestGeometry is the object's surface geometry of the highest LoD, nil
// when it has none.
func bestGeometry(o *cityjson.Object) *cityjson.Geometry {
	var best *cityjson.Geometry
	bestLoD := math.Inf(-1)
	for i := range o.Geometries {
		g := &o.Geometries[i]
		if len(g.Surfaces) == 0 {
			continue
		}
		lod, err := strconv.ParseFloat(g.LoD, 64)
		if err != nil {
			lod = 0
		}
		if lod > bestLoD {
			best, bestLoD = g, lod
		}
	}
	return best
}

// surfacesOf converts the exterior surfaces of g; a surface without semantics
// is named by the way it faces: up a roof, down a ground, else a wall.
func surfacesOf(g *cityjson.Geometry, model *cityjson.Model, lonLat []float64, ground float64) []mesh.Surface {
	out := make([]mesh.Surface, 0, len(g.Surfaces))
	for _, s := range g.Surfaces {
		if s.Shell != 0 || len(s.Rings) == 0 || len(s.Rings[0]) < 3 {
			continue
		}
		sem := g.SemanticType(s)
		if sem == "" {
			sem = facing(s.Rings[0], model.Vertices)
		}
		ms := mesh.Surface{Semantic: sem, Rings: make([][]mesh.Point3, 0, len(s.Rings))}
		for _, ring := range s.Rings {
			if len(ring) < 3 {
				continue
			}
			pts := make([]mesh.Point3, len(ring))
			for k, vi := range ring {
				pts[k] = mesh.Point3{lonLat[3*vi], lonLat[3*vi+1], lonLat[3*vi+2] - ground}
			}
			ms.Rings = append(ms.Rings, pts)
		}
		out = append(out, ms)
	}
	return out
}

// facing names a surface by its Newell normal.
func facing(ring []int, v []float64) string {
	var n [3]float64
	for k, a := range ring {
		b := ring[(k+1)%len(ring)]
		ax, ay, az := v[3*a], v[3*a+1], v[3*a+2]
		bx, by, bz := v[3*b], v[3*b+1], v[3*b+2]
		n[0] += (ay - by) * (az + bz)
		n[1] += (az - bz) * (ax + bx)
		n[2] += (ax - bx) * (ay + by)
	}
	l := math.Sqrt(n[0]*n[0] + n[1]*n[1] + n[2]*n[2])
	switch {
	case l == 0:
		return ""
	case n[2]/l > 0.1:
		return mesh.Roof
	case n[2]/l < -0.1:
		return mesh.Ground
	}
	return mesh.Wall
}

// saveIFCMeshes keeps, for every storey and space, the prism of its outline
// between its floor and the next storey (the IFC decoder exposes outlines and
// elevations, not the solids): the storey's floor slab, walls and ceiling
// (the roof for the top storey), in metres above the lowest storey.
func (r *run) saveIFCMeshes(ops []twin.Op) error {
	store, err := r.openMeshes()
	if store == nil || err != nil {
		return err
	}
	saved, err := ifcMeshes(ops, store.Put)
	if cerr := store.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("keep meshes: %w", err)
	}
	r.sum.Notes = append(r.sum.Notes, fmt.Sprintf("kept the 3D outlines of %d storeys and spaces", saved))
	return nil
}

// ifcMeshes calls put with the mesh of each storey and space of the ops.
func ifcMeshes(ops []twin.Op, put func(id string, m mesh.Mesh) error) (int, error) {
	top := map[twin.ID]float64{} // the highest storey top per building
	for _, op := range ops {
		if e := op.Entity; e != nil && e.Kind == twin.KindStorey {
			for _, l := range e.Links {
				if l.Rel == "part_of" {
					top[l.To] = max(top[l.To], e.Height)
				}
			}
		}
	}
	saved := 0
	for _, op := range ops {
		e := op.Entity
		if e == nil || (e.Kind != twin.KindStorey && e.Kind != twin.KindSpace) {
			continue
		}
		ceiling := mesh.Ceiling
		if e.Kind == twin.KindStorey && len(e.Links) > 0 && e.Height >= top[e.Links[0].To] {
			ceiling = mesh.Roof
		}
		var polys []orb.Polygon
		switch g := e.Geometry.(type) {
		case orb.Polygon:
			polys = []orb.Polygon{g}
		case orb.MultiPolygon:
			polys = g
		}
		m := mesh.Mesh{LoD: "1"}
		for _, p := range polys {
			m.Surfaces = append(m.Surfaces, mesh.Extrude(p, e.MinHeight, e.Height, mesh.Floor, mesh.Wall, ceiling)...)
		}
		if len(m.Surfaces) == 0 {
			continue
		}
		if err := put(string(e.ID), m); err != nil {
			return saved, err
		}
		saved++
	}
	return saved, nil
}
