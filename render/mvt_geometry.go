package render

import (
	"math"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/clip"
	"github.com/paulmach/orb/simplify"
)

// mvtMaxLat is the latitude where web mercator ends (the square world).
const mvtMaxLat = 85.05112877980659

// mvtFrame maps lon/lat into one tile's extent coordinates (x right, y down) and
// holds the zoom's thresholds.
type mvtFrame struct {
	z, x, y int
	n       float64 // tiles across the world: 2^z
	extent  float64
	buffer  float64   // extent units around the tile that are kept
	clip    orb.Bound // [-buffer, extent+buffer]²
	pixel   float64   // extent units of a pixel of a 256-pixel tile
	dp      *simplify.DouglasPeuckerSimplifier

	arena []orb.Point // projected coordinates of the feature being built
	ints  []int32     // quantised ring or line, x y pairs
	delta struct{ x, y int32 }
}

func newMVTFrame(z, x, y int, extent, buffer uint32) *mvtFrame {
	e, b := float64(extent), float64(buffer)
	f := &mvtFrame{z: z, x: x, y: y, n: math.Ldexp(1, z), extent: e, buffer: b,
		clip:  orb.Bound{Min: orb.Point{-b, -b}, Max: orb.Point{e + b, e + b}},
		pixel: e / 256}
	// A quarter of a pixel: finer detail is not seen, coarser is.
	f.dp = simplify.DouglasPeucker(f.pixel / 4)
	return f
}

// project maps a lon/lat to extent coordinates of the tile.
func (f *mvtFrame) project(p orb.Point) orb.Point {
	wx, wy := mvtMercator(p)
	return orb.Point{(wx*f.n - float64(f.x)) * f.extent, (wy*f.n - float64(f.y)) * f.extent}
}

// mvtMercator maps lon/lat to the unit square of web mercator, y down.
func mvtMercator(p orb.Point) (float64, float64) {
	lat := min(max(p[1], -mvtMaxLat), mvtMaxLat)
	s := math.Sin(lat * (math.Pi / 180))
	return (p[0] + 180) / 360, 0.5 - math.Log((1+s)/(1-s))/(4*math.Pi)
}

// mvtUnproject is the inverse of mercator.
func mvtUnproject(wx, wy float64) orb.Point {
	return orb.Point{wx*360 - 180, math.Atan(math.Sinh(math.Pi*(1-2*wy))) * (180 / math.Pi)}
}

// TileBound is the lon/lat box of tile z/x/y grown by buffer/extent of a tile on
// every side (cut at the edges of the mercator world): what a tile with that
// buffer may show.
func TileBound(z, x, y int, extent, buffer uint32) orb.Bound {
	n := math.Ldexp(1, z)
	m := float64(buffer) / float64(extent)
	x0, x1 := max(float64(x)-m, 0), min(float64(x)+1+m, n)
	y0, y1 := max(float64(y)-m, 0), min(float64(y)+1+m, n)
	a, b := mvtUnproject(x0/n, y1/n), mvtUnproject(x1/n, y0/n)
	return orb.Bound{Min: a, Max: b}
}

// TileRange is the range of tiles at zoom z whose buffered bound (see Bound)
// meets the lon/lat box b: x0..x1, y0..y1, inclusive. ok is false when there
// is none.
func TileRange(z int, b orb.Bound, extent, buffer uint32) (x0, y0, x1, y1 int, ok bool) {
	n := math.Ldexp(1, z)
	m := float64(buffer) / float64(extent)
	ax, ay := mvtMercator(orb.Point{b.Min[0], b.Max[1]})
	bx, by := mvtMercator(orb.Point{b.Max[0], b.Min[1]})
	last := int(n) - 1
	clampTile := func(v float64) int { return min(max(int(math.Floor(v)), 0), last) }
	// Tile t covers [t-m, t+1+m]: it meets [lo, hi] when t <= hi+m and t+1 >= lo-m.
	x0, x1 = clampTile(ax*n-m-1), clampTile(bx*n+m)
	y0, y1 = clampTile(ay*n-m-1), clampTile(by*n+m)
	// floor(lo-m-1) may be one tile short of the first that meets; keep it: a
	// tile too many is safe for invalidation, one too few is not.
	if ax*n-m > n || bx*n+m < 0 || ay*n-m > n || by*n+m < 0 || b.Min[0] > b.Max[0] || b.Min[1] > b.Max[1] {
		return 0, 0, 0, 0, false
	}
	return x0, y0, x1, y1, true
}

// projectRing projects r into the arena.
func (f *mvtFrame) projectRing(r []orb.Point) []orb.Point {
	start := len(f.arena)
	for _, p := range r {
		f.arena = append(f.arena, f.project(p))
	}
	return f.arena[start:len(f.arena):len(f.arena)]
}

func mvtBoundOf(ps []orb.Point) orb.Bound {
	b := orb.Bound{Min: ps[0], Max: ps[0]}
	for _, p := range ps[1:] {
		b.Min[0], b.Max[0] = min(b.Min[0], p[0]), max(b.Max[0], p[0])
		b.Min[1], b.Max[1] = min(b.Min[1], p[1]), max(b.Max[1], p[1])
	}
	return b
}

func mvtWithin(b, outer orb.Bound) bool {
	return b.Min[0] >= outer.Min[0] && b.Min[1] >= outer.Min[1] && b.Max[0] <= outer.Max[0] && b.Max[1] <= outer.Max[1]
}

// small reports whether a projected bound is under a pixel both ways.
func (f *mvtFrame) small(b orb.Bound) bool {
	return b.Max[0]-b.Min[0] < f.pixel && b.Max[1]-b.Min[1] < f.pixel
}

// polygons writes the (multi)polygon g into w.geom; it returns false when
// nothing of it is left in the tile.
func (f *mvtFrame) polygons(w *mvtLayerWriter, g orb.Geometry) bool {
	f.arena = f.arena[:0]
	f.delta.x, f.delta.y = 0, 0
	wrote := false
	switch g := g.(type) {
	case orb.Polygon:
		wrote = f.polygon(w, g)
	case orb.MultiPolygon:
		for _, p := range g {
			if f.polygon(w, p) {
				wrote = true
			}
		}
	}
	return wrote
}

func (f *mvtFrame) polygon(w *mvtLayerWriter, p orb.Polygon) bool {
	if len(p) == 0 || len(p[0]) < 4 {
		return false
	}
	outer := f.projectRing(p[0])
	b := mvtBoundOf(outer)
	if f.small(b) || !b.Intersects(f.clip) {
		return false
	}
	pp := make(orb.Polygon, 1, len(p))
	pp[0] = outer
	for _, h := range p[1:] {
		if len(h) < 4 {
			continue
		}
		hr := f.projectRing(h)
		if hb := mvtBoundOf(hr); !f.small(hb) && hb.Intersects(f.clip) {
			pp = append(pp, hr)
		}
	}
	if !mvtWithin(b, f.clip) {
		pp = clip.Polygon(f.clip, pp)
		if len(pp) == 0 {
			return false
		}
	}
	if !f.ring(w, pp[0], true) {
		return false
	}
	for _, h := range pp[1:] {
		f.ring(w, h, false)
	}
	return true
}

// ring simplifies, quantises and writes a ring, the exterior with a positive
// area in tile coordinates (clockwise on screen) and holes negative, as MVT 2.1
// says. It writes nothing for a ring that collapses.
func (f *mvtFrame) ring(w *mvtLayerWriter, r []orb.Point, exterior bool) bool {
	if len(r) > 5 { // a triangle or quadrilateral has nothing to lose
		r = f.dp.Ring(orb.Ring(r))
	}
	pts := f.quantise(r)
	n := len(pts) / 2
	if n >= 2 && pts[0] == pts[2*n-2] && pts[1] == pts[2*n-1] {
		n-- // the closing point is implied by ClosePath
	}
	if n < 3 {
		return false
	}
	var area int64
	for i := range n {
		j := (i + 1) % n
		area += int64(pts[2*i])*int64(pts[2*j+1]) - int64(pts[2*j])*int64(pts[2*i+1])
	}
	if area == 0 {
		return false
	}
	reverse := (area > 0) != exterior
	at := func(i int) (int32, int32) {
		if reverse {
			i = (n - i) % n
		}
		return pts[2*i], pts[2*i+1]
	}
	x, y := at(0)
	w.geom = append(w.geom, mvtCommand(mvtMoveTo, 1))
	w.geom = f.moveDelta(w.geom, x, y)
	w.geom = append(w.geom, mvtCommand(mvtLineTo, uint32(n-1)))
	for i := 1; i < n; i++ {
		x, y := at(i)
		w.geom = f.moveDelta(w.geom, x, y)
	}
	w.geom = append(w.geom, mvtCommand(mvtClosePath, 1))
	return true
}

// quantise rounds a projected run of points to the integer grid, dropping
// repeats; the result is x, y pairs in f.ints.
func (f *mvtFrame) quantise(ps []orb.Point) []int32 {
	out := f.ints[:0]
	for _, p := range ps {
		x, y := int32(math.Round(p[0])), int32(math.Round(p[1]))
		if k := len(out); k >= 2 && out[k-2] == x && out[k-1] == y {
			continue
		}
		out = append(out, x, y)
	}
	f.ints = out
	return out
}

func (f *mvtFrame) moveDelta(cmds []uint32, x, y int32) []uint32 {
	cmds = append(cmds, mvtZigzag(x-f.delta.x), mvtZigzag(y-f.delta.y))
	f.delta.x, f.delta.y = x, y
	return cmds
}

// lines writes the (multi)line string g into w.geom.
func (f *mvtFrame) lines(w *mvtLayerWriter, g orb.Geometry) bool {
	f.arena = f.arena[:0]
	f.delta.x, f.delta.y = 0, 0
	wrote := false
	switch g := g.(type) {
	case orb.LineString:
		wrote = f.line(w, g)
	case orb.MultiLineString:
		for _, l := range g {
			if f.line(w, l) {
				wrote = true
			}
		}
	}
	return wrote
}

func (f *mvtFrame) line(w *mvtLayerWriter, l orb.LineString) bool {
	if len(l) < 2 {
		return false
	}
	pl := orb.LineString(f.projectRing(l))
	b := mvtBoundOf(pl)
	if f.small(b) || !b.Intersects(f.clip) {
		return false
	}
	parts := orb.MultiLineString{pl}
	if !mvtWithin(b, f.clip) {
		parts = clip.LineString(f.clip, pl)
	}
	wrote := false
	for _, part := range parts {
		if len(part) > 2 {
			part = f.dp.LineString(part)
		}
		pts := f.quantise(part)
		n := len(pts) / 2
		if n < 2 {
			continue
		}
		w.geom = append(w.geom, mvtCommand(mvtMoveTo, 1))
		w.geom = f.moveDelta(w.geom, pts[0], pts[1])
		w.geom = append(w.geom, mvtCommand(mvtLineTo, uint32(n-1)))
		for i := 1; i < n; i++ {
			w.geom = f.moveDelta(w.geom, pts[2*i], pts[2*i+1])
		}
		wrote = true
	}
	return wrote
}

// points writes a point or multipoint g into w.geom (the points inside the
// buffered tile).
func (f *mvtFrame) points(w *mvtLayerWriter, g orb.Geometry) bool {
	f.delta.x, f.delta.y = 0, 0
	var ps []orb.Point
	switch g := g.(type) {
	case orb.Point:
		ps = []orb.Point{g}
	case orb.MultiPoint:
		ps = g
	default:
		return false
	}
	pts := f.ints[:0]
	for _, p := range ps {
		q := f.project(p)
		if !f.clip.Contains(q) {
			continue
		}
		pts = append(pts, int32(math.Round(q[0])), int32(math.Round(q[1])))
	}
	f.ints = pts
	n := len(pts) / 2
	if n == 0 {
		return false
	}
	w.geom = append(w.geom, mvtCommand(mvtMoveTo, uint32(n)))
	for i := range n {
		w.geom = f.moveDelta(w.geom, pts[2*i], pts[2*i+1])
	}
	return true
}
