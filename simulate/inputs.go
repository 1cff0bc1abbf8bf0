package simulate

import (
	"context"
	"fmt"
	"sort"
	"time"

	"citytwin/twin"

	"github.com/paulmach/orb"
)

// inputs are what a scenario's models need, read from its snapshot once when
// the scenario is created and kept with it.
type inputs struct {
	roads     *Roads     // traffic
	ods       []zoneOD   // traffic demand before calibration
	counts    []count    // traffic counters
	buildings []building // flood obstacles and impacts
	elevation *elevation // flood terrain
	// outages are, per outage intervention (by index), the entities cut:
	// the asset and every entity that depends on it.
	outages map[int][]twin.ID
	notes   []string
}

// building is a building as the flood model needs it.
type building struct {
	id        twin.ID
	footprint orb.Polygon // WGS84
	height    float64
}

// elevation is an elevation model entity: its grid file and CRS.
type elevation struct {
	id   twin.ID
	file string
	crs  string
}

// Kinds read from the twin.
const (
	kindElevation twin.Kind = "elevation_model"
	// countWindow is how far back traffic counts are summed.
	countWindow = time.Hour
	// maxDependencyDepth bounds the walk from an asset to what depends on it.
	maxDependencyDepth = 8
)

// readInputs reads a spec's inputs through the snapshot.
func readInputs(ctx context.Context, snap Snapshot, s *Spec) (*inputs, error) {
	in := &inputs{outages: map[int][]twin.ID{}}
	area, hasArea := s.area()
	bs, err := snap.kinds(ctx, area, hasArea, twin.KindBuilding)
	if err != nil {
		return nil, err
	}
	for i := range bs {
		poly, ok := bs[i].Geometry.(orb.Polygon)
		if !ok {
			if mp, isMulti := bs[i].Geometry.(orb.MultiPolygon); isMulti && len(mp) > 0 {
				poly, ok = mp[0], true
			}
		}
		if ok {
			in.buildings = append(in.buildings, building{id: bs[i].ID, footprint: poly, height: bs[i].Height})
		}
	}
	if s.Model.traffic() {
		rs, err := snap.kinds(ctx, area, hasArea, twin.KindRoad)
		if err != nil {
			return nil, err
		}
		var skipped int
		if in.roads, skipped, err = roadsOf(rs); err != nil {
			return nil, err
		}
		if skipped > 0 {
			in.notes = append(in.notes, fmt.Sprintf("%d road entities are not driven on (no line, not for motor traffic, or a loop)", skipped))
		}
		in.ods = demandOf(bs, in.roads.Net)
		if len(in.ods) == 0 {
			return nil, fmt.Errorf("%w: no travel demand: the area has no residential buildings with others to travel to", ErrNoInputs)
		}
		if in.counts, err = countsOf(ctx, snap, area, hasArea); err != nil {
			return nil, err
		}
		if err := checkTraffic(in, s); err != nil {
			return nil, err
		}
	}
	if s.Model.flood() {
		if in.elevation, err = elevationOf(ctx, snap, s, area, hasArea); err != nil {
			return nil, err
		}
	}
	for i := range s.Interventions {
		iv := &s.Interventions[i]
		if iv.Type != Outage {
			continue
		}
		cut, err := dependents(ctx, snap, iv.ids())
		if err != nil {
			return nil, fmt.Errorf("interventions[%d]: %w", i, err)
		}
		in.outages[i] = cut
	}
	return in, nil
}

// countsOf reads the traffic counters beside roads: sensors with a "beside"
// link to a road and vehicle_count readings in the hour before the snapshot.
func countsOf(ctx context.Context, snap Snapshot, area orb.Bound, hasArea bool) ([]count, error) {
	q := twin.Query{Kinds: []twin.Kind{twin.KindSensor}, Match: func(e *twin.Entity) bool {
		for _, l := range e.Links {
			if l.Rel == "beside" {
				return true
			}
		}
		return false
	}}
	if hasArea {
		q.BBox = []orb.Bound{area}
	}
	sensors, err := snap.Query(ctx, q)
	if err != nil || len(sensors) == 0 {
		return nil, err
	}
	road := map[twin.ID]twin.ID{}
	ids := make([]twin.ID, 0, len(sensors))
	for _, e := range sensors {
		for _, l := range e.Links {
			if l.Rel == "beside" {
				road[e.ID] = l.To
				ids = append(ids, e.ID)
				break
			}
		}
	}
	// A reading counts the vehicles since the one before it, so the readings
	// after the first cover the time from the first to the last: the rate is
	// their sum over that span. This holds whether the counter has reported
	// for the whole window or only since the server started.
	to := snap.At.UnixNano()
	out := make([]count, 0, len(ids))
	for _, id := range ids {
		pts, err := snap.store.Range(id, "vehicle_count", to-int64(countWindow), to+1)
		if err != nil || len(pts) < 2 {
			continue // no readings, or too few to span any time
		}
		sum := 0.0
		for _, p := range pts[1:] {
			sum += p.V
		}
		if span := time.Duration(pts[len(pts)-1].T - pts[0].T); span > 0 {
			out = append(out, count{road: road[id], sensor: id, rate: sum / span.Hours()})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].sensor < out[j].sensor })
	return out, nil
}

// elevationOf picks the elevation model: the spec's, or the first (by id) that
// covers the area, or the only one.
func elevationOf(ctx context.Context, snap Snapshot, s *Spec, area orb.Bound, hasArea bool) (*elevation, error) {
	var cands []twin.Entity
	if s.Elevation != "" {
		e, err := snap.Get(twin.ID(s.Elevation))
		if err != nil {
			return nil, fmt.Errorf("%w: elevation: %w", ErrBadSpec, err)
		}
		cands = []twin.Entity{e}
	} else {
		var err error
		if cands, err = snap.kinds(ctx, area, hasArea, kindElevation); err != nil {
			return nil, err
		}
	}
	for _, e := range cands {
		if e.Kind != kindElevation {
			return nil, fmt.Errorf("%w: elevation: %s is a %s, not an elevation model", ErrBadSpec, e.ID, e.Kind)
		}
		file, _, _ := e.Props.Text("file")
		crs, _, _ := e.Props.Text("crs")
		if file == "" || crs == "" {
			continue
		}
		if hasArea && !e.Geometry.Bound().Intersects(area) {
			continue
		}
		return &elevation{id: e.ID, file: file, crs: crs}, nil
	}
	return nil, fmt.Errorf("%w: no elevation model (kind %s with a file and a CRS) covers the area: import one (citytwin import dem.asc)", ErrNoInputs, kindElevation)
}

// dependents are the assets and everything that depends on them: the
// entities that link to an asset (a sensor "in" a building, a building "fed_by"
// a substation), those that link to them, and so on, maxDependencyDepth deep.
// Sorted by id.
func dependents(ctx context.Context, snap Snapshot, assets []twin.ID) ([]twin.ID, error) {
	seen := map[twin.ID]bool{}
	frontier := map[twin.ID]bool{}
	for _, id := range assets {
		if _, err := snap.Get(id); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrBadSpec, err)
		}
		seen[id], frontier[id] = true, true
	}
	for depth := 0; depth < maxDependencyDepth && len(frontier) > 0; depth++ {
		next := map[twin.ID]bool{}
		_, err := snap.Query(ctx, twin.Query{Match: func(e *twin.Entity) bool {
			if seen[e.ID] {
				return false
			}
			for _, l := range e.Links {
				if frontier[l.To] {
					next[e.ID] = true
					return false
				}
			}
			return false
		}})
		if err != nil {
			return nil, err
		}
		for id := range next {
			seen[id] = true
		}
		frontier = next
	}
	out := make([]twin.ID, 0, len(seen))
	for id := range seen {
		out = append(out, id)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out, nil
}
