package osm

import (
	"context"
	"math"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
	"github.com/paulmach/osm"

	"citytwin/geo"
	"citytwin/twin"
)

// footprint is a building kept for the containment of building parts.
type footprint struct {
	id    twin.ID
	geom  orb.Geometry
	bound orb.Bound
	area  float64
}

// wayPolygon makes the polygon of a closed way.
func (rd *reader) wayPolygon(w *keptWay) (orb.Polygon, string) {
	if len(w.nodes) < 4 {
		return nil, "footprint has fewer than 4 nodes"
	}
	if !closed(w.nodes) {
		return nil, "footprint way is not closed"
	}
	r, err := ringPoints(w.nodes, rd.nodes.get)
	if err != nil {
		return nil, err.Error()
	}
	if planar.Area(r) == 0 {
		return nil, "footprint has zero area"
	}
	orient(r, true)
	return orb.Polygon{r}, ""
}

// relationGeometry assembles a multipolygon relation.
func (rd *reader) relationGeometry(r *keptRelation) (orb.Geometry, string) {
	var ways []RingWay
	for _, m := range r.members {
		if m.Type != osm.TypeWay {
			continue // label nodes, nested relations (even the relation itself)
		}
		ns, ok := rd.ways.get(m.Ref)
		if !ok {
			return nil, "missing member way " + itoa(m.Ref)
		}
		ways = append(ways, RingWay{ID: m.Ref, Inner: m.Role == "inner", Nodes: ns})
	}
	if len(ways) == 0 {
		return nil, "no way members"
	}
	outer, inner, err := AssembleRings(ways)
	if err != nil {
		return nil, err.Error()
	}
	g, err := Polygons(outer, inner, rd.nodes.get)
	if err != nil {
		return nil, err.Error()
	}
	return g, ""
}

func buildingEntity(kind twin.Kind, typ string, id int64, t osm.Tags, g orb.Geometry) *twin.Entity {
	h := HeightsOf(t.Find)
	return &twin.Entity{
		ID: twin.ID("osm:" + typ + "/" + itoa(id)), Kind: kind, Geometry: g,
		Height: h.Height, MinHeight: h.MinHeight, Levels: h.Levels,
		Props: props(t, 0),
	}
}

// buildBuildings emits buildings: closed ways, then multipolygon relations.
func (rd *reader) buildBuildings(ctx context.Context) ([]footprint, error) {
	var out []footprint
	add := func(e *twin.Entity) {
		b := e.Geometry.Bound()
		out = append(out, footprint{id: e.ID, geom: e.Geometry, bound: b, area: planar.Area(e.Geometry)})
		rd.emit(e)
	}
	for i := range rd.buildings {
		if i&1023 == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		w := &rd.buildings[i]
		poly, why := rd.wayPolygon(w)
		if why != "" {
			rd.reject("way", w.id, "building: %s", why)
			continue
		}
		e := buildingEntity(twin.KindBuilding, "way", w.id, w.tags, poly)
		e.Provenance = rd.provenance("way", w.id, w.version, w.time)
		add(e)
	}
	for i := range rd.relations {
		r := &rd.relations[i]
		if !isBuilding(r.tags) {
			continue
		}
		g, why := rd.relationGeometry(r)
		if why != "" {
			rd.reject("relation", r.id, "building multipolygon: %s", why)
			continue
		}
		e := buildingEntity(twin.KindBuilding, "relation", r.id, r.tags, g)
		e.Provenance = rd.provenance("relation", r.id, r.version, r.time)
		add(e)
	}
	return out, nil
}

// buildParts emits building parts, each linked part_of the smallest building
// whose footprint holds the part's centroid.
func (rd *reader) buildParts(ctx context.Context, blds []footprint) error {
	var index geo.RTree[int]
	for k := range blds {
		index.Insert(blds[k].bound, k)
	}
	link := func(e *twin.Entity) {
		c, _ := planar.CentroidArea(e.Geometry)
		best, bestArea := -1, math.Inf(1)
		index.Search(orb.Bound{Min: c, Max: c}, func(_ orb.Bound, k int) bool {
			if f := &blds[k]; f.area < bestArea && containsPoint(f.geom, c) {
				best, bestArea = k, f.area
			}
			return true
		})
		if best >= 0 {
			e.Links = []twin.Link{{Rel: "part_of", To: blds[best].id}}
		}
		rd.emit(e)
	}
	for i := range rd.parts {
		if i&1023 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		w := &rd.parts[i]
		poly, why := rd.wayPolygon(w)
		if why != "" {
			rd.reject("way", w.id, "building part: %s", why)
			continue
		}
		e := buildingEntity(twin.KindBuildingPart, "way", w.id, w.tags, poly)
		e.Provenance = rd.provenance("way", w.id, w.version, w.time)
		link(e)
	}
	for i := range rd.relations {
		r := &rd.relations[i]
		if isBuilding(r.tags) {
			continue
		}
		g, why := rd.relationGeometry(r)
		if why != "" {
			rd.reject("relation", r.id, "building part multipolygon: %s", why)
			continue
		}
		e := buildingEntity(twin.KindBuildingPart, "relation", r.id, r.tags, g)
		e.Provenance = rd.provenance("relation", r.id, r.version, r.time)
		link(e)
	}
	return nil
}

func containsPoint(g orb.Geometry, p orb.Point) bool {
	switch g := g.(type) {
	case orb.Polygon:
		return planar.PolygonContains(g, p)
	case orb.MultiPolygon:
		return planar.MultiPolygonContains(g, p)
	}
	return false
}
