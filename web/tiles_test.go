package web

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"testing"

	"citytwin/render"
	"citytwin/twin"
	"citytwin/twin/series"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"
)

// tileServer is a server over a store of its own, called in process.
type tileServer struct {
	store *twin.Store
	srv   *Server
}

func newTileServer(t testing.TB, cfg twin.Config, opts ...Option) *tileServer {
	t.Helper()
	store, err := twin.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(DefaultConfig(), store, slog.New(slog.DiscardHandler), opts...)
	if err != nil {
		t.Fatal(err)
	}
	return &tileServer{store: store, srv: s}
}

func (ts *tileServer) get(target string, header ...string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodGet, target, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	ts.srv.Handler().ServeHTTP(rec, req)
	return rec
}

func (ts *tileServer) apply(t testing.TB, ops ...twin.Op) {
	t.Helper()
	if _, err := ts.store.Apply(ops...); err != nil {
		t.Fatal(err)
	}
}

func rect(lon, lat, d float64) orb.Polygon {
	return orb.Polygon{{{lon, lat}, {lon + d, lat}, {lon + d, lat + d}, {lon, lat + d}, {lon, lat}}}
}

func building(id string, lon, lat, height float64) twin.Op {
	return twin.Op{Type: twin.OpUpsert, Entity: &twin.Entity{ID: twin.ID(id), Kind: twin.KindBuilding, Geometry: rect(lon, lat, 0.0004), Height: height}}
}

func tileTarget(layer string, t maptile.Tile, query string) string {
	u := fmt.Sprintf("/tiles/%s/%d/%d/%d.mvt", layer, t.Z, t.X, t.Y)
	if query != "" {
		u += "?" + query
	}
	return u
}

// fresh renders a tile straight from the twin: what the cache must serve.
func (ts *tileServer) fresh(t testing.TB, layer string, tile maptile.Tile, o render.TileOptions) []byte {
	t.Helper()
	b, err := render.Tile(context.Background(), ts.store, layer, int(tile.Z), int(tile.X), int(tile.Y), o)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func (ts *tileServer) wantFresh(t testing.TB, layer string, tile maptile.Tile, query string, o render.TileOptions) {
	t.Helper()
	rec := ts.get(tileTarget(layer, tile, query))
	if rec.Code != 200 {
		t.Fatalf("%s %v: %d %s", layer, tile, rec.Code, rec.Body)
	}
	if want := ts.fresh(t, layer, tile, o); !bytes.Equal(rec.Body.Bytes(), want) {
		t.Fatalf("%s %v?%s: served %d bytes, the twin renders %d: stale", layer, tile, query, rec.Body.Len(), len(want))
	}
}

var (
	near = orb.Point{13.4, 52.5}
	far  = orb.Point{13.6, 52.6}
)

func TestTileCacheInvalidation(t *testing.T) {
	ts := newTileServer(t, twin.DefaultConfig())
	ts.apply(t, building("b:near", near[0], near[1], 10), building("b:far", far[0], far[1], 20),
		twin.Op{Type: twin.OpUpsert, Entity: &twin.Entity{ID: "s:1", Kind: twin.KindSensor, Geometry: near}},
		twin.Op{Type: twin.OpUpsert, Entity: &twin.Entity{ID: "v:1", Kind: twin.KindVehicle, Geometry: near}})
	ts.apply(t, twin.Op{Type: twin.OpObserve, Observations: []twin.Observation{{ID: "s:1", Metric: "pm25", T: 1, V: 3}}})
	nearTile, farTile := maptile.At(orb.Point{near[0] + 0.0002, near[1] + 0.0002}, 16), maptile.At(far, 16)
	h3 := render.TileOptions{Metric: "pm25", Agg: series.Avg, Res: render.ResAuto}
	all := func() {
		t.Helper()
		ts.wantFresh(t, render.LayerBuildings, nearTile, "", render.TileOptions{})
		ts.wantFresh(t, render.LayerBuildings, farTile, "", render.TileOptions{})
		ts.wantFresh(t, render.LayerBuildings, nearTile.Parent().Parent(), "", render.TileOptions{})
		ts.wantFresh(t, render.LayerVehicles, nearTile, "", render.TileOptions{})
		ts.wantFresh(t, render.LayerH3, nearTile, "metric=pm25", h3)
	}
	all()
	all()
	st := ts.srv.tiles.stats()
	if st.Hits != 5 || st.Misses != 5 || st.Tiles != 5 {
		t.Fatalf("after two rounds: %+v", st)
	}

	step := func(name string, wantMisses uint64, ops ...twin.Op) {
		t.Helper()
		ts.apply(t, ops...)
		before := ts.srv.tiles.stats()
		all()
		after := ts.srv.tiles.stats()
		if got := after.Misses - before.Misses; got != wantMisses {
			t.Errorf("%s: %d tiles rendered again, want %d (%+v)", name, got, wantMisses, after)
		}
	}
	// A building grows: the tiles that show it (z16 and z14), not the far one,
	// and the h3 tile of its cell (a property may be what it aggregates).
	step("height", 3, building("b:near", near[0], near[1], 33))
	// A patch of a property.
	step("patch", 3, twin.Op{Type: twin.OpPatch, ID: "b:near", Patch: twin.Properties{{Key: "name", Value: twin.StringValue("Town Hall")}}})
	// The far building moves next to the near one: its old and new tiles.
	step("move building", 4, building("b:far", near[0]+0.0006, near[1], 20))
	step("move back", 4, building("b:far", far[0], far[1], 20))
	// A vehicle moves: only the vehicles tile and (its cell) the h3 tile; the
	// first move of a vehicle not seen moving drops its layers.
	step("first move", 2, twin.Op{Type: twin.OpMove, Positions: []twin.Position{{ID: "v:1", T: 10, Point: orb.Point{near[0] + 0.0001, near[1]}}}})
	step("move", 2, twin.Op{Type: twin.OpMove, Positions: []twin.Position{{ID: "v:1", T: 20, Point: orb.Point{near[0] + 0.0002, near[1]}}}})
	// An observation: the h3 tile only.
	step("observe", 1, twin.Op{Type: twin.OpObserve, Observations: []twin.Observation{{ID: "s:1", Metric: "pm25", T: 30, V: 9}}})
	// A metric nobody asked for: nothing.
	step("observe other", 0, twin.Op{Type: twin.OpObserve, Observations: []twin.Observation{{ID: "s:1", Metric: "no2", T: 30, V: 9}}})
	step("observe other again", 0, twin.Op{Type: twin.OpObserve, Observations: []twin.Observation{{ID: "s:1", Metric: "no2", T: 40, V: 9}}})
	// Deleted.
	step("delete", 3, twin.Op{Type: twin.OpDelete, ID: "b:near"})
}

// TestTileCacheMissed drops everything when the feed lost changes.
func TestTileCacheMissed(t *testing.T) {
	cfg := twin.DefaultConfig()
	cfg.FeedSize = 16
	ts := newTileServer(t, cfg)
	ts.apply(t, building("b:near", near[0], near[1], 10), building("b:far", far[0], far[1], 20))
	farTile := maptile.At(far, 16)
	ts.wantFresh(t, render.LayerBuildings, farTile, "", render.TileOptions{})
	for i := range 40 {
		ts.apply(t, building("b:near", near[0], near[1], float64(11+i)))
	}
	ts.wantFresh(t, render.LayerBuildings, farTile, "", render.TileOptions{})
	if st := ts.srv.tiles.stats(); st.Misses != 2 || st.Drops != 1 {
		t.Errorf("%+v", st)
	}
}

// TestTileCacheNeverStale applies random changes to a small city and checks
// after each that every tile the cache serves is the tile the twin renders.
func TestTileCacheNeverStale(t *testing.T) {
	ts := newTileServer(t, twin.DefaultConfig())
	r := rand.New(rand.NewPCG(1, 2))
	spot := func() orb.Point { return orb.Point{13.4 + r.Float64()*0.02, 52.5 + r.Float64()*0.02} }
	for i := range 40 {
		p := spot()
		ts.apply(t, building(fmt.Sprintf("b:%d", i), p[0], p[1], float64(5+i)))
	}
	for i := range 10 {
		ts.apply(t, twin.Op{Type: twin.OpUpsert, Entity: &twin.Entity{ID: twin.ID(fmt.Sprintf("v:%d", i)), Kind: twin.KindVehicle, Geometry: spot()}},
			twin.Op{Type: twin.OpUpsert, Entity: &twin.Entity{ID: twin.ID(fmt.Sprintf("s:%d", i)), Kind: twin.KindSensor, Geometry: spot()}})
	}
	var tiles []maptile.Tile
	for _, z := range []maptile.Zoom{13, 14, 15, 16} {
		lo, hi := maptile.At(orb.Point{13.4, 52.52}, z), maptile.At(orb.Point{13.42, 52.5}, z)
		for x := lo.X; x <= hi.X; x++ {
			for y := lo.Y; y <= hi.Y; y++ {
				tiles = append(tiles, maptile.New(x, y, z))
			}
		}
	}
	h3 := render.TileOptions{Metric: "pm25", Agg: series.Avg, Res: render.ResAuto}
	check := func() {
		t.Helper()
		for _, tile := range tiles {
			ts.wantFresh(t, render.LayerBuildings, tile, "", render.TileOptions{})
			ts.wantFresh(t, render.LayerVehicles, tile, "", render.TileOptions{})
			ts.wantFresh(t, render.LayerSensors, tile, "", render.TileOptions{})
			ts.wantFresh(t, render.LayerH3, tile, "metric=pm25", h3)
		}
	}
	check()
	for step := range 60 {
		var op twin.Op
		id := r.IntN(10)
		switch r.IntN(6) {
		case 0:
			p := spot()
			op = building(fmt.Sprintf("b:%d", r.IntN(45)), p[0], p[1], float64(r.IntN(50)))
		case 1:
			op = twin.Op{Type: twin.OpMove, Positions: []twin.Position{{ID: twin.ID(fmt.Sprintf("v:%d", id)), T: int64(1000 + step), Point: spot()}}}
		case 2:
			op = twin.Op{Type: twin.OpObserve, Observations: []twin.Observation{{ID: twin.ID(fmt.Sprintf("s:%d", id)), Metric: "pm25", T: int64(1000 + step), V: float64(r.IntN(100))}}}
		case 3:
			op = twin.Op{Type: twin.OpUpsert, Entity: &twin.Entity{ID: twin.ID(fmt.Sprintf("s:%d", id)), Kind: twin.KindSensor, Geometry: spot()}}
		case 4:
			op = twin.Op{Type: twin.OpPatch, ID: twin.ID(fmt.Sprintf("b:%d", r.IntN(40))), Patch: twin.Properties{{Key: "pm25", Value: twin.NumberValue(float64(step))}}}
		case 5:
			victim := twin.ID(fmt.Sprintf("b:%d", r.IntN(40)))
			if _, err := ts.store.Get(victim); err != nil {
				continue
			}
			op = twin.Op{Type: twin.OpDelete, ID: victim}
		}
		if _, err := ts.store.Apply(op); err != nil {
			continue // e.g. a patch of a deleted building
		}
		check()
	}
	if st := ts.srv.tiles.stats(); st.Hits == 0 || st.Drops == 0 {
		t.Errorf("the cache was not exercised: %+v", st)
	}
}

func TestTileHandler(t *testing.T) {
	ts := newTileServer(t, twin.DefaultConfig())
	ts.apply(t, building("b:near", near[0], near[1], 10))
	tile := maptile.At(orb.Point{near[0] + 0.0002, near[1] + 0.0002}, 16)
	target := tileTarget(render.LayerBuildings, tile, "")
	rec := ts.get(target)
	h := rec.Header()
	if rec.Code != 200 || h.Get("Content-Type") != ContentTypeMVT || h.Get("ETag") == "" || h.Get("Cache-Control") != tileCacheControl || rec.Body.Len() == 0 {
		t.Fatalf("%d %v", rec.Code, h)
	}
	if rec := ts.get(target, "If-None-Match", h.Get("ETag")); rec.Code != http.StatusNotModified || rec.Body.Len() != 0 {
		t.Errorf("If-None-Match: %d", rec.Code)
	}
	gz := ts.get(target, "Accept-Encoding", "gzip, deflate")
	if gz.Header().Get("Content-Encoding") != "gzip" || !bytes.HasPrefix(gz.Body.Bytes(), []byte{0x1f, 0x8b}) {
		t.Errorf("gzip: %v", gz.Header())
	}
	// As of before the building: empty and not cached.
	before := ts.srv.tiles.stats()
	at := ts.get(target + "?at=2000-01-01T00:00:00Z")
	if at.Code != 200 || at.Body.Len() != 0 || at.Header().Get("Cache-Control") != tileAtCacheControl {
		t.Errorf("at: %d %d %v", at.Code, at.Body.Len(), at.Header())
	}
	if after := ts.srv.tiles.stats(); after.Tiles != before.Tiles || after.Misses != before.Misses {
		t.Errorf("an as-of tile went through the cache: %+v", after)
	}
	// Empty tile.
	if rec := ts.get("/tiles/buildings/16/0/0.mvt"); rec.Code != 200 || rec.Body.Len() != 0 {
		t.Errorf("empty: %d %d", rec.Code, rec.Body.Len())
	}
	for _, c := range []struct {
		target, param string
		status        int
	}{
		{"/tiles/buildings/23/0/0.mvt", "z", 400},
		{"/tiles/buildings/2/4/0.mvt", "x", 400},
		{"/tiles/buildings/2/0/4.mvt", "y", 400},
		{"/tiles/buildings/2/0/-1.mvt", "y", 400},
		{"/tiles/buildings/2/0/1.png", "y", 400},
		{"/tiles/buildings/02/0/1.mvt", "z", 400},
		{"/tiles/buildings/x/0/1.mvt", "z", 400},
		{"/tiles/buildings/2/0/1.mvt?metric=pm25", "metric", 400},
		{"/tiles/h3/2/0/1.mvt", "metric", 400},
		{"/tiles/h3/2/0/1.mvt?metric=pm25&res=16", "res", 400},
		{"/tiles/h3/2/0/1.mvt?metric=pm25&agg=mode", "agg", 400},
		{"/tiles/buildings/2/0/1.mvt?at=yesterday", "at", 400},
		{"/tiles/nope/2/0/1.mvt", "", 404},
		{"/tiles/nope.json", "", 404},
		{"/tiles/buildings", "", 404},
	} {
		rec := ts.get(c.target)
		if rec.Code != c.status || rec.Header().Get("Content-Type") != ContentTypeProblem {
			t.Errorf("%s: %d %s", c.target, rec.Code, rec.Body)
			continue
		}
		var p Problem
		if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil {
			t.Fatal(err)
		}
		if c.param != "" && (len(p.InvalidParams) != 1 || p.InvalidParams[0].Name != c.param) {
			t.Errorf("%s: %+v, want parameter %s", c.target, p, c.param)
		}
	}
}

func TestTileJSON(t *testing.T) {
	ts := newTileServer(t, twin.DefaultConfig())
	ts.apply(t, building("b:near", near[0], near[1], 10), building("b:far", far[0], far[1], 20))
	rec := ts.get("/tiles/buildings.json")
	var tj struct {
		TileJSON     string    `json:"tilejson"`
		Tiles        []string  `json:"tiles"`
		Bounds       []float64 `json:"bounds"`
		MinZoom      int       `json:"minzoom"`
		VectorLayers []struct {
			ID     string            `json:"id"`
			Fields map[string]string `json:"fields"`
		} `json:"vector_layers"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &tj); err != nil || rec.Code != 200 {
		t.Fatalf("%d %v %s", rec.Code, err, rec.Body)
	}
	if tj.TileJSON != "3.0.0" || len(tj.Tiles) != 1 || !bytes.HasSuffix([]byte(tj.Tiles[0]), []byte("/tiles/buildings/{z}/{x}/{y}.mvt")) ||
		tj.MinZoom != 13 || len(tj.VectorLayers) != 1 || tj.VectorLayers[0].ID != "buildings" || tj.VectorLayers[0].Fields["height"] == "" {
		t.Errorf("%+v", tj)
	}
	if b := tj.Bounds; len(b) != 4 || b[0] != near[0] || b[1] != near[1] || b[2] < far[0] || b[3] < far[1] {
		t.Errorf("bounds %v", b)
	}
	rec = ts.get("/tiles/h3.json?metric=pm25&res=8")
	if err := json.Unmarshal(rec.Body.Bytes(), &tj); err != nil || rec.Code != 200 {
		t.Fatalf("%d %v", rec.Code, err)
	}
	if !bytes.HasSuffix([]byte(tj.Tiles[0]), []byte("/tiles/h3/{z}/{x}/{y}.mvt?metric=pm25&res=8")) {
		t.Errorf("%v", tj.Tiles)
	}
}

// TestTileCacheBound keeps the cache under its byte bound.
func TestTileCacheBound(t *testing.T) {
	ts := newTileServer(t, twin.DefaultConfig(), WithTileCache(4<<10))
	for i := range 30 {
		ts.apply(t, building(fmt.Sprintf("b:%d", i), near[0]+float64(i)*0.001, near[1], 10))
	}
	for i := range 30 {
		ts.get(tileTarget(render.LayerBuildings, maptile.At(orb.Point{near[0] + float64(i)*0.001 + 0.0002, near[1] + 0.0002}, 18), ""))
	}
	if st := ts.srv.tiles.stats(); st.Bytes > 4<<10 || st.Evictions == 0 {
		t.Errorf("%+v", st)
	}
}

func FuzzTilePath(f *testing.F) {
	for _, s := range [][4]string{{"buildings", "15", "17604", "10748.mvt"}, {"h3", "0", "0", "0.mvt"}, {"roads", "22", "4194303", "4194303.mvt"},
		{"nope", "1", "0", "0.mvt"}, {"buildings", "-1", "0", "0.mvt"}, {"buildings", "1", "0", "0.pbf"}, {"buildings", "01", "0", ".mvt"},
		{"buildings", "99999999999", "0", "0.mvt"}, {"buildings", "3", "7", "8.mvt"}} {
		f.Add(s[0], s[1], s[2], s[3])
	}
	f.Fuzz(func(t *testing.T, layer, z, x, y string) {
		req, known, err := parseTilePath(layer, z, x, y)
		if !known || err != nil {
			return
		}
		if cerr := render.CheckTileCoords(req.z, req.x, req.y); cerr != nil {
			t.Fatalf("%q %q %q %q parsed to %+v: %v", layer, z, x, y, req, cerr)
		}
		if got := fmt.Sprintf("%d/%d/%d.mvt", req.z, req.x, req.y); got != z+"/"+x+"/"+y {
			t.Fatalf("%q/%q/%q read as %s", z, x, y, got)
		}
	})
}
