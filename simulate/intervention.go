package simulate

import (
	"errors"
	"fmt"
	"math"

	"citytwin/twin"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
)

// InterventionType names what an intervention changes.
type InterventionType string

// The interventions.
const (
	// CloseRoad closes road segments (both directions) from From to To.
	CloseRoad InterventionType = "close_road"
	// RestrictRoad scales the capacity of road segments by Factor (a lane
	// closed out of two is 0.5).
	RestrictRoad InterventionType = "restrict_road"
	// ChangeDemand multiplies the trips that start or end in Area by Factor.
	ChangeDemand InterventionType = "demand"
	// Rain falls on Area (the whole model when empty) at MMPerH, or along
	// Profile.
	Rain InterventionType = "rain"
	// Inflow pours water into the model at Point, m³/s along Profile (or
	// CubicMetresPerS).
	Inflow InterventionType = "inflow"
	// Failure takes assets out of service: a failed road is closed, a failed
	// sensor's readings do not calibrate the demand.
	Failure InterventionType = "failure"
	// Outage cuts an asset and everything that depends on it: the entities that
	// link to it, and those that link to them, and so on.
	Outage InterventionType = "outage"
)

// Intervention is one typed, time-bounded change to the city. The members a
// type uses are listed with the type; the others must be empty.
type Intervention struct {
	Type InterventionType `json:"type"`
	// ID and IDs name twin entities (roads, sensors, assets).
	ID  twin.ID   `json:"id,omitempty"`
	IDs []twin.ID `json:"ids,omitempty"`
	// Area is a GeoJSON Polygon or MultiPolygon (rain, demand).
	Area *geojson.Geometry `json:"area,omitempty"`
	// Point is [lon, lat] (inflow).
	Point []float64 `json:"point,omitempty"`
	// From and To bound it in seconds from the start of the run; To 0 is the
	// horizon.
	From float64 `json:"from_s,omitempty"`
	To   float64 `json:"to_s,omitempty"`
	// Factor scales capacity (restrict_road, in [0, 1]) or demand (demand, in
	// [0, 100]).
	Factor *float64 `json:"factor,omitempty"`
	// MMPerH is a constant rain intensity; Profile is [[t_s, value], …]
	// (mm/h for rain, m³/s for inflow), held from each t until the next.
	MMPerH          float64      `json:"mm_per_h,omitempty"`
	CubicMetresPerS float64      `json:"m3_per_s,omitempty"`
	Profile         [][2]float64 `json:"profile,omitempty"`
}

// ids is ID and IDs together.
func (iv *Intervention) ids() []twin.ID {
	out := append([]twin.ID(nil), iv.IDs...)
	if iv.ID != "" {
		out = append(out, iv.ID)
	}
	return out
}

// window is [From, To) with To 0 read as the horizon.
func (iv *Intervention) window(horizon float64) (from, to float64) {
	to = iv.To
	if to == 0 {
		to = horizon
	}
	return iv.From, to
}

// polygon is the Area as an orb geometry, nil when there is none.
func (iv *Intervention) polygon() orb.Geometry {
	if iv.Area == nil {
		return nil
	}
	return iv.Area.Geometry()
}

func (iv *Intervention) validate(s *Spec) error {
	field := func(name, format string, a ...any) error {
		return fmt.Errorf("%s: %s", name, fmt.Sprintf(format, a...))
	}
	if math.IsNaN(iv.From) || iv.From < 0 || iv.From >= s.Horizon {
		return field("from_s", "%v: want 0 ≤ from < horizon (%v)", iv.From, s.Horizon)
	}
	if math.IsNaN(iv.To) || iv.To < 0 || (iv.To != 0 && iv.To <= iv.From) {
		return field("to_s", "%v: want to > from, or 0 for the horizon", iv.To)
	}
	if len(iv.IDs) > 10000 {
		return field("ids", "%d: at most 10000", len(iv.IDs))
	}
	needIDs := func() error {
		if len(iv.ids()) == 0 {
			return field("id", "%s names no entity (id or ids)", iv.Type)
		}
		return nil
	}
	noneOf := func(names ...string) error {
		set := map[string]bool{
			"id":       iv.ID != "" || len(iv.IDs) > 0,
			"area":     iv.Area != nil,
			"point":    len(iv.Point) > 0,
			"factor":   iv.Factor != nil,
			"mm_per_h": iv.MMPerH != 0,
			"m3_per_s": iv.CubicMetresPerS != 0,
			"profile":  len(iv.Profile) > 0,
		}
		for _, n := range names {
			if set[n] {
				return field(n, "not a member of %s", iv.Type)
			}
		}
		return nil
	}
	switch iv.Type {
	case CloseRoad, Failure, Outage:
		if err := needIDs(); err != nil {
			return err
		}
		if iv.Type == CloseRoad && !s.Model.traffic() {
			return field("type", "close_road needs the traffic model")
		}
		return noneOf("area", "point", "factor", "mm_per_h", "m3_per_s", "profile")
	case RestrictRoad:
		if err := needIDs(); err != nil {
			return err
		}
		if !s.Model.traffic() {
			return field("type", "restrict_road needs the traffic model")
		}
		if iv.Factor == nil || !(*iv.Factor >= 0 && *iv.Factor <= 1) {
			return field("factor", "want a capacity factor in [0, 1]")
		}
		return noneOf("area", "point", "mm_per_h", "m3_per_s", "profile")
	case ChangeDemand:
		if !s.Model.traffic() {
			return field("type", "demand needs the traffic model")
		}
		if err := validArea(iv.Area, true); err != nil {
			return field("area", "%v", err)
		}
		if iv.Factor == nil || !(*iv.Factor >= 0 && *iv.Factor <= 100) {
			return field("factor", "want a demand factor in [0, 100]")
		}
		return noneOf("id", "point", "mm_per_h", "m3_per_s", "profile")
	case Rain:
		if !s.Model.flood() {
			return field("type", "rain needs the flood model")
		}
		if err := validArea(iv.Area, false); err != nil {
			return field("area", "%v", err)
		}
		if err := validProfile(iv.MMPerH, iv.Profile, 1000, "mm_per_h"); err != nil {
			return err
		}
		return noneOf("id", "point", "factor", "m3_per_s")
	case Inflow:
		if !s.Model.flood() {
			return field("type", "inflow needs the flood model")
		}
		if len(iv.Point) != 2 || !validLonLat(iv.Point[0], iv.Point[1]) {
			return field("point", "want [lon, lat]")
		}
		if err := validProfile(iv.CubicMetresPerS, iv.Profile, 1e5, "m3_per_s"); err != nil {
			return err
		}
		return noneOf("id", "area", "factor", "mm_per_h")
	case "":
		return field("type", "missing")
	}
	return field("type", "%q is not one of close_road, restrict_road, demand, rain, inflow, failure, outage", iv.Type)
}

func validLonLat(lon, lat float64) bool {
	return lon >= -180 && lon <= 180 && lat >= -90 && lat <= 90
}

func validArea(g *geojson.Geometry, required bool) error {
	if g == nil {
		if required {
			return errors.New("missing: want a GeoJSON Polygon or MultiPolygon")
		}
		return nil
	}
	switch p := g.Geometry().(type) {
	case orb.Polygon:
		return twin.ValidGeometry(p)
	case orb.MultiPolygon:
		return twin.ValidGeometry(p)
	case nil:
		return errors.New("empty geometry")
	default:
		return fmt.Errorf("a %s: want a Polygon or MultiPolygon", p.GeoJSONType())
	}
}

// validProfile checks a constant or a profile of [t, value] pairs with t
// increasing from 0 and 0 ≤ value ≤ limit.
func validProfile(constant float64, profile [][2]float64, limit float64, name string) error {
	if constant != 0 && len(profile) > 0 {
		return fmt.Errorf("%s and profile: give one", name)
	}
	if len(profile) == 0 {
		if !(constant > 0 && constant <= limit) {
			return fmt.Errorf("%s: %v: want 0 < value ≤ %v, or a profile", name, constant, limit)
		}
		return nil
	}
	if len(profile) > 10000 {
		return fmt.Errorf("profile: %d points: at most 10000", len(profile))
	}
	for i, p := range profile {
		if math.IsNaN(p[0]) || p[0] < 0 || (i > 0 && p[0] <= profile[i-1][0]) {
			return fmt.Errorf("profile[%d]: time %v: want times from 0, increasing", i, p[0])
		}
		if !(p[1] >= 0 && p[1] <= limit) {
			return fmt.Errorf("profile[%d]: value %v: want 0 ≤ value ≤ %v", i, p[1], limit)
		}
	}
	return nil
}

// UnmarshalJSON refuses members that no intervention has, so that a typo is an
// error, not an intervention silently ignored.
func (iv *Intervention) UnmarshalJSON(b []byte) error {
	type plain Intervention
	var p plain
	if err := strictJSON(b, &p); err != nil {
		return err
	}
	*iv = Intervention(p)
	return nil
}
