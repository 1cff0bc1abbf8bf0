package render

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"

	"citytwin/geo"
	"citytwin/twin"

	"github.com/paulmach/orb"
)

// OGC 3D Tiles 1.1 of the buildings (https://docs.ogc.org/cs/22-025r4/).
//
// A Tileset is an explicit quadtree over the extent of the buildings'
// anchors (the centre of each building's bound; a building_part goes with
// the building it is part_of, so that BuildingsGLB can let parts stand for
// their building): a tile with more than MaxPerTile buildings is split in
// four at its middle longitude and latitude, children without buildings are
// left out. Tile level/x/y counts x east and y north from the root's
// south-west corner, as 3D Tiles' implicit tiling does.
//
// Content: only the leaves have content, a GLB of their buildings drawn by
// BuildingsGLB (3D Tiles 1.1 takes glTF directly); the tiles above are empty,
// so refine is ADD. The leaves hold the full model, so their geometric error
// is 0; above them it is the root's (its extent's larger side / 16 metres)
// halved per level, which at CesiumJS's default maximum screen-space error of
// 16 on a 1080-pixel screen opens a tile when the camera is closer than about
// four times its width.
//
// Placement: a leaf's GLB has its vertices in the WGS84 east-north-up tangent
// frame at the centre of the leaf's region (geo.ENU, exact at any distance;
// GLBOptions.ENU), with glTF's y up (x east, y up, z south). The runtime
// turns glTF's y-up into 3D Tiles' z-up ((x, y, z) → (x, -z, y): east,
// north, up) and then applies the tile's transform, which is geo.ENU.Matrix:
// the east, north and up unit vectors and the origin in ECEF, column-major.
// Only leaves have a transform, so no transform is inherited. Heights are
// above the ellipsoid plus TilesetOptions.BaseHeight.
//
// Bounding volumes are regions [west, south, east, north, min height, max
// height] (radians, metres; regions are never transformed): a leaf's is the
// bound of its entities' geometry (and at LoD 2 of their stored surfaces)
// and heights, a parent's the union of its children's, each padded by about
// 5 cm so that float32 vertices never poke out.

// Errors of the 3D Tiles functions.
var (
	ErrTilesetOptions = errors.New("render: bad tileset options")
	ErrNoTile3D       = errors.New("render: no such 3d tile")
)

// Defaults of TilesetOptions.
const (
	DefaultTile3DBuildings = 2000
	DefaultTile3DMaxLevel  = 16
)

// tile3DPad pads regions: radians (about 6 cm) and metres.
const (
	tile3DPadRad = 1e-8
	tile3DPadM   = 0.05
)

// TilesetOptions shape a Tileset.
type TilesetOptions struct {
	// LoD of the content, as GLBOptions.LoD (0: 2).
	LoD int
	// MaxPerTile buildings in a leaf (0: DefaultTile3DBuildings), unless it is
	// at MaxLevel (0: DefaultTile3DMaxLevel, at most 30).
	MaxPerTile, MaxLevel int
	// BaseHeight is added to every height (metres above the WGS84
	// ellipsoid): the city's ground, for globes with terrain.
	BaseHeight float64
}

func (o *TilesetOptions) normalise() error {
	if o.LoD == 0 {
		o.LoD = 2
	}
	if o.MaxPerTile == 0 {
		o.MaxPerTile = DefaultTile3DBuildings
	}
	if o.MaxLevel == 0 {
		o.MaxLevel = DefaultTile3DMaxLevel
	}
	switch {
	case o.LoD < 1 || o.LoD > 2:
		return fmt.Errorf("%w: lod %d, want 1 or 2", ErrTilesetOptions, o.LoD)
	case o.MaxPerTile < 1:
		return fmt.Errorf("%w: max per tile %d", ErrTilesetOptions, o.MaxPerTile)
	case o.MaxLevel < 0 || o.MaxLevel > 30:
		return fmt.Errorf("%w: max level %d out of 0..30", ErrTilesetOptions, o.MaxLevel)
	case math.IsNaN(o.BaseHeight) || math.IsInf(o.BaseHeight, 0):
		return fmt.Errorf("%w: base height %v", ErrTilesetOptions, o.BaseHeight)
	}
	return nil
}

// Tile3D is one tile of a Tileset.
type Tile3D struct {
	Level, X, Y int
	// Region is [west, south, east, north, min height, max height] in
	// radians and metres above the ellipsoid.
	Region         [6]float64
	GeometricError float64
	Children       []int // indexes in Tileset.Tiles
	// Leaves have content: Buildings buildings (and their parts), in the
	// tangent frame at Origin.
	Content   bool
	Origin    orb.Point
	Buildings int

	lo, hi int // the tile's entities are Tileset.order[lo:hi] (leaves)
}

// Tileset is the 3D Tiles quadtree of a set of buildings, with what it needs
// to draw each tile's content. It is immutable and safe for concurrent use.
type Tileset struct {
	// Tiles[0] is the root; a parent comes before its children.
	Tiles []Tile3D
	// GeometricError is the tileset's: twice the root's.
	GeometricError float64
	Buildings      int

	opts     TilesetOptions
	meshes   MeshSource
	entities []twin.Entity
	order    []int32 // entity indexes, leaf after leaf
	index    map[[3]int]int
}

// Tile3DKinds are the kinds a Tileset of the twin draws.
var Tile3DKinds = []twin.Kind{twin.KindBuilding, twin.KindBuildingPart}

// NewTileset makes the tileset of the buildings (and building parts) of the
// twin as it is now.
func NewTileset(ctx context.Context, store *twin.Store, meshes MeshSource, opts TilesetOptions) (*Tileset, error) {
	res, err := store.Query(ctx, twin.Query{Kinds: Tile3DKinds})
	if err != nil {
		return nil, err
	}
	return BuildTileset(ctx, res.Entities, meshes, opts)
}

// BuildTileset makes the tileset of entities (buildings and their parts; it
// keeps the slice). meshes (nil: none) gives the stored surfaces of LoD 2.
func BuildTileset(ctx context.Context, entities []twin.Entity, meshes MeshSource, opts TilesetOptions) (*Tileset, error) {
	if err := opts.normalise(); err != nil {
		return nil, err
	}
	ts := &Tileset{opts: opts, meshes: meshes, entities: entities, index: map[[3]int]int{}}

	// Bound everything; group parts with their buildings; anchor each group
	// at its building.
	type group struct {
		anchor  orb.Point
		members []int32
	}
	bounds := make([]entityBound, len(entities))
	for i := range entities {
		if i%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		b, err := ts.boundOf(&entities[i])
		if err != nil {
			return nil, fmt.Errorf("render: tileset of %s: %w", entities[i].ID, err)
		}
		bounds[i] = b
	}
	var groups []group
	groupOf := make(map[twin.ID]int, len(entities))
	for i := range entities {
		if e := &entities[i]; e.Kind == twin.KindBuilding && bounds[i].ok {
			groupOf[e.ID] = len(groups)
			groups = append(groups, group{anchor: bounds[i].lonlat.Center(), members: []int32{int32(i)}})
		}
	}
	for i := range entities {
		e := &entities[i]
		if e.Kind == twin.KindBuilding || !bounds[i].ok {
			continue
		}
		g, found := -1, false
		for _, l := range e.Links {
			if l.Rel == "part_of" {
				if g, found = groupOf[l.To]; found {
					break
				}
			}
		}
		if !found {
			g = len(groups)
			groups = append(groups, group{anchor: bounds[i].lonlat.Center()})
		}
		groups[g].members = append(groups[g].members, int32(i))
	}
	ts.Buildings = len(groups)
	if len(groups) == 0 {
		ts.Tiles = []Tile3D{{}}
		return ts, nil
	}

	// The root: the bound of the anchors.
	root := orb.Bound{Min: groups[0].anchor, Max: groups[0].anchor}
	for _, g := range groups[1:] {
		root = root.Extend(g.anchor)
	}
	root = root.Pad(1e-7)
	c := root.Center()
	w := geo.Distance(orb.Point{root.Min[0], c[1]}, orb.Point{root.Max[0], c[1]})
	h := geo.Distance(orb.Point{c[0], root.Min[1]}, orb.Point{c[0], root.Max[1]})
	rootError := max(w, h, 1) / 16
	ts.GeometricError = 2 * rootError

	// Split.
	var build func(level, x, y int, q orb.Bound, gs []int32) int
	build = func(level, x, y int, q orb.Bound, gs []int32) int {
		t := len(ts.Tiles)
		ts.Tiles = append(ts.Tiles, Tile3D{Level: level, X: x, Y: y})
		ts.index[[3]int{level, x, y}] = t
		if len(gs) <= opts.MaxPerTile || level >= opts.MaxLevel {
			lo := len(ts.order)
			for _, gi := range gs {
				ts.order = append(ts.order, groups[gi].members...)
			}
			slices.Sort(ts.order[lo:])
			region := emptyRegion()
			for _, m := range ts.order[lo:] {
				region = regionUnion(region, bounds[m].region(opts.BaseHeight))
			}
			region = regionPad(region)
			ts.Tiles[t] = Tile3D{Level: level, X: x, Y: y, Region: region, Content: true, Buildings: len(gs),
				Origin: orb.Point{(region[0] + region[2]) / 2 / radPerDeg, (region[1] + region[3]) / 2 / radPerDeg},
				lo:     lo, hi: len(ts.order)}
			return t
		}
		mid := q.Center()
		var parts [4][]int32
		for _, gi := range gs {
			a := groups[gi].anchor
			k := 0
			if a[0] >= mid[0] {
				k |= 1
			}
			if a[1] >= mid[1] {
				k |= 2
			}
			parts[k] = append(parts[k], gi)
		}
		region := emptyRegion()
		var children []int
		for k, p := range parts {
			if len(p) == 0 {
				continue
			}
			cq := q
			if k&1 == 0 {
				cq.Max[0] = mid[0]
			} else {
				cq.Min[0] = mid[0]
			}
			if k&2 == 0 {
				cq.Max[1] = mid[1]
			} else {
				cq.Min[1] = mid[1]
			}
			ci := build(level+1, 2*x+(k&1), 2*y+(k>>1), cq, p)
			children = append(children, ci)
			region = regionUnion(region, ts.Tiles[ci].Region)
		}
		ts.Tiles[t].Region = region
		ts.Tiles[t].Children = children
		ts.Tiles[t].GeometricError = rootError / float64(uint64(1)<<level)
		ts.Tiles[t].Buildings = len(gs)
		return t
	}
	all := make([]int32, len(groups))
	for i := range all {
		all[i] = int32(i)
	}
	build(0, 0, 0, root, all)
	return ts, nil
}

// entityBound is what an entity may draw: a lon/lat box and heights (above
// its ground).
type entityBound struct {
	lonlat orb.Bound
	lo, hi float64
	ok     bool
}

func (b entityBound) region(base float64) region3D {
	return region3D{b.lonlat.Min[0] * radPerDeg, b.lonlat.Min[1] * radPerDeg, b.lonlat.Max[0] * radPerDeg, b.lonlat.Max[1] * radPerDeg,
		b.lo + base, b.hi + base}
}

// boundOf bounds what BuildingsGLB draws of e: its geometry from its min
// height to its height (or levels), and at LoD 2 its stored surfaces.
func (ts *Tileset) boundOf(e *twin.Entity) (entityBound, error) {
	var b entityBound
	if e.Geometry != nil {
		b.lonlat, b.ok = e.Geometry.Bound(), true
		b.lo, b.hi = e.MinHeight, e.Height
		if b.hi <= b.lo {
			b.hi = b.lo
			if e.Levels > 0 {
				b.hi = b.lo + 3*float64(e.Levels)
			}
		}
	}
	if ts.opts.LoD >= 2 && ts.meshes != nil {
		m, found, err := ts.meshes.Get(string(e.ID))
		for i := 0; !found && err == nil && i < len(e.Links); i++ {
			if e.Links[i].Rel == "same_as" {
				m, found, err = ts.meshes.Get(string(e.Links[i].To))
			}
		}
		if err != nil {
			return b, err
		}
		if found {
			if lo, hi, any := m.Bound(); any {
				mb := orb.Bound{Min: orb.Point{lo[0], lo[1]}, Max: orb.Point{hi[0], hi[1]}}
				if b.ok {
					b.lonlat = b.lonlat.Union(mb)
					b.lo, b.hi = min(b.lo, lo[2]), max(b.hi, hi[2])
				} else {
					b = entityBound{lonlat: mb, lo: lo[2], hi: hi[2], ok: true}
				}
			}
		}
	}
	if b.ok && (math.IsNaN(b.lo) || math.IsNaN(b.hi) || math.IsInf(b.lo, 0) || math.IsInf(b.hi, 0)) {
		b.lo, b.hi = 0, 0
	}
	return b, nil
}

// region3D is a 3D Tiles region.
type region3D = [6]float64

func emptyRegion() region3D {
	return region3D{math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1), math.Inf(1), math.Inf(-1)}
}

func regionUnion(a, b region3D) region3D {
	return region3D{min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3]), min(a[4], b[4]), max(a[5], b[5])}
}

// regionPad grows a region by about 6 cm each way, so that float32 vertices
// never poke out of it.
func regionPad(r region3D) region3D {
	return region3D{r[0] - tile3DPadRad, r[1] - tile3DPadRad, r[2] + tile3DPadRad, r[3] + tile3DPadRad, r[4] - tile3DPadM, r[5] + tile3DPadM}
}

// Tile returns the tile level/x/y.
func (ts *Tileset) Tile(level, x, y int) (*Tile3D, bool) {
	i, ok := ts.index[[3]int{level, x, y}]
	if !ok {
		return nil, false
	}
	return &ts.Tiles[i], true
}

// Options are the tileset's options, defaults filled in.
func (ts *Tileset) Options() TilesetOptions { return ts.opts }

// Content draws the content of tile level/x/y, a leaf: its buildings as a
// GLB in the tangent frame at the tile's Origin (see the placement above).
// Other tiles are ErrNoTile3D.
func (ts *Tileset) Content(ctx context.Context, level, x, y int) ([]byte, error) {
	t, ok := ts.Tile(level, x, y)
	if !ok || !t.Content {
		return nil, fmt.Errorf("%w: %d/%d/%d has no content", ErrNoTile3D, level, x, y)
	}
	es := make([]twin.Entity, t.hi-t.lo)
	for i, m := range ts.order[t.lo:t.hi] {
		es[i] = ts.entities[m]
	}
	return BuildingsGLB(ctx, es, ts.meshes, GLBOptions{LoD: ts.opts.LoD, Origin: t.Origin, MaxNodes: -1, Workers: 1,
		ENU: true, BaseHeight: ts.opts.BaseHeight})
}

// Tile3DContentPath is the content URI of a tile, relative to tileset.json.
func Tile3DContentPath(level, x, y int) string {
	return "content/" + strconv.Itoa(level) + "/" + strconv.Itoa(x) + "/" + strconv.Itoa(y) + ".glb"
}

// The JSON of tileset.json.
type (
	tilesetJSON struct {
		Asset          tilesetAsset `json:"asset"`
		GeometricError float64      `json:"geometricError"`
		Root           *tileJSON    `json:"root"`
		Extras         any          `json:"extras,omitempty"`
	}
	tilesetAsset struct {
		Version   string `json:"version"`
		Generator string `json:"generator,omitempty"`
	}
	tileJSON struct {
		BoundingVolume struct {
			Region [6]float64 `json:"region"`
		} `json:"boundingVolume"`
		GeometricError float64      `json:"geometricError"`
		Refine         string       `json:"refine,omitempty"`
		Transform      *[16]float64 `json:"transform,omitempty"`
		Content        *tileContent `json:"content,omitempty"`
		Children       []*tileJSON  `json:"children,omitempty"`
	}
	tileContent struct {
		URI string `json:"uri"`
	}
)

// TilesetExtras are the tileset's extras.
type TilesetExtras struct {
	Buildings int    `json:"buildings"`
	LoD       int    `json:"lod"`
	Frame     string `json:"frame"`
}

// JSON writes tileset.json: 3D Tiles 1.1, the root refining by ADD, content
// URIs Tile3DContentPath relative to the tileset, each followed by ?query
// when query is not empty (e.g. "lod=1").
func (ts *Tileset) JSON(query string) ([]byte, error) {
	var tile func(i int) *tileJSON
	tile = func(i int) *tileJSON {
		t := &ts.Tiles[i]
		out := &tileJSON{GeometricError: t.GeometricError}
		out.BoundingVolume.Region = t.Region
		if t.Content {
			uri := Tile3DContentPath(t.Level, t.X, t.Y)
			if query != "" {
				uri += "?" + query
			}
			out.Content = &tileContent{URI: uri}
			m := geo.NewENU(t.Origin).Matrix()
			out.Transform = &m
		}
		for _, c := range t.Children {
			out.Children = append(out.Children, tile(c))
		}
		return out
	}
	doc := tilesetJSON{
		Asset:          tilesetAsset{Version: "1.1", Generator: "citytwin render.Tileset"},
		GeometricError: ts.GeometricError,
		Extras:         TilesetExtras{Buildings: ts.Buildings, LoD: ts.opts.LoD, Frame: GLBFrameENU},
	}
	if ts.Buildings == 0 {
		doc.Root = &tileJSON{}
	} else {
		doc.Root = tile(0)
	}
	doc.Root.Refine = "ADD"
	return json.Marshal(doc)
}

const radPerDeg = math.Pi / 180
