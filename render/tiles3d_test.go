package render_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"testing"

	"citytwin/geo"
	"citytwin/geo/mesh"
	"citytwin/render"
	"citytwin/twin"

	"github.com/paulmach/orb"
)

// tilesetDoc is the part of tileset.json the tests read.
type tilesetDoc struct {
	Asset struct {
		Version string `json:"version"`
	} `json:"asset"`
	GeometricError *float64  `json:"geometricError"`
	Root           *tileNode `json:"root"`
}

type tileNode struct {
	BoundingVolume struct {
		Region []float64 `json:"region"`
	} `json:"boundingVolume"`
	GeometricError *float64 `json:"geometricError"`
	Refine         string   `json:"refine"`
	Transform      []float64
	Content        *struct {
		URI string `json:"uri"`
	} `json:"content"`
	Children []*tileNode `json:"children"`
}

// wgs84ToGeodetic is the test's own ECEF → lon/lat/height: the classic
// fixed-point iteration on latitude (Heiskanen & Moritz), independent of geo's
// Bowring, iterated to convergence; fine away from the poles.
func wgs84ToGeodetic(x, y, z float64) (lon, lat, h float64) {
	const a, f = 6378137.0, 1 / 298.257223563
	e2 := f * (2 - f)
	p := math.Hypot(x, y)
	phi := math.Atan2(z, p*(1-e2))
	for range 50 {
		s := math.Sin(phi)
		n := a / math.Sqrt(1-e2*s*s)
		h = p/math.Cos(phi) - n
		next := math.Atan2(z, p*(1-e2*n/(n+h)))
		if math.Abs(next-phi) < 1e-15 {
			phi = next
			break
		}
		phi = next
	}
	s := math.Sin(phi)
	n := a / math.Sqrt(1-e2*s*s)
	h = p/math.Cos(phi) - n
	return math.Atan2(y, x) * 180 / math.Pi, phi * 180 / math.Pi, h
}

// placed is a content vertex on the globe.
type placed struct {
	p orb.Point
	h float64
}

// toGlobe maps a GLB vertex of a tile to lon/lat/height as a 3D Tiles runtime
// does: glTF y-up to z-up ((x, y, z) → (x, -z, y)), then the tile's transform
// (column-major).
func toGlobe(m []float64, v []float32) placed {
	x, y, z := float64(v[0]), -float64(v[2]), float64(v[1])
	ex := m[0]*x + m[4]*y + m[8]*z + m[12]
	ey := m[1]*x + m[5]*y + m[9]*z + m[13]
	ez := m[2]*x + m[6]*y + m[10]*z + m[14]
	lon, lat, h := wgs84ToGeodetic(ex, ey, ez)
	return placed{orb.Point{lon, lat}, h}
}

var contentURI = regexp.MustCompile(`^content/(\d+)/(\d+)/(\d+)\.glb(\?lod=[12])?$`)

// checkTileset walks tileset.json and every content tile: the structure, the
// geometric errors, the bounding volumes (content inside its tile, children
// inside parents), and the placement of every building to 5 cm.
func checkTileset(t *testing.T, ts *render.Tileset, entities []twin.Entity, lod int, base float64, meshes meshMap) {
	t.Helper()
	b, err := ts.JSON("")
	if err != nil {
		t.Fatal(err)
	}
	var doc tilesetDoc
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Asset.Version != "1.1" || doc.GeometricError == nil || doc.Root == nil {
		t.Fatalf("tileset %.300s", b)
	}
	if doc.Root.Refine != "ADD" {
		t.Errorf("root refine %q", doc.Root.Refine)
	}
	if *doc.GeometricError <= *doc.Root.GeometricError && len(doc.Root.Children) > 0 {
		t.Errorf("tileset error %v, root %v", *doc.GeometricError, *doc.Root.GeometricError)
	}
	byID := map[string]int{}
	for i := range entities {
		byID[string(entities[i].ID)] = i
	}
	seen := map[string]string{} // entity → tile
	leaves := 0
	var walk func(n, parent *tileNode, level, x, y int)
	walk = func(n, parent *tileNode, level, x, y int) {
		r := n.BoundingVolume.Region
		if len(r) != 6 || !(r[0] <= r[2] && r[1] <= r[3] && r[4] <= r[5]) {
			t.Fatalf("tile %d/%d/%d: region %v", level, x, y, r)
		}
		if parent != nil {
			pr := parent.BoundingVolume.Region
			if r[0] < pr[0] || r[1] < pr[1] || r[2] > pr[2] || r[3] > pr[3] || r[4] < pr[4] || r[5] > pr[5] {
				t.Errorf("tile %d/%d/%d: region %v outside its parent's %v", level, x, y, r, pr)
			}
		}
		if n.GeometricError == nil {
			t.Fatalf("tile %d/%d/%d: no geometric error", level, x, y)
		}
		if len(n.Children) == 0 {
			if *n.GeometricError != 0 {
				t.Errorf("leaf %d/%d/%d: geometric error %v", level, x, y, *n.GeometricError)
			}
		} else {
			if n.Content != nil || n.Transform != nil {
				t.Errorf("tile %d/%d/%d: a parent with content or a transform", level, x, y)
			}
			for _, c := range n.Children {
				if len(c.Children) > 0 && *c.GeometricError != *n.GeometricError/2 {
					t.Errorf("tile %d/%d/%d: error %v, a child's %v: not halved", level, x, y, *n.GeometricError, *c.GeometricError)
				}
			}
		}
		for _, c := range n.Children {
			// The child's coordinates are in its content URI, or found below.
			cl, cx, cy := childKey(t, c, level+1)
			if cl != level+1 || cx>>1 != x || cy>>1 != y {
				t.Errorf("tile %d/%d/%d has child %d/%d/%d", level, x, y, cl, cx, cy)
			}
			walk(c, n, cl, cx, cy)
		}
		if n.Content == nil {
			if len(n.Children) == 0 {
				t.Errorf("tile %d/%d/%d: a leaf without content", level, x, y)
			}
			return
		}
		leaves++
		if len(n.Transform) != 16 {
			t.Fatalf("leaf %d/%d/%d: transform %v", level, x, y, n.Transform)
		}
		glb, err := ts.Content(context.Background(), level, x, y)
		if err != nil {
			t.Fatal(err)
		}
		g := validateGLB(t, glb)
		sc := scene(t, g)
		if sc.Frame != render.GLBFrameENU {
			t.Errorf("content frame %q", sc.Frame)
		}
		verts := map[int][]placed{}
		for _, m := range g.doc.Meshes {
			for _, p := range m.Primitives {
				pos := g.floats(p.Attributes["POSITION"])
				fid := g.floats(p.Attributes[render.FeatureAttribute])
				for i, v := range pos {
					q := toGlobe(n.Transform, v)
					// Inside the region: radians, metres.
					lo, la := q.p[0]*math.Pi/180, q.p[1]*math.Pi/180
					if lo < r[0] || lo > r[2] || la < r[1] || la > r[3] || q.h < r[4] || q.h > r[5] {
						t.Fatalf("tile %d/%d/%d: vertex at %v %v m outside its region %v", level, x, y, q.p, q.h, r)
					}
					verts[int(fid[i][0])] = append(verts[int(fid[i][0])], q)
				}
			}
		}
		key := fmt.Sprintf("%d/%d/%d", level, x, y)
		for fi, f := range sc.Features {
			if prev, dup := seen[f.ID]; dup {
				t.Errorf("%s in tiles %s and %s", f.ID, prev, key)
			}
			seen[f.ID] = key
			ei, ok := byID[f.ID]
			if !ok {
				t.Fatalf("tile %s draws unknown %s", key, f.ID)
			}
			if f.LoD == 1 {
				checkOnGlobe(t, &entities[ei], verts[fi], base)
			} else if f.LoD == 2 {
				checkMeshOnGlobe(t, f.ID, meshes[f.ID], verts[fi], base)
			}
		}
	}
	worstCorner = 0
	walk(doc.Root, nil, 0, 0, 0)
	t.Logf("%d leaves; footprint corners within %.2g m of their vertices", leaves, worstCorner)
	if leaves == 0 {
		t.Fatal("no content")
	}
	for i := range entities {
		if entities[i].Geometry != nil && seen[string(entities[i].ID)] == "" {
			t.Errorf("%s is in no tile", entities[i].ID)
		}
	}
}

// childKey reads a child's level/x/y from its content URI or, for a parent,
// from its first leaf below (shifted up).
func childKey(t *testing.T, n *tileNode, level int) (int, int, int) {
	t.Helper()
	if n.Content != nil {
		m := contentURI.FindStringSubmatch(n.Content.URI)
		if m == nil {
			t.Fatalf("content uri %q", n.Content.URI)
		}
		l, _ := strconv.Atoi(m[1])
		x, _ := strconv.Atoi(m[2])
		y, _ := strconv.Atoi(m[3])
		return l, x, y
	}
	if len(n.Children) == 0 {
		t.Fatal("an empty leaf")
	}
	l, x, y := childKey(t, n.Children[0], level+1)
	d := l - level
	return level, x >> d, y >> d
}

// worstCorner is the largest distance (horizontal or vertical) of a footprint
// corner from its nearest vertex seen by checkOnGlobe.
var worstCorner float64

// checkOnGlobe: every footprint corner has a roof vertex within 5 cm of it at
// the building's height (± 5 cm) and, when it has walls, a ground vertex at
// its min height; every vertex is within 5 cm of a corner at one of those
// heights.
func checkOnGlobe(t *testing.T, e *twin.Entity, vs []placed, base float64) {
	t.Helper()
	if len(vs) == 0 {
		t.Errorf("%s: drawn, no vertices", e.ID)
		return
	}
	lo, hi := e.MinHeight+base, e.Height+base
	near := func(p orb.Point, h float64) bool {
		best := math.Inf(1)
		for _, v := range vs {
			if d := geo.Distance(p, v.p); math.Abs(v.h-h) <= 0.05 && d <= 0.05 {
				best = min(best, max(d, math.Abs(v.h-h)))
			}
		}
		worstCorner = max(worstCorner, best)
		return best <= 0.05
	}
	var corners []orb.Point
	eachCorner(e.Geometry, func(p orb.Point) { corners = append(corners, p) })
	for _, c := range corners {
		if !near(c, hi) {
			t.Errorf("%s: no vertex within 5 cm of corner %v at %.2f m", e.ID, c, hi)
			return
		}
		if hi > lo && !near(c, lo) {
			t.Errorf("%s: no vertex within 5 cm of corner %v at %.2f m", e.ID, c, lo)
			return
		}
	}
	for _, v := range vs {
		if math.Abs(v.h-hi) > 0.05 && math.Abs(v.h-lo) > 0.05 {
			t.Errorf("%s: a vertex at %.3f m, not %.2f or %.2f", e.ID, v.h, lo, hi)
			return
		}
		best := math.Inf(1)
		for _, c := range corners {
			best = min(best, geo.Distance(c, v.p))
		}
		if best > 0.05 {
			t.Errorf("%s: a vertex %.3f m from every corner", e.ID, best)
			return
		}
	}
}

// checkMeshOnGlobe: every point of a stored mesh is within 5 cm (and 5 cm in
// height) of a drawn vertex.
func checkMeshOnGlobe(t *testing.T, id string, m mesh.Mesh, vs []placed, base float64) {
	t.Helper()
	for _, s := range m.Surfaces {
		for _, r := range s.Rings {
			for _, p := range r {
				ok := false
				for _, v := range vs {
					if math.Abs(v.h-p[2]-base) <= 0.05 && geo.Distance(orb.Point{p[0], p[1]}, v.p) <= 0.05 {
						ok = true
						break
					}
				}
				if !ok {
					t.Fatalf("%s: mesh point %v has no vertex within 5 cm", id, p)
				}
			}
		}
	}
}

type meshMap map[string]mesh.Mesh

func (m meshMap) Get(id string) (mesh.Mesh, bool, error) {
	v, ok := m[id]
	return v, ok, nil
}

func TestTilesetSynthetic(t *testing.T) {
	all := synthBuildings(t, 5000)
	cases := []struct {
		name string
		opts render.TilesetOptions
	}{
		{"one leaf", render.TilesetOptions{LoD: 1}},
		{"quadtree", render.TilesetOptions{LoD: 1, MaxPerTile: 300}},
		{"deep, base height", render.TilesetOptions{LoD: 2, MaxPerTile: 40, BaseHeight: 43.5}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			es := all
			if c.opts.MaxPerTile == 40 {
				es = all[:1500]
			}
			ts, err := render.BuildTileset(context.Background(), es, nil, c.opts)
			if err != nil {
				t.Fatal(err)
			}
			if ts.Buildings != len(es) {
				t.Errorf("%d buildings, want %d", ts.Buildings, len(es))
			}
			maxPer := c.opts.MaxPerTile
			if maxPer == 0 {
				maxPer = render.DefaultTile3DBuildings
			}
			depth := 0
			for _, tile := range ts.Tiles {
				if tile.Content && tile.Buildings > maxPer {
					t.Errorf("leaf %d/%d/%d holds %d buildings", tile.Level, tile.X, tile.Y, tile.Buildings)
				}
				depth = max(depth, tile.Level)
			}
			t.Logf("%d tiles, depth %d", len(ts.Tiles), depth)
			checkTileset(t, ts, es, ts.Options().LoD, c.opts.BaseHeight, nil)
		})
	}
}

// Buildings tens of kilometres apart in one leaf: the tangent frame is exact
// where the ellipsoid has curved metres below it; LoD 2 surfaces above the
// building's height widen the region; a part goes with its building even
// when its own centre is elsewhere.
func TestTilesetFarAndParts(t *testing.T) {
	box := func(lon, lat, d float64) orb.Polygon {
		return orb.Polygon{{{lon, lat}, {lon + d, lat}, {lon + d, lat + d}, {lon, lat + d}, {lon, lat}}}
	}
	es := []twin.Entity{
		{ID: "b:west", Kind: twin.KindBuilding, Geometry: box(13.0, 52.3, 0.0004), Height: 30},
		{ID: "b:east", Kind: twin.KindBuilding, Geometry: box(13.8, 52.7, 0.0004), Height: 12, MinHeight: 2},
		{ID: "b:lod2", Kind: twin.KindBuilding, Geometry: box(13.4, 52.5, 0.0003), Height: 20},
		{ID: "b:parted", Kind: twin.KindBuilding, Geometry: box(13.79, 52.31, 0.001), Height: 40},
		{ID: "p:far", Kind: twin.KindBuildingPart, Geometry: box(13.8, 52.32, 0.0002), Height: 15,
			Links: []twin.Link{{Rel: "part_of", To: "b:parted"}}},
		{ID: "p:near", Kind: twin.KindBuildingPart, Geometry: box(13.79, 52.31, 0.0002), Height: 25,
			Links: []twin.Link{{Rel: "part_of", To: "b:parted"}}},
	}
	meshes := meshMap{"b:lod2": {Surfaces: mesh.Extrude(box(13.4, 52.5, 0.0003), 0, 27, mesh.Ground, mesh.Wall, mesh.Roof)}}
	for _, o := range []render.TilesetOptions{{LoD: 2}, {LoD: 2, MaxPerTile: 1}} {
		ts, err := render.BuildTileset(context.Background(), es, meshes, o)
		if err != nil {
			t.Fatal(err)
		}
		if ts.Buildings != 4 {
			t.Errorf("%d buildings, want 4", ts.Buildings)
		}
		checkTileset(t, ts, es, 2, 0, meshes)
		// The parts and their building share a leaf.
		for _, tile := range ts.Tiles {
			if tile.Content && tile.Buildings == 1 && tile.Level > 0 {
				glb, _ := ts.Content(context.Background(), tile.Level, tile.X, tile.Y)
				sc := scene(t, validateGLB(t, glb))
				if sc.Features[0].ID == "b:parted" && len(sc.Features) != 3 {
					t.Errorf("b:parted's leaf holds %v", sc.Features)
				}
			}
		}
	}
}

func TestTilesetEmptyAndErrors(t *testing.T) {
	ts, err := render.BuildTileset(context.Background(), nil, nil, render.TilesetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := ts.JSON("lod=1")
	if err != nil {
		t.Fatal(err)
	}
	var doc tilesetDoc
	if err := json.Unmarshal(b, &doc); err != nil || doc.Root == nil || doc.Asset.Version != "1.1" {
		t.Fatalf("%s %v", b, err)
	}
	if _, err := ts.Content(context.Background(), 0, 0, 0); !errors.Is(err, render.ErrNoTile3D) {
		t.Errorf("content of an empty tileset: %v", err)
	}
	for _, o := range []render.TilesetOptions{{LoD: 3}, {MaxPerTile: -1}, {MaxLevel: 31}, {BaseHeight: math.NaN()}} {
		if _, err := render.BuildTileset(context.Background(), nil, nil, o); !errors.Is(err, render.ErrTilesetOptions) {
			t.Errorf("%+v: %v", o, err)
		}
	}
	ts, err = render.BuildTileset(context.Background(), synthBuildings(t, 100), nil, render.TilesetOptions{MaxPerTile: 30})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ts.Content(context.Background(), 0, 0, 0); !errors.Is(err, render.ErrNoTile3D) {
		t.Errorf("content of a parent: %v", err)
	}
	if _, err := ts.Content(context.Background(), 9, 999, 0); !errors.Is(err, render.ErrNoTile3D) {
		t.Errorf("content of nothing: %v", err)
	}
	b, _ = ts.JSON("lod=1")
	var n int
	var walk func(t *tileNode)
	walk = func(tn *tileNode) {
		if tn.Content != nil {
			n++
			if !contentURI.MatchString(tn.Content.URI) {
				t.Errorf("uri %q", tn.Content.URI)
			}
		}
		for _, c := range tn.Children {
			walk(c)
		}
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	walk(doc.Root)
	if n < 4 {
		t.Errorf("%d content tiles", n)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := render.BuildTileset(ctx, synthBuildings(t, 10), nil, render.TilesetOptions{}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}
