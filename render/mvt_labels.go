package render

import (
	"cmp"
	"context"
	"math"
	"slices"
	"strings"

	"citytwin/twin"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/clip"
	"github.com/paulmach/orb/planar"
)

// The labels layer: where a client writes names on the map. A named line
// (a road, a waterway) gets one point per tile, in the middle of its longest
// run inside the tile (not the buffer, so that a client that clips each tile
// to its square draws it whole), turned to follow the line there. A named
// area gets one point, inside it, in the one tile that holds that point, once
// it is big enough on screen to carry its name.

// mvtAreaLabelMinZoom is the first zoom with area labels (as the landuse layer).
const mvtAreaLabelMinZoom = 10

// mvtAreaLabelMinPixels is how large (its bound's longer side, pixels of a
// 256-pixel tile) an area must be before it is labelled.
const mvtAreaLabelMinPixels = 32

// mvtLabelReach is how far (pixels of a 256-pixel tile) either side of a line
// label's point the line is looked at for the label's angle: about half a
// short name, so that a kink under the label does not turn it.
const mvtLabelReach = 8

// mvtLabelKinds are the kinds that have labels.
var mvtLabelKinds = []twin.Kind{twin.KindRoad, twin.KindZone, KindLanduse, KindWater}

// mvtLabelled reports whether the labels layer draws e: a road or an area
// with a name.
func mvtLabelled(e *twin.Entity) bool {
	if !slices.Contains(mvtLabelKinds, e.Kind) {
		return false
	}
	_, ok := mvtStr(e, "name")
	return ok
}

// mvtRoadClass is a road's class as the roads layer gives it: its class
// property, else its OSM highway tag.
func mvtRoadClass(e *twin.Entity) string {
	if c, ok := mvtStr(e, "class"); ok {
		return c
	}
	c, _ := mvtStr(e, "highway")
	return c
}

// mvtRoadLabelRank orders road labels by importance: 1 (motorway) wins over
// 8 (footway, path, …).
func mvtRoadLabelRank(class string) int {
	switch strings.TrimSuffix(class, "_link") {
	case "motorway":
		return 1
	case "trunk":
		return 2
	case "primary":
		return 3
	case "secondary":
		return 4
	case "tertiary":
		return 5
	case "residential", "unclassified", "living_street", "road", "":
		return 6
	case "service", "pedestrian", "busway":
		return 7
	}
	return 8
}

// mvtAreaClass is an area's class: the first of the tags that say what it is.
func mvtAreaClass(e *twin.Entity) string {
	for _, k := range [...]string{"zone_type", "landuse", "leisure", "water", "waterway", "natural"} {
		if s, ok := mvtStr(e, k); ok {
			return s
		}
	}
	return ""
}

// mvtAreaLabelRank ranks areas among the roads: water and parks as tertiary
// roads, car parks last.
func mvtAreaLabelRank(e *twin.Entity, class string) int {
	switch {
	case e.Kind == KindWater || mvtIsWater(e), class == "park", class == "forest", class == "wood":
		return 5
	case class == "parking":
		return 8
	}
	return 7
}

// mvtLabel is one label of a tile.
type mvtLabel struct {
	id         twin.ID // the entity whose geometry carries the label
	name, kind string
	class      string
	rank       int
	at         orb.Point // extent units
	angle      float64   // degrees counter-clockwise from east, -90..90
	length     float64   // of the run carrying a line label, extent units
}

func mvtLabels(ctx context.Context, store *twin.Store, f *mvtFrame, w *mvtLayerWriter, o *TileOptions) error {
	named := twin.Filter{Key: "name", Op: twin.Exists}
	roads, err := mvtRoadQuery(ctx, store, f, o, named)
	if err != nil {
		return err
	}
	tile := orb.Bound{Max: orb.Point{f.extent, f.extent}}
	reach := mvtLabelReach * f.pixel
	// Lines: one label per name and kind, however many entities the line is
	// cut into (OSM splits a street into ways), on the longest run.
	lines := map[string]*mvtLabel{}
	addLine := func(e *twin.Entity, kind, class string, rank int) {
		name, _ := mvtStr(e, "name")
		at, angle, length, ok := f.lineLabel(e.Geometry, tile, reach)
		if !ok {
			return
		}
		key := kind + "\x00" + name
		l := lines[key]
		if l == nil {
			lines[key] = &mvtLabel{id: e.ID, name: name, kind: kind, class: class, rank: rank, at: at, angle: angle, length: length}
			return
		}
		if length > l.length || length == l.length && e.ID < l.id {
			l.id, l.at, l.angle, l.length = e.ID, at, angle, length
		}
		if rank < l.rank || rank == l.rank && class < l.class {
			l.rank, l.class = rank, class
		}
	}
	for i := range roads {
		if i%mvtCheckEvery == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		e := &roads[i]
		class := mvtRoadClass(e)
		if RoadMinZoom(class) > f.z {
			continue
		}
		addLine(e, string(twin.KindRoad), class, mvtRoadLabelRank(class))
	}
	var areas []mvtLabel
	if f.z >= mvtAreaLabelMinZoom {
		es, err := mvtQuery(ctx, store, f, o, []twin.Kind{twin.KindZone, KindLanduse, KindWater}, named)
		if err != nil {
			return err
		}
		for i := range es {
			if i%mvtCheckEvery == 0 && ctx.Err() != nil {
				return ctx.Err()
			}
			e := &es[i]
			class := mvtAreaClass(e)
			rank := mvtAreaLabelRank(e, class)
			switch e.Geometry.(type) {
			case orb.LineString, orb.MultiLineString: // a waterway
				addLine(e, string(e.Kind), class, rank)
				continue
			}
			if at, ok := f.areaLabel(e.Geometry); ok {
				name, _ := mvtStr(e, "name")
				areas = append(areas, mvtLabel{id: e.ID, name: name, kind: string(e.Kind), class: class, rank: rank, at: at})
			}
		}
	}
	out := areas
	for _, l := range lines {
		out = append(out, *l)
	}
	// Most important first, so that a client without collision priorities
	// that places labels in order keeps the main roads.
	slices.SortFunc(out, func(a, b mvtLabel) int {
		return cmp.Or(cmp.Compare(a.rank, b.rank), cmp.Compare(a.name, b.name), cmp.Compare(a.kind, b.kind), cmp.Compare(a.id, b.id))
	})
	for _, l := range out {
		f.point(w, l.at)
		w.tagUnique("id", mvtString(string(l.id)))
		w.tag("name", mvtString(l.name))
		w.tag("kind", mvtString(l.kind))
		if l.class != "" {
			w.tag("class", mvtString(l.class))
		}
		w.tag("rank", mvtNumber(float64(l.rank)))
		w.tag("angle", mvtNumber(l.angle))
		w.feature(MVTFeatureID(string(l.id)), mvtPoint)
	}
	return nil
}

// point writes one point, rounded to the grid, into w.geom.
func (f *mvtFrame) point(w *mvtLayerWriter, p orb.Point) {
	f.delta.x, f.delta.y = 0, 0
	w.geom = append(w.geom, mvtCommand(mvtMoveTo, 1))
	w.geom = f.moveDelta(w.geom, int32(math.Round(p[0])), int32(math.Round(p[1])))
}

// lineLabel places the label of the (multi)line string g (lon/lat) in the box
// (extent units): see mvtLineLabel. Of a multi line string, the longest run
// of any of its lines carries it.
func (f *mvtFrame) lineLabel(g orb.Geometry, box orb.Bound, reach float64) (at orb.Point, angle, length float64, ok bool) {
	var lines []orb.LineString
	switch g := g.(type) {
	case orb.LineString:
		lines = []orb.LineString{g}
	case orb.MultiLineString:
		lines = g
	}
	for _, l := range lines {
		if len(l) < 2 {
			continue
		}
		f.arena = f.arena[:0]
		p, a, n, found := mvtLineLabel(orb.LineString(f.projectRing(l)), box, reach)
		if found && n > length {
			at, angle, length, ok = p, a, n, true
		}
	}
	return at, angle, length, ok
}

// mvtLineLabel finds where a label of the line ls reads best inside box (both
// in extent units, y down): the middle of the longest run of ls inside box.
// angle is the direction of the line there, seen through a window of reach
// either side, in whole degrees counter-clockwise from east and turned so that
// text along it is upright: -90 < angle <= 90. length is the run's. ok is
// false when no run of positive length lies inside the box.
func mvtLineLabel(ls orb.LineString, box orb.Bound, reach float64) (at orb.Point, angle, length float64, ok bool) {
	if len(ls) < 2 {
		return orb.Point{}, 0, 0, false
	}
	b := mvtBoundOf(ls)
	if !b.Intersects(box) {
		return orb.Point{}, 0, 0, false
	}
	runs := orb.MultiLineString{ls}
	if !mvtWithin(b, box) {
		runs = clip.LineString(box, ls)
	}
	var best orb.LineString
	for _, r := range runs {
		if n := planar.Length(r); n > length {
			best, length = r, n
		}
	}
	if length <= 0 {
		return orb.Point{}, 0, 0, false
	}
	mid := length / 2
	d := min(reach, mid)
	at = mvtAlong(best, mid)
	a, c := mvtAlong(best, mid-d), mvtAlong(best, mid+d)
	dx, dy := c[0]-a[0], c[1]-a[1]
	if dx == 0 && dy == 0 { // a window that folds back on itself: the segment at the middle
		a, c = mvtSegmentAt(best, mid)
		dx, dy = c[0]-a[0], c[1]-a[1]
	}
	// y is down in the tile: north is -y.
	deg := math.Round(math.Atan2(-dy, dx) * (180 / math.Pi))
	if deg > 90 {
		deg -= 180
	} else if deg <= -90 {
		deg += 180
	}
	// The middle of a clipped run lies inside the box; keep it there when
	// rounded to the grid (a run along the box's edge).
	at[0] = min(max(at[0], box.Min[0]), box.Max[0])
	at[1] = min(max(at[1], box.Min[1]), box.Max[1])
	return at, deg, length, true
}

// mvtAlong is the point s along ls (clamped to its ends).
func mvtAlong(ls orb.LineString, s float64) orb.Point {
	if s <= 0 {
		return ls[0]
	}
	for i := 1; i < len(ls); i++ {
		n := planar.Distance(ls[i-1], ls[i])
		if s <= n && n > 0 {
			t := s / n
			return orb.Point{ls[i-1][0] + t*(ls[i][0]-ls[i-1][0]), ls[i-1][1] + t*(ls[i][1]-ls[i-1][1])}
		}
		s -= n
	}
	return ls[len(ls)-1]
}

// mvtSegmentAt is the segment of ls, of positive length, that holds the point s along it.
func mvtSegmentAt(ls orb.LineString, s float64) (orb.Point, orb.Point) {
	var a, b orb.Point
	for i := 1; i < len(ls); i++ {
		n := planar.Distance(ls[i-1], ls[i])
		if n == 0 {
			continue
		}
		a, b = ls[i-1], ls[i]
		if s <= n {
			break
		}
		s -= n
	}
	return a, b
}

// areaLabel places the label of the area g (lon/lat) when its point falls in
// this tile (not the buffer: each area is labelled once per zoom) and the area
// is large enough on screen.
func (f *mvtFrame) areaLabel(g orb.Geometry) (orb.Point, bool) {
	bd := g.Bound()
	lo, hi := f.project(orb.Point{bd.Min[0], bd.Max[1]}), f.project(orb.Point{bd.Max[0], bd.Min[1]})
	if max(hi[0]-lo[0], hi[1]-lo[1]) < mvtAreaLabelMinPixels*f.pixel {
		return orb.Point{}, false
	}
	p, ok := mvtAreaPoint(g)
	if !ok {
		return orb.Point{}, false
	}
	q := f.project(p)
	if q[0] < 0 || q[1] < 0 || q[0] >= f.extent || q[1] >= f.extent {
		return orb.Point{}, false
	}
	// Rounding to the grid must not carry it onto the next tile's edge.
	q[0], q[1] = min(q[0], f.extent-1), min(q[1], f.extent-1)
	return q, true
}

// mvtAreaPoint is a point inside the (multi)polygon g where its name goes: in
// its largest polygon, the centroid when that lies inside, else the middle of
// the widest span of the polygon across the middle of its bound. It depends on
// g alone, so that every tile finds the same point.
func mvtAreaPoint(g orb.Geometry) (orb.Point, bool) {
	var p orb.Polygon
	switch g := g.(type) {
	case orb.Polygon:
		p = g
	case orb.MultiPolygon:
		best := -1.0
		for _, q := range g {
			if a := math.Abs(planar.Area(q)); a > best {
				p, best = q, a
			}
		}
	}
	if len(p) == 0 || len(p[0]) < 4 {
		return orb.Point{}, false
	}
	if c, a := planar.CentroidArea(p); a != 0 && planar.PolygonContains(p, c) {
		return c, true
	}
	b := p[0].Bound()
	y := (b.Min[1] + b.Max[1]) / 2
	var xs []float64
	for _, r := range p {
		for i := 1; i < len(r); i++ {
			a, c := r[i-1], r[i]
			if (a[1] > y) != (c[1] > y) {
				xs = append(xs, a[0]+(y-a[1])/(c[1]-a[1])*(c[0]-a[0]))
			}
		}
	}
	slices.Sort(xs)
	best, at := 0.0, orb.Point{}
	for i := 0; i+1 < len(xs); i += 2 {
		if w := xs[i+1] - xs[i]; w > best {
			best, at = w, orb.Point{(xs[i] + xs[i+1]) / 2, y}
		}
	}
	return at, best > 0
}
