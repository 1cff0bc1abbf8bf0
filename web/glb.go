package web

import (
	"context"
	"errors"
	"net/http"
	"strconv"

	"citytwin/render"
	"citytwin/twin"

	"github.com/paulmach/orb"
)

// ContentTypeGLB is the media type of glTF 2.0 binaries.
const ContentTypeGLB = "model/gltf-binary"

// The GLB endpoints.
const (
	glbPath       = "/api/v1/glb"
	entityGLBPath = "/api/v1/entities/{id}/glb"
)

// Limits of the GLB endpoints: an area's GLB holds at most maxGLBEntities
// entities (the first that match, in the twin's order); default defGLBEntities.
const (
	maxGLBEntities = 50_000
	defGLBEntities = 10_000
	// glbMatchedHeader says how many entities matched an area's GLB, of which
	// at most limit were drawn.
	glbMatchedHeader = "Citytwin-Matched"
)

var (
	entityGLBParams = []string{pAt, "lod"}
	glbParams       = []string{pBBox, pKind, pAt, pLimit, "lod"}
)

// glbState is what the GLB endpoints need beyond the twin.
type glbState struct {
	meshes render.MeshSource // nil: LoD 1 only
}

// WithMeshes gives the GLB endpoints the 3D surfaces kept by imports (a
// *mesh.Store of the data directory's meshes), for lod=2.
func WithMeshes(m render.MeshSource) Option {
	return func(s *Server) { s.glb.meshes = m }
}

// parseLoD reads lod (1 or 2, default 2).
func parseLoD(v map[string][]string) (int, *ParamError) {
	s, ok, err := single(v, "lod")
	if err != nil || !ok {
		return 2, err
	}
	return parseInt("lod", s, 1, 2)
}

// entityGLB serves GET /api/v1/entities/{id}/glb: one building (or any entity
// with a footprint) with its parts and storeys, now or as of at.
func (s *Server) entityGLB(w http.ResponseWriter, r *http.Request) {
	v, ok := query(w, r)
	if !ok {
		return
	}
	if err := checkParams(v, entityGLBParams); err != nil {
		writeProblem(w, paramProblem(r, err))
		return
	}
	var at int64
	if str, ok, err := single(v, pAt); err != nil {
		writeProblem(w, paramProblem(r, err))
		return
	} else if ok {
		if at, err = parseAt(pAt, str); err != nil {
			writeProblem(w, paramProblem(r, err))
			return
		}
	}
	lod, perr := parseLoD(v)
	if perr != nil {
		writeProblem(w, paramProblem(r, perr))
		return
	}
	id := r.PathValue("id")
	e, err := s.store.GetAt(twin.ID(id), at)
	switch {
	case errors.Is(err, twin.ErrNotFound):
		s.noEntity(w, r, id, v.Get(pAt))
		return
	case err != nil:
		s.queryError(w, r, err)
		return
	}
	// Its parts and storeys: entities "part_of" it, near it.
	q := twin.Query{Kinds: []twin.Kind{twin.KindBuildingPart, twin.KindStorey}, At: at, Limit: maxGLBEntities,
		Match: func(c *twin.Entity) bool {
			for _, l := range c.Links {
				if l.Rel == "part_of" && l.To == e.ID {
					return true
				}
			}
			return false
		}}
	if e.Geometry != nil {
		q.BBox = []orb.Bound{e.Geometry.Bound().Pad(1e-4)} // about 10 m
	}
	res, err := s.store.Query(r.Context(), q)
	if err != nil {
		s.queryError(w, r, err)
		return
	}
	s.writeGLB(w, r, append([]twin.Entity{e}, res.Entities...), lod)
}

// areaGLB serves GET /api/v1/glb: the buildings (or other kinds) in a bbox,
// with the parts of the buildings, batched into one mesh per material.
func (s *Server) areaGLB(w http.ResponseWriter, r *http.Request) {
	v, ok := query(w, r)
	if !ok {
		return
	}
	if err := checkParams(v, glbParams); err != nil {
		writeProblem(w, paramProblem(r, err))
		return
	}
	q := twin.Query{Kinds: []twin.Kind{twin.KindBuilding}, Limit: defGLBEntities}
	str, ok, perr := single(v, pBBox)
	if perr == nil && !ok {
		perr = paramErrorf(pBBox, "is required: minLon,minLat,maxLon,maxLat")
	}
	if perr == nil {
		q.BBox, perr = parseBBox(str)
	}
	if perr == nil && len(v[pKind]) > 0 {
		q.Kinds, perr = parseKinds(pKind, splitList(v[pKind]))
	}
	if perr == nil {
		if str, ok, perr = single(v, pAt); perr == nil && ok {
			q.At, perr = parseAt(pAt, str)
		}
	}
	if perr == nil {
		if str, ok, perr = single(v, pLimit); perr == nil && ok {
			q.Limit, perr = parseInt(pLimit, str, 1, maxGLBEntities)
		}
	}
	lod := 2
	if perr == nil {
		lod, perr = parseLoD(v)
	}
	if perr != nil {
		writeProblem(w, paramProblem(r, perr))
		return
	}
	for _, k := range q.Kinds {
		if k == twin.KindBuilding { // buildings are drawn by their parts where they have them
			q.Kinds = append(q.Kinds, twin.KindBuildingPart)
			break
		}
	}
	res, err := s.store.Query(r.Context(), q)
	if err != nil {
		s.queryError(w, r, err)
		return
	}
	w.Header().Set(glbMatchedHeader, strconv.Itoa(res.Matched))
	s.writeGLB(w, r, res.Entities, lod)
}

func (s *Server) writeGLB(w http.ResponseWriter, r *http.Request, entities []twin.Entity, lod int) {
	b, err := render.BuildingsGLB(r.Context(), entities, s.glb.meshes, render.GLBOptions{LoD: lod})
	if err != nil {
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			s.queryError(w, r, err)
			return
		}
		s.log.Error("render glb", "path", r.URL.Path, "query", r.URL.RawQuery, "err", err)
		writeProblem(w, internalProblem(r))
		return
	}
	writeBytes(w, ContentTypeGLB, http.StatusOK, b)
}

// glbOpenAPI documents the GLB endpoints.
func glbOpenAPI(paths, params obj) {
	ref := func(kind, name string) obj { return obj{"$ref": "#/components/" + kind + "/" + name} }
	problems := func(resp obj, codes ...int) obj {
		for _, c := range codes {
			resp[strconv.Itoa(c)] = ref("responses", "Problem")
		}
		return resp
	}
	glb := obj{ContentTypeGLB: obj{"schema": obj{"type": "string", "format": "binary"}}}
	const frame = " Vertices are metres in a local frame (x east, y up above the ground, z south) around the origin in the scene's extras, which also list the entities (id, kind, height, min_height, lod) that the float vertex attribute " + render.FeatureAttribute + " indexes; materials roof, wall, ground, other."
	paths[entityGLBPath] = obj{"get": obj{
		"operationId": "getEntityGLB",
		"summary":     "One building as a glTF 2.0 binary (GLB), with its parts and storeys as child nodes named by their ids",
		"description": "lod=2 draws the 3D surfaces kept by CityJSON and IFC imports where there are some, lod=1 the footprint extruded from min height to height." + frame,
		"parameters":  []obj{ref("parameters", "entityId"), ref("parameters", "at"), ref("parameters", "lod")},
		"responses":   problems(obj{"200": obj{"description": "The GLB.", "content": glb}}, 400, 404, 500),
	}}
	paths[glbPath] = obj{"get": obj{
		"operationId": "getGLB",
		"summary":     "The buildings (with their parts) or other kinds in a bbox as one glTF 2.0 binary (GLB), batched into one primitive per material",
		"description": "At most limit entities, the first that match in the twin's order; the " + glbMatchedHeader + " header says how many matched." + frame,
		"parameters":  []obj{ref("parameters", "bboxRequired"), ref("parameters", "glbKind"), ref("parameters", "lod"), ref("parameters", "at"), ref("parameters", "glbLimit")},
		"responses": problems(obj{"200": obj{"description": "The GLB.", "content": glb,
			"headers": obj{glbMatchedHeader: obj{"description": "How many entities matched.", "schema": obj{"type": "integer"}}}}}, 400, 500),
	}}
	params["lod"] = obj{"name": "lod", "in": "query", "required": false,
		"description": "1: footprints extruded; 2: the stored 3D surfaces where there are some, else 1.",
		"schema":      obj{"type": "integer", "enum": []int{1, 2}, "default": 2}}
	params["glbKind"] = obj{"name": "kind", "in": "query", "required": false, "style": "form", "explode": false,
		"description": "Kinds, comma-separated (default building; building brings building_part along).",
		"schema":      obj{"type": "array", "maxItems": maxKinds, "items": obj{"type": "string"}}}
	params["glbLimit"] = obj{"name": "limit", "in": "query", "required": false, "description": "At most this many entities.",
		"schema": obj{"type": "integer", "minimum": 1, "maximum": maxGLBEntities, "default": defGLBEntities}}
}
