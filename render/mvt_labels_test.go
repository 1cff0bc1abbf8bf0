package render

import (
	"math"
	"math/rand/v2"
	"testing"

	"citytwin/twin"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"
	"github.com/paulmach/orb/planar"
)

// lonLatOf is the inverse of tileUnits: a point of tile t's extent back in
// lon/lat.
func lonLatOf(p orb.Point, t maptile.Tile) orb.Point {
	n := math.Ldexp(1, int(t.Z))
	wx, wy := (float64(t.X)+p[0]/DefaultTileExtent)/n, (float64(t.Y)+p[1]/DefaultTileExtent)/n
	return orb.Point{wx*360 - 180, math.Atan(math.Sinh(math.Pi*(1-2*wy))) * 180 / math.Pi}
}

// inBox is the part of segment a-b inside box (Liang–Barsky): the oracle's own
// clipping, shared with nothing the renderer uses. t0 and t1 are where along
// a-b the part starts and ends (0 and 1: a and b).
func inBox(a, b orb.Point, box orb.Bound) (p, q orb.Point, t0, t1 float64, ok bool) {
	t0, t1 = 0.0, 1.0
	d := orb.Point{b[0] - a[0], b[1] - a[1]}
	for i := range 2 {
		for _, e := range [2]struct{ p, q float64 }{{-d[i], a[i] - box.Min[i]}, {d[i], box.Max[i] - a[i]}} {
			if e.p == 0 {
				if e.q < 0 {
					return a, b, 0, 0, false
				}
				continue
			}
			r := e.q / e.p
			if e.p < 0 {
				t0 = max(t0, r)
			} else {
				t1 = min(t1, r)
			}
		}
	}
	if t0 > t1 {
		return a, b, 0, 0, false
	}
	return orb.Point{a[0] + t0*d[0], a[1] + t0*d[1]}, orb.Point{a[0] + t1*d[0], a[1] + t1*d[1]}, t0, t1, true
}

// segments are the pieces, inside box, of the lines of g in tile t's units.
func segments(g orb.Geometry, t maptile.Tile, box orb.Bound) [][2]orb.Point {
	var lines []orb.LineString
	switch g := g.(type) {
	case orb.LineString:
		lines = []orb.LineString{g}
	case orb.MultiLineString:
		lines = g
	}
	var out [][2]orb.Point
	for _, l := range lines {
		for i := 1; i < len(l); i++ {
			if a, b, _, _, ok := inBox(tileUnits(l[i-1], t), tileUnits(l[i], t), box); ok {
				out = append(out, [2]orb.Point{a, b})
			}
		}
	}
	return out
}

// upright folds a direction (degrees) into -90 < d <= 90.
func upright(d float64) float64 {
	d = math.Mod(d, 180)
	if d > 90 {
		d -= 180
	} else if d <= -90 {
		d += 180
	}
	return d
}

// angleGap is how far apart two directions of text are, modulo a half turn.
func angleGap(a, b float64) float64 {
	d := math.Abs(upright(a - b))
	return min(d, 180-d)
}

var extentBox = orb.Bound{Max: orb.Point{DefaultTileExtent, DefaultTileExtent}}

// TestTileLabelsOracle checks the labels of the demo city's roads against a
// brute force over every road: each name whose roads run inside the tile has
// exactly one label, inside the tile, on one of those roads, upright, turned
// along the road, with the rank of its most important class.
func TestTileLabelsOracle(t *testing.T) {
	store, city := loadDemo(t)
	all := allEntities(t, store, twin.KindRoad)
	labelled := 0
	for _, tile := range tilesAround(city.Config.Center, 5, 9, 11, 12, 13, 14, 15, 16, 18) {
		l := render(t, store, LayerLabels, tile, TileOptions{})
		type road struct {
			segs [][2]orb.Point
			rank int
		}
		want, optional := map[string]*road{}, map[string]*road{}
		for i := range all {
			e := &all[i]
			name, ok := mvtStr(e, "name")
			class, _ := mvtStr(e, "class")
			if !ok || RoadMinZoom(class) > int(tile.Z) {
				continue
			}
			segs := segments(e.Geometry, tile, extentBox)
			inside := 0.0
			for _, s := range segs {
				inside += planar.Distance(s[0], s[1])
			}
			m := optional
			if inside > 1 {
				m = want
			} else if inside == 0 {
				continue
			}
			r := m[name]
			if r == nil {
				r = &road{rank: 99}
				m[name] = r
			}
			r.segs = append(r.segs, segs...)
			r.rank = min(r.rank, mvtRoadLabelRank(class))
		}
		for name, r := range want { // a name runs inside, however its pieces
			if o := optional[name]; o != nil {
				r.segs = append(r.segs, o.segs...)
				r.rank = min(r.rank, o.rank)
				delete(optional, name)
			}
		}
		seen := map[string]int{}
		for _, f := range l.Features {
			if f.Props["kind"] != "road" {
				continue
			}
			name := f.Props["name"].(string)
			seen[name]++
			r := want[name]
			if r == nil {
				r = optional[name]
			}
			if r == nil {
				t.Errorf("%v: a label of %q, which does not run inside the tile", tile, name)
				continue
			}
			if f.Type != mvtPoint || len(f.Points) != 1 {
				t.Fatalf("%v: %q is not one point: %+v", tile, name, f)
			}
			p := f.Points[0]
			if p[0] < 0 || p[1] < 0 || p[0] > DefaultTileExtent || p[1] > DefaultTileExtent {
				t.Errorf("%v: %q at %v, outside the tile", tile, name, p)
			}
			angle := f.Props["angle"].(float64)
			if angle <= -90 || angle > 90 || angle != math.Trunc(angle) {
				t.Errorf("%v: %q angle %v, want a whole number in (-90, 90]", tile, name, angle)
			}
			// On the road (within rounding), turned along the piece it is on.
			best, dir := math.Inf(1), 0.0
			for _, s := range r.segs {
				if d := segDist(p, s[0], s[1]); d < best && planar.Distance(s[0], s[1]) > 0 {
					best, dir = d, math.Atan2(-(s[1][1]-s[0][1]), s[1][0]-s[0][0])*180/math.Pi
				}
			}
			if best > 1.5 {
				t.Errorf("%v: %q at %v is %.1f units from the road", tile, name, p, best)
			} else if g := angleGap(angle, dir); g > 30 {
				t.Errorf("%v: %q angle %v, the road runs at %.1f there", tile, name, angle, dir)
			}
			if rank := f.Props["rank"].(float64); int(rank) != r.rank {
				t.Errorf("%v: %q rank %v, want %d", tile, name, rank, r.rank)
			}
			if c, _ := f.Props["class"].(string); float64(mvtRoadLabelRank(c)) != f.Props["rank"] {
				t.Errorf("%v: %q class %q and rank %v disagree", tile, name, c, f.Props["rank"])
			}
		}
		for name, n := range seen {
			if n != 1 {
				t.Errorf("%v: %d labels of %q, want 1", tile, n, name)
			}
		}
		for name := range want {
			if seen[name] == 0 {
				t.Errorf("%v: %q runs inside the tile but has no label", tile, name)
			}
		}
		labelled += len(seen)
	}
	if labelled < 100 {
		t.Errorf("only %d road labels in all: the demo's roads have names", labelled)
	}
}

// TestTileLabelsAreas covers the demo city at z14 and z16: every named area
// big enough has one label in the whole city, inside it.
func TestTileLabelsAreas(t *testing.T) {
	store, _ := loadDemo(t)
	areas := allEntities(t, store, twin.KindZone, KindLanduse, KindWater)
	var city orb.Bound
	for i := range areas {
		if i == 0 {
			city = areas[i].Geometry.Bound()
		}
		city = city.Union(areas[i].Geometry.Bound())
	}
	for _, z := range []maptile.Zoom{14, 16} {
		lo, hi := maptile.At(orb.Point{city.Min[0], city.Max[1]}, z), maptile.At(orb.Point{city.Max[0], city.Min[1]}, z)
		found := map[string]int{}
		for x := lo.X; x <= hi.X; x++ {
			for y := lo.Y; y <= hi.Y; y++ {
				tile := maptile.New(x, y, z)
				for _, f := range render(t, store, LayerLabels, tile, TileOptions{}).Features {
					if f.Props["kind"] == "road" {
						continue
					}
					id := f.Props["id"].(string)
					found[id]++
					p := lonLatOf(f.Points[0], tile)
					var e *twin.Entity
					for i := range areas {
						if string(areas[i].ID) == id {
							e = &areas[i]
						}
					}
					if e == nil {
						t.Fatalf("%v: label of %s, not an area", tile, id)
					}
					poly, ok := e.Geometry.(orb.Polygon)
					if ok && !planar.PolygonContains(poly, p) {
						t.Errorf("%v: %s labelled at %v, outside it", tile, id, p)
					}
					if f.Props["angle"] != 0.0 || f.Props["name"] == "" {
						t.Errorf("%v: %s: %v", tile, id, f.Props)
					}
				}
			}
		}
		want := 0
		for i := range areas {
			e := &areas[i]
			if _, named := mvtStr(e, "name"); !named {
				continue
			}
			b := projectedBound(e.Geometry, maptile.At(e.Geometry.Bound().Center(), z))
			big := max(b.Max[0]-b.Min[0], b.Max[1]-b.Min[1]) >= mvtAreaLabelMinPixels*DefaultTileExtent/256
			if n := found[string(e.ID)]; big && n != 1 || !big && n != 0 {
				t.Errorf("z%d: %s (%.0f×%.0f units) has %d labels", z, e.ID, b.Max[0]-b.Min[0], b.Max[1]-b.Min[1], n)
			}
			if big {
				want++
			}
		}
		t.Logf("z%d: %d areas labelled", z, want)
		if z == 16 && want == 0 {
			t.Error("no area of the demo city is labelled")
		}
	}
}

// TestTileLabelsCases places labels on hand-drawn roads in one z16 tile.
func TestTileLabelsCases(t *testing.T) {
	tile := maptile.New(37306, 18966, 16) // Helsinki
	line := func(pts ...float64) orb.LineString {
		var l orb.LineString
		for i := 0; i+1 < len(pts); i += 2 {
			l = append(l, lonLatOf(orb.Point{pts[i], pts[i+1]}, tile))
		}
		return l
	}
	road := func(id, name string, g orb.Geometry) twin.Entity {
		e := twin.Entity{ID: twin.ID(id), Kind: twin.KindRoad, Geometry: g, Props: twin.Properties{{Key: "class", Value: twin.StringValue("residential")}}}
		if name != "" {
			e.Props = append(e.Props, twin.Prop{Key: "name", Value: twin.StringValue(name)})
		}
		return e
	}
	type want struct {
		id, name string
		at       orb.Point
		angle    float64
	}
	for _, c := range []struct {
		name string
		es   []twin.Entity
		want []want
	}{
		{"west to east", []twin.Entity{road("r1", "A", line(1000, 2000, 3000, 2000))}, []want{{"r1", "A", orb.Point{2000, 2000}, 0}}},
		{"east to west reads the same way", []twin.Entity{road("r1", "A", line(3000, 2000, 1000, 2000))}, []want{{"r1", "A", orb.Point{2000, 2000}, 0}}},
		{"south to north", []twin.Entity{road("r1", "A", line(2000, 3000, 2000, 1000))}, []want{{"r1", "A", orb.Point{2000, 2000}, 90}}},
		{"north to south", []twin.Entity{road("r1", "A", line(2000, 1000, 2000, 3000))}, []want{{"r1", "A", orb.Point{2000, 2000}, 90}}},
		{"rising", []twin.Entity{road("r1", "A", line(3000, 1000, 1000, 3000))}, []want{{"r1", "A", orb.Point{2000, 2000}, 45}}},
		{"falling", []twin.Entity{road("r1", "A", line(1000, 1000, 3000, 3000))}, []want{{"r1", "A", orb.Point{2000, 2000}, -45}}},
		{"steep, drawn down", []twin.Entity{road("r1", "A", line(1000, 1000, 1100, 3000))}, []want{{"r1", "A", orb.Point{1050, 2000}, -87}}},
		{"crosses the tile", []twin.Entity{road("r1", "A", line(-1000, 500, 5000, 500))}, []want{{"r1", "A", orb.Point{2048, 500}, 0}}},
		{"leaves and comes back: the longer run", []twin.Entity{road("r1", "A", line(100, 1000, 600, 1000, 600, -2000, 1000, -2000, 1000, 3000, 1000, 3500))}, []want{{"r1", "A", orb.Point{1000, 1750}, 90}}},
		{"a way cut in two: one label, on the longer", []twin.Entity{road("r1", "A", line(0, 500, 1000, 500)), road("r2", "A", line(1000, 500, 4000, 500))}, []want{{"r2", "A", orb.Point{2500, 500}, 0}}},
		{"two names", []twin.Entity{road("r1", "A", line(0, 500, 4000, 500)), road("r2", "B", line(500, 0, 500, 4000))}, []want{{"r1", "A", orb.Point{2000, 500}, 0}, {"r2", "B", orb.Point{500, 2000}, 90}}},
		{"in the buffer only", []twin.Entity{road("r1", "A", line(-50, 100, -50, 3000))}, nil},
		{"unnamed", []twin.Entity{road("r1", "", line(1000, 2000, 3000, 2000))}, nil},
		{"a corner", []twin.Entity{road("r1", "A", line(1000, 1000, 3000, 1000, 3000, 1400))}, []want{{"r1", "A", orb.Point{2200, 1000}, 0}}},
		{"a park", []twin.Entity{{ID: "z1", Kind: twin.KindZone, Geometry: orb.Polygon{orb.Ring(line(1000, 1000, 3000, 1000, 3000, 3000, 1000, 3000, 1000, 1000))},
			Props: twin.Properties{{Key: "name", Value: twin.StringValue("P")}, {Key: "zone_type", Value: twin.StringValue("park")}}}},
			[]want{{"z1", "P", orb.Point{2000, 2000}, 0}}},
		{"a U-shaped park", []twin.Entity{{ID: "z1", Kind: twin.KindZone,
			Geometry: orb.Polygon{orb.Ring(line(1000, 1000, 1400, 1000, 1400, 2600, 2600, 2600, 2600, 1000, 3000, 1000, 3000, 3000, 1000, 3000, 1000, 1000))},
			Props:    twin.Properties{{Key: "name", Value: twin.StringValue("U")}, {Key: "zone_type", Value: twin.StringValue("park")}}}},
			[]want{{"z1", "U", orb.Point{1200, 2000}, 0}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			store, err := twin.New(twin.DefaultConfig())
			if err != nil {
				t.Fatal(err)
			}
			for i := range c.es {
				if _, err := store.Apply(twin.Op{Type: twin.OpUpsert, Entity: &c.es[i]}); err != nil {
					t.Fatal(err)
				}
			}
			l := render(t, store, LayerLabels, tile, TileOptions{})
			if len(l.Features) != len(c.want) {
				t.Fatalf("%d labels, want %d: %+v", len(l.Features), len(c.want), l.Features)
			}
			for i, w := range c.want {
				f := l.Features[i]
				got := want{f.Props["id"].(string), f.Props["name"].(string), f.Points[0], f.Props["angle"].(float64)}
				if got.id != w.id || got.name != w.name || planar.Distance(got.at, w.at) > 2 || got.angle != w.angle {
					t.Errorf("label %d: %+v, want %+v", i, got, w)
				}
			}
		})
	}
}

// randomLine is a line of 2..12 points around and across the tile, sometimes
// with repeated points or backtracking.
func randomLine(r *rand.Rand) orb.LineString {
	n := 2 + r.IntN(11)
	l := make(orb.LineString, 0, n)
	for range n {
		switch {
		case len(l) > 0 && r.IntN(8) == 0:
			l = append(l, l[len(l)-1])
		case len(l) > 1 && r.IntN(8) == 0:
			l = append(l, l[len(l)-2])
		default:
			l = append(l, orb.Point{r.Float64()*8000 - 2000, r.Float64()*8000 - 2000})
		}
	}
	return l
}

// checkLineLabel holds mvtLineLabel to what it promises, against the oracle's
// own clipping.
func checkLineLabel(t *testing.T, ls orb.LineString) {
	t.Helper()
	const reach = 128
	at, angle, length, ok := mvtLineLabel(ls, extentBox, reach)
	// The oracle's runs: pieces inside the box that join end to start.
	inside, longest, run := 0.0, 0.0, 0.0
	open := false // the last piece ended where its segment did, inside
	for i := 1; i < len(ls); i++ {
		a, b, t0, t1, in := inBox(ls[i-1], ls[i], extentBox)
		if !in {
			run, open = 0, false
			continue
		}
		if !open || t0 > 0 {
			run = 0
		}
		n := planar.Distance(a, b)
		inside += n
		run += n
		longest = max(longest, run)
		open = t1 == 1
	}
	switch {
	case !ok && inside > 1e-9:
		t.Fatalf("%v: %.3g inside the tile but no label", ls, inside)
	case !ok:
		return
	case at[0] < 0 || at[1] < 0 || at[0] > DefaultTileExtent || at[1] > DefaultTileExtent:
		t.Fatalf("%v: label at %v, outside the tile", ls, at)
	case angle <= -90 || angle > 90:
		t.Fatalf("%v: angle %v", ls, angle)
	case math.Abs(length-longest) > 1e-6*max(1, longest):
		t.Fatalf("%v: a run of %v, the longest inside is %v", ls, length, longest)
	}
	if d := planar.DistanceFrom(ls, at); d > 1e-6*max(1, length) {
		t.Fatalf("%v: label at %v, %.3g off the line", ls, at, d)
	}
}

func TestLineLabelProperty(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 42))
	for range 20_000 {
		checkLineLabel(t, randomLine(r))
	}
}

func FuzzLineLabel(f *testing.F) {
	f.Add(uint64(1), uint64(2))
	f.Fuzz(func(t *testing.T, a, b uint64) {
		checkLineLabel(t, randomLine(rand.New(rand.NewPCG(a, b))))
	})
}
