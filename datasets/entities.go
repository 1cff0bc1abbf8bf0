package datasets

import (
	"context"
	"fmt"
	"iter"
	"strconv"

	"citytwin/twin"
)

// Source is the provenance source of everything the generator makes.
const Source = "synth"

// Len is the number of entities in the city.
func (c *City) Len() int {
	return len(c.Roads) + len(c.Zones) + len(c.Substations) + len(c.Buildings) + len(c.Routes) + len(c.Stops) + len(c.Sensors) + len(c.Vehicles)
}

// Entities yields every entity of the city: roads, zones, substations,
// buildings, routes, stops, sensors, vehicles, in that order and by index within
// each kind. Every entity comes after the entities it links to.
func (c *City) Entities() iter.Seq[twin.Entity] {
	return func(yield func(twin.Entity) bool) {
		for i := range c.Roads {
			if !yield(c.roadEntity(i)) {
				return
			}
		}
		for i := range c.Zones {
			if !yield(c.zoneEntity(i)) {
				return
			}
		}
		for i := range c.Substations {
			if !yield(c.substationEntity(i)) {
				return
			}
		}
		for i := range c.Buildings {
			if !yield(c.buildingEntity(i)) {
				return
			}
		}
		for i := range c.Routes {
			if !yield(c.routeEntity(i)) {
				return
			}
		}
		for i := range c.Stops {
			if !yield(c.stopEntity(i)) {
				return
			}
		}
		for i := range c.Sensors {
			if !yield(c.sensorEntity(i)) {
				return
			}
		}
		for i := range c.Vehicles {
			if !yield(c.vehicleEntity(i)) {
				return
			}
		}
	}
}

func (c *City) provenance() []twin.Provenance {
	return []twin.Provenance{{Source: Source, Time: c.Config.Epoch, Note: "seed " + strconv.FormatUint(c.Config.Seed, 10)}}
}

// props builds sorted properties from key/value pairs given in key order.
func props(kv ...any) twin.Properties {
	ps := make(twin.Properties, 0, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		k := kv[i].(string)
		var v twin.Value
		switch x := kv[i+1].(type) {
		case string:
			if x == "" {
				continue
			}
			v = twin.StringValue(x)
		case int:
			v = twin.NumberValue(float64(x))
		case float64:
			v = twin.NumberValue(x)
		case bool:
			v = twin.BoolValue(x)
		default:
			panic(fmt.Sprintf("datasets: property %s of type %T", k, x))
		}
		ps = append(ps, twin.Prop{Key: k, Value: v})
	}
	return ps
}

func (c *City) roadEntity(i int) twin.Entity {
	r := &c.Roads[i]
	return twin.Entity{
		ID: RoadID(i), Kind: twin.KindRoad, Geometry: r.Line,
		Props: props("class", string(r.Class), "lanes", r.Lanes, "length_m", r.Length, "name", r.Name,
			"oneway", r.OneWay, "speed_kmh", r.SpeedKmh),
		Provenance: c.provenance(),
	}
}

func (c *City) zoneEntity(i int) twin.Entity {
	z := &c.Zones[i]
	return twin.Entity{
		ID: ZoneID(i), Kind: twin.KindZone, Geometry: z.Polygon,
		Props:      props("capacity", z.Capacity, "name", z.Name, "zone_type", z.Kind),
		Provenance: c.provenance(),
	}
}

func (c *City) substationEntity(i int) twin.Entity {
	s := &c.Substations[i]
	return twin.Entity{
		ID: SubstationID(i), Kind: KindSubstation, Geometry: s.Point,
		Props: props("buildings", s.Buildings, "capacity_mva", s.CapacityMVA, "name", s.Name,
			"peak_mw", s.PeakMW, "voltage_kv", s.VoltageKV),
		Provenance: c.provenance(),
	}
}

func (c *City) buildingEntity(i int) twin.Entity {
	b := &c.Buildings[i]
	e := twin.Entity{
		ID: BuildingID(i), Kind: twin.KindBuilding, Geometry: b.Footprint,
		Height: b.Height, Levels: b.Levels,
		Props:      props("area_m2", b.Area, "name", b.Name, "shape", b.Shape, "use", b.Use, "year_built", b.Year),
		Provenance: c.provenance(),
	}
	if b.Substation < len(c.Substations) {
		e.Links = []twin.Link{{Rel: "fed_by", To: SubstationID(b.Substation)}}
	}
	return e
}

func (c *City) routeEntity(i int) twin.Entity {
	r := &c.Routes[i]
	e := twin.Entity{
		ID: r.ID, Kind: twin.KindRoute,
		Props:      props("length_m", r.Length, "mode", "bus", "name", r.Name, "ref", r.Ref, "stops", len(r.Stops)),
		Provenance: c.provenance(),
	}
	if len(r.Line) >= 2 {
		e.Geometry = r.Line
	}
	return e
}

func (c *City) stopEntity(i int) twin.Entity {
	s := &c.Stops[i]
	rt := &c.Routes[s.Route]
	return twin.Entity{
		ID: s.ID, Kind: twin.KindStop, Geometry: s.Point,
		Props:      props("at_m", s.At, "name", s.Name, "route", rt.Ref),
		Links:      []twin.Link{{Rel: "served_by", To: rt.ID}},
		Provenance: c.provenance(),
	}
}

func (c *City) sensorEntity(i int) twin.Entity {
	s := &c.Sensors[i]
	e := twin.Entity{
		ID: s.ID, Kind: twin.KindSensor, Geometry: s.Point,
		Props:      props("metrics", s.Type.metricsList(), "mount", s.Mount, "sensor_type", string(s.Type)),
		Provenance: c.provenance(),
	}
	if s.Capacity > 0 {
		e.Props = props("capacity", s.Capacity, "metrics", s.Type.metricsList(), "mount", s.Mount, "sensor_type", string(s.Type))
	}
	switch {
	case s.Building >= 0 && s.Mount == "rooftop":
		e.Links = []twin.Link{{Rel: "on", To: BuildingID(s.Building)}}
		e.Height = c.Buildings[s.Building].Height
	case s.Building >= 0:
		e.Links = []twin.Link{{Rel: "in", To: BuildingID(s.Building)}}
	case s.Zone >= 0:
		e.Links = []twin.Link{{Rel: "in", To: ZoneID(s.Zone)}}
	case s.Road >= 0:
		e.Links = []twin.Link{{Rel: "beside", To: RoadID(s.Road)}}
	}
	return e
}

func (c *City) vehicleEntity(i int) twin.Entity {
	v := &c.Vehicles[i]
	e := twin.Entity{
		ID: v.ID, Kind: twin.KindVehicle, Geometry: v.Point,
		Props:      props("vehicle_type", v.Type),
		Provenance: c.provenance(),
	}
	if v.Route >= 0 {
		rt := &c.Routes[v.Route]
		e.Props = props("route", rt.Ref, "vehicle_type", v.Type)
		e.Links = []twin.Link{{Rel: "serves", To: rt.ID}}
	}
	return e
}

// Batches yields upsert ops for every entity, batch at a time (batch <= 0 means
// 1000). The slices are fresh for each batch. Ops take effect at Config.Epoch.
func (c *City) Batches(batch int) iter.Seq[[]twin.Op] {
	if batch <= 0 {
		batch = 1000
	}
	return func(yield func([]twin.Op) bool) {
		t := twin.Nanos(c.Config.Epoch)
		ops := make([]twin.Op, 0, batch)
		for e := range c.Entities() {
			e := e
			ops = append(ops, twin.Op{Type: twin.OpUpsert, T: t, Source: Source, Entity: &e})
			if len(ops) == batch {
				if !yield(ops) {
					return
				}
				ops = make([]twin.Op, 0, batch)
			}
		}
		if len(ops) > 0 {
			yield(ops)
		}
	}
}

// Ops returns an upsert op for every entity, in the order of Entities. For a big
// city prefer Batches, which does not hold them all at once.
func (c *City) Ops() []twin.Op {
	out := make([]twin.Op, 0, c.Len())
	for ops := range c.Batches(4096) {
		out = append(out, ops...)
	}
	return out
}

// Load applies the city to a store in batches, checking ctx between batches.
// progress, when not nil, gets the entities loaded so far and the total.
func (c *City) Load(ctx context.Context, store *twin.Store, progress func(done, total int)) error {
	total, done := c.Len(), 0
	for ops := range c.Batches(2000) {
		if err := ctx.Err(); err != nil {
			return err
		}
		if _, err := store.Apply(ops...); err != nil {
			return fmt.Errorf("datasets: load: %w", err)
		}
		done += len(ops)
		if progress != nil {
			progress(done, total)
		}
	}
	return nil
}
