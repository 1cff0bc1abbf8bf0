package web

import (
	"encoding/binary"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"citytwin/geo/mesh"
	"citytwin/render"
	"citytwin/twin"

	"github.com/paulmach/orb"
)

// meshMap is a MeshSource in memory.
type meshMap map[string]mesh.Mesh

func (m meshMap) Get(id string) (mesh.Mesh, bool, error) {
	v, ok := m[id]
	return v, ok, nil
}

// glbDoc reads the JSON chunk of a GLB after checking its header.
func glbDoc(t *testing.T, b []byte) (nodes []struct {
	Name     string `json:"name"`
	Children []int  `json:"children"`
}, sc render.GLBScene) {
	t.Helper()
	if len(b) < 20 || string(b[:4]) != "glTF" || binary.LittleEndian.Uint32(b[4:]) != 2 || int(binary.LittleEndian.Uint32(b[8:])) != len(b) {
		t.Fatalf("not a GLB: %.40q", b)
	}
	n := binary.LittleEndian.Uint32(b[12:])
	var doc struct {
		Nodes []struct {
			Name     string `json:"name"`
			Children []int  `json:"children"`
		} `json:"nodes"`
		Scenes []struct {
			Extras render.GLBScene `json:"extras"`
		} `json:"scenes"`
	}
	if err := json.Unmarshal(b[20:20+n], &doc); err != nil {
		t.Fatal(err)
	}
	return doc.Nodes, doc.Scenes[0].Extras
}

func TestGLBEndpoints(t *testing.T) {
	store, err := twin.New(twin.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	sq := func(lon, lat, d float64) orb.Polygon {
		return orb.Polygon{{{lon, lat}, {lon + d, lat}, {lon + d, lat + d}, {lon, lat + d}, {lon, lat}}}
	}
	partOf := []twin.Link{{Rel: "part_of", To: "b:1"}}
	for _, e := range []twin.Entity{
		{ID: "b:1", Kind: twin.KindBuilding, Geometry: sq(4.35, 52.01, 2e-4), Height: 12},
		{ID: "b:1-0", Kind: twin.KindBuildingPart, Geometry: sq(4.35, 52.01, 2e-4), Height: 12, Links: partOf},
		{ID: "s:1", Kind: twin.KindStorey, Geometry: sq(4.35, 52.01, 2e-4), MinHeight: 3, Height: 6, Links: partOf},
		{ID: "b:2", Kind: twin.KindBuilding, Geometry: sq(4.36, 52.01, 1e-4), Height: 8},
	} {
		if _, err := store.Apply(twin.Op{Type: twin.OpUpsert, Entity: &e}); err != nil {
			t.Fatal(err)
		}
	}
	meshes := meshMap{"b:1-0": {LoD: "2.2", Surfaces: mesh.Extrude(sq(4.35, 52.01, 2e-4), 0, 12, mesh.Ground, mesh.Wall, mesh.Roof)}}
	s, err := New(DefaultConfig(), store, nil, WithMeshes(meshes))
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s.Handler())
	defer ts.Close()
	get := func(target string) (*http.Response, []byte) {
		t.Helper()
		res, err := http.Get(ts.URL + target)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var body []byte
		buf := make([]byte, 1<<16)
		for {
			n, err := res.Body.Read(buf)
			body = append(body, buf[:n]...)
			if err != nil {
				break
			}
		}
		return res, body
	}

	t.Run("entity", func(t *testing.T) {
		res, body := get("/api/v1/entities/b:1/glb")
		if res.StatusCode != 200 || res.Header.Get("Content-Type") != ContentTypeGLB {
			t.Fatalf("%d %s: %s", res.StatusCode, res.Header.Get("Content-Type"), body)
		}
		nodes, sc := glbDoc(t, body)
		lod := map[string]int{}
		for _, f := range sc.Features {
			lod[f.ID] = f.LoD
		}
		if want := map[string]int{"b:1": 0, "b:1-0": 2, "s:1": 1}; len(lod) != 3 || lod["b:1"] != want["b:1"] || lod["b:1-0"] != want["b:1-0"] || lod["s:1"] != want["s:1"] {
			t.Errorf("drawn %v, want %v", lod, want)
		}
		if len(nodes) != 3 || nodes[0].Name != "b:1" || len(nodes[0].Children) != 2 {
			t.Errorf("nodes %+v: want b:1 with its part and storey under it", nodes)
		}
	})
	t.Run("area", func(t *testing.T) {
		res, body := get("/api/v1/glb?bbox=4.34,52.0,4.37,52.02&lod=1")
		if res.StatusCode != 200 || res.Header.Get(glbMatchedHeader) != "3" {
			t.Fatalf("%d matched %q: %s", res.StatusCode, res.Header.Get(glbMatchedHeader), body)
		}
		_, sc := glbDoc(t, body)
		lod := map[string]int{}
		for _, f := range sc.Features {
			lod[f.ID] = f.LoD
		}
		if len(lod) != 3 || lod["b:1"] != 0 || lod["b:1-0"] != 1 || lod["b:2"] != 1 {
			t.Errorf("drawn %v", lod)
		}
		res, body = get("/api/v1/glb?bbox=4.34,52.0,4.37,52.02&limit=1")
		if _, sc := glbDoc(t, body); res.Header.Get(glbMatchedHeader) != "3" || len(sc.Features) != 1 {
			t.Errorf("limit=1: %d features of %s", len(sc.Features), res.Header.Get(glbMatchedHeader))
		}
	})
	for _, target := range []string{"/api/v1/glb", "/api/v1/glb?bbox=1,2,3", "/api/v1/glb?bbox=4,52,5,53&lod=0",
		"/api/v1/glb?bbox=4,52,5,53&limit=50001", "/api/v1/glb?bbox=4,52,5,53&kind=Building", "/api/v1/entities/b:1/glb?bbox=1,2,3,4"} {
		if res, body := get(target); res.StatusCode != 400 {
			t.Errorf("%s: %d, want 400: %s", target, res.StatusCode, body)
		}
	}
	if res, _ := get("/api/v1/entities/nope/glb"); res.StatusCode != 404 {
		t.Errorf("unknown entity: %d", res.StatusCode)
	}
}
