package cityjson

import (
	"fmt"
	"math"

	"github.com/paulmach/orb"
)

// Height rules (Object.Height, MinHeight, RoofHeight):
//
//  1. 3DBAG attributes win when present: Ground = b3_h_maaiveld, Top =
//     b3_h_dak_max, RoofHeight = b3_h_dak_max - b3_h_dak_min (all NAP metres).
//  2. Else the geometry chosen for the footprint: Ground is the lowest z of its
//     footprint surfaces (rules 1-2 of footprint.go) or else of all its vertices, Top
//     its highest z, RoofHeight the z range of its RoofSurface surfaces.
//  3. An object without geometry (a 3DBAG Building whose geometry sits in its
//     BuildingPart) takes the union of its children's footprints, the lowest
//     Ground and highest Top.
//
// Height = Top - Ground; MinHeight = lowest z of the object - Ground (0 for
// anything standing on the ground); both clamped at 0. Attributes such as
// measuredHeight are kept as properties but not used.

// chooseGeometry picks the geometry the derived values come from: the highest
// LoD among geometries with surfaces, else the highest LoD.
func chooseGeometry(gs []Geometry) *Geometry {
	var best *Geometry
	for i := range gs {
		g := &gs[i]
		if best == nil {
			best = g
			continue
		}
		bs, gsf := len(best.Surfaces) > 0, len(g.Surfaces) > 0
		if gsf && !bs || gsf == bs && lodValue(g.LoD) > lodValue(best.LoD) {
			best = g
		}
	}
	return best
}

func (b *builder) derive(o *Object) error {
	g := chooseGeometry(o.Geometries)
	if g == nil {
		return nil
	}
	v := b.model.Vertices
	o.LoD = g.LoD
	lo, hi := math.Inf(1), math.Inf(-1)
	each := func(i int) {
		z := v[3*i+2]
		lo, hi = min(lo, z), max(hi, z) // as math.Min and Max, inlined
	}
	sc := scratchPool.Get().(*scratch)
	defer scratchPool.Put(sc)
	points := func() []orb.Point { // only for MultiPoint
		var pts []orb.Point
		for _, i := range g.Points {
			pts = append(pts, orb.Point{v[3*i], v[3*i+1]})
		}
		for _, s := range g.Surfaces {
			for _, i := range s.Rings[0] {
				pts = append(pts, orb.Point{v[3*i], v[3*i+1]})
			}
		}
		return pts
	}
	for _, i := range g.Points {
		each(i)
	}
	for _, l := range g.Lines {
		for _, i := range l {
			each(i)
		}
	}
	roofLo, roofHi := math.Inf(1), math.Inf(-1)
	for _, s := range g.Surfaces {
		roof := g.SemanticType(s) == "RoofSurface"
		for _, i := range s.Rings[0] {
			each(i)
			if roof {
				roofLo, roofHi = min(roofLo, v[3*i+2]), max(roofHi, v[3*i+2])
			}
		}
	}
	ground := lo
	var local orb.Geometry
	switch {
	case len(g.Surfaces) > 0:
		surfs, rule := footprintSurfaces(g, v, sc.surfs)
		sc.surfs = surfs
		var mp orb.MultiPolygon
		if rule != ruleNone {
			mp = sc.dissolve(surfs, v, b.canonical())
			if rule == ruleGround || rule == ruleBottom {
				ground = math.Inf(1)
				for _, s := range surfs {
					for _, i := range s.Rings[0] {
						ground = min(ground, v[3*i+2])
					}
				}
			}
		}
		if len(mp) == 0 && isSolid(g) {
			mp, _ = sc.projected(g, v, b.canonical())
		}
		if len(mp) == 0 {
			if hull := sc.hullOf(g, v); hull != nil {
				mp = orb.MultiPolygon{{hull}}
			}
		}
		if len(mp) == 0 {
			return fmt.Errorf("%w: surfaces have no area", errEmptyGeometry)
		}
		if len(mp) == 1 {
			local = mp[0]
		} else {
			local = mp
		}
	case len(g.Lines) > 0:
		ml := make(orb.MultiLineString, 0, len(g.Lines))
		for _, l := range g.Lines {
			ls := make(orb.LineString, len(l))
			for k, i := range l {
				ls[k] = orb.Point{v[3*i], v[3*i+1]}
			}
			ml = append(ml, ls)
		}
		local = ml
	default:
		local = orb.MultiPoint(points())
	}
	fp, err := b.toLonLat(local, sc)
	if err != nil {
		return err
	}
	o.Footprint = fp
	o.Ground, o.Top = ground+b.model.Origin[2], hi+b.model.Origin[2]
	o.Height = math.Max(0, hi-ground)
	o.MinHeight = math.Max(0, lo-ground)
	if roofHi >= roofLo {
		o.RoofHeight = roofHi - roofLo
	}
	o.HeightSource = "geometry"
	o.hasHeight = true
	attrHeights(o)
	return nil
}

// attrHeights applies rule 1 (3DBAG attributes).
func attrHeights(o *Object) {
	num := func(k string) (float64, bool) {
		f, ok := o.Attributes[k].(float64)
		return f, ok && !math.IsNaN(f) && !math.IsInf(f, 0)
	}
	ground, ok1 := num("b3_h_maaiveld")
	top, ok2 := num("b3_h_dak_max")
	if !ok1 || !ok2 {
		return
	}
	o.Ground, o.Top = ground, top
	o.Height = math.Max(0, top-ground)
	o.MinHeight = 0
	if low, ok := num("b3_h_dak_min"); ok {
		o.RoofHeight = math.Max(0, top-low)
	}
	o.HeightSource = "3dbag"
	o.hasHeight = true
}

// fromChildren applies rule 3.
func (b *builder) fromChildren(o *Object) {
	var mp orb.MultiPolygon
	var other orb.Collection
	ground, top := math.Inf(1), math.Inf(-1)
	for _, cid := range o.Children {
		c, ok := b.objs[cid]
		if !ok || c.Footprint == nil {
			continue
		}
		switch f := c.Footprint.(type) {
		case orb.Polygon:
			mp = append(mp, f)
		case orb.MultiPolygon:
			mp = append(mp, f...)
		default:
			other = append(other, f)
		}
		if c.hasHeight {
			ground, top = math.Min(ground, c.Ground), math.Max(top, c.Top)
			o.RoofHeight = math.Max(o.RoofHeight, c.RoofHeight)
			if o.LoD == "" || lodValue(c.LoD) > lodValue(o.LoD) {
				o.LoD = c.LoD
			}
		}
	}
	switch {
	case len(mp) == 1 && len(other) == 0:
		o.Footprint = mp[0]
	case len(mp) > 0 && len(other) == 0:
		o.Footprint = mp
	case len(other) > 0:
		if len(mp) > 0 {
			other = append(other, mp)
		}
		o.Footprint = other
	}
	if top >= ground {
		o.Ground, o.Top, o.Height = ground, top, top-ground
		o.HeightSource = "children"
		o.hasHeight = true
	}
}

// toLonLat moves a local 2D geometry to WGS84.
func (b *builder) toLonLat(g orb.Geometry, sc *scratch) (orb.Geometry, error) {
	flat := sc.flat[:0]
	defer func() { sc.flat = flat }()
	ox, oy := b.model.Origin[0], b.model.Origin[1]
	visit(g, func(p *orb.Point) {
		flat = append(flat, p[0]+ox, p[1]+oy)
	})
	if err := b.grid().ToLonLatFlat(flat, 2); err != nil {
		return nil, err
	}
	k := 0
	visit(g, func(p *orb.Point) {
		p[0], p[1] = flat[k], flat[k+1]
		k += 2
	})
	return g, nil
}

// visit calls fn on every point of g, in place.
func visit(g orb.Geometry, fn func(*orb.Point)) {
	switch g := g.(type) {
	case orb.MultiPoint:
		for i := range g {
			fn(&g[i])
		}
	case orb.LineString:
		for i := range g {
			fn(&g[i])
		}
	case orb.Ring:
		for i := range g {
			fn(&g[i])
		}
	case orb.MultiLineString:
		for _, l := range g {
			visit(l, fn)
		}
	case orb.Polygon:
		for _, r := range g {
			visit(r, fn)
		}
	case orb.MultiPolygon:
		for _, p := range g {
			visit(p, fn)
		}
	}
}

// canonical is computed once per file, on first use.
func (b *builder) canonical() []int32 {
	if b.canon == nil {
		b.canon = canonical(b.model.Vertices)
	}
	return b.canon
}

// grid interpolates the transformation over the file's extent (1 mm
// tolerance, checked against PROJ; see crs.Grid), made on first use.
func (b *builder) grid() lonLatFlat {
	if b.lonLat != nil {
		return b.lonLat
	}
	b.lonLat = b.tr
	v := b.model.Vertices
	if len(v) < 3*64 {
		return b.lonLat // not worth a grid
	}
	bd := orb.Bound{Min: orb.Point{v[0], v[1]}, Max: orb.Point{v[0], v[1]}}
	for i := 0; i < len(v); i += 3 {
		bd = bd.Extend(orb.Point{v[i], v[i+1]})
	}
	o := b.model.Origin
	bd = orb.Bound{Min: orb.Point{bd.Min[0] + o[0], bd.Min[1] + o[1]}, Max: orb.Point{bd.Max[0] + o[0], bd.Max[1] + o[1]}}
	// A grid costs about two PROJ calls a node: worth it only when there are
	// many more vertices than nodes.
	const cell = 250.0
	nodes := (bd.Max[0] - bd.Min[0] + 2*cell) / cell * ((bd.Max[1] - bd.Min[1] + 2*cell) / cell)
	if !(nodes*8 < float64(len(v)/3)) {
		return b.lonLat
	}
	if g, err := b.tr.NewGrid(bd, cell, 0.001); err == nil && g.Interpolating() {
		b.lonLat = g
	}
	return b.lonLat
}

type lonLatFlat interface {
	ToLonLatFlat(flat []float64, stride int) error
}
