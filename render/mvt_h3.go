package render

import (
	"context"
	"math"

	"citytwin/geo"
	"citytwin/twin"

	"github.com/paulmach/orb"
)

// h3EdgeKm is H3's average hexagon edge length per resolution, in km.
var h3EdgeKm = [16]float64{1281.256011, 483.0568391, 182.5129565, 68.97922179, 26.07175968, 9.854090990,
	3.724532667, 1.406475763, 0.531414010, 0.200786148, 0.075863783, 0.028663897, 0.010830188,
	0.004092010, 0.001546100, 0.000584169}

// H3AutoRes is the H3 resolution the h3 layer uses at zoom z when asked for
// ResAuto: the finest whose average cell edge is at least 24 pixels of a
// 256-pixel tile at the equator, so that cells read as cells at every zoom.
func H3AutoRes(z int) int {
	px := 2 * math.Pi * 6378137 / 256 / math.Ldexp(1, z) // metres a pixel
	res := 0
	for r := 1; r <= 15; r++ {
		if h3EdgeKm[r]*1000 < 24*px {
			break
		}
		res = r
	}
	return res
}

// h3MarginDeg is how far (degrees of latitude) beyond a box an entity may
// lie and still belong, by H3's hierarchy, to a cell at res that meets the box:
// four average edges, more than the widest cell.
func h3MarginDeg(res int) float64 {
	return 4 * h3EdgeKm[res] / 111.195
}

// mvtGrow widens b by m degrees of latitude (and the same ground distance in
// longitude), cut at the poles and the antimeridian.
func mvtGrow(b orb.Bound, m float64) orb.Bound {
	lat := max(math.Abs(b.Min[1]), math.Abs(b.Max[1]))
	c := math.Cos(min(lat+m, 89) * math.Pi / 180)
	mx := min(m/c, 360)
	return orb.Bound{Min: orb.Point{max(b.Min[0]-mx, -180), max(b.Min[1]-m, -90)},
		Max: orb.Point{min(b.Max[0]+mx, 180), min(b.Max[1]+m, 90)}}
}

// H3Res is the resolution the h3 layer uses for a tile at zoom z given the
// requested res (ResAuto or 0..15).
func H3Res(z, res int) int {
	if res == ResAuto {
		return H3AutoRes(z)
	}
	return res
}

func mvtH3(ctx context.Context, store *twin.Store, f *mvtFrame, w *mvtLayerWriter, o *TileOptions) error {
	res := H3Res(f.z, o.Res)
	tb := TileBound(f.z, f.x, f.y, o.Extent, o.Buffer)
	cells, err := store.AggregateCells(ctx, twin.Aggregate{
		Query:  twin.Query{BBox: []orb.Bound{mvtGrow(tb, h3MarginDeg(res))}, At: o.At},
		Metric: o.Metric, Agg: o.Agg, Res: res})
	if err != nil {
		return err
	}
	for i, c := range cells {
		if i%mvtCheckEvery == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		if math.IsNaN(c.Value) || math.IsInf(c.Value, 0) || !geo.CellBound(c.Cell).Intersects(tb) {
			continue
		}
		if !f.polygons(w, geo.CellPolygon(c.Cell)) {
			w.discard()
			continue
		}
		id := c.Cell.String()
		w.tagUnique("cell", mvtString(id))
		w.tag("res", mvtNumber(float64(res)))
		w.tag("value", mvtNumber(c.Value))
		w.tag("count", mvtNumber(float64(c.Count)))
		w.feature(MVTFeatureID(id), mvtPolygon)
	}
	return nil
}

// H3Reach is the lon/lat box of the cells at res that an entity anchored at p
// may count in (its cell, by H3's hierarchy): a change to what the entity
// contributes changes the h3 tiles that meet this box.
func H3Reach(p orb.Point, res int) orb.Bound {
	c := geo.Parent(geo.Cell(p, 15), res)
	if c == 0 {
		return mvtGrow(orb.Bound{Min: p, Max: p}, h3MarginDeg(res))
	}
	return geo.CellBound(c)
}

// H3Anchor is the point the twin counts an entity at in H3 aggregates: the point
// itself, or the centre of the geometry's bound.
func H3Anchor(g orb.Geometry) (orb.Point, bool) {
	if g == nil {
		return orb.Point{}, false
	}
	if p, ok := g.(orb.Point); ok {
		return p, true
	}
	b := g.Bound()
	if math.IsNaN(b.Min[0]) || b.Min[0] > b.Max[0] {
		return orb.Point{}, false
	}
	return b.Center(), true
}
