package render

import (
	"context"
	"math"
	"strings"

	"citytwin/twin"

	"github.com/paulmach/orb"
)

// Kinds of entities beyond the twin's own that the water and landuse layers show.
const (
	KindWater   twin.Kind = "water"
	KindLanduse twin.Kind = "landuse"
)

// mvtRegistry holds the layers in drawing order. Their attributes are the public
// schema of the tiles (docs/tiles.md): add, never rename.
var mvtRegistry = []mvtLayer{
	{
		info: TileLayer{Name: LayerLanduse, MinZoom: 10, MaxZoom: 18,
			Description: "Zones and land use: parks, car parks, landuse areas.",
			Kinds:       []twin.Kind{twin.KindZone, KindLanduse},
			Fields: map[string]string{"id": "String: entity id", "kind": "String: entity kind",
				"class": "String: zone_type, landuse or leisure (park, parking, …)", "name": "String", "capacity": "Number: parking spaces"}},
		member: func(e *twin.Entity) bool {
			return (e.Kind == twin.KindZone || e.Kind == KindLanduse) && !mvtIsWater(e)
		},
		render: mvtLanduse,
	},
	{
		info: TileLayer{Name: LayerWater, MinZoom: 8, MaxZoom: 18,
			Description: "Water areas and waterways.",
			Kinds:       []twin.Kind{KindWater, twin.KindZone},
			Fields:      map[string]string{"id": "String: entity id", "class": "String: water, river, lake, …", "name": "String"}},
		member: func(e *twin.Entity) bool { return e.Kind == KindWater || e.Kind == twin.KindZone && mvtIsWater(e) },
		render: mvtWater,
	},
	{
		info: TileLayer{Name: LayerRoads, MinZoom: 5, MaxZoom: 18,
			Description: "Road centre lines by class (OSM highway=*), from z5 (motorways) to z14 (paths), with live speed where the road has a speed channel.",
			Kinds:       []twin.Kind{twin.KindRoad},
			Fields: map[string]string{"id": "String: entity id", "class": "String: motorway, trunk, primary, secondary, tertiary, residential, service, …",
				"name": "String", "lanes": "Number: lanes in both directions", "oneway": "Boolean",
				"maxspeed_kmh": "Number: speed limit, km/h",
				"speed":        "Number: newest observed mean speed, m/s (roads with a speed channel)",
				"congestion":   "Number: 1 - speed/limit, clamped to 0..1 (roads with speed and a limit)"}},
		member: func(e *twin.Entity) bool { return e.Kind == twin.KindRoad },
		render: mvtRoads,
	},
	{
		info: TileLayer{Name: LayerBuildings, MinZoom: 13, MaxZoom: 18,
			Description: "Building footprints and parts with heights for 3D extrusion.",
			Kinds:       []twin.Kind{twin.KindBuilding, twin.KindBuildingPart},
			Fields: map[string]string{"id": "String: entity id", "kind": "String: building or building_part",
				"class": "String: use (residential, office, …) or the OSM building=* value", "name": "String",
				"height":     "Number: metres above ground of the top (levels × 3 m when only levels are known)",
				"min_height": "Number: metres above ground of the bottom (0 on the ground)",
				"levels":     "Number: storeys"}},
		member: func(e *twin.Entity) bool { return e.Kind == twin.KindBuilding || e.Kind == twin.KindBuildingPart },
		render: mvtBuildings,
	},
	{
		info: TileLayer{Name: LayerStops, MinZoom: 13, MaxZoom: 18,
			Description: "Public transport stops.",
			Kinds:       []twin.Kind{twin.KindStop},
			Fields:      map[string]string{"id": "String: entity id", "name": "String", "route": "String: route ref"}},
		member: func(e *twin.Entity) bool { return e.Kind == twin.KindStop },
		render: mvtStops,
	},
	{
		info: TileLayer{Name: LayerSensors, MinZoom: 12, MaxZoom: 18,
			Description: "Fixed sensors.",
			Kinds:       []twin.Kind{twin.KindSensor},
			Fields: map[string]string{"id": "String: entity id", "sensor_type": "String: air_quality, traffic, …", "mount": "String",
				"metrics": "String: the metrics it reports, comma-separated", "name": "String"}},
		member: func(e *twin.Entity) bool { return e.Kind == twin.KindSensor },
		render: mvtSensors,
	},
	{
		info: TileLayer{Name: LayerVehicles, MinZoom: 10, MaxZoom: 18, Moving: true,
			Description: "Vehicles at their newest position (or at the tile's instant).",
			Kinds:       []twin.Kind{twin.KindVehicle},
			Fields: map[string]string{"id": "String: entity id", "vehicle_type": "String: car, van, truck, taxi, bus, …",
				"route": "String: route ref (buses)", "moving": "Boolean: positioned by a live feed"}},
		member: func(e *twin.Entity) bool { return e.Kind == twin.KindVehicle },
		render: mvtVehicles,
	},
	{
		info: TileLayer{Name: LayerH3, MinZoom: 0, MaxZoom: 18,
			Description: "A metric aggregated per H3 cell (?metric=pm25&agg=avg&res=auto): the newest value of each entity, or its numeric property.",
			Fields: map[string]string{"cell": "String: H3 index (hex)", "res": "Number: H3 resolution",
				"value": "Number: the aggregate", "count": "Number: entities that contributed"}},
		render: mvtH3,
	},
	{
		info: TileLayer{Name: LayerLabels, MinZoom: 5, MaxZoom: 18,
			Description: "Where names go: a point per named road (or waterway) per tile, on its longest run in the tile and turned along it; a point inside each named area large enough to carry its name, in one tile.",
			Kinds:       mvtLabelKinds,
			Fields: map[string]string{"id": "String: the entity labelled (of a road cut into several, the one that carries the label)",
				"name": "String", "kind": "String: road, zone, landuse or water",
				"class": "String: the road's class (as the roads layer), or the area's zone_type, landuse, leisure, water, waterway or natural",
				"rank":  "Number: importance, 1 (motorway) to 8 (footway, car park): lower wins a collision",
				"angle": "Number: degrees counter-clockwise from east along the line at the label, -90 < angle <= 90 (upright text); 0 for areas"}},
		member: mvtLabelled,
		render: mvtLabels,
	},
}

// mvtQuery returns the entities of kinds whose geometry meets the buffered tile.
func mvtQuery(ctx context.Context, store *twin.Store, f *mvtFrame, o *TileOptions, kinds []twin.Kind, where ...twin.Filter) ([]twin.Entity, error) {
	res, err := store.Query(ctx, twin.Query{Kinds: kinds,
		BBox: []orb.Bound{TileBound(f.z, f.x, f.y, o.Extent, o.Buffer)}, Where: where, At: o.At})
	return res.Entities, err
}

// mvtCheckEvery is how many features a tile writes between checks of ctx.
const mvtCheckEvery = 1024

func mvtStr(e *twin.Entity, key string) (string, bool) {
	v, ok := e.Props.Get(key)
	if !ok {
		return "", false
	}
	s, ok := v.Str()
	return s, ok && s != ""
}

func mvtNum(e *twin.Entity, key string) (float64, bool) {
	v, ok := e.Props.Get(key)
	if !ok {
		return 0, false
	}
	if f, ok := v.Number(); ok {
		return f, true
	}
	return 0, false
}

func mvtTagStr(w *mvtLayerWriter, e *twin.Entity, key string) {
	if s, ok := mvtStr(e, key); ok {
		w.tag(key, mvtString(s))
	}
}

func mvtTagFirst(w *mvtLayerWriter, e *twin.Entity, as string, keys ...string) {
	for _, k := range keys {
		if s, ok := mvtStr(e, k); ok {
			w.tag(as, mvtString(s))
			return
		}
	}
}

func mvtIsWater(e *twin.Entity) bool {
	for _, k := range [...]string{"zone_type", "natural", "landuse"} {
		if s, ok := mvtStr(e, k); ok && (s == "water" || s == "reservoir" || s == "basin") {
			return true
		}
	}
	_, ok := mvtStr(e, "waterway")
	return ok
}

// mvtHeight is the height the buildings layer gives an entity: its height,
// else 3 m a storey, else 0 (unknown).
func mvtHeight(e *twin.Entity) float64 {
	if e.Height > 0 {
		return e.Height
	}
	return 3 * float64(e.Levels)
}

func mvtBuildings(ctx context.Context, store *twin.Store, f *mvtFrame, w *mvtLayerWriter, o *TileOptions) error {
	es, err := mvtQuery(ctx, store, f, o, []twin.Kind{twin.KindBuilding, twin.KindBuildingPart})
	if err != nil {
		return err
	}
	for i := range es {
		if i%mvtCheckEvery == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		e := &es[i]
		if !f.polygons(w, e.Geometry) {
			w.discard()
			continue
		}
		w.tagUnique("id", mvtString(string(e.ID)))
		w.tag("kind", mvtString(string(e.Kind)))
		if s, ok := mvtStr(e, "use"); ok {
			w.tag("class", mvtString(s))
		} else if s, ok := mvtStr(e, "building"); ok && s != "yes" {
			w.tag("class", mvtString(s))
		}
		mvtTagStr(w, e, "name")
		if h := mvtHeight(e); h > 0 {
			w.tag("height", mvtNumber(h))
		}
		w.tag("min_height", mvtNumber(e.MinHeight))
		if e.Levels > 0 {
			w.tag("levels", mvtNumber(float64(e.Levels)))
		}
		w.feature(MVTFeatureID(string(e.ID)), mvtPolygon)
	}
	return nil
}

// RoadMinZoom is the first zoom that shows a road of an OSM highway class.
func RoadMinZoom(class string) int {
	class = strings.TrimSuffix(class, "_link")
	switch class {
	case "motorway", "trunk":
		return 5
	case "primary":
		return 8
	case "secondary":
		return 9
	case "tertiary":
		return 10
	case "residential", "unclassified", "living_street", "road", "":
		return 12
	case "service", "pedestrian", "busway":
		return 13
	}
	return 14 // footway, path, cycleway, steps, bridleway, track, …
}

// mvtRoadClasses are the classes of RoadMinZoom below 12, for the zooms that
// show only some.
var mvtRoadClasses = []string{"motorway", "motorway_link", "trunk", "trunk_link", "primary", "primary_link",
	"secondary", "secondary_link", "tertiary", "tertiary_link"}

// LiveRoadMetric is the channel of a road whose newest value the roads layer
// shows as speed (m/s) and congestion.
const LiveRoadMetric = "speed"

// mvtRoadQuery returns the roads (that pass where) whose geometry meets the
// buffered tile; below z12 only those of the classes the zoom shows.
func mvtRoadQuery(ctx context.Context, store *twin.Store, f *mvtFrame, o *TileOptions, where ...twin.Filter) ([]twin.Entity, error) {
	kinds := []twin.Kind{twin.KindRoad}
	if f.z >= 12 {
		return mvtQuery(ctx, store, f, o, kinds, where...)
	}
	// Only the main classes: ask for them by name rather than materialising
	// every street of the city.
	var es []twin.Entity
	for _, c := range mvtRoadClasses {
		if RoadMinZoom(c) > f.z {
			continue
		}
		part, err := mvtQuery(ctx, store, f, o, kinds, append([]twin.Filter{{Key: "class", Op: twin.Eq, Value: twin.StringValue(c)}}, where...)...)
		if err != nil {
			return nil, err
		}
		es = append(es, part...)
	}
	return es, nil
}

func mvtRoads(ctx context.Context, store *twin.Store, f *mvtFrame, w *mvtLayerWriter, o *TileOptions) error {
	kinds := []twin.Kind{twin.KindRoad}
	es, err := mvtRoadQuery(ctx, store, f, o)
	if err != nil {
		return err
	}
	live, err := store.Latest(ctx, twin.Query{Kinds: kinds, BBox: []orb.Bound{TileBound(f.z, f.x, f.y, o.Extent, o.Buffer)}, At: o.At}, LiveRoadMetric)
	if err != nil {
		return err
	}
	speeds := make(map[twin.ID]float64, len(live))
	for _, l := range live {
		speeds[l.ID] = l.Point.V
	}
	for i := range es {
		if i%mvtCheckEvery == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		e := &es[i]
		class, _ := mvtStr(e, "class")
		if class == "" {
			class, _ = mvtStr(e, "highway")
		}
		if RoadMinZoom(class) > f.z || !f.lines(w, e.Geometry) {
			w.discard()
			continue
		}
		w.tagUnique("id", mvtString(string(e.ID)))
		if class != "" {
			w.tag("class", mvtString(class))
		}
		mvtTagStr(w, e, "name")
		if n, ok := mvtNum(e, "lanes"); ok {
			w.tag("lanes", mvtNumber(n))
		}
		if v, ok := e.Props.Get("oneway"); ok {
			b, isBool := v.Bool()
			s, _ := v.Str()
			w.tag("oneway", mvtBool(isBool && b || s == "yes" || s == "true" || s == "1" || s == "-1"))
		}
		limit, hasLimit := mvtNum(e, "maxspeed_kmh")
		if !hasLimit {
			limit, hasLimit = mvtNum(e, "speed_kmh")
		}
		if hasLimit {
			w.tag("maxspeed_kmh", mvtNumber(limit))
		}
		if v, ok := speeds[e.ID]; ok && !math.IsNaN(v) && !math.IsInf(v, 0) {
			w.tag("speed", mvtNumber(v))
			if hasLimit && limit > 0 {
				w.tag("congestion", mvtNumber(min(max(1-v*3.6/limit, 0), 1)))
			}
		}
		w.feature(MVTFeatureID(string(e.ID)), mvtLineString)
	}
	return nil
}

// mvtPoints is the renderer of a point layer: attrs tags each feature.
func mvtPoints(kind twin.Kind, attrs func(w *mvtLayerWriter, e *twin.Entity)) func(context.Context, *twin.Store, *mvtFrame, *mvtLayerWriter, *TileOptions) error {
	return func(ctx context.Context, store *twin.Store, f *mvtFrame, w *mvtLayerWriter, o *TileOptions) error {
		es, err := mvtQuery(ctx, store, f, o, []twin.Kind{kind})
		if err != nil {
			return err
		}
		for i := range es {
			if i%mvtCheckEvery == 0 && ctx.Err() != nil {
				return ctx.Err()
			}
			e := &es[i]
			if !f.points(w, e.Geometry) {
				w.discard()
				continue
			}
			w.tagUnique("id", mvtString(string(e.ID)))
			attrs(w, e)
			w.feature(MVTFeatureID(string(e.ID)), mvtPoint)
		}
		return nil
	}
}

var (
	mvtSensors = mvtPoints(twin.KindSensor, func(w *mvtLayerWriter, e *twin.Entity) {
		mvtTagStr(w, e, "sensor_type")
		mvtTagStr(w, e, "mount")
		mvtTagStr(w, e, "metrics")
		mvtTagStr(w, e, "name")
	})
	mvtStops = mvtPoints(twin.KindStop, func(w *mvtLayerWriter, e *twin.Entity) {
		mvtTagStr(w, e, "name")
		mvtTagStr(w, e, "route")
	})
	mvtVehicles = mvtPoints(twin.KindVehicle, func(w *mvtLayerWriter, e *twin.Entity) {
		mvtTagStr(w, e, "vehicle_type")
		mvtTagStr(w, e, "route")
		w.tag("moving", mvtBool(e.Moving))
	})
)

// mvtAreas draws the polygons of kinds that keep says belong.
func mvtAreas(ctx context.Context, store *twin.Store, f *mvtFrame, w *mvtLayerWriter, o *TileOptions, kinds []twin.Kind,
	keep func(*twin.Entity) bool, attrs func(w *mvtLayerWriter, e *twin.Entity)) error {
	es, err := mvtQuery(ctx, store, f, o, kinds)
	if err != nil {
		return err
	}
	for i := range es {
		if i%mvtCheckEvery == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		e := &es[i]
		if !keep(e) {
			continue
		}
		var typ uint32 = mvtPolygon
		ok := f.polygons(w, e.Geometry)
		if !ok {
			typ = mvtLineString // a waterway
			ok = f.lines(w, e.Geometry)
		}
		if !ok {
			w.discard()
			continue
		}
		w.tagUnique("id", mvtString(string(e.ID)))
		attrs(w, e)
		w.feature(MVTFeatureID(string(e.ID)), typ)
	}
	return nil
}

func mvtLanduse(ctx context.Context, store *twin.Store, f *mvtFrame, w *mvtLayerWriter, o *TileOptions) error {
	return mvtAreas(ctx, store, f, w, o, []twin.Kind{twin.KindZone, KindLanduse}, func(e *twin.Entity) bool { return !mvtIsWater(e) },
		func(w *mvtLayerWriter, e *twin.Entity) {
			w.tag("kind", mvtString(string(e.Kind)))
			mvtTagFirst(w, e, "class", "zone_type", "landuse", "leisure")
			mvtTagStr(w, e, "name")
			if n, ok := mvtNum(e, "capacity"); ok && n > 0 {
				w.tag("capacity", mvtNumber(n))
			}
		})
}

func mvtWater(ctx context.Context, store *twin.Store, f *mvtFrame, w *mvtLayerWriter, o *TileOptions) error {
	return mvtAreas(ctx, store, f, w, o, []twin.Kind{KindWater, twin.KindZone},
		func(e *twin.Entity) bool { return e.Kind == KindWater || mvtIsWater(e) },
		func(w *mvtLayerWriter, e *twin.Entity) {
			mvtTagFirst(w, e, "class", "water", "waterway", "natural", "zone_type")
			mvtTagStr(w, e, "name")
		})
}
