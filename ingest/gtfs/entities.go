package gtfs

import (
	"fmt"
	"sort"
	"time"

	"citytwin/twin"

	"github.com/paulmach/orb"
)

// Entity ids of a feed's things. They match the ids ingest/gtfsrt gives
// vehicles ("gtfs:vehicle/<id>") and the trip_id and route_id properties those
// vehicles carry.
func StopID(stopID string) twin.ID   { return twin.ID("gtfs:stop/" + stopID) }
func RouteID(routeID string) twin.ID { return twin.ID("gtfs:route/" + routeID) }
func TripID(tripID string) twin.ID   { return twin.ID("gtfs:trip/" + tripID) }

// Options say who the entities come from.
type Options struct {
	Source string    // provenance source, default "gtfs"
	Feed   string    // provenance note: the feed's file or URL
	Time   time.Time // when the entities take effect; zero means when applied
}

// Entities turns the feed's stops and routes into twin entities, stops first,
// each in file order. An entity that fails twin validation (an id longer than
// twin.MaxIDLen, say) is left out with a reject.
func (f *Feed) Entities(opts Options) ([]*twin.Entity, []Reject) {
	if opts.Source == "" {
		opts.Source = "gtfs"
	}
	prov := []twin.Provenance{{Source: opts.Source, Time: opts.Time, Note: opts.Feed}}
	routesAt := f.routesByStop()
	var out []*twin.Entity
	var rejects []Reject
	keep := func(e *twin.Entity, file string) {
		if err := e.Validate(); err != nil {
			rejects = append(rejects, Reject{File: file, Reason: err.Error()})
			return
		}
		out = append(out, e)
	}
	for i := range f.Stops {
		keep(f.stopEntity(&f.Stops[i], routesAt[f.Stops[i].ID], prov), "stops.txt")
	}
	for i := range f.Routes {
		keep(f.routeEntity(&f.Routes[i], prov), "routes.txt")
	}
	return out, rejects
}

// Ops are one OpUpsert per entity of Entities.
func (f *Feed) Ops(opts Options) ([]twin.Op, []Reject) {
	es, rejects := f.Entities(opts)
	ops := make([]twin.Op, len(es))
	src := opts.Source
	if src == "" {
		src = "gtfs"
	}
	for i, e := range es {
		ops[i] = twin.Op{Type: twin.OpUpsert, T: twin.Nanos(opts.Time), Source: src, Entity: e}
	}
	return ops, rejects
}

// routesByStop lists, sorted, the routes whose trips call at each stop; a
// station also gets the routes of the stops inside it.
func (f *Feed) routesByStop() map[string][]string {
	set := map[string]map[string]bool{}
	add := func(stop, route string) {
		if set[stop] == nil {
			set[stop] = map[string]bool{}
		}
		set[stop][route] = true
	}
	for _, tr := range f.Schedule.Trips {
		for _, st := range tr.StopTimes {
			add(st.StopID, tr.RouteID)
			if s, ok := f.Stop(st.StopID); ok && s.ParentStation != "" {
				add(s.ParentStation, tr.RouteID)
			}
		}
	}
	out := make(map[string][]string, len(set))
	for stop, routes := range set {
		ids := make([]string, 0, len(routes))
		for r := range routes {
			ids = append(ids, r)
		}
		sort.Strings(ids)
		out[stop] = ids
	}
	return out
}

func (f *Feed) stopEntity(s *Stop, routes []string, prov []twin.Provenance) *twin.Entity {
	e := &twin.Entity{ID: StopID(s.ID), Kind: twin.KindStop, Provenance: prov}
	if s.HasPoint {
		e.Geometry = s.Point
	}
	props := map[string]any{
		"location_type":       s.LocationType,
		"wheelchair_boarding": s.WheelchairBoarding,
	}
	for k, v := range map[string]string{"name": s.Name, "code": s.Code, "desc": s.Desc, "zone_id": s.ZoneID, "platform_code": s.PlatformCode} {
		if v != "" {
			props[k] = v
		}
	}
	e.Props, _ = twin.PropertiesOf(props)
	if s.ParentStation != "" {
		e.Links = append(e.Links, twin.Link{Rel: "parent", To: StopID(s.ParentStation)})
	}
	for _, r := range routes {
		e.Links = append(e.Links, twin.Link{Rel: "served_by", To: RouteID(r)})
	}
	return e
}

func (f *Feed) routeEntity(r *Route, prov []twin.Provenance) *twin.Entity {
	e := &twin.Entity{ID: RouteID(r.ID), Kind: twin.KindRoute, Provenance: prov, Geometry: f.RouteGeometry(r.ID)}
	props := map[string]any{"type": r.Type, "mode": r.Mode()}
	for k, v := range map[string]string{"short_name": r.ShortName, "long_name": r.LongName, "desc": r.Desc,
		"color": r.Color, "text_color": r.TextColor, "url": r.URL, "agency": f.agencyName(r.AgencyID)} {
		if v != "" {
			props[k] = v
		}
	}
	e.Props, _ = twin.PropertiesOf(props)
	return e
}

// agencyName is the name of the agency with id, or of the only agency when the
// route does not say.
func (f *Feed) agencyName(id string) string {
	for _, a := range f.Agencies {
		if a.ID == id {
			return a.Name
		}
	}
	if id == "" && len(f.Agencies) == 1 {
		return f.Agencies[0].Name
	}
	return ""
}

// RouteGeometry is the line of a route: the union of the distinct shapes its
// trips follow, as a MultiLineString ordered by shape_id; when none of its trips
// has a shape, a LineString through the stops of its longest trip. It is nil
// when there is no line of two points or more.
func (f *Feed) RouteGeometry(routeID string) orb.Geometry {
	shapes := map[string]bool{}
	var longest *Trip
	for _, tr := range f.tripsByRoute[routeID] {
		if tr.ShapeID != "" {
			shapes[tr.ShapeID] = true
		}
		if longest == nil || len(tr.StopTimes) > len(longest.StopTimes) ||
			len(tr.StopTimes) == len(longest.StopTimes) && tr.ID < longest.ID {
			longest = tr
		}
	}
	if len(shapes) > 0 {
		ids := make([]string, 0, len(shapes))
		for id := range shapes {
			ids = append(ids, id)
		}
		sort.Strings(ids)
		var mls orb.MultiLineString
		for _, id := range ids {
			if ls := f.Shapes[id]; len(ls) >= 2 {
				mls = append(mls, ls)
			}
		}
		if len(mls) > 0 {
			return mls
		}
	}
	if longest == nil {
		return nil
	}
	var ls orb.LineString
	for _, st := range longest.StopTimes {
		if s, ok := f.Stop(st.StopID); ok && s.HasPoint {
			ls = append(ls, s.Point)
		}
	}
	if len(ls) < 2 {
		return nil
	}
	return ls
}

// String summarises a feed for logs.
func (f *Feed) String() string {
	return fmt.Sprintf("gtfs feed: %d agencies, %d stops, %d routes, %d trips, %d shapes, %d rejects",
		len(f.Agencies), len(f.Stops), len(f.Routes), len(f.Schedule.Trips), len(f.Shapes), len(f.Rejects))
}
