package web

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"sync"
	"testing"

	"citytwin/datasets"
	"citytwin/render"
	"citytwin/twin"

	"github.com/paulmach/orb"
)

// checkGLB holds a GLB to the glTF 2.0 rules that matter for a triangle
// mesh: a minimal copy of render's validator (render/glb_validate_test.go),
// which a web test cannot import. It returns the scene's extras.
func checkGLB(t testing.TB, b []byte) render.GLBScene {
	t.Helper()
	le := binary.LittleEndian
	if len(b) < 20 || string(b[:4]) != "glTF" || le.Uint32(b[4:]) != 2 || int(le.Uint32(b[8:])) != len(b) || len(b)%4 != 0 {
		t.Fatalf("not a GLB: %.40q", b)
	}
	jl := int(le.Uint32(b[12:]))
	if le.Uint32(b[16:]) != 0x4E4F534A || jl%4 != 0 || 20+jl > len(b) {
		t.Fatalf("bad JSON chunk")
	}
	var bin []byte
	if rest := b[20+jl:]; len(rest) > 0 {
		bl := int(le.Uint32(rest))
		if len(rest) != 8+bl || le.Uint32(rest[4:]) != 0x004E4942 || bl%4 != 0 {
			t.Fatalf("bad BIN chunk")
		}
		bin = rest[8:]
	}
	var doc struct {
		Asset struct {
			Version string `json:"version"`
		} `json:"asset"`
		Scenes []struct {
			Nodes  []int           `json:"nodes"`
			Extras render.GLBScene `json:"extras"`
		} `json:"scenes"`
		Nodes []struct {
			Mesh *int `json:"mesh"`
		} `json:"nodes"`
		Meshes []struct {
			Primitives []struct {
				Attributes map[string]int `json:"attributes"`
				Indices    int            `json:"indices"`
			} `json:"primitives"`
		} `json:"meshes"`
		Accessors []struct {
			BufferView, ByteOffset, ComponentType, Count int
			Type                                         string
			Min, Max                                     []float64
		} `json:"accessors"`
		BufferViews []struct {
			ByteOffset, ByteLength, ByteStride int
		} `json:"bufferViews"`
		Buffers []struct {
			ByteLength int `json:"byteLength"`
		} `json:"buffers"`
	}
	if err := json.Unmarshal(bytes.TrimRight(b[20:20+jl], " "), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Asset.Version != "2.0" || len(doc.Scenes) != 1 {
		t.Fatalf("asset %q, %d scenes", doc.Asset.Version, len(doc.Scenes))
	}
	if len(doc.Buffers) > 0 && (doc.Buffers[0].ByteLength > len(bin) || len(bin)-doc.Buffers[0].ByteLength > 3) {
		t.Fatalf("buffer of %d bytes, BIN %d", doc.Buffers[0].ByteLength, len(bin))
	}
	size := map[string]int{"SCALAR": 1, "VEC3": 3}
	read := func(ai int) (vals []float64, ok bool) {
		a := doc.Accessors[ai]
		v := doc.BufferViews[a.BufferView]
		n := size[a.Type]
		stride := max(v.ByteStride, 4*n)
		if n == 0 || a.ByteOffset+stride*(a.Count-1)+4*n > v.ByteLength || v.ByteOffset+v.ByteLength > len(bin) {
			return nil, false
		}
		for i := range a.Count {
			for c := range n {
				u := le.Uint32(bin[v.ByteOffset+a.ByteOffset+i*stride+4*c:])
				if a.ComponentType == 5126 {
					vals = append(vals, float64(math.Float32frombits(u)))
				} else {
					vals = append(vals, float64(u))
				}
			}
		}
		return vals, true
	}
	for _, m := range doc.Meshes {
		for _, p := range m.Primitives {
			pos, ok := read(p.Attributes["POSITION"])
			if !ok {
				t.Fatal("POSITION overruns its view")
			}
			a := doc.Accessors[p.Attributes["POSITION"]]
			for c := range 3 {
				lo, hi := math.Inf(1), math.Inf(-1)
				for i := c; i < len(pos); i += 3 {
					lo, hi = min(lo, pos[i]), max(hi, pos[i])
				}
				if len(a.Min) != 3 || float64(float32(a.Min[c])) != lo || float64(float32(a.Max[c])) != hi {
					t.Fatalf("POSITION min/max %v %v, data %v %v", a.Min, a.Max, lo, hi)
				}
			}
			for name, ai := range p.Attributes {
				if doc.Accessors[ai].Count != a.Count {
					t.Fatalf("%s: %d values for %d vertices", name, doc.Accessors[ai].Count, a.Count)
				}
			}
			idx, ok := read(p.Indices)
			if !ok || len(idx)%3 != 0 {
				t.Fatal("bad indices")
			}
			for _, i := range idx {
				if int(i) >= a.Count {
					t.Fatalf("index %v of %d vertices", i, a.Count)
				}
			}
		}
	}
	for _, n := range doc.Scenes[0].Nodes {
		if n < 0 || n >= len(doc.Nodes) {
			t.Fatalf("scene node %d", n)
		}
	}
	return doc.Scenes[0].Extras
}

// tileset3D is the part of tileset.json the web tests read.
type tileset3D struct {
	Asset struct {
		Version string `json:"version"`
	} `json:"asset"`
	Root *tile3DNode `json:"root"`
}

type tile3DNode struct {
	Content *struct {
		URI string `json:"uri"`
	} `json:"content"`
	Children []*tile3DNode `json:"children"`
}

func (n *tile3DNode) uris() []string {
	var out []string
	if n.Content != nil {
		out = append(out, n.Content.URI)
	}
	for _, c := range n.Children {
		out = append(out, c.uris()...)
	}
	return out
}

func synthStore(t *testing.T, n int) *twin.Store {
	t.Helper()
	cfg := datasets.Demo()
	cfg.Buildings, cfg.Sensors, cfg.Vehicles, cfg.Buses, cfg.Routes = n, 3, 0, 0, 0
	city, err := datasets.Generate(context.Background(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	store, err := twin.New(twin.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	if err := city.Load(context.Background(), store, nil); err != nil {
		t.Fatal(err)
	}
	return store
}

// fetchTileset gets tileset.json and every content tile it names, checks
// each GLB and returns the tileset's ETag and the ids drawn.
func fetchTileset(t *testing.T, s *Server, query string) (etag string, ids map[string]bool, uris []string) {
	t.Helper()
	h := s.Handler()
	r := get(t, h, "/3dtiles/tileset.json"+query)
	if r.status != 200 || r.header.Get("Content-Type") != ContentTypeJSON || r.header.Get("ETag") == "" {
		t.Fatalf("tileset: %d %s %.300s", r.status, r.header.Get("Content-Type"), r.body)
	}
	var doc tileset3D
	if err := json.Unmarshal(r.body, &doc); err != nil || doc.Asset.Version != "1.1" || doc.Root == nil {
		t.Fatalf("tileset %v %.300s", err, r.body)
	}
	ids = map[string]bool{}
	uris = doc.Root.uris()
	for _, u := range uris {
		c := get(t, h, "/3dtiles/"+u)
		if c.status != 200 || c.header.Get("Content-Type") != ContentTypeGLB {
			t.Fatalf("%s: %d %.300s", u, c.status, c.body)
		}
		sc := checkGLB(t, c.body)
		if sc.Frame != render.GLBFrameENU {
			t.Fatalf("%s: frame %q", u, sc.Frame)
		}
		for _, f := range sc.Features {
			if ids[f.ID] {
				t.Fatalf("%s drawn twice", f.ID)
			}
			ids[f.ID] = true
		}
	}
	return r.header.Get("ETag"), ids, uris
}

func TestTiles3D(t *testing.T) {
	store := synthStore(t, 5000)
	s, err := New(DefaultConfig(), store, nil)
	if err != nil {
		t.Fatal(err)
	}
	h := s.Handler()
	etag, ids, uris := fetchTileset(t, s, "")
	if n := store.Counts()[twin.KindBuilding]; len(ids) != n || len(uris) < 4 {
		t.Fatalf("%d buildings drawn in %d tiles, want %d in several", len(ids), len(uris), n)
	}
	for _, u := range uris {
		if !strings.HasSuffix(u, ".glb?lod=2") {
			t.Fatalf("uri %q", u)
		}
	}
	c := s.tiles3dCache()
	if b := c.builds.Load(); b != 1 {
		t.Errorf("%d builds", b)
	}
	// Cached: the same bytes, no build; 304 on the ETag.
	first := get(t, h, "/3dtiles/"+uris[0])
	hits := c.hits.Load()
	if again := get(t, h, "/3dtiles/"+uris[0]); !bytes.Equal(again.body, first.body) || c.hits.Load() == hits {
		t.Error("content not served from the cache")
	}
	if r := get(t, h, "/3dtiles/tileset.json", "If-None-Match", etag); r.status != 304 {
		t.Errorf("If-None-Match: %d", r.status)
	}
	if r := get(t, h, "/3dtiles/"+uris[0], "If-None-Match", first.header.Get("ETag")); r.status != 304 {
		t.Errorf("content If-None-Match: %d", r.status)
	}
	// lod=1: its own tileset, its content URIs say so.
	if _, ids1, uris1 := fetchTileset(t, s, "?lod=1"); len(ids1) != len(ids) || !strings.HasSuffix(uris1[0], "?lod=1") {
		t.Errorf("lod=1: %d buildings, uri %q", len(ids1), uris1[0])
	}

	// A sensor changes nothing; a new building, far out, changes the tileset.
	builds := c.builds.Load()
	apply := func(op twin.Op) {
		t.Helper()
		if _, err := store.Apply(op); err != nil {
			t.Fatal(err)
		}
	}
	apply(twin.Op{Type: twin.OpUpsert, Entity: &twin.Entity{ID: "sensor:x", Kind: twin.KindSensor, Geometry: orb.Point{24.9, 60.1}}})
	if e2, _, _ := fetchTileset(t, s, ""); e2 != etag || c.builds.Load() != builds {
		t.Errorf("a sensor rebuilt the tileset")
	}
	sq := orb.Polygon{{{25.3, 60.3}, {25.3002, 60.3}, {25.3002, 60.3002}, {25.3, 60.3002}, {25.3, 60.3}}}
	apply(twin.Op{Type: twin.OpUpsert, Entity: &twin.Entity{ID: "b:far", Kind: twin.KindBuilding, Geometry: sq, Height: 9}})
	e3, ids3, _ := fetchTileset(t, s, "")
	if e3 == etag || !ids3["b:far"] || len(ids3) != len(ids)+1 {
		t.Errorf("after an upsert: etag %s (was %s), %d buildings", e3, etag, len(ids3))
	}
	apply(twin.Op{Type: twin.OpDelete, ID: "b:far"})
	if e4, ids4, _ := fetchTileset(t, s, ""); e4 == e3 || ids4["b:far"] {
		t.Errorf("after a delete: b:far still drawn")
	}

	// Errors.
	for target, status := range map[string]int{
		"/3dtiles/tileset.json?lod=3":        400,
		"/3dtiles/tileset.json?x=1":          400,
		"/3dtiles/content/0/0/0.glb":         404, // the root has children
		"/3dtiles/content/0/0/0.b3dm":        400,
		"/3dtiles/content/1/2/0.glb":         400,
		"/3dtiles/content/31/0/0.glb":        400,
		"/3dtiles/content/01/0/0.glb":        400,
		"/3dtiles/content/1/0/0.glb?lod=0":   400,
		"/3dtiles/content/20/0/0.glb":        404,
		"/3dtiles/content/1/0/0.glb?lod=1&a": 400,
	} {
		if r := get(t, h, target); r.status != status || r.header.Get("Content-Type") != ContentTypeProblem {
			t.Errorf("%s: %d %s, want %d problem", target, r.status, r.header.Get("Content-Type"), status)
		}
	}
}

// Requests racing changes never serve a tileset from before a change that
// was applied when they came, and never mix up content.
func TestTiles3DConcurrent(t *testing.T) {
	store := synthStore(t, 600)
	s, err := New(DefaultConfig(), store, nil)
	if err != nil {
		t.Fatal(err)
	}
	h := s.Handler()
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := range 10 {
				r := get(t, h, "/3dtiles/tileset.json")
				if r.status != 200 {
					t.Errorf("%d", r.status)
					return
				}
				var doc tileset3D
				_ = json.Unmarshal(r.body, &doc)
				for _, u := range doc.Root.uris() {
					// 404 is allowed: the tileset may have changed since.
					if c := get(t, h, "/3dtiles/"+u); c.status != 200 && c.status != 404 {
						t.Errorf("%s: %d", u, c.status)
					} else if c.status == 200 {
						checkGLB(t, c.body)
					}
				}
				if w == 0 {
					id := twin.ID(fmt.Sprintf("b:new-%d", i))
					sq := orb.Polygon{{{24.9, 60.1}, {24.9002, 60.1}, {24.9002, 60.1002}, {24.9, 60.1002}, {24.9, 60.1}}}
					if _, err := store.Apply(twin.Op{Type: twin.OpUpsert, Entity: &twin.Entity{ID: id, Kind: twin.KindBuilding, Geometry: sq, Height: 5}}); err != nil {
						t.Error(err)
					}
				}
			}
		})
	}
	wg.Wait()
	// After the writes, a fresh read sees all of them.
	_, ids, _ := fetchTileset(t, s, "")
	for i := range 10 {
		if !ids[fmt.Sprintf("b:new-%d", i)] {
			t.Errorf("b:new-%d missing", i)
		}
	}
}
