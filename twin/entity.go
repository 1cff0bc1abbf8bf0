package twin

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/paulmach/orb"
)

// ID is a stable, source-qualified entity id: "osm:way/123", "sensor:aq-17",
// "gtfs:stop/4521", "ifc:<GlobalId>".
type ID string

// Kind says what an entity is. Kinds are lower-case singular nouns; the OGC API
// names a collection after the plural.
type Kind string

// The kinds citytwin knows. Any other lower-case name is accepted too.
const (
	KindBuilding     Kind = "building"
	KindBuildingPart Kind = "building_part"
	KindStorey       Kind = "storey"
	KindSpace        Kind = "space"
	KindRoad         Kind = "road"
	KindStop         Kind = "stop"
	KindRoute        Kind = "route"
	KindSensor       Kind = "sensor"
	KindVehicle      Kind = "vehicle"
	KindZone         Kind = "zone"
	KindPOI          Kind = "poi"
)

// Plural is the collection name of a kind: "building" -> "buildings".
func (k Kind) Plural() string {
	s := string(k)
	switch {
	case strings.HasSuffix(s, "y") && !strings.HasSuffix(s, "ey"):
		return s[:len(s)-1] + "ies"
	case strings.HasSuffix(s, "s"), strings.HasSuffix(s, "x"), strings.HasSuffix(s, "ch"), strings.HasSuffix(s, "sh"):
		return s + "es"
	}
	return s + "s"
}

// Link is a typed edge to another entity: a sensor "in" a building, a storey "part_of"
// a building, a stop "served_by" a route.
type Link struct {
	Rel string `json:"rel"`
	To  ID     `json:"to"`
}

// Provenance records which source said something, and when.
type Provenance struct {
	Source string    `json:"source"`
	Time   time.Time `json:"time"`
	// Note is free text: a file and line, a topic, a feed URL.
	Note string `json:"note,omitempty"`
}

// Entity is one thing in the city as seen at one version.
type Entity struct {
	ID       ID
	Kind     Kind
	Geometry orb.Geometry // WGS84 lon/lat; nil when the entity has no place
	// Height and MinHeight are metres above ground of the top and bottom of the
	// entity (0 when unknown); Levels is the number of storeys (0 when unknown).
	Height, MinHeight float64
	Levels            int
	Props             Properties
	Links             []Link
	Provenance        []Provenance

	// Set by the store.
	Version   uint64    // 1 for the first state, +1 for every change
	ValidFrom time.Time // when this version took effect
	Moving    bool      // position comes from Move ops
}

// Errors of the entity model.
var (
	ErrNoID        = errors.New("twin: entity has no id")
	ErrBadKind     = errors.New("twin: bad kind")
	ErrBadGeometry = errors.New("twin: bad geometry")
	ErrNotFound    = errors.New("twin: entity not found")
)

// Validate reports what is wrong with e, naming the field.
func (e *Entity) Validate() error {
	if e.ID == "" {
		return ErrNoID
	}
	if len(e.ID) > MaxIDLen {
		return fmt.Errorf("entity %.40s…: id of %d bytes is longer than %d", e.ID, len(e.ID), MaxIDLen)
	}
	if err := validKind(e.Kind); err != nil {
		return fmt.Errorf("entity %s: %w", e.ID, err)
	}
	if e.Geometry != nil {
		if err := ValidGeometry(e.Geometry); err != nil {
			return fmt.Errorf("entity %s: %w", e.ID, err)
		}
	}
	if badFloat(e.Height) || badFloat(e.MinHeight) || e.Height < 0 || e.MinHeight < 0 {
		return fmt.Errorf("entity %s: height %v/min_height %v: must be finite and >= 0", e.ID, e.Height, e.MinHeight)
	}
	if e.Levels < 0 || e.Levels > 500 {
		return fmt.Errorf("entity %s: levels %d out of range 0..500", e.ID, e.Levels)
	}
	if err := e.Props.Validate(); err != nil {
		return fmt.Errorf("entity %s: %w", e.ID, err)
	}
	for i, l := range e.Links {
		if l.Rel == "" || l.To == "" {
			return fmt.Errorf("entity %s: link %d: rel and to are required", e.ID, i)
		}
	}
	return nil
}

func validKind(k Kind) error {
	if k == "" || len(k) > 64 {
		return fmt.Errorf("%w %q: want 1..64 characters", ErrBadKind, k)
	}
	for _, r := range k {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_') {
			return fmt.Errorf("%w %q: want lower-case letters, digits and _", ErrBadKind, k)
		}
	}
	return nil
}

// ValidGeometry reports the first coordinate of g that is not a finite WGS84
// lon/lat, or a geometry type the twin does not hold: the rule every entity
// is checked by, for importers that want to name the column or field at fault.
func ValidGeometry(g orb.Geometry) error {
	var bad error
	ok := eachPoint(g, func(p orb.Point) {
		if bad == nil && !validLonLat(p) {
			bad = fmt.Errorf("%w: coordinate %v is not a WGS84 lon/lat", ErrBadGeometry, p)
		}
	})
	if !ok {
		return fmt.Errorf("%w: unsupported type %T", ErrBadGeometry, g)
	}
	return bad
}

// eachPoint calls fn for every coordinate of g; it is false for a type it does not
// know.
func eachPoint(g orb.Geometry, fn func(orb.Point)) bool {
	switch g := g.(type) {
	case orb.Point:
		fn(g)
	case orb.MultiPoint:
		for _, p := range g {
			fn(p)
		}
	case orb.LineString:
		return eachPoint(orb.MultiPoint(g), fn)
	case orb.Ring:
		return eachPoint(orb.MultiPoint(g), fn)
	case orb.MultiLineString:
		for _, l := range g {
			eachPoint(orb.MultiPoint(l), fn)
		}
	case orb.Polygon:
		for _, r := range g {
			eachPoint(orb.MultiPoint(r), fn)
		}
	case orb.MultiPolygon:
		for _, p := range g {
			eachPoint(p, fn)
		}
	case orb.Collection:
		for _, c := range g {
			if !eachPoint(c, fn) {
				return false
			}
		}
	case orb.Bound:
		fn(g.Min)
		fn(g.Max)
	default:
		return false
	}
	return true
}

func validLonLat(p orb.Point) bool {
	return !badFloat(p[0]) && !badFloat(p[1]) && p[0] >= -180 && p[0] <= 180 && p[1] >= -90 && p[1] <= 90
}
