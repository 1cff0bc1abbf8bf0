package render

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"runtime"
	"sync"

	"citytwin/geo"
	"citytwin/geo/mesh"
	"citytwin/twin"

	"github.com/paulmach/orb"
)

// MeshSource gives the stored 3D surfaces of entities by id (*mesh.Store is
// one). It must be safe for concurrent use.
type MeshSource interface {
	Get(id string) (mesh.Mesh, bool, error)
}

// GLBOptions say how BuildingsGLB draws.
type GLBOptions struct {
	// Origin is the origin of the local frame (geo.Frame) the vertices are in;
	// the zero point means the centre of the entities' bound. It is written to
	// the scene's extras.
	Origin orb.Point
	// LoD 1 extrudes footprints from MinHeight to Height with flat roofs; LoD 2
	// (and 0) draws the stored surfaces of the entities that have them
	// (MeshSource, looked up by id and then by same_as links) and LoD 1 for
	// the others.
	LoD int
	// MaxNodes: when at most this many entities are given, each gets a node of
	// its own named by its id, with its own mesh (parts and storeys as child
	// nodes of their building); beyond, all are batched into one mesh with one
	// primitive per material. 0 means 1000; negative always batches.
	MaxNodes int
	// Workers build a batched GLB in parallel; 0 means GOMAXPROCS.
	Workers int
	// ENU puts the vertices in the WGS84 east-north-up tangent frame at
	// Origin (geo.ENU, still with glTF's y up: see GLBFrameENU) instead of
	// the equirectangular geo.Frame, with heights above the ellipsoid plus
	// BaseHeight: exact at any distance from the origin, so that one rigid
	// transform (geo.ENU.Matrix) puts the mesh on the globe, as 3D Tiles do.
	ENU        bool
	BaseHeight float64 // metres, with ENU: the ground's height above the ellipsoid
}

// Errors of BuildingsGLB.
var (
	ErrGLBOptions  = errors.New("render: bad glb options")
	ErrGLBTooLarge = errors.New("render: glb over the 4 GiB a GLB can hold")
)

// The materials, one primitive each: colours by semantic surface.
const (
	matRoof = iota
	matWall
	matGround
	matOther
	numMats
)

var glbMaterials = [numMats]gltfMaterial{
	{Name: "roof", PBR: gltfPBR{BaseColorFactor: [4]float64{0.62, 0.24, 0.17, 1}, RoughnessFactor: 0.9}, DoubleSided: true},
	{Name: "wall", PBR: gltfPBR{BaseColorFactor: [4]float64{0.86, 0.84, 0.79, 1}, RoughnessFactor: 0.9}, DoubleSided: true},
	{Name: "ground", PBR: gltfPBR{BaseColorFactor: [4]float64{0.35, 0.35, 0.35, 1}, RoughnessFactor: 1}, DoubleSided: true},
	{Name: "other", PBR: gltfPBR{BaseColorFactor: [4]float64{0.55, 0.66, 0.78, 1}, RoughnessFactor: 0.9}, DoubleSided: true},
}

// FeatureAttribute is the vertex attribute that holds, as a float, the index
// of the vertex's entity in the scene's extras.features.
const FeatureAttribute = "_FEATURE_ID_0"

// GLBFeature describes one entity in the GLB's extras, for picking.
type GLBFeature struct {
	ID        string  `json:"id"`
	Kind      string  `json:"kind"`
	Height    float64 `json:"height"`
	MinHeight float64 `json:"min_height"`
	Levels    int     `json:"levels,omitempty"`
	// LoD is what was drawn: 1 (extruded footprint), 2 (stored surfaces), 0
	// (nothing: no polygon, or drawn by its parts or storeys).
	LoD int `json:"lod"`
}

// GLBScene is the scene's extras: the frame and the entities.
type GLBScene struct {
	Origin   orb.Point    `json:"origin"` // lon, lat of the frame's origin
	Frame    string       `json:"frame"`
	Features []GLBFeature `json:"features"` // in the order given; FeatureAttribute indexes it
}

// GLBFrame names the axes of the vertices.
const GLBFrame = "local ENU metres from origin (geo.Frame), glTF y up: x east, y up (above the entity's ground), z south (-north)"

// GLBFrameENU names the axes of the vertices with GLBOptions.ENU.
const GLBFrameENU = "WGS84 east-north-up tangent frame at origin, height 0 (geo.ENU), glTF y up: x east, y up, z south (-north)"

// BuildingsGLB draws entities (buildings, their parts, storeys, spaces) as a
// glTF 2.0 binary: vertices in metres in the local frame around
// opts.Origin (see GLBFrame), flat normals, materials roof, wall, ground
// and other (one primitive each per mesh), and a float vertex attribute
// FeatureAttribute that says which entity a vertex belongs to. A building or
// storey whose parts (building_part, or storey, "part_of" it) are among the
// entities is drawn by them, so that nothing is drawn twice. Entities with
// no polygon and no stored surfaces draw nothing but are still listed.
func BuildingsGLB(ctx context.Context, entities []twin.Entity, meshes MeshSource, opts GLBOptions) ([]byte, error) {
	if opts.LoD < 0 || opts.LoD > 2 {
		return nil, fmt.Errorf("%w: lod %d, want 1 or 2", ErrGLBOptions, opts.LoD)
	}
	if opts.LoD == 0 {
		opts.LoD = 2
	}
	if opts.MaxNodes == 0 {
		opts.MaxNodes = 1000
	}
	if opts.Workers <= 0 {
		opts.Workers = runtime.GOMAXPROCS(0)
	}
	if opts.Origin == (orb.Point{}) {
		opts.Origin = centre(entities)
	}
	if len(entities) >= 1<<24 {
		return nil, fmt.Errorf("%w: %d entities, at most 2^24 (exact float feature ids)", ErrGLBOptions, len(entities))
	}
	frame := geo.NewFrame(opts.Origin)
	enu := geo.NewENU(opts.Origin)
	covered := coveredByParts(entities)
	perNode := len(entities) <= opts.MaxNodes

	// Build the geometry: one builder for nodes of their own, else a builder
	// per chunk of entities.
	workers := 1
	if !perNode {
		workers = max(1, min(opts.Workers, len(entities)/2000))
	}
	features := make([]GLBFeature, len(entities))
	builders := make([]*glbBuilder, workers)
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		lo, hi := w*len(entities)/workers, (w+1)*len(entities)/workers
		b := &glbBuilder{frame: frame, lod: opts.LoD, meshes: meshes, perEntity: perNode, first: lo}
		if opts.ENU {
			b.enu, b.baseHeight = &enu, opts.BaseHeight
		}
		builders[w] = b
		wg.Go(func() {
			for i := lo; i < hi; i++ {
				if (i-lo)%1024 == 0 {
					if err := ctx.Err(); err != nil {
						errs[w] = err
						return
					}
				}
				e := &entities[i]
				f := GLBFeature{ID: string(e.ID), Kind: string(e.Kind), Height: e.Height, MinHeight: e.MinHeight, Levels: e.Levels}
				var err error
				if f.LoD, err = b.entity(e, float32(i), covered[e.ID]); err != nil {
					errs[w] = fmt.Errorf("render: glb of %s: %w", e.ID, err)
					return
				}
				features[i] = f
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}

	doc := &gltfDoc{Asset: gltfAsset{Version: "2.0", Generator: "citytwin render.BuildingsGLB"}}
	doc.Scenes = []gltfScene{{Name: "citytwin", Extras: GLBScene{Origin: opts.Origin, Frame: GLBFrame, Features: features}}}
	if opts.ENU {
		doc.Scenes[0].Extras = GLBScene{Origin: opts.Origin, Frame: GLBFrameENU, Features: features}
	}
	bin := layout(doc, builders)
	if perNode {
		nodesPerEntity(doc, entities, features, builders[0])
	} else {
		nodesBatched(doc, builders)
	}
	if len(bin) == 0 { // nothing drawn: no buffer
		doc.Accessors, doc.BufferViews, doc.Buffers, doc.Meshes = nil, nil, nil, nil
		for i := range doc.Nodes {
			doc.Nodes[i].Mesh = nil
		}
	}
	out, err := appendGLB(make([]byte, 0, len(bin)+64*len(entities)+4096), doc, bin)
	if err != nil {
		return nil, err
	}
	return out, nil
}

// centre is the centre of the bound of the entities' geometry.
func centre(entities []twin.Entity) orb.Point {
	var b orb.Bound
	found := false
	for i := range entities {
		if g := entities[i].Geometry; g != nil {
			if found {
				b = b.Union(g.Bound())
			} else {
				b, found = g.Bound(), true
			}
		}
	}
	return b.Center()
}

// coveredByParts is the set of entities of the batch that parts or storeys
// of the batch stand for.
func coveredByParts(entities []twin.Entity) map[twin.ID]bool {
	in := make(map[twin.ID]bool, len(entities))
	for i := range entities {
		in[entities[i].ID] = true
	}
	covered := map[twin.ID]bool{}
	for i := range entities {
		e := &entities[i]
		if e.Kind != twin.KindBuildingPart && e.Kind != twin.KindStorey {
			continue
		}
		for _, l := range e.Links {
			if l.Rel == "part_of" && l.To != e.ID && in[l.To] {
				covered[l.To] = true
			}
		}
	}
	// A part that is itself covered (a storey of a part) keeps only its own
	// parts drawn; nothing else needs undoing.
	return covered
}

// glbPart holds the vertices and triangles of one material.
type glbPart struct {
	pos, nor []float32 // x, y, z per vertex
	fid      []float32
	idx      []uint32
}

func (p *glbPart) verts() int { return len(p.fid) }

// glbRange is where one entity's triangles of one material are.
type glbRange struct{ v0, v1, i0, i1 int }

// glbBuilder turns entities into triangles.
type glbBuilder struct {
	frame     geo.Frame
	lod       int
	meshes    MeshSource
	perEntity bool // indices relative to each entity's first vertex
	first     int  // index of the builder's first entity

	parts  [numMats]glbPart
	base   [numMats]int
	ranges [][numMats]glbRange // per entity, when perEntity

	enu        *geo.ENU // nil: the vertices stay in frame
	baseHeight float64  // with enu: added to heights

	ear   earcut
	xy    []float64 // 2D points for the triangulator
	xyz   []float64 // local ENU points of a surface
	holes []int
	rings []int // start of each ring in xy
}

// entity draws e and returns the LoD drawn.
func (b *glbBuilder) entity(e *twin.Entity, fid float32, covered bool) (int, error) {
	if b.perEntity {
		for m := range b.parts {
			b.base[m] = b.parts[m].verts()
		}
	}
	var r [numMats]glbRange
	for m := range b.parts {
		r[m].v0, r[m].i0 = b.parts[m].verts(), len(b.parts[m].idx)
	}
	lod := 0
	if !covered {
		var err error
		if lod, err = b.draw(e, fid); err != nil {
			return 0, err
		}
	}
	if b.perEntity {
		for m := range b.parts {
			r[m].v1, r[m].i1 = b.parts[m].verts(), len(b.parts[m].idx)
		}
		b.ranges = append(b.ranges, r)
	}
	return lod, nil
}

func (b *glbBuilder) draw(e *twin.Entity, fid float32) (int, error) {
	if b.lod >= 2 && b.meshes != nil {
		m, ok, err := b.meshes.Get(string(e.ID))
		for i := 0; !ok && err == nil && i < len(e.Links); i++ {
			if e.Links[i].Rel == "same_as" {
				m, ok, err = b.meshes.Get(string(e.Links[i].To))
			}
		}
		if err != nil {
			return 0, err
		}
		if ok && b.surfaces(&m, fid) {
			return 2, nil
		}
	}
	lo, hi := e.MinHeight, e.Height
	if hi <= lo {
		hi = lo
		if e.Levels > 0 {
			hi = lo + 3*float64(e.Levels) // a storey is about 3 m
		}
	}
	drawn := false
	switch g := e.Geometry.(type) {
	case orb.Polygon:
		drawn = b.extrude(g, lo, hi, fid)
	case orb.MultiPolygon:
		for _, p := range g {
			drawn = b.extrude(p, lo, hi, fid) || drawn
		}
	}
	if drawn {
		return 1, nil
	}
	return 0, nil
}

// vertex appends a vertex in local ENU metres with an ENU normal, converting
// both to glTF's y-up axes, and returns its index for the triangles.
func (b *glbBuilder) vertex(m int, e, n, u float64, ne, nn, nu float32, fid float32) uint32 {
	if b.enu != nil {
		// The normals keep their directions: within 10 km the frames' axes
		// differ by less than 0.1°.
		e, n, u = b.enu.FromGeodetic(b.frame.ToLonLat(e, n), u+b.baseHeight)
	}
	p := &b.parts[m]
	i := uint32(p.verts() - b.base[m])
	p.pos = append(p.pos, float32(e), float32(u), float32(-n))
	p.nor = append(p.nor, ne, nu, -nn)
	p.fid = append(p.fid, fid)
	return i
}

// ring reads the rings of poly into b.xy in local metres, without closing
// or repeated points; rings of fewer than three points are dropped (the
// whole polygon when it is the outer one). It reports whether there is an
// outer ring.
func (b *glbBuilder) ringsOf(poly orb.Polygon) bool {
	b.xy, b.holes, b.rings = b.xy[:0], b.holes[:0], b.rings[:0]
	for i, r := range poly {
		start := len(b.xy) / 2
		for _, p := range r {
			x, y := b.frame.ToLocal(p)
			if math.IsNaN(x) || math.IsNaN(y) {
				continue
			}
			if n := len(b.xy); n/2 > start && b.xy[n-2] == x && b.xy[n-1] == y {
				continue
			}
			b.xy = append(b.xy, x, y)
		}
		for len(b.xy)/2-start > 1 && b.xy[2*start] == b.xy[len(b.xy)-2] && b.xy[2*start+1] == b.xy[len(b.xy)-1] {
			b.xy = b.xy[:len(b.xy)-2]
		}
		if len(b.xy)/2-start < 3 {
			b.xy = b.xy[:2*start]
			if i == 0 {
				return false
			}
			continue
		}
		if i > 0 {
			b.holes = append(b.holes, start)
		}
		b.rings = append(b.rings, start)
	}
	return len(b.rings) > 0
}

// extrude draws a footprint from lo to hi: a flat roof, and when hi > lo a
// floor facing down and the walls of every ring.
func (b *glbBuilder) extrude(poly orb.Polygon, lo, hi float64, fid float32) bool {
	if !b.ringsOf(poly) {
		return false
	}
	xy := b.xy
	tris := b.ear.triangulate(xy, b.holes)
	if len(tris) == 0 {
		return false
	}
	n := len(xy) / 2
	roof := b.vertex(matRoof, xy[0], xy[1], hi, 0, 0, 1, fid)
	for i := 1; i < n; i++ {
		b.vertex(matRoof, xy[2*i], xy[2*i+1], hi, 0, 0, 1, fid)
	}
	var floor uint32
	if hi > lo {
		floor = b.vertex(matGround, xy[0], xy[1], lo, 0, 0, -1, fid)
		for i := 1; i < n; i++ {
			b.vertex(matGround, xy[2*i], xy[2*i+1], lo, 0, 0, -1, fid)
		}
	}
	for k := 0; k+2 < len(tris); k += 3 {
		t0, t1, t2 := tris[k], tris[k+1], tris[k+2]
		ax, ay := xy[2*t0], xy[2*t0+1]
		if (xy[2*t1]-ax)*(xy[2*t2+1]-ay)-(xy[2*t2]-ax)*(xy[2*t1+1]-ay) < 0 {
			t1, t2 = t2, t1 // counter-clockwise seen from above
		}
		b.parts[matRoof].idx = append(b.parts[matRoof].idx, roof+t0, roof+t1, roof+t2)
		if hi > lo {
			b.parts[matGround].idx = append(b.parts[matGround].idx, floor+t0, floor+t2, floor+t1)
		}
	}
	if hi <= lo {
		return true
	}
	for r, start := range b.rings {
		end := n
		if r+1 < len(b.rings) {
			end = b.rings[r+1]
		}
		ring := xy[2*start : 2*end]
		// The outer ring counter-clockwise, holes clockwise: the solid is on
		// the left of every edge, so (dy, -dx) points out of it.
		ccw := earRingArea(ring, 0, len(ring)) > 0
		m := len(ring) / 2
		for j := range m {
			a, c := j, (j+1)%m
			if ccw != (r == 0) {
				a, c = m-1-j, (2*m-2-j)%m
			}
			ax, ay, cx, cy := ring[2*a], ring[2*a+1], ring[2*c], ring[2*c+1]
			dx, dy := cx-ax, cy-ay
			l := math.Hypot(dx, dy)
			if l == 0 {
				continue
			}
			ne, nn := float32(dy/l), float32(-dx/l)
			v := b.vertex(matWall, ax, ay, lo, ne, nn, 0, fid)
			b.vertex(matWall, cx, cy, lo, ne, nn, 0, fid)
			b.vertex(matWall, cx, cy, hi, ne, nn, 0, fid)
			b.vertex(matWall, ax, ay, hi, ne, nn, 0, fid)
			b.parts[matWall].idx = append(b.parts[matWall].idx, v, v+1, v+3, v+1, v+2, v+3)
		}
	}
	return true
}

// surfaces draws stored surfaces, each triangulated in the plane it is most
// nearly parallel to, with its Newell normal; it reports whether any was
// drawn.
func (b *glbBuilder) surfaces(m *mesh.Mesh, fid float32) bool {
	drawn := false
	for si := range m.Surfaces {
		s := &m.Surfaces[si]
		b.xyz, b.xy, b.holes = b.xyz[:0], b.xy[:0], b.holes[:0]
		for ri, r := range s.Rings {
			start := len(b.xyz) / 3
			for _, p := range r {
				x, y := b.frame.ToLocal(orb.Point{p[0], p[1]})
				if nn := len(b.xyz); nn/3 > start && b.xyz[nn-3] == x && b.xyz[nn-2] == y && b.xyz[nn-1] == p[2] {
					continue
				}
				b.xyz = append(b.xyz, x, y, p[2])
			}
			for len(b.xyz)/3-start > 1 && b.xyz[3*start] == b.xyz[len(b.xyz)-3] && b.xyz[3*start+1] == b.xyz[len(b.xyz)-2] && b.xyz[3*start+2] == b.xyz[len(b.xyz)-1] {
				b.xyz = b.xyz[:len(b.xyz)-3]
			}
			if len(b.xyz)/3-start < 3 {
				b.xyz = b.xyz[:3*start]
				if ri == 0 {
					break
				}
				continue
			}
			if ri > 0 {
				b.holes = append(b.holes, start)
			}
		}
		outer := len(b.xyz) / 3
		if len(b.holes) > 0 {
			outer = b.holes[0]
		}
		if outer < 3 {
			continue
		}
		// Newell's normal of the outer ring.
		var nx, ny, nz float64
		pts := b.xyz
		for i := range outer {
			j := (i + 1) % outer
			nx += (pts[3*i+1] - pts[3*j+1]) * (pts[3*i+2] + pts[3*j+2])
			ny += (pts[3*i+2] - pts[3*j+2]) * (pts[3*i] + pts[3*j])
			nz += (pts[3*i] - pts[3*j]) * (pts[3*i+1] + pts[3*j+1])
		}
		l := math.Sqrt(nx*nx + ny*ny + nz*nz)
		if l == 0 || math.IsNaN(l) {
			continue
		}
		nx, ny, nz = nx/l, ny/l, nz/l
		// Drop the axis the normal is most along.
		u, v := 0, 1
		switch ax, ay, az := math.Abs(nx), math.Abs(ny), math.Abs(nz); {
		case ax >= ay && ax >= az:
			u, v = 1, 2
		case ay >= az:
			u, v = 0, 2
		}
		for i := range len(pts) / 3 {
			b.xy = append(b.xy, pts[3*i+u], pts[3*i+v])
		}
		tris := b.ear.triangulate(b.xy, b.holes)
		if len(tris) == 0 {
			continue
		}
		mat := materialOf(s.Semantic, nz)
		ne, nn, nu := float32(nx), float32(ny), float32(nz)
		first := b.vertex(mat, pts[0], pts[1], pts[2], ne, nn, nu, fid)
		for i := 1; i < len(pts)/3; i++ {
			b.vertex(mat, pts[3*i], pts[3*i+1], pts[3*i+2], ne, nn, nu, fid)
		}
		idx := b.parts[mat].idx
		for k := 0; k+2 < len(tris); k += 3 {
			t0, t1, t2 := tris[k], tris[k+1], tris[k+2]
			a, c, d := pts[3*t0:3*t0+3], pts[3*t1:3*t1+3], pts[3*t2:3*t2+3]
			ux, uy, uz := c[0]-a[0], c[1]-a[1], c[2]-a[2]
			vx, vy, vz := d[0]-a[0], d[1]-a[1], d[2]-a[2]
			if (uy*vz-uz*vy)*nx+(uz*vx-ux*vz)*ny+(ux*vy-uy*vx)*nz < 0 {
				t1, t2 = t2, t1 // wound as the surface faces
			}
			idx = append(idx, first+t0, first+t1, first+t2)
		}
		b.parts[mat].idx = idx
		drawn = true
	}
	return drawn
}

// materialOf maps a semantic surface to a material; a surface without one is
// named by the way it faces (nz is the up component of its unit normal).
func materialOf(sem string, nz float64) int {
	switch sem {
	case mesh.Roof:
		return matRoof
	case mesh.Wall, mesh.Closure, "OuterCeilingSurface", "OuterFloorSurface":
		return matWall
	case mesh.Ground:
		return matGround
	case "":
		switch {
		case nz > 0.1:
			return matRoof
		case nz < -0.1:
			return matGround
		}
		return matWall
	}
	return matOther
}

// glbLayout is where each material's data of each builder lies in the BIN
// chunk, in vertices and indices from the start of its bufferView.
type glbLayout struct {
	v0, i0 [numMats]int
}

// The bufferViews: positions, normals, feature ids (vertex attributes, with
// their strides) and indices.
const (
	viewPos = iota
	viewNor
	viewFid
	viewIdx
)

// layout writes the BIN chunk (positions, normals, feature ids, indices,
// each material after the other and each builder's part after the other,
// indices rebased to the material's first vertex when batched), adds the
// buffer and its views to doc, and records where everything went.
func layout(doc *gltfDoc, builders []*glbBuilder) []byte {
	var nv, ni int
	for _, b := range builders {
		for m := range b.parts {
			nv += b.parts[m].verts()
			ni += len(b.parts[m].idx)
		}
	}
	if nv == 0 {
		return nil
	}
	bin := make([]byte, 0, nv*28+ni*4)
	for _, view := range []int{viewPos, viewNor, viewFid} {
		for m := range numMats {
			for _, b := range builders {
				var src []float32
				switch view {
				case viewPos:
					src = b.parts[m].pos
				case viewNor:
					src = b.parts[m].nor
				default:
					src = b.parts[m].fid
				}
				bin = appendFloats(bin, src)
			}
		}
	}
	for m := range numMats {
		base := 0
		for _, b := range builders {
			bin = appendIndices(bin, b.parts[m].idx, uint32(base))
			if !b.perEntity {
				base += b.parts[m].verts()
			}
		}
	}
	doc.Buffers = []gltfBuffer{{ByteLength: len(bin)}}
	doc.BufferViews = []gltfBufferView{
		{Buffer: 0, ByteOffset: 0, ByteLength: nv * 12, ByteStride: 12, Target: gltfArrayBuffer},
		{Buffer: 0, ByteOffset: nv * 12, ByteLength: nv * 12, ByteStride: 12, Target: gltfArrayBuffer},
		{Buffer: 0, ByteOffset: nv * 24, ByteLength: nv * 4, ByteStride: 4, Target: gltfArrayBuffer},
		{Buffer: 0, ByteOffset: nv * 28, ByteLength: ni * 4, Target: gltfElementArray},
	}
	doc.Materials = glbMaterials[:]
	return bin
}

func appendFloats(dst []byte, src []float32) []byte {
	for _, f := range src {
		dst = binary.LittleEndian.AppendUint32(dst, math.Float32bits(f))
	}
	return dst
}

func appendIndices(dst []byte, src []uint32, base uint32) []byte {
	for _, i := range src {
		dst = binary.LittleEndian.AppendUint32(dst, i+base)
	}
	return dst
}

// primitive adds the accessors of vertices [v0, v1) and indices [i0, i1) of
// material m (counted from the start of the material in the views) and
// returns the primitive.
func primitive(doc *gltfDoc, starts glbLayout, m int, pos []float32, v0, v1, i0, i1 int) gltfPrimitive {
	vOff := starts.v0[m] + v0
	iOff := starts.i0[m] + i0
	lo := []float32{float32(math.Inf(1)), float32(math.Inf(1)), float32(math.Inf(1))}
	hi := []float32{float32(math.Inf(-1)), float32(math.Inf(-1)), float32(math.Inf(-1))}
	for k := 3 * v0; k < 3*v1; k += 3 {
		for c := range 3 {
			lo[c] = min(lo[c], pos[k+c])
			hi[c] = max(hi[c], pos[k+c])
		}
	}
	n := len(doc.Accessors)
	doc.Accessors = append(doc.Accessors,
		gltfAccessor{BufferView: viewPos, ByteOffset: vOff * 12, ComponentType: gltfFloat, Count: v1 - v0, Type: "VEC3", Min: lo, Max: hi},
		gltfAccessor{BufferView: viewNor, ByteOffset: vOff * 12, ComponentType: gltfFloat, Count: v1 - v0, Type: "VEC3"},
		gltfAccessor{BufferView: viewFid, ByteOffset: vOff * 4, ComponentType: gltfFloat, Count: v1 - v0, Type: "SCALAR"},
		gltfAccessor{BufferView: viewIdx, ByteOffset: iOff * 4, ComponentType: gltfUnsignedInt, Count: i1 - i0, Type: "SCALAR"},
	)
	return gltfPrimitive{Attributes: map[string]int{"POSITION": n, "NORMAL": n + 1, FeatureAttribute: n + 2}, Indices: n + 3, Material: m, Mode: gltfTriangles}
}

// starts is where each material begins in the views.
func starts(builders []*glbBuilder) glbLayout {
	var l glbLayout
	v, i := 0, 0
	for m := range numMats {
		l.v0[m], l.i0[m] = v, i
		for _, b := range builders {
			v += b.parts[m].verts()
			i += len(b.parts[m].idx)
		}
	}
	return l
}

// nodesBatched adds one node with one mesh of one primitive per material.
func nodesBatched(doc *gltfDoc, builders []*glbBuilder) {
	st := starts(builders)
	var prims []gltfPrimitive
	for m := range numMats {
		nv, ni := 0, 0
		for _, b := range builders {
			nv += b.parts[m].verts()
			ni += len(b.parts[m].idx)
		}
		if ni == 0 {
			continue
		}
		pos := make([]float32, 0, 3*nv)
		if len(builders) == 1 {
			pos = builders[0].parts[m].pos
		} else {
			for _, b := range builders {
				pos = append(pos, b.parts[m].pos...)
			}
		}
		prims = append(prims, primitive(doc, st, m, pos, 0, nv, 0, ni))
	}
	if len(prims) == 0 {
		return
	}
	mesh := 0
	doc.Meshes = []gltfMesh{{Name: "buildings", Primitives: prims}}
	doc.Nodes = []gltfNode{{Name: "buildings", Mesh: &mesh}}
	doc.Scenes[0].Nodes = []int{0}
}

// nodesPerEntity adds a node for every entity, named by its id, with a mesh
// of its own; parts, storeys and spaces hang under what they are part of.
func nodesPerEntity(doc *gltfDoc, entities []twin.Entity, features []GLBFeature, b *glbBuilder) {
	st := starts([]*glbBuilder{b})
	index := make(map[twin.ID]int, len(entities))
	for i := range entities {
		index[entities[i].ID] = i
	}
	doc.Nodes = make([]gltfNode, len(entities))
	parent := make([]int, len(entities))
	for i := range entities {
		e := &entities[i]
		node := gltfNode{Name: string(e.ID), Extras: features[i]}
		var prims []gltfPrimitive
		for m := range numMats {
			r := b.ranges[i][m]
			if r.i1 > r.i0 {
				prims = append(prims, primitive(doc, st, m, b.parts[m].pos, r.v0, r.v1, r.i0, r.i1))
			}
		}
		if len(prims) > 0 {
			mi := len(doc.Meshes)
			doc.Meshes = append(doc.Meshes, gltfMesh{Name: string(e.ID), Primitives: prims})
			node.Mesh = &mi
		}
		doc.Nodes[i] = node
		parent[i] = -1
		for _, l := range e.Links {
			if p, ok := index[l.To]; ok && l.Rel == "part_of" && rank(entities[p].Kind) < rank(e.Kind) {
				if parent[i] < 0 || rank(entities[p].Kind) > rank(entities[parent[i]].Kind) {
					parent[i] = p // the nearest: a space under its storey
				}
			}
		}
	}
	for i, p := range parent {
		if p < 0 {
			doc.Scenes[0].Nodes = append(doc.Scenes[0].Nodes, i)
		} else {
			doc.Nodes[p].Children = append(doc.Nodes[p].Children, i)
		}
	}
}

// rank orders kinds from whole to part, so that the node tree has no cycles.
func rank(k twin.Kind) int {
	switch k {
	case twin.KindBuilding:
		return 0
	case twin.KindBuildingPart:
		return 1
	case twin.KindStorey:
		return 2
	case twin.KindSpace:
		return 3
	}
	return 4
}
