package render

import (
	"context"
	"errors"
	"math"
	"slices"
	"sync"
	"testing"
	"time"

	"citytwin/datasets"
	"citytwin/geo"
	"citytwin/twin"
	"citytwin/twin/series"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"
)

// demo is the demo city (3,000 buildings) with a speed channel on some roads
// and pm25 readings on the sensors, loaded once.
var demo struct {
	once  sync.Once
	store *twin.Store
	city  *datasets.City
	err   error
}

var epoch = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

func loadDemo(t testing.TB) (*twin.Store, *datasets.City) {
	t.Helper()
	demo.once.Do(func() {
		ctx := context.Background()
		city, err := datasets.Generate(ctx, datasets.Demo(), nil)
		if err != nil {
			demo.err = err
			return
		}
		store, err := twin.New(twin.DefaultConfig())
		if err != nil {
			demo.err = err
			return
		}
		if demo.err = city.Load(ctx, store, nil); demo.err != nil {
			return
		}
		var obs []twin.Observation
		ts := twin.Nanos(epoch.Add(time.Hour))
		for i := 0; i < len(city.Roads); i += 3 {
			obs = append(obs, twin.Observation{ID: datasets.RoadID(i), Metric: LiveRoadMetric, T: ts, V: float64(i % 20)})
		}
		for i, s := range city.Sensors {
			obs = append(obs, twin.Observation{ID: s.ID, Metric: "pm25", T: ts, V: float64(i%37) + 0.5})
		}
		_, demo.err = store.Apply(twin.Op{Type: twin.OpObserve, Observations: obs})
		demo.store, demo.city = store, city
	})
	if demo.err != nil {
		t.Fatal(demo.err)
	}
	return demo.store, demo.city
}

// oracle is the brute force a tile is checked against: every entity of the
// twin, tested one by one.
func allEntities(t *testing.T, store *twin.Store, kinds ...twin.Kind) []twin.Entity {
	t.Helper()
	res, err := store.Query(context.Background(), twin.Query{Kinds: kinds})
	if err != nil {
		t.Fatal(err)
	}
	return res.Entities
}

// tileUnits maps lon/lat into tile t's extent units with orb's maptile, not
// with the renderer's projection.
func tileUnits(p orb.Point, t maptile.Tile) orb.Point {
	f := maptile.Fraction(p, t.Z)
	return orb.Point{(f[0] - float64(t.X)) * DefaultTileExtent, (f[1] - float64(t.Y)) * DefaultTileExtent}
}

func tilesAround(p orb.Point, zs ...int) []maptile.Tile {
	var out []maptile.Tile
	for _, z := range zs {
		c := maptile.At(p, maptile.Zoom(z))
		for dx := -1; dx <= 1; dx++ {
			for dy := -1; dy <= 1; dy++ {
				out = append(out, maptile.New(uint32(int(c.X)+dx), uint32(int(c.Y)+dy), c.Z))
			}
		}
	}
	return out
}

func render(t *testing.T, store *twin.Store, layer string, tile maptile.Tile, o TileOptions) *decodedLayer {
	t.Helper()
	b, err := Tile(context.Background(), store, layer, int(tile.Z), int(tile.X), int(tile.Y), o)
	if err != nil {
		t.Fatalf("%s %v: %v", layer, tile, err)
	}
	ls, err := decodeTile(b)
	if err != nil {
		t.Fatalf("%s %v: decode: %v", layer, tile, err)
	}
	if len(ls) > 1 {
		t.Fatalf("%d layers", len(ls))
	}
	l := ls[layer]
	if l == nil {
		return &decodedLayer{Name: layer, Extent: DefaultTileExtent}
	}
	if l.Extent != DefaultTileExtent {
		t.Fatalf("extent %d", l.Extent)
	}
	return l
}

// inExtent checks that every coordinate lies in the buffered tile.
func inExtent(t *testing.T, l *decodedLayer) {
	t.Helper()
	lo, hi := -float64(DefaultTileBuffer), float64(DefaultTileExtent+DefaultTileBuffer)
	check := func(p orb.Point) {
		if p[0] < lo || p[0] > hi || p[1] < lo || p[1] > hi {
			t.Fatalf("%s: %v outside the buffered extent", l.Name, p)
		}
	}
	for _, f := range l.Features {
		for _, p := range f.Points {
			check(p)
		}
		for _, ls := range f.Lines {
			for _, p := range ls {
				check(p)
			}
		}
		for _, r := range f.Rings {
			for _, p := range r {
				check(p)
			}
		}
	}
}

func idsOf(l *decodedLayer) []string {
	var out []string
	for _, f := range l.Features {
		out = append(out, f.Props["id"].(string))
	}
	slices.Sort(out)
	return out
}

// clippedSpan is how wide and tall (extent units) the part of a projected bound
// inside the buffered tile is.
func clippedSpan(b orb.Bound) (float64, float64) {
	lo, hi := -float64(DefaultTileBuffer), float64(DefaultTileExtent+DefaultTileBuffer)
	w := min(b.Max[0], hi) - max(b.Min[0], lo)
	h := min(b.Max[1], hi) - max(b.Min[1], lo)
	return w, h
}

func projectedBound(g orb.Geometry, tile maptile.Tile) orb.Bound {
	b := g.Bound()
	a, c := tileUnits(orb.Point{b.Min[0], b.Max[1]}, tile), tileUnits(orb.Point{b.Max[0], b.Min[1]}, tile)
	return orb.Bound{Min: a, Max: c}
}

// checkAgainstOracle compares the ids in a tile with the entities whose
// geometry meets the buffered tile and passes the zoom rules. An entity that
// only grazes the buffer (less than a pixel inside) may be missing: clipping
// leaves nothing of it.
func checkAgainstOracle(t *testing.T, l *decodedLayer, tile maptile.Tile, all []twin.Entity, keep func(*twin.Entity) bool) {
	t.Helper()
	box := TileBound(int(tile.Z), int(tile.X), int(tile.Y), DefaultTileExtent, DefaultTileBuffer)
	px := float64(DefaultTileExtent) / 256
	var want, optional []string
	for i := range all {
		e := &all[i]
		if e.Geometry == nil || !keep(e) || !geo.Intersects(e.Geometry, box.ToPolygon()) {
			continue
		}
		pb := projectedBound(e.Geometry, tile)
		if _, isPoint := e.Geometry.(orb.Point); !isPoint {
			if pb.Max[0]-pb.Min[0] < px && pb.Max[1]-pb.Min[1] < px {
				continue // below a pixel
			}
			if w, h := clippedSpan(pb); w < px || h < px {
				optional = append(optional, string(e.ID))
				continue
			}
		}
		want = append(want, string(e.ID))
	}
	got := idsOf(l)
	for _, id := range got {
		if !slices.Contains(want, id) && !slices.Contains(optional, id) {
			t.Errorf("%s %v: %s is not expected", l.Name, tile, id)
		}
	}
	for _, id := range want {
		if _, found := slices.BinarySearch(got, id); !found {
			t.Errorf("%s %v: %s is missing", l.Name, tile, id)
		}
	}
}

func TestTileBuildingsOracle(t *testing.T) {
	store, city := loadDemo(t)
	all := allEntities(t, store, twin.KindBuilding, twin.KindBuildingPart)
	byID := map[string]*twin.Entity{}
	for i := range all {
		byID[string(all[i].ID)] = &all[i]
	}
	for _, tile := range tilesAround(city.Config.Center, 12, 13, 14, 15, 16, 17, 18) {
		l := render(t, store, LayerBuildings, tile, TileOptions{})
		inExtent(t, l)
		if tile.Z < 13 {
			if len(l.Features) > 0 {
				t.Errorf("%v: buildings below z13", tile)
			}
			continue
		}
		checkAgainstOracle(t, l, tile, all, func(*twin.Entity) bool { return true })
		for _, f := range l.Features {
			e := byID[f.Props["id"].(string)]
			if f.Type != mvtPolygon || f.exteriors() == 0 {
				t.Fatalf("%v: %s is not a polygon", tile, e.ID)
			}
			if f.ID != MVTFeatureID(string(e.ID)) {
				t.Errorf("%s: feature id %d", e.ID, f.ID)
			}
			if got, want := f.Props["height"], e.Height; got != want {
				t.Errorf("%s: height %v, want %v", e.ID, got, want)
			}
			if got, want := f.Props["levels"], float64(e.Levels); got != want {
				t.Errorf("%s: levels %v, want %v", e.ID, got, want)
			}
			if f.Props["min_height"] != 0.0 || f.Props["kind"] != "building" {
				t.Errorf("%s: %v", e.ID, f.Props)
			}
			if use, _ := e.Props.Get("use"); f.Props["class"] != use.Any() {
				t.Errorf("%s: class %v, want %v", e.ID, f.Props["class"], use)
			}
		}
	}
}

// TestTileBuildingAccuracy checks at z18 that the decoded outline of a
// building, back in lon/lat, lies within a pixel of the original and the other
// way round.
func TestTileBuildingAccuracy(t *testing.T) {
	store, city := loadDemo(t)
	const z = 18
	px := float64(DefaultTileExtent) / 256
	for i := 0; i < len(city.Buildings); i += 97 {
		b := city.Buildings[i]
		id := string(datasets.BuildingID(i))
		tile := maptile.At(b.Inside, z)
		l := render(t, store, LayerBuildings, tile, TileOptions{})
		var f *decodedFeature
		for j := range l.Features {
			if l.Features[j].Props["id"] == id {
				f = &l.Features[j]
			}
		}
		if f == nil {
			t.Fatalf("%s not in its tile %v", id, tile)
		}
		// Back to lon/lat with the inverse mercator, then into tile units with
		// maptile, as the original.
		n := math.Ldexp(1, z)
		var decoded []orb.Ring
		for _, r := range f.Rings {
			var back orb.Ring
			for _, p := range r {
				wx, wy := (float64(tile.X)+p[0]/DefaultTileExtent)/n, (float64(tile.Y)+p[1]/DefaultTileExtent)/n
				back = append(back, tileUnits(orb.Point{wx*360 - 180, math.Atan(math.Sinh(math.Pi*(1-2*wy))) * 180 / math.Pi}, tile))
			}
			decoded = append(decoded, back)
		}
		var orig []orb.Ring
		var polys orb.MultiPolygon
		switch g := b.Footprint.(type) {
		case orb.Polygon:
			polys = orb.MultiPolygon{g}
		case orb.MultiPolygon:
			polys = g
		}
		for _, p := range polys {
			for _, r := range p {
				var u orb.Ring
				for _, q := range r {
					u = append(u, tileUnits(q, tile))
				}
				orig = append(orig, u)
			}
		}
		lo, hi := -float64(DefaultTileBuffer)+1, float64(DefaultTileExtent+DefaultTileBuffer)-1
		for _, r := range decoded {
			for _, p := range r {
				if p[0] < lo || p[0] > hi || p[1] < lo || p[1] > hi {
					continue // on the clip edge
				}
				if d := distToRings(p, orig); d > px {
					t.Errorf("%s: decoded vertex %v is %.2f px from the footprint", id, p, d/px)
				}
			}
		}
		for _, r := range orig {
			for _, p := range r {
				if p[0] < lo || p[0] > hi || p[1] < lo || p[1] > hi {
					continue
				}
				if d := distToRings(p, decoded); d > px {
					t.Errorf("%s: vertex %v is %.2f px from the decoded outline", id, p, d/px)
				}
			}
		}
	}
}

func distToRings(p orb.Point, rs []orb.Ring) float64 {
	best := math.Inf(1)
	for _, r := range rs {
		for i := range len(r) - 1 {
			best = min(best, segDist(p, r[i], r[i+1]))
		}
	}
	return best
}

func segDist(p, a, b orb.Point) float64 {
	dx, dy := b[0]-a[0], b[1]-a[1]
	t := 0.0
	if l := dx*dx + dy*dy; l > 0 {
		t = min(max(((p[0]-a[0])*dx+(p[1]-a[1])*dy)/l, 0), 1)
	}
	return math.Hypot(p[0]-a[0]-t*dx, p[1]-a[1]-t*dy)
}

func TestTileRoads(t *testing.T) {
	store, city := loadDemo(t)
	all := allEntities(t, store, twin.KindRoad)
	speeds := map[string]float64{}
	for i := 0; i < len(city.Roads); i += 3 {
		speeds[string(datasets.RoadID(i))] = float64(i % 20)
	}
	for _, tile := range tilesAround(city.Config.Center, 4, 5, 9, 11, 12, 14, 16) {
		l := render(t, store, LayerRoads, tile, TileOptions{})
		inExtent(t, l)
		checkAgainstOracle(t, l, tile, all, func(e *twin.Entity) bool {
			c, _ := e.Props.Get("class")
			s, _ := c.Str()
			return RoadMinZoom(s) <= int(tile.Z)
		})
		for _, f := range l.Features {
			if f.Type != mvtLineString || len(f.Lines) == 0 {
				t.Fatalf("not a line: %+v", f)
			}
			id := f.Props["id"].(string)
			v, live := speeds[id]
			if got, ok := f.Props["speed"]; ok != live || live && got != v {
				t.Errorf("%s: speed %v, want %v (%v)", id, got, v, live)
			}
			if live {
				limit := f.Props["maxspeed_kmh"].(float64)
				if c := f.Props["congestion"].(float64); math.Abs(c-min(max(1-v*3.6/limit, 0), 1)) > 1e-9 {
					t.Errorf("%s: congestion %v", id, c)
				}
			}
			if _, ok := f.Props["class"].(string); !ok {
				t.Errorf("%s: no class", id)
			}
		}
	}
}

func TestTilePoints(t *testing.T) {
	store, city := loadDemo(t)
	for _, layer := range []string{LayerSensors, LayerStops, LayerVehicles} {
		info, _ := mvtLayerByName(layer)
		all := allEntities(t, store, info.info.Kinds...)
		for _, tile := range tilesAround(city.Config.Center, 9, info.info.MinZoom, 15, 18) {
			l := render(t, store, layer, tile, TileOptions{})
			inExtent(t, l)
			checkAgainstOracle(t, l, tile, all, func(*twin.Entity) bool { return int(tile.Z) >= info.info.MinZoom })
			for _, f := range l.Features {
				if f.Type != mvtPoint || len(f.Points) != 1 {
					t.Fatalf("%s: not a point: %+v", layer, f)
				}
			}
		}
	}
}

func TestTileVehicleMoves(t *testing.T) {
	_, city := loadDemo(t)
	store, err := twin.New(twin.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	v := city.Vehicles[0]
	if _, err := store.Apply(twin.Op{Type: twin.OpUpsert, T: twin.Nanos(epoch), Entity: &twin.Entity{ID: v.ID, Kind: twin.KindVehicle, Geometry: v.Point}}); err != nil {
		t.Fatal(err)
	}
	to := orb.Point{v.Point[0] + 0.01, v.Point[1]}
	if _, err := store.Apply(twin.Op{Type: twin.OpMove, Positions: []twin.Position{{ID: v.ID, T: twin.Nanos(epoch.Add(time.Minute)), Point: to}}}); err != nil {
		t.Fatal(err)
	}
	now, then := maptile.At(to, 16), maptile.At(v.Point, 16)
	if got := render(t, store, LayerVehicles, now, TileOptions{}); len(got.Features) != 1 || got.Features[0].Props["moving"] != true {
		t.Errorf("at the new place: %+v", got.Features)
	}
	if got := render(t, store, LayerVehicles, then, TileOptions{}); len(got.Features) != 0 {
		t.Errorf("still at the old place: %+v", got.Features)
	}
	if got := render(t, store, LayerVehicles, then, TileOptions{At: twin.Nanos(epoch.Add(time.Second))}); len(got.Features) != 1 {
		t.Errorf("as of before the move: %+v", got.Features)
	}
}

func TestTileH3(t *testing.T) {
	store, city := loadDemo(t)
	ctx := context.Background()
	for _, tile := range tilesAround(city.Config.Center, 10, 13, 15) {
		for _, res := range []int{ResAuto, 9} {
			o := TileOptions{Metric: "pm25", Agg: series.Avg, Res: res}
			l := render(t, store, LayerH3, tile, o)
			inExtent(t, l)
			r := H3Res(int(tile.Z), res)
			global, err := store.AggregateCells(ctx, twin.Aggregate{Metric: "pm25", Agg: series.Avg, Res: r})
			if err != nil {
				t.Fatal(err)
			}
			box := TileBound(int(tile.Z), int(tile.X), int(tile.Y), DefaultTileExtent, DefaultTileBuffer)
			want, optional := map[string]twin.CellValue{}, map[string]twin.CellValue{}
			for _, c := range global {
				poly := geo.CellPolygon(c.Cell)
				if !geo.Intersects(poly, box.ToPolygon()) {
					continue
				}
				if w, h := clippedSpan(projectedBound(poly, tile)); w < 1 || h < 1 {
					optional[c.Cell.String()] = c // grazes the buffer: clipping may leave nothing
					continue
				}
				want[c.Cell.String()] = c
			}
			got := map[string]bool{}
			for _, f := range l.Features {
				cell := f.Props["cell"].(string)
				got[cell] = true
				w, ok := want[cell]
				if !ok {
					w, ok = optional[cell]
				}
				switch {
				case !ok:
					t.Errorf("%v res %d: cell %s not expected", tile, r, cell)
				case math.Abs(f.Props["value"].(float64)-w.Value) > 1e-9 || f.Props["count"] != float64(w.Count) || f.Props["res"] != float64(r):
					t.Errorf("%v: cell %s: %v, want %v", tile, cell, f.Props, w)
				}
			}
			for c := range want {
				if !got[c] {
					t.Errorf("%v res %d: cell %s missing", tile, r, c)
				}
			}
		}
	}
}

func TestTileAsOf(t *testing.T) {
	_, city := loadDemo(t)
	store, err := twin.New(twin.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	b := city.Buildings[0]
	e := twin.Entity{ID: "b:1", Kind: twin.KindBuilding, Geometry: b.Footprint, Height: 10}
	if _, err := store.Apply(twin.Op{Type: twin.OpUpsert, T: twin.Nanos(epoch), Entity: &e}); err != nil {
		t.Fatal(err)
	}
	e.Height = 42
	if _, err := store.Apply(twin.Op{Type: twin.OpUpsert, T: twin.Nanos(epoch.Add(time.Hour)), Entity: &e}); err != nil {
		t.Fatal(err)
	}
	tile := maptile.At(b.Inside, 16)
	for _, c := range []struct {
		at   int64
		want float64
	}{{0, 42}, {twin.Nanos(epoch.Add(time.Minute)), 10}} {
		l := render(t, store, LayerBuildings, tile, TileOptions{At: c.at})
		if len(l.Features) != 1 || l.Features[0].Props["height"] != c.want {
			t.Errorf("at %d: %+v, want height %v", c.at, l.Features, c.want)
		}
	}
}

func TestTileEmptyAndErrors(t *testing.T) {
	store, _ := loadDemo(t)
	ctx := context.Background()
	for _, gz := range []bool{false, true} {
		b, err := Tile(ctx, store, LayerBuildings, 15, 0, 0, TileOptions{Gzip: gz})
		if err != nil {
			t.Fatal(err)
		}
		ls, err := decodeTile(b)
		if err != nil || len(ls) != 0 {
			t.Errorf("gzip %v: %v %v", gz, ls, err)
		}
		if !gz && len(b) != 0 {
			t.Errorf("empty tile of %d bytes", len(b))
		}
	}
	for _, c := range []struct {
		layer   string
		z, x, y int
		o       TileOptions
		want    error
	}{
		{"nope", 1, 0, 0, TileOptions{}, ErrUnknownLayer},
		{LayerBuildings, -1, 0, 0, TileOptions{}, ErrTileCoords},
		{LayerBuildings, 23, 0, 0, TileOptions{}, ErrTileCoords},
		{LayerBuildings, 2, 4, 0, TileOptions{}, ErrTileCoords},
		{LayerBuildings, 2, 0, -1, TileOptions{}, ErrTileCoords},
		{LayerH3, 2, 0, 0, TileOptions{}, ErrTileOptions},
		{LayerH3, 2, 0, 0, TileOptions{Metric: "pm25", Res: 16}, ErrTileOptions},
		{LayerBuildings, 2, 0, 0, TileOptions{Extent: 100}, ErrTileOptions},
	} {
		if _, err := Tile(ctx, store, c.layer, c.z, c.x, c.y, c.o); !errors.Is(err, c.want) {
			t.Errorf("%s %d/%d/%d %+v: %v, want %v", c.layer, c.z, c.x, c.y, c.o, err, c.want)
		}
	}
}

// TestTileRange checks the tiles a box touches against a scan of every tile's
// buffered bound.
func TestTileRange(t *testing.T) {
	boxes := []orb.Bound{
		{Min: orb.Point{24.93, 60.16}, Max: orb.Point{24.95, 60.17}},
		{Min: orb.Point{24.94, 60.17}, Max: orb.Point{24.94, 60.17}},
		{Min: orb.Point{-180, -85}, Max: orb.Point{180, 85}},
		{Min: orb.Point{179.9, 0}, Max: orb.Point{180, 0.1}},
	}
	for _, b := range boxes {
		for z := range 9 {
			x0, y0, x1, y1, ok := TileRange(z, b, DefaultTileExtent, DefaultTileBuffer)
			n := 1 << z
			for x := range n {
				for y := range n {
					if TileBound(z, x, y, DefaultTileExtent, DefaultTileBuffer).Intersects(b) && (!ok || x < x0 || x > x1 || y < y0 || y > y1) {
						t.Fatalf("%v z%d: tile %d/%d meets it, range %d..%d %d..%d %v", b, z, x, y, x0, x1, y0, y1, ok)
					}
				}
			}
		}
	}
}

func TestTileLayers(t *testing.T) {
	names := TileLayerNames()
	want := []string{LayerLanduse, LayerWater, LayerRoads, LayerBuildings, LayerStops, LayerSensors, LayerVehicles, LayerH3, LayerLabels}
	if !slices.Equal(names, want) {
		t.Errorf("%v", names)
	}
	for _, l := range TileLayers() {
		if l.Fields["id"] == "" && l.Name != LayerH3 || l.Description == "" || l.MinZoom > l.MaxZoom {
			t.Errorf("%+v", l)
		}
	}
	if got := TileLayersOf(&twin.Entity{Kind: twin.KindZone, Props: twin.Properties{{Key: "zone_type", Value: twin.StringValue("water")}}}); !slices.Equal(got, []string{LayerWater}) {
		t.Errorf("water zone: %v", got)
	}
	for z, want := range map[int]int{0: 0, 10: 6, 15: 9, 22: 14} {
		if got := H3AutoRes(z); got != want {
			t.Errorf("H3AutoRes(%d) = %d, want %d", z, got, want)
		}
	}
}
