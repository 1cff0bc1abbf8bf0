package importer

import (
	"context"
	"math"
	"path/filepath"
	"testing"

	"citytwin/datasets/sharedtest"
	"citytwin/geo"
	"citytwin/geo/mesh"
	"citytwin/twin"

	"github.com/paulmach/orb"
)

// importMeshes imports rel into an empty twin with a data directory and
// returns the twin and the mesh store the import wrote.
func importMeshes(t *testing.T, rel string) (*twin.Store, *mesh.Store) {
	t.Helper()
	path := sharedtest.File(t, rel)
	store, err := twin.New(twin.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if _, err := File(context.Background(), store, path, Options{DataDir: dir}); err != nil {
		t.Fatal(err)
	}
	ms, err := mesh.Open(filepath.Join(dir, MeshDir), mesh.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ms.Close() })
	return store, ms
}

// TestCityJSONKeepsSurfaces: after importing Delft every building has its
// surfaces, its roof reaches its height, its ground is at 0 and every corner
// of its footprint is a corner of the mesh (to the centimetre).
func TestCityJSONKeepsSurfaces(t *testing.T) {
	for _, rel := range []string{"datasets/cityjson/delft_centre.city.json", "datasets/cityjson/3dbag_delft_2buildings.city.json"} {
		t.Run(filepath.Base(rel), func(t *testing.T) {
			store, ms := importMeshes(t, rel)
			res, err := store.Query(context.Background(), twin.Query{Kinds: []twin.Kind{twin.KindBuilding, twin.KindBuildingPart}})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Entities) == 0 {
				t.Fatal("no buildings")
			}
			for _, e := range res.Entities {
				m, ok, err := ms.Get(string(e.ID))
				if err != nil || !ok {
					t.Fatalf("%s: no mesh (%v)", e.ID, err)
				}
				minP, maxP, _ := m.Bound()
				// Heights from the 3D BAG's attributes are its statistics of the
				// point cloud (the highest roof point, chimneys included), not the
				// LoD 2.2 model's: the model stays below them.
				src, _ := e.Props.Get("height_source")
				if s, _ := src.Str(); s == "geometry" && math.Abs(maxP[2]-e.Height) > 0.01 ||
					s != "geometry" && (maxP[2] > e.Height+0.01 || maxP[2] < 0.85*e.Height) {
					t.Errorf("%s: roof at %.3f m, height %.3f m from %s", e.ID, maxP[2], e.Height, src)
				}
				if math.Abs(minP[2]-e.MinHeight) > 0.01 {
					t.Errorf("%s: lowest point at %.3f m, min height %.3f m", e.ID, minP[2], e.MinHeight)
				}
				counts := map[string]int{}
				for _, s := range m.Surfaces {
					counts[s.Semantic]++
				}
				if counts[mesh.Roof] == 0 || counts[mesh.Wall] == 0 {
					t.Errorf("%s: surfaces %v", e.ID, counts)
				}
				f := geo.NewFrame(orb.Point{minP[0], minP[1]})
				eachVertex(e.Geometry, func(p orb.Point) {
					px, py := f.ToLocal(p)
					best := math.Inf(1)
					for _, s := range m.Surfaces {
						for _, r := range s.Rings {
							for _, q := range r {
								qx, qy := f.ToLocal(orb.Point{q[0], q[1]})
								best = math.Min(best, math.Hypot(px-qx, py-qy))
							}
						}
					}
					if best > 0.01 {
						t.Errorf("%s: footprint corner %v is %.3f m from the mesh", e.ID, p, best)
					}
				})
			}
		})
	}
}

func TestIFCKeepsStoreys(t *testing.T) {
	store, ms := importMeshes(t, "datasets/ifc/AC20-FZK-Haus.ifc")
	res, err := store.Query(context.Background(), twin.Query{Kinds: []twin.Kind{twin.KindStorey, twin.KindSpace}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Entities) == 0 {
		t.Fatal("no storeys")
	}
	for _, e := range res.Entities {
		m, ok, err := ms.Get(string(e.ID))
		if err != nil || !ok {
			t.Fatalf("%s: no mesh (%v)", e.ID, err)
		}
		minP, maxP, _ := m.Bound()
		if math.Abs(minP[2]-e.MinHeight) > 1e-3 || math.Abs(maxP[2]-e.Height) > 1e-3 {
			t.Errorf("%s %s: mesh from %.3f to %.3f m, entity %.3f to %.3f", e.Kind, e.ID, minP[2], maxP[2], e.MinHeight, e.Height)
		}
	}
}

func eachVertex(g orb.Geometry, fn func(orb.Point)) {
	switch g := g.(type) {
	case orb.Polygon:
		for _, r := range g {
			for _, p := range r {
				fn(p)
			}
		}
	case orb.MultiPolygon:
		for _, p := range g {
			eachVertex(p, fn)
		}
	}
}
