package render_test

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"path/filepath"
	"testing"

	"citytwin/datasets"
	"citytwin/datasets/sharedtest"
	"citytwin/geo"
	"citytwin/geo/mesh"
	"citytwin/ingest/importer"
	"citytwin/render"
	"citytwin/twin"

	"github.com/paulmach/orb"
)

// vert is a vertex of a GLB with the material of its primitive.
type vert struct {
	x, y, z float32
	mat     int
}

// scene reads the scene's extras.
func scene(t testing.TB, g *glbFile) render.GLBScene {
	t.Helper()
	var s render.GLBScene
	if err := json.Unmarshal(g.doc.Scenes[0].Extras, &s); err != nil {
		t.Fatal(err)
	}
	return s
}

// byFeature groups the vertices of every primitive by feature (entity) and
// checks that each triangle's vertices belong to one entity.
func byFeature(t testing.TB, g *glbFile) map[int][]vert {
	t.Helper()
	out := map[int][]vert{}
	for _, m := range g.doc.Meshes {
		for _, p := range m.Primitives {
			pos := g.floats(p.Attributes["POSITION"])
			fid := g.floats(p.Attributes[render.FeatureAttribute])
			mat := *p.Material
			for i, v := range pos {
				out[int(fid[i][0])] = append(out[int(fid[i][0])], vert{v[0], v[1], v[2], mat})
			}
			idx := g.indices(*p.Indices)
			for k := 0; k < len(idx); k += 3 {
				if f := fid[idx[k]][0]; fid[idx[k+1]][0] != f || fid[idx[k+2]][0] != f {
					t.Fatalf("a triangle spans entities")
				}
			}
		}
	}
	return out
}

// checkPlacement: every corner of every footprint is within 1 cm of a vertex
// of its entity's mesh, mapped back to lon/lat through the frame; the mesh's
// heights are the entity's MinHeight and Height (LoD 1: nothing else); the
// roof triangles cover the footprint's area.
func checkPlacement(t *testing.T, g *glbFile, entities []twin.Entity, lod1 bool) {
	t.Helper()
	sc := scene(t, g)
	frame := geo.NewFrame(sc.Origin)
	verts := byFeature(t, g)
	roofArea := map[int]float64{}
	volume := map[int]float64{} // signed, by the divergence theorem: > 0 for outward faces
	for _, m := range g.doc.Meshes {
		for _, p := range m.Primitives {
			pos := g.floats(p.Attributes["POSITION"])
			nor := g.floats(p.Attributes["NORMAL"])
			fid := g.floats(p.Attributes[render.FeatureAttribute])
			idx := g.indices(*p.Indices)
			for k := 0; k < len(idx); k += 3 {
				a, b, c := pos[idx[k]], pos[idx[k+1]], pos[idx[k+2]]
				u := [3]float64{float64(b[0] - a[0]), float64(b[1] - a[1]), float64(b[2] - a[2])}
				v := [3]float64{float64(c[0] - a[0]), float64(c[1] - a[1]), float64(c[2] - a[2])}
				cr := [3]float64{u[1]*v[2] - u[2]*v[1], u[2]*v[0] - u[0]*v[2], u[0]*v[1] - u[1]*v[0]}
				n := nor[idx[k]]
				if l := math.Sqrt(cr[0]*cr[0] + cr[1]*cr[1] + cr[2]*cr[2]); l > 1e-4 && (cr[0]*float64(n[0])+cr[1]*float64(n[1])+cr[2]*float64(n[2]))/l < 0.99 {
					t.Fatalf("a triangle wound against its normal %v", n)
				}
				volume[int(fid[idx[k]][0])] += (float64(a[0])*cr[0] + float64(a[1])*cr[1] + float64(a[2])*cr[2]) / 6
				if *p.Material != 0 {
					continue
				}
				// Counter-clockwise seen from above (+y): in x, -z.
				cross := float64((b[0]-a[0])*(-(c[2] - a[2])) - (c[0]-a[0])*(-(b[2] - a[2])))
				if lod1 && cross < -1e-6 {
					t.Fatalf("a roof triangle faces down")
				}
				roofArea[int(fid[idx[k]][0])] += math.Abs(cross) / 2
			}
		}
	}
	checked := 0
	for i := range entities {
		e := &entities[i]
		vs := verts[i]
		if sc.Features[i].ID != string(e.ID) {
			t.Fatalf("feature %d is %s, want %s", i, sc.Features[i].ID, e.ID)
		}
		if sc.Features[i].LoD == 0 {
			continue
		}
		if len(vs) == 0 {
			t.Fatalf("%s: drawn at LoD %d but no vertices", e.ID, sc.Features[i].LoD)
		}
		top, bottom := math.Inf(-1), math.Inf(1)
		ll := make([]orb.Point, len(vs))
		for k, v := range vs {
			top, bottom = math.Max(top, float64(v.y)), math.Min(bottom, float64(v.y))
			ll[k] = frame.ToLonLat(float64(v.x), -float64(v.z))
			if lod1 && math.Abs(float64(v.y)-e.Height) > 1e-3 && math.Abs(float64(v.y)-e.MinHeight) > 1e-3 {
				t.Fatalf("%s: a vertex at %v m, neither min height %v nor height %v", e.ID, v.y, e.MinHeight, e.Height)
			}
		}
		if math.Abs(top-e.Height) > 0.01 || math.Abs(bottom-e.MinHeight) > 0.01 {
			t.Errorf("%s: mesh from %.3f to %.3f m, entity %.3f to %.3f", e.ID, bottom, top, e.MinHeight, e.Height)
		}
		eachCorner(e.Geometry, func(p orb.Point) {
			best := math.Inf(1)
			for _, q := range ll {
				best = math.Min(best, geo.Distance(p, q))
			}
			if best > 0.01 {
				t.Errorf("%s: footprint corner %v is %.3f m from the mesh", e.ID, p, best)
			}
		})
		if lod1 {
			want := geo.Area(e.Geometry)
			if got := roofArea[i]; math.Abs(got-want) > 0.005*want {
				t.Errorf("%s: roof of %.2f m², footprint %.2f m²", e.ID, got, want)
			}
			if want *= e.Height - e.MinHeight; math.Abs(volume[i]-want) > 0.005*want {
				t.Errorf("%s: a solid of %.2f m³, want footprint × height %.2f m³", e.ID, volume[i], want)
			}
		}
		checked++
	}
	if checked == 0 {
		t.Fatal("nothing drawn")
	}
}

func eachCorner(g orb.Geometry, fn func(orb.Point)) {
	switch g := g.(type) {
	case orb.Polygon:
		for _, r := range g {
			for _, p := range r {
				fn(p)
			}
		}
	case orb.MultiPolygon:
		for _, p := range g {
			eachCorner(p, fn)
		}
	}
}

func synthBuildings(tb testing.TB, n int) []twin.Entity {
	tb.Helper()
	cfg := datasets.Demo()
	cfg.Buildings, cfg.Sensors, cfg.Vehicles, cfg.Buses, cfg.Routes = n, 0, 0, 0, 0
	city, err := datasets.Generate(context.Background(), cfg, nil)
	if err != nil {
		tb.Fatal(err)
	}
	var out []twin.Entity
	for e := range city.Entities() {
		if e.Kind == twin.KindBuilding {
			out = append(out, e)
		}
	}
	return out
}

func TestBuildingsGLBSynthetic(t *testing.T) {
	all := synthBuildings(t, 3000)
	cases := []struct {
		name     string
		entities []twin.Entity
		opts     render.GLBOptions
	}{
		{"nodes", all[:300], render.GLBOptions{LoD: 1}},
		{"batched", all, render.GLBOptions{LoD: 1, MaxNodes: -1, Workers: 3}},
		{"batched one worker, origin given", all[:2500], render.GLBOptions{LoD: 1, MaxNodes: -1, Workers: 1, Origin: orb.Point{24.9, 60.2}}},
		{"lod 2 without meshes falls back", all[:50], render.GLBOptions{LoD: 2}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b, err := render.BuildingsGLB(context.Background(), c.entities, nil, c.opts)
			if err != nil {
				t.Fatal(err)
			}
			g := validateGLB(t, b)
			checkPlacement(t, g, c.entities, true)
			sc := scene(t, g)
			if c.opts.Origin != (orb.Point{}) && sc.Origin != c.opts.Origin {
				t.Errorf("origin %v, want %v", sc.Origin, c.opts.Origin)
			}
			perNode := c.opts.MaxNodes >= 0
			if perNode {
				if len(g.doc.Nodes) != len(c.entities) {
					t.Fatalf("%d nodes for %d entities", len(g.doc.Nodes), len(c.entities))
				}
				for i, n := range g.doc.Nodes {
					var f render.GLBFeature
					if err := json.Unmarshal(n.Extras, &f); err != nil || n.Name != string(c.entities[i].ID) || f.ID != n.Name || f.Kind != "building" || f.Height != c.entities[i].Height {
						t.Fatalf("node %d: %s %s %v", i, n.Name, n.Extras, err)
					}
				}
			} else if len(g.doc.Meshes) != 1 || len(g.doc.Meshes[0].Primitives) != 3 {
				t.Errorf("batched: %d meshes, want 1 with roof, wall and ground primitives", len(g.doc.Meshes))
			}
		})
	}
}

// importShared imports a shared file into a twin with a data directory and
// opens the meshes the import kept.
func importShared(t *testing.T, rel string) (*twin.Store, *mesh.Store) {
	t.Helper()
	path := sharedtest.File(t, rel)
	store, err := twin.New(twin.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if _, err := importer.File(context.Background(), store, path, importer.Options{DataDir: dir}); err != nil {
		t.Fatal(err)
	}
	ms, err := mesh.Open(filepath.Join(dir, importer.MeshDir), mesh.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ms.Close() })
	return store, ms
}

// TestBuildingsGLBDelft draws the real Delft buildings from the surfaces the
// CityJSON import kept: every one at LoD 2, its roof at its height, its
// footprint among its vertices.
func TestBuildingsGLBDelft(t *testing.T) {
	store, ms := importShared(t, "datasets/cityjson/delft_centre.city.json")
	res, err := store.Query(context.Background(), twin.Query{Kinds: []twin.Kind{twin.KindBuilding}})
	if err != nil {
		t.Fatal(err)
	}
	for _, maxNodes := range []int{0, -1} {
		b, err := render.BuildingsGLB(context.Background(), res.Entities, ms, render.GLBOptions{LoD: 2, MaxNodes: maxNodes})
		if err != nil {
			t.Fatal(err)
		}
		g := validateGLB(t, b)
		for i, f := range scene(t, g).Features {
			if f.LoD != 2 {
				t.Errorf("%s drawn at LoD %d", res.Entities[i].ID, f.LoD)
			}
		}
		checkPlacement(t, g, res.Entities, false)
		lod1, err := render.BuildingsGLB(context.Background(), res.Entities, ms, render.GLBOptions{LoD: 1, MaxNodes: maxNodes})
		if err != nil {
			t.Fatal(err)
		}
		checkPlacement(t, validateGLB(t, lod1), res.Entities, true)
	}
}

// TestBuildingsGLBParts: the 3D BAG's buildings are drawn by their parts when
// both are given, and by the surfaces kept for them when alone.
func TestBuildingsGLBParts(t *testing.T) {
	store, ms := importShared(t, "datasets/cityjson/3dbag_delft_2buildings.city.json")
	res, err := store.Query(context.Background(), twin.Query{Kinds: []twin.Kind{twin.KindBuilding, twin.KindBuildingPart}})
	if err != nil {
		t.Fatal(err)
	}
	b, err := render.BuildingsGLB(context.Background(), res.Entities, ms, render.GLBOptions{})
	if err != nil {
		t.Fatal(err)
	}
	g := validateGLB(t, b)
	roots := map[string]bool{}
	for _, n := range g.doc.Scenes[0].Nodes {
		roots[g.doc.Nodes[n].Name] = true
	}
	for i, f := range scene(t, g).Features {
		e := res.Entities[i]
		switch e.Kind {
		case twin.KindBuilding:
			if f.LoD != 0 || !roots[f.ID] {
				t.Errorf("%s: drawn at LoD %d, root %v; want its parts to draw it", f.ID, f.LoD, roots[f.ID])
			}
		case twin.KindBuildingPart:
			if f.LoD != 2 || roots[f.ID] {
				t.Errorf("%s: drawn at LoD %d, root %v; want LoD 2 under its building", f.ID, f.LoD, roots[f.ID])
			}
		}
	}
	var buildings []twin.Entity
	for _, e := range res.Entities {
		if e.Kind == twin.KindBuilding {
			buildings = append(buildings, e)
		}
	}
	b, err = render.BuildingsGLB(context.Background(), buildings, ms, render.GLBOptions{MaxNodes: -1})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range scene(t, validateGLB(t, b)).Features {
		if f.LoD != 2 {
			t.Errorf("%s alone: LoD %d", f.ID, f.LoD)
		}
	}
}

// TestBuildingsGLBStoreys: an IFC building's storeys are nodes under it, each
// at its elevation.
func TestBuildingsGLBStoreys(t *testing.T) {
	store, ms := importShared(t, "datasets/ifc/AC20-FZK-Haus.ifc")
	res, err := store.Query(context.Background(), twin.Query{Kinds: []twin.Kind{twin.KindBuilding, twin.KindStorey}})
	if err != nil {
		t.Fatal(err)
	}
	b, err := render.BuildingsGLB(context.Background(), res.Entities, ms, render.GLBOptions{LoD: 2})
	if err != nil {
		t.Fatal(err)
	}
	g := validateGLB(t, b)
	storeys := 0
	for _, r := range g.doc.Scenes[0].Nodes {
		n := g.doc.Nodes[r]
		if n.Mesh != nil {
			t.Errorf("building %s has a mesh of its own and storeys", n.Name)
		}
		storeys += len(n.Children)
	}
	if storeys == 0 || storeys != len(res.Entities)-len(g.doc.Scenes[0].Nodes) {
		t.Errorf("%d storey nodes under %d buildings, %d entities", storeys, len(g.doc.Scenes[0].Nodes), len(res.Entities))
	}
	checkPlacement(t, g, res.Entities, false)
}

func TestBuildingsGLBEdges(t *testing.T) {
	square := orb.Polygon{{{4, 52}, {4.0001, 52}, {4.0001, 52.0001}, {4, 52.0001}, {4, 52}}}
	cases := []struct {
		name     string
		entities []twin.Entity
		opts     render.GLBOptions
		err      error
	}{
		{"empty", nil, render.GLBOptions{}, nil},
		{"a point", []twin.Entity{{ID: "s:1", Kind: twin.KindSensor, Geometry: orb.Point{4, 52}}}, render.GLBOptions{}, nil},
		{"flat", []twin.Entity{{ID: "b:1", Kind: twin.KindBuilding, Geometry: square}}, render.GLBOptions{LoD: 1}, nil},
		{"levels only", []twin.Entity{{ID: "b:1", Kind: twin.KindBuilding, Geometry: square, Levels: 4}}, render.GLBOptions{LoD: 1}, nil},
		{"degenerate", []twin.Entity{{ID: "b:1", Kind: twin.KindBuilding, Geometry: orb.Polygon{{{4, 52}, {4, 52}, {4, 52}}}, Height: 3}}, render.GLBOptions{}, nil},
		{"bad lod", nil, render.GLBOptions{LoD: 3}, render.ErrGLBOptions},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b, err := render.BuildingsGLB(context.Background(), c.entities, nil, c.opts)
			if !errors.Is(err, c.err) {
				t.Fatalf("err %v, want %v", err, c.err)
			}
			if err == nil {
				validateGLB(t, b)
			}
		})
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := render.BuildingsGLB(ctx, synthBuildings(t, 100), nil, render.GLBOptions{}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}

// The validator catches what it is there for.
func TestValidatorCatches(t *testing.T) {
	good, err := render.BuildingsGLB(context.Background(), synthBuildings(t, 20), nil, render.GLBOptions{LoD: 1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := checkGLB(good); err != nil {
		t.Fatal(err)
	}
	bad := map[string]func([]byte) []byte{
		"magic":   func(b []byte) []byte { b[0] = 'x'; return b },
		"version": func(b []byte) []byte { b[4] = 1; return b },
		"length":  func(b []byte) []byte { return b[:len(b)-4] },
		"padding": func(b []byte) []byte { return append(b, 0, 0, 0, 0) },
		"min/max": func(b []byte) []byte {
			// Move the first vertex: POSITION min/max no longer match.
			jsLen := int(b[12]) | int(b[13])<<8 | int(b[14])<<16 | int(b[15])<<24
			bin := 12 + 8 + jsLen + 8
			b[bin+3] ^= 0x40
			return b
		},
	}
	for name, f := range bad {
		if _, err := checkGLB(f(append([]byte(nil), good...))); err == nil {
			t.Errorf("%s: not caught", name)
		}
	}
}
