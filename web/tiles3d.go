package web

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"citytwin/render"
	"citytwin/twin"
)

// The 3D Tiles routes (render/tiles3d.go): an OGC 3D Tiles 1.1 tileset of the
// buildings, content tiles as GLB.
const (
	tilesetPath      = "/3dtiles/tileset.json"
	tile3DContent    = "/3dtiles/content/{level}/{x}/{y}"
	tile3DCacheCtl   = "no-cache" // live: keep, but ask again (the ETag makes that cheap)
	tile3DMaxLevel   = 30
	tile3DDefaultLoD = 2
)

// DefaultTiles3DCacheBytes bounds the content tiles kept, per server.
const DefaultTiles3DCacheBytes = 256 << 20

var tiles3dParams = []string{"lod"}

// tiles3dState is the server's 3D Tiles cache, made at the first request so
// that a server nobody asks for 3D Tiles follows no change feed for them.
type tiles3dState struct {
	once  sync.Once
	cache *tiles3dCache
}

func (s *Server) tiles3dCache() *tiles3dCache {
	s.tiles3d.once.Do(func() {
		s.tiles3d.cache = newTiles3DCache(s.store, s.glb.meshes, DefaultTiles3DCacheBytes)
	})
	return s.tiles3d.cache
}

// tiles3dCache keeps, per LoD, the tileset of the current twin and the
// content tiles rendered from it, and drops them all when a building or a
// building part changes (a change may move the root's extent, which names
// every tile). Like tileCache it follows the twin's change feed without a
// goroutine: every request first applies the changes made since the last
// one. A tileset built while a building changed is served but not kept.
//
// Lock order: drain, then mu; build[lod] before either.
type tiles3dCache struct {
	store  *twin.Store
	meshes render.MeshSource
	max    int64

	build [3]sync.Mutex // one build of each LoD's tileset at a time

	feed feedFollower

	mu    sync.Mutex
	sets  [3]*tilesetEntry // by LoD; nil: not built or dropped
	dirty uint64           // seq of the last change to a building
	bytes int64            // of content kept
	fifo  []contentRef     // content in the order kept, oldest first

	hits, misses, builds atomic.Uint64
}

// tilesetEntry is a built tileset, its JSON and the content kept of it
// (guarded by tiles3dCache.mu).
type tilesetEntry struct {
	ts      *render.Tileset
	json    []byte
	etag    string
	content map[[3]int]*contentEntry
}

type contentEntry struct {
	body []byte
	etag string
}

type contentRef struct {
	set *tilesetEntry
	key [3]int
}

func newTiles3DCache(store *twin.Store, meshes render.MeshSource, maxBytes int64) *tiles3dCache {
	c := &tiles3dCache{store: store, meshes: meshes, max: maxBytes}
	c.feed.follow(store)
	return c
}

// sync applies the changes up to the twin's seq and returns it.
func (c *tiles3dCache) sync(ctx context.Context) uint64 {
	return c.feed.sync(ctx, func(changes []twin.Change, missed, pos uint64) {
		if missed > 0 { // what was missed is not known
			c.dropAll(pos)
			return
		}
		for i := range changes {
			if c.touches(&changes[i].Op) {
				c.dropAll(pos)
				return
			}
		}
	})
}

// touches reports whether op may change what the tilesets draw.
func (c *tiles3dCache) touches(op *twin.Op) bool {
	switch op.Type {
	case twin.OpUpsert, twin.OpPatch:
		return op.Entity != nil && slices.Contains(render.Tile3DKinds, op.Entity.Kind)
	case twin.OpDelete:
		hist, err := c.store.History(op.ID)
		if err != nil || len(hist) == 0 {
			return true
		}
		for i := range hist {
			if slices.Contains(render.Tile3DKinds, hist[i].Kind) {
				return true
			}
		}
	}
	return false
}

func (c *tiles3dCache) dropAll(seq uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sets = [3]*tilesetEntry{}
	c.fifo, c.bytes = nil, 0
	c.dirty = seq
}

// tileset returns the tileset of lod, building it on a miss.
func (c *tiles3dCache) tileset(ctx context.Context, lod int) (*tilesetEntry, error) {
	seq := c.sync(ctx)
	c.mu.Lock()
	e := c.sets[lod]
	c.mu.Unlock()
	if e != nil {
		c.hits.Add(1)
		return e, nil
	}
	c.build[lod].Lock()
	defer c.build[lod].Unlock()
	seq = c.sync(ctx)
	c.mu.Lock()
	e = c.sets[lod]
	c.mu.Unlock()
	if e != nil { // built while this request waited
		c.hits.Add(1)
		return e, nil
	}
	c.misses.Add(1)
	c.builds.Add(1)
	ts, err := render.NewTileset(ctx, c.store, c.meshes, render.TilesetOptions{LoD: lod})
	if err != nil {
		return nil, err
	}
	js, err := ts.JSON("lod=" + strconv.Itoa(lod))
	if err != nil {
		return nil, err
	}
	e = &tilesetEntry{ts: ts, json: js, etag: tileETag(js), content: map[[3]int]*contentEntry{}}
	c.mu.Lock()
	if c.dirty <= seq {
		c.sets[lod] = e
	}
	c.mu.Unlock()
	return e, nil
}

// content returns tile level/x/y of the current tileset of lod.
func (c *tiles3dCache) content(ctx context.Context, lod int, key [3]int) (*contentEntry, error) {
	set, err := c.tileset(ctx, lod)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	ce := set.content[key]
	c.mu.Unlock()
	if ce != nil {
		c.hits.Add(1)
		return ce, nil
	}
	c.misses.Add(1)
	body, err := set.ts.Content(ctx, key[0], key[1], key[2])
	if err != nil {
		return nil, err
	}
	ce = &contentEntry{body: body, etag: tileETag(body)}
	size := int64(len(body) + 64)
	if size > c.max/4 {
		return ce, nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.sets[lod] != set || set.content[key] != nil {
		return ce, nil // dropped meanwhile, or kept by another request
	}
	set.content[key] = ce
	c.fifo = append(c.fifo, contentRef{set: set, key: key})
	c.bytes += size
	for c.bytes > c.max && len(c.fifo) > 0 {
		old := c.fifo[0]
		c.fifo = c.fifo[1:]
		if oe := old.set.content[old.key]; oe != nil {
			delete(old.set.content, old.key)
			c.bytes -= int64(len(oe.body) + 64)
		}
	}
	return ce, nil
}

// parseTile3DLoD reads lod (1 or 2, default 2) and refuses other parameters.
func parseTile3DLoD(r *http.Request) (int, *ParamError) {
	v := r.URL.Query()
	if err := checkParams(v, tiles3dParams); err != nil {
		return 0, err
	}
	s, ok, err := single(v, "lod")
	if err != nil || !ok {
		return tile3DDefaultLoD, err
	}
	return parseInt("lod", s, 1, 2)
}

// tileset serves GET /3dtiles/tileset.json.
func (s *Server) tileset(w http.ResponseWriter, r *http.Request) {
	if _, ok := query(w, r); !ok {
		return
	}
	lod, perr := parseTile3DLoD(r)
	if perr != nil {
		writeProblem(w, paramProblem(r, perr))
		return
	}
	e, err := s.tiles3dCache().tileset(r.Context(), lod)
	if err != nil {
		s.tile3DError(w, r, err)
		return
	}
	writeTile3D(w, r, ContentTypeJSON, e.json, e.etag)
}

// tile3D serves GET /3dtiles/content/{level}/{x}/{y}.glb.
func (s *Server) tile3D(w http.ResponseWriter, r *http.Request) {
	if _, ok := query(w, r); !ok {
		return
	}
	key, perr := parseTile3DPath(r.PathValue("level"), r.PathValue("x"), r.PathValue("y"))
	if perr == nil {
		var lod int
		if lod, perr = parseTile3DLoD(r); perr == nil {
			e, err := s.tiles3dCache().content(r.Context(), lod, key)
			if err != nil {
				s.tile3DError(w, r, err)
				return
			}
			writeTile3D(w, r, ContentTypeGLB, e.body, e.etag)
			return
		}
	}
	writeProblem(w, paramProblem(r, perr))
}

// parseTile3DPath reads {level}/{x}/{y}.glb.
func parseTile3DPath(ls, xs, ys string) ([3]int, *ParamError) {
	var key [3]int
	ys, ok := strings.CutSuffix(ys, ".glb")
	if !ok {
		return key, paramErrorf("y", "%q: the row ends in .glb, as in /3dtiles/content/3/5/2.glb", clip(ys))
	}
	num := func(name, s string, hi int) (int, *ParamError) { return tileNumber(name, s, 10, hi) }
	var err *ParamError
	if key[0], err = num("level", ls, tile3DMaxLevel); err != nil {
		return key, err
	}
	last := 1<<key[0] - 1
	if key[1], err = num("x", xs, last); err != nil {
		return key, err
	}
	if key[2], err = num("y", ys, last); err != nil {
		return key, err
	}
	return key, nil
}

func (s *Server) tile3DError(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, render.ErrNoTile3D) {
		writeProblem(w, notFound(r, "there is no content tile "+quote(r.PathValue("level")+"/"+r.PathValue("x")+"/"+r.PathValue("y"))+
			" in the current tileset; "+tilesetPath+" lists the content tiles (the tileset changes when buildings do)"))
		return
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		s.queryError(w, r, err)
		return
	}
	s.log.Error("render 3d tiles", "path", r.URL.Path, "query", r.URL.RawQuery, "err", err)
	writeProblem(w, internalProblem(r))
}

// writeTile3D answers with body, or 304 when If-None-Match has its ETag.
func writeTile3D(w http.ResponseWriter, r *http.Request, contentType string, body []byte, etag string) {
	h := w.Header()
	h.Set("ETag", etag)
	h.Set("Cache-Control", tile3DCacheCtl)
	if inm := r.Header.Get("If-None-Match"); inm != "" && tileETagMatch(inm, etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	writeBytes(w, contentType, http.StatusOK, body)
}

// tiles3dOpenAPI documents the 3D Tiles routes.
func tiles3dOpenAPI(paths, params, schemas obj) {
	ref := func(kind, name string) obj { return obj{"$ref": "#/components/" + kind + "/" + name} }
	problems := func(resp obj, codes ...int) obj {
		for _, c := range codes {
			resp[strconv.Itoa(c)] = ref("responses", "Problem")
		}
		return resp
	}
	str := obj{"type": "string"}
	num := obj{"type": "number"}
	headers := obj{"ETag": obj{"schema": str}, "Cache-Control": obj{"schema": str}}
	path := func(name, desc string, schema obj) obj {
		return obj{"name": name, "in": "path", "required": true, "description": desc, "schema": schema}
	}
	params["tile3DLoD"] = obj{"name": "lod", "in": "query", "required": false,
		"description": "1: footprints extruded; 2: the stored 3D surfaces where there are some, else 1. The tileset's content URIs carry it.",
		"schema":      obj{"type": "integer", "enum": []int{1, 2}, "default": tile3DDefaultLoD}}
	params["tile3DLevel"] = path("level", "The quadtree level, 0 at the root.", obj{"type": "integer", "minimum": 0, "maximum": tile3DMaxLevel})
	params["tile3DX"] = path("x", "Column from the root's west edge, 0..2^level-1.", obj{"type": "integer", "minimum": 0})
	params["tile3DY"] = path("y", "Row from the root's south edge, 0..2^level-1, followed by .glb (e.g. 2.glb).", obj{"type": "string", "pattern": "^[0-9]+\\.glb$"})
	paths[tilesetPath] = obj{"get": obj{
		"operationId": "get3DTileset",
		"summary":     "An OGC 3D Tiles 1.1 tileset of the buildings (CesiumJS, deck.gl Tile3DLayer, …): a quadtree of regions, leaves of at most ~2,000 buildings with GLB content",
		"description": "Parents are empty (refine ADD) with geometric errors halving per level; leaves have error 0, a transform from their east-north-up frame to ECEF and content/{level}/{x}/{y}.glb?lod=… relative to this document. Heights are above the WGS84 ellipsoid. docs/tiles.md has the details.",
		"parameters":  []obj{ref("parameters", "tile3DLoD")},
		"responses": problems(obj{
			"200": obj{"description": "The tileset.", "headers": headers, "content": obj{ContentTypeJSON: obj{"schema": ref("schemas", "Tileset3D")}}},
			"304": obj{"description": "Not modified (If-None-Match)."},
		}, 400, 500, 503),
	}}
	paths[tile3DContent] = obj{"get": obj{
		"operationId": "get3DTileContent",
		"summary":     "The content of a leaf of the 3D tileset: its buildings as a glTF 2.0 binary (GLB), y up, in the leaf's east-north-up frame",
		"description": "Only the tiles the current tileset lists have content (404 otherwise: the tileset changes when buildings do). The scene's extras list the buildings that the float vertex attribute " + render.FeatureAttribute + " indexes.",
		"parameters":  []obj{ref("parameters", "tile3DLevel"), ref("parameters", "tile3DX"), ref("parameters", "tile3DY"), ref("parameters", "tile3DLoD")},
		"responses": problems(obj{
			"200": obj{"description": "The GLB.", "headers": headers, "content": obj{ContentTypeGLB: obj{"schema": obj{"type": "string", "format": "binary"}}}},
			"304": obj{"description": "Not modified (If-None-Match)."},
		}, 400, 404, 500, 503),
	}}
	var tile obj
	tile = obj{"type": "object", "required": []string{"boundingVolume", "geometricError"}, "properties": obj{
		"boundingVolume": obj{"type": "object", "required": []string{"region"}, "properties": obj{
			"region": obj{"type": "array", "minItems": 6, "maxItems": 6, "items": num,
				"description": "west, south, east, north (radians), min and max height (metres above the ellipsoid)"}}},
		"geometricError": num,
		"refine":         obj{"type": "string", "enum": []string{"ADD", "REPLACE"}},
		"transform":      obj{"type": "array", "minItems": 16, "maxItems": 16, "items": num, "description": "Column-major, east-north-up to ECEF."},
		"content":        obj{"type": "object", "required": []string{"uri"}, "properties": obj{"uri": str}},
		"children":       obj{"type": "array", "items": ref("schemas", "Tile3D")},
	}}
	schemas["Tile3D"] = tile
	schemas["Tileset3D"] = obj{"type": "object", "required": []string{"asset", "geometricError", "root"}, "properties": obj{
		"asset":          obj{"type": "object", "required": []string{"version"}, "properties": obj{"version": str, "generator": str}},
		"geometricError": num,
		"root":           ref("schemas", "Tile3D"),
		"extras":         obj{"type": "object"},
	}}
}
