package cityjson

import (
	"errors"
	"fmt"
	"math"
)

// Model holds the 3D geometry of a file for rendering: one vertex pool in local
// metres and, per object, its geometries with semantic surfaces.
//
// Local coordinates are the source system's coordinates minus Origin, so that
// float32 meshes keep millimetres: x east, y north, z up (z in the vertical
// system of the source, e.g. NAP metres, minus Origin[2]). For systems in feet
// (US state planes) the units are feet, not metres.
type Model struct {
	CRS      string     // canonical code of the source system, e.g. "EPSG:7415"
	Origin   [3]float64 // source coordinates of local (0, 0, 0)
	Vertices []float64  // x, y, z per vertex, local
}

// Vertex returns vertex i in local coordinates.
func (m *Model) Vertex(i int) [3]float64 {
	return [3]float64{m.Vertices[3*i], m.Vertices[3*i+1], m.Vertices[3*i+2]}
}

// NumVertices is the number of vertices in the pool.
func (m *Model) NumVertices() int { return len(m.Vertices) / 3 }

// Geometry is one geometry of a city object at one level of detail.
type Geometry struct {
	Type string // MultiPoint, MultiLineString, MultiSurface, CompositeSurface, Solid, MultiSolid, CompositeSolid
	LoD  string // "1", "2.2"; CityJSON 1.0 numbers are written as text
	// Template is the index of the geometry template a GeometryInstance was made
	// from (its vertices are materialised into the pool), -1 otherwise.
	Template int

	Points   []int     // MultiPoint: vertex indices
	Lines    [][]int   // MultiLineString: vertex indices per line
	Surfaces []Surface // every polygon of surface and solid types, in file order

	// Semantics are the semantic objects of the geometry; Surface.Semantic
	// indexes them.
	Semantics []Semantic
}

// Surface is one polygon: its first ring is the exterior, the others holes,
// each a list of indices into Model.Vertices (not closed: the last vertex is
// not repeated).
type Surface struct {
	Rings    [][]int
	Semantic int // index into Geometry.Semantics, -1 for none
	Solid    int // which solid of a MultiSolid/CompositeSolid (0 otherwise)
	Shell    int // which shell of the solid: 0 is the exterior shell
}

// Semantic is one semantic object: its type (RoofSurface, WallSurface,
// GroundSurface, Door, Window, ...) and attributes.
type Semantic struct {
	Type       string
	Attributes map[string]any
}

// SemanticType is the semantic type of surface s of g, "" for none.
func (g *Geometry) SemanticType(s Surface) string {
	if s.Semantic < 0 || s.Semantic >= len(g.Semantics) {
		return ""
	}
	return g.Semantics[s.Semantic].Type
}

var (
	errEmptyGeometry = errors.New("empty geometry")
	errBadIndex      = errors.New("bad vertex index")
)

// buildGeometry turns one decoded geometry into a Geometry whose indices point
// into the pool: base is where the object's vertex block starts, n its size.
func buildGeometry(g *geomJSON, base, n int) (Geometry, error) {
	out, _, err := buildGeometryMax(g, base, n)
	return out, err
}

// buildGeometryMax is buildGeometry that also says the largest vertex index
// of the boundaries (-1 for none).
func buildGeometryMax(g *geomJSON, base, n int) (Geometry, int, error) {
	hi := -1
	out := Geometry{Type: g.Type, LoD: lodString(g.LoD), Template: -1}
	depth := 0
	switch g.Type {
	case "MultiPoint":
		depth = 1
	case "MultiLineString":
		depth = 2
	case "MultiSurface", "CompositeSurface":
		depth = 3
	case "Solid":
		depth = 4
	case "MultiSolid", "CompositeSolid":
		depth = 5
	}
	if depth == 0 {
		return out, hi, fmt.Errorf("geometry type %q not supported", g.Type)
	}
	nb := nestedPool.Get().(*nested)
	defer nestedPool.Put(nb)
	if err := nb.parse(g.Boundaries, depth); err != nil {
		return out, hi, fmt.Errorf("%s boundaries: %w", g.Type, err)
	}
	ends := nb.ends[:depth]
	idx := make([]int, len(nb.idx))
	for k, v := range nb.idx {
		hi = max(hi, v)
		if v >= n {
			return out, hi, fmt.Errorf("%s: %w %d: %d vertices", g.Type, errBadIndex, v, n)
		}
		idx[k] = v + base
	}
	span := func(e []int, k int) (int, int) {
		if k == 0 {
			return 0, e[0]
		}
		return e[k-1], e[k]
	}
	switch depth {
	case 1:
		out.Points = idx
	case 2:
		for k := range ends[1] {
			a, z := span(ends[1], k)
			out.Lines = append(out.Lines, idx[a:z:z])
		}
	default:
		rl := ends[depth-1] // ring ends in leaves
		rings := make([][]int, len(rl))
		for k := range rl {
			a, z := span(rl, k)
			rings[k] = idx[a:z:z]
		}
		sl := ends[depth-2] // surface ends in rings
		out.Surfaces = make([]Surface, len(sl))
		for k := range sl {
			a, z := span(sl, k)
			if z == a || len(rings[a]) < 3 {
				return out, hi, fmt.Errorf("%s: surface %d: exterior needs 3 vertices", g.Type, k)
			}
			out.Surfaces[k] = Surface{Rings: rings[a:z:z], Semantic: -1}
		}
		if depth >= 4 {
			// Shells (and solids) number their surfaces.
			shells := ends[depth-3]
			shell := 0
			for k := range out.Surfaces {
				for shell < len(shells) && k >= shells[shell] {
					shell++
				}
				out.Surfaces[k].Shell = shell
			}
			if depth == 5 {
				solids := ends[1] // solid ends in shells
				solid := 0
				for k := range out.Surfaces {
					sh := out.Surfaces[k].Shell
					for solid < len(solids) && sh >= solids[solid] {
						solid++
					}
					out.Surfaces[k].Solid = solid
					if solid > 0 {
						out.Surfaces[k].Shell = sh - solids[solid-1]
					}
				}
			}
		}
	}
	if len(out.Points) == 0 && len(out.Lines) == 0 && len(out.Surfaces) == 0 {
		return out, hi, fmt.Errorf("%s: %w", g.Type, errEmptyGeometry)
	}
	if g.Semantics != nil {
		if err := out.semantics(g); err != nil {
			return out, hi, fmt.Errorf("%s semantics: %w", g.Type, err)
		}
	}
	return out, hi, nil
}

// semantics maps the semantic values onto the surfaces. Values mirror the
// boundaries one level up: a list per MultiSurface, a list per shell for a
// Solid, per solid and shell for MultiSolid; null means "no semantics".
func (out *Geometry) semantics(g *geomJSON) error {
	for _, sj := range g.Semantics.Surfaces {
		sem := Semantic{Attributes: map[string]any{}}
		for k, v := range sj {
			switch k {
			case "type":
				sem.Type, _ = v.(string)
			case "parent", "children":
				// Hierarchy between semantic objects (a window of a wall) is not kept.
			default:
				sem.Attributes[k] = v
			}
		}
		out.Semantics = append(out.Semantics, sem)
	}
	if len(g.Semantics.Values) == 0 || string(g.Semantics.Values) == "null" {
		return nil
	}
	s := scanner{b: g.Semantics.Values}
	var flat []int // one per surface, in the order of out.Surfaces
	switch g.Type {
	case "MultiSurface", "CompositeSurface", "MultiPoint", "MultiLineString":
		r, err := s.ring(true)
		if err != nil {
			return err
		}
		flat = r
	case "Solid":
		sh, err := s.surface(true)
		if err != nil {
			return err
		}
		for _, shell := range sh {
			if shell == nil {
				shell = make([]int, out.countShell(len(flat)))
				for i := range shell {
					shell[i] = -1
				}
			}
			flat = append(flat, shell...)
		}
	case "MultiSolid", "CompositeSolid":
		sols, err := s.surfaces(true)
		if err != nil {
			return err
		}
		for _, sol := range sols {
			for _, shell := range sol {
				flat = append(flat, shell...)
			}
		}
	}
	if err := s.end(); err != nil {
		return err
	}
	if g.Type == "MultiPoint" || g.Type == "MultiLineString" {
		return nil // semantics of points and lines are not used
	}
	if len(flat) != len(out.Surfaces) {
		return fmt.Errorf("%d values for %d surfaces", len(flat), len(out.Surfaces))
	}
	for i, v := range flat {
		if v >= len(out.Semantics) {
			return fmt.Errorf("value %d: no semantic object %d", i, v)
		}
		out.Surfaces[i].Semantic = v
	}
	return nil
}

// countShell is the number of surfaces of the shell that starts at surface
// index from (for null semantic values of a whole shell).
func (out *Geometry) countShell(from int) int {
	if from >= len(out.Surfaces) {
		return 0
	}
	sh, so := out.Surfaces[from].Shell, out.Surfaces[from].Solid
	n := 0
	for i := from; i < len(out.Surfaces) && out.Surfaces[i].Shell == sh && out.Surfaces[i].Solid == so; i++ {
		n++
	}
	return n
}

func lodString(raw []byte) string {
	s := string(raw)
	if len(s) >= 2 && s[0] == '"' {
		return s[1 : len(s)-1]
	}
	return s
}

// lodValue orders levels of detail: "2.2" > "2" > "1.3".
func lodValue(lod string) float64 {
	var f float64
	if _, err := fmt.Sscanf(lod, "%g", &f); err != nil || math.IsNaN(f) {
		return -1
	}
	return f
}

// instantiate materialises a GeometryInstance: the template's vertices are
// multiplied by the 4x4 row-major matrix, moved to the reference point ref
// (local coordinates) and appended to the pool; the template's geometry is
// rebuilt over them.
func instantiate(g *geomJSON, tpl *templatesJSON, tplVerts []float64, pool *[]float64, ref [3]float64) (Geometry, error) {
	if g.Template == nil || *g.Template < 0 || *g.Template >= len(tpl.Templates) {
		return Geometry{}, fmt.Errorf("GeometryInstance: no template %v", g.Template)
	}
	m := g.TransformationMatrix
	if len(m) == 0 {
		m = []float64{1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1}
	}
	if len(m) != 16 {
		return Geometry{}, fmt.Errorf("GeometryInstance: transformationMatrix has %d values, want 16", len(m))
	}
	base := len(*pool) / 3
	n := len(tplVerts) / 3
	for i := 0; i < n; i++ {
		x, y, z := tplVerts[3*i], tplVerts[3*i+1], tplVerts[3*i+2]
		tx := m[0]*x + m[1]*y + m[2]*z + m[3]
		ty := m[4]*x + m[5]*y + m[6]*z + m[7]
		tz := m[8]*x + m[9]*y + m[10]*z + m[11]
		*pool = append(*pool, tx+ref[0], ty+ref[1], tz+ref[2])
	}
	t := tpl.Templates[*g.Template]
	out, err := buildGeometry(&t, base, n)
	if err != nil {
		return out, fmt.Errorf("template %d: %w", *g.Template, err)
	}
	out.Template = *g.Template
	if g.LoD != nil {
		out.LoD = lodString(g.LoD)
	}
	return out, nil
}
