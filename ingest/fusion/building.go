package fusion

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"citytwin/geo"
	"citytwin/twin"

	"github.com/paulmach/orb"
)

// Options set the rules of fusion.
type Options struct {
	MinIoU          float64  // footprints that overlap at least this much are one building
	Footprint       []string // sources in order of trust for the footprint
	Height          []string // for height, levels and properties other than names
	Names           []string // for name, name:* and addr:*
	HeightTolerance float64  // metres by which heights may differ without a conflict
	RoadDistance    float64  // metres within which a sensor outside buildings links to a road
}

// DefaultOptions returns the documented rules.
func DefaultOptions() Options {
	return Options{
		MinIoU:          0.5,
		Footprint:       []string{"cityjson", "osm", "ifc"},
		Height:          []string{"ifc", "cityjson", "osm"},
		Names:           []string{"osm", "cityjson", "ifc"},
		HeightTolerance: 1,
		RoadDistance:    50,
	}
}

// Source is the source of an entity: the part of its id before the first ':'.
func Source(id twin.ID) string {
	s, _, _ := strings.Cut(string(id), ":")
	return s
}

// rank is a source's place in order; unknown sources come last.
func rank(order []string, source string) int {
	if i := slices.Index(order, source); i >= 0 {
		return i
	}
	return len(order)
}

// Match finds the building of another source in the store whose footprint
// overlaps e's the most, if by at least opts.MinIoU.
func Match(ctx context.Context, store *twin.Store, e *twin.Entity, opts Options) (twin.Entity, float64, bool, error) {
	if e.Geometry == nil || e.Kind != twin.KindBuilding {
		return twin.Entity{}, 0, false, nil
	}
	res, err := store.Query(ctx, twin.Query{Kinds: []twin.Kind{twin.KindBuilding}, Intersects: e.Geometry, Limit: 1000})
	if err != nil {
		return twin.Entity{}, 0, false, err
	}
	var (
		best    twin.Entity
		bestIoU float64
	)
	src := Source(e.ID)
	for _, c := range res.Entities {
		if c.ID == e.ID {
			if len(c.Links) > 0 && slices.ContainsFunc(c.Links, func(l twin.Link) bool { return l.Rel == "same_as" }) {
				return c, 1, true, nil // a fused building's own source again: an update
			}
			continue
		}
		if Source(c.ID) == src && !hasSameAs(c, e.ID) {
			continue // a source does not duplicate itself
		}
		if iou := geo.IoU(c.Geometry, e.Geometry); iou > bestIoU {
			best, bestIoU = c, iou
		}
	}
	return best, bestIoU, bestIoU >= opts.MinIoU, nil
}

func hasSameAs(e twin.Entity, id twin.ID) bool {
	return slices.ContainsFunc(e.Links, func(l twin.Link) bool { return l.Rel == "same_as" && l.To == id })
}

// fieldSource is where a field of the canonical entity came from: its
// source.<field> property, or the entity's own source.
func fieldSource(e *twin.Entity, field string) string {
	if v, ok := e.Props.Get("source." + field); ok {
		if s, ok := v.Str(); ok {
			return s
		}
	}
	return Source(e.ID)
}

// Merge makes the new version of the canonical building from it and the
// incoming record of another source.
func Merge(canon, in twin.Entity, opts Options) twin.Entity {
	out := canon
	out.Props = slices.Clone(canon.Props)
	inSrc := Source(in.ID)
	set := func(key string, v twin.Value) { out.Props = out.Props.With(key, v) }

	// A source may always update what came from it.
	wins := func(order []string, cur string) bool { return cur == inSrc || rank(order, inSrc) < rank(order, cur) }
	if fs := fieldSource(&canon, "footprint"); in.Geometry != nil && wins(opts.Footprint, fs) {
		out.Geometry = in.Geometry
		set("source.footprint", twin.StringValue(inSrc))
	} else if _, ok := canon.Props.Get("source.footprint"); !ok {
		set("source.footprint", twin.StringValue(Source(canon.ID)))
	}

	if in.Height > 0 {
		hs := fieldSource(&canon, "height")
		if canon.Height > 0 && hs != inSrc && absDiff(canon.Height, in.Height) > opts.HeightTolerance {
			set("conflict.height", twin.StringValue(fmt.Sprintf("%s=%.2f; %s=%.2f", hs, canon.Height, inSrc, in.Height)))
		}
		if canon.Height == 0 || wins(opts.Height, hs) {
			out.Height, out.MinHeight = in.Height, in.MinHeight
			if in.Levels > 0 {
				out.Levels = in.Levels
			}
			set("source.height", twin.StringValue(inSrc))
		} else if _, ok := canon.Props.Get("source.height"); !ok {
			set("source.height", twin.StringValue(hs))
		}
	}
	if out.Levels == 0 && in.Levels > 0 {
		out.Levels = in.Levels
	}

	for _, p := range in.Props {
		if strings.HasPrefix(p.Key, "source.") || strings.HasPrefix(p.Key, "conflict.") {
			continue
		}
		old, had := canon.Props.Get(p.Key)
		if !had {
			set(p.Key, p.Value)
			set("source."+p.Key, twin.StringValue(inSrc))
			continue
		}
		if old.Compare(p.Value) == 0 {
			continue
		}
		order := opts.Height
		if isName(p.Key) {
			order = opts.Names
		}
		cur := fieldSource(&canon, p.Key)
		if cur != inSrc {
			set("conflict."+p.Key, twin.StringValue(fmt.Sprintf("%s=%s; %s=%s", cur, old.String(), inSrc, p.Value.String())))
		}
		if wins(order, cur) {
			set(p.Key, p.Value)
			set("source."+p.Key, twin.StringValue(inSrc))
		}
	}

	if in.ID != canon.ID && !hasSameAs(canon, in.ID) {
		out.Links = append(slices.Clone(canon.Links), twin.Link{Rel: "same_as", To: in.ID})
	}
	for _, l := range in.Links {
		if !slices.Contains(out.Links, l) {
			out.Links = append(out.Links, l)
		}
	}
	out.Provenance = slices.Clone(canon.Provenance)
	for _, p := range in.Provenance {
		if !slices.ContainsFunc(out.Provenance, func(q twin.Provenance) bool { return q.Source == p.Source && q.Note == p.Note }) {
			out.Provenance = append(out.Provenance, p)
		}
	}
	out.Version, out.ValidFrom, out.Moving = 0, canon.ValidFrom, false
	return out
}

func isName(key string) bool {
	return key == "name" || strings.HasPrefix(key, "name:") || strings.HasPrefix(key, "addr:")
}

func absDiff(a, b float64) float64 {
	if a > b {
		return a - b
	}
	return b - a
}

// Report says what Conflate did.
type Report struct {
	Buildings int      // building upserts seen
	Fused     int      // merged into a building of another source
	Fusions   []Fusion // which, and how well their footprints matched
}

// Fusion is one incoming building merged into a canonical one.
type Fusion struct {
	Incoming, Into twin.ID
	IoU            float64
}

// Conflate rewrites a batch of ops before they are applied: an upsert of a
// building that matches a building of another source already in the store
// becomes an upsert of the merged canonical building. The other entities of the
// batch that link to the merged record (a CityJSON building's parts, an IFC
// model's storeys and spaces) are relinked to the canonical building; those of
// an IFC model also land on its footprint: they move by the offset between the
// model's footprint and the canonical one (the centres of their bounds), as BIM
// models are often georeferenced only roughly. Ops for which nothing matches pass
// unchanged. Buildings fused earlier in the same batch are seen only once
// applied, so callers apply batch by batch.
func Conflate(ctx context.Context, store *twin.Store, ops []twin.Op, opts Options) ([]twin.Op, Report, error) {
	var rep Report
	out := make([]twin.Op, 0, len(ops))
	alias := map[twin.ID]twin.ID{}    // a merged record → the canonical building
	shift := map[twin.ID][2]float64{} // a merged IFC building → metres east, north to its footprint
	for _, op := range ops {
		if op.Type != twin.OpUpsert || op.Entity == nil || op.Entity.Kind != twin.KindBuilding {
			out = append(out, op)
			continue
		}
		rep.Buildings++
		canon, iou, ok, err := Match(ctx, store, op.Entity, opts)
		if err != nil {
			return nil, rep, err
		}
		if !ok {
			out = append(out, op)
			continue
		}
		inID := op.Entity.ID
		if Source(inID) == "ifc" && op.Entity.Geometry != nil && canon.Geometry != nil && inID != canon.ID {
			shift[inID] = offset(op.Entity.Geometry, canon.Geometry)
		}
		merged := Merge(canon, *op.Entity, opts)
		op.Entity = &merged
		out = append(out, op)
		if inID != canon.ID {
			alias[inID] = canon.ID
		}
		rep.Fused++
		rep.Fusions = append(rep.Fusions, Fusion{Incoming: inID, Into: canon.ID, IoU: iou})
	}
	if len(alias) == 0 {
		return out, rep, nil
	}
	// The parts, storeys and spaces of merged records: linked to the canonical
	// building, and moved with an IFC model. A space links to its storey as well
	// as to the building, so moving follows part_of links to a fused building.
	moveBy := func(e *twin.Entity) ([2]float64, bool) {
		for _, l := range e.Links {
			if d, ok := shift[l.To]; ok && l.Rel == "part_of" {
				return d, true
			}
		}
		return [2]float64{}, false
	}
	for i := range out {
		e := out[i].Entity
		if out[i].Type != twin.OpUpsert || e == nil || e.Kind == twin.KindBuilding {
			continue
		}
		touched := false
		c := *e
		if d, ok := moveBy(e); ok && c.Geometry != nil {
			c.Geometry = translate(c.Geometry, d)
			touched = true
		}
		for j, l := range c.Links {
			if to, ok := alias[l.To]; ok {
				if !touched {
					c.Links = slices.Clone(c.Links)
				}
				c.Links[j].To = to
				touched = true
			}
		}
		if touched {
			out[i].Entity = &c
		}
	}
	return out, rep, nil
}

// offset is the shift in metres (east, north) that takes the centre of a's
// bound to the centre of b's.
func offset(a, b orb.Geometry) [2]float64 {
	ca := a.Bound().Center()
	f := geo.NewFrame(ca)
	x, y := f.ToLocal(b.Bound().Center())
	return [2]float64{x, y}
}

// translate moves g by d metres east and north.
func translate(g orb.Geometry, d [2]float64) orb.Geometry {
	f := geo.NewFrame(g.Bound().Center())
	return geo.MapPoints(g, func(p orb.Point) orb.Point {
		x, y := f.ToLocal(p)
		return f.ToLonLat(x+d[0], y+d[1])
	})
}
