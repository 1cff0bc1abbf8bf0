package fence

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"citytwin/geo"
	"citytwin/twin"

	"github.com/paulmach/orb"
	"github.com/uber/h3-go/v4"
)

// KindGeofence is the twin kind of fence entities; their OGC collection is
// "geofences".
const KindGeofence twin.Kind = "geofence"

// The properties of a fence entity. See the package doc for their meaning.
const (
	PropRadius     = "fence.radius"
	PropCells      = "fence.cells"
	PropNear       = "fence.near"
	PropKinds      = "fence.kinds"
	PropWhere      = "fence.where"
	PropEvents     = "fence.events"
	PropDwell      = "fence.dwell"
	PropHysteresis = "fence.hysteresis"
)

// Limits of a definition, so that one fence cannot take the engine down.
const (
	MaxRadius     = 1_000_000 // metres
	MaxHysteresis = 10_000    // metres
	MaxDwell      = 7 * 24 * time.Hour
	MaxCells      = 100_000
	MaxVertices   = 1_000_000
)

// ErrBadFence is matched by every *DefinitionError.
var ErrBadFence = errors.New("fence: bad definition")

// DefinitionError says which part of a fence entity is wrong: Property is a
// property key ("fence.radius"), "kind" or "geometry".
type DefinitionError struct {
	Fence    twin.ID
	Property string
	Reason   string
}

func (e *DefinitionError) Error() string {
	return fmt.Sprintf("fence %s: %s: %s", e.Fence, e.Property, e.Reason)
}

// Is makes errors.Is(err, ErrBadFence) true.
func (e *DefinitionError) Is(target error) bool { return target == ErrBadFence }

// Shape is what kind of region a fence is.
type Shape uint8

// The shapes.
const (
	ShapeArea    Shape = iota + 1 // Polygon or MultiPolygon
	ShapeCircle                   // Point + fence.radius
	ShapeLine                     // LineString or MultiLineString, crossed
	ShapeCells                    // fence.cells
	ShapeRoaming                  // fence.near + fence.radius
)

func (s Shape) String() string {
	switch s {
	case ShapeArea:
		return "area"
	case ShapeCircle:
		return "circle"
	case ShapeLine:
		return "line"
	case ShapeCells:
		return "cells"
	case ShapeRoaming:
		return "roaming"
	}
	return "Shape(" + strconv.Itoa(int(s)) + ")"
}

// Event kinds.
const (
	Enter   = "enter"
	Exit    = "exit"
	Inside  = "inside"
	Outside = "outside"
	Cross   = "cross"
)

// Events is a set of event kinds.
type Events uint8

// The event kinds as set members.
const (
	EvEnter Events = 1 << iota
	EvExit
	EvInside
	EvOutside
	EvCross
)

var eventNames = [...]string{Enter, Exit, Inside, Outside, Cross}

// Has reports whether every kind of o is in s.
func (s Events) Has(o Events) bool { return s&o == o }

// String lists the kinds, comma separated, in the canonical order.
func (s Events) String() string {
	var b []string
	for i, n := range eventNames {
		if s&(1<<i) != 0 {
			b = append(b, n)
		}
	}
	return strings.Join(b, ",")
}

func eventBit(kind string) Events {
	for i, n := range eventNames {
		if n == kind {
			return 1 << i
		}
	}
	return 0
}

// Fence is a parsed fence definition.
type Fence struct {
	ID      twin.ID
	Version uint64
	Shape   Shape
	// Area holds the polygons of an area fence, and of a cell fence (one polygon
	// per cell).
	Area orb.MultiPolygon
	// Line holds the lines of a line fence.
	Line orb.MultiLineString
	// Center and Radius (metres) define a circle; a roaming fence has only Radius.
	Center orb.Point
	Radius float64
	Cells  []h3.Cell
	// Near is the entity a roaming fence follows.
	Near       twin.ID
	Kinds      []twin.Kind   // empty: every kind
	Where      []twin.Filter // all must hold
	Events     Events
	Dwell      time.Duration
	Hysteresis float64 // metres
}

// Parse reads the fence that e defines. Errors are *DefinitionError naming the
// property at fault, so that an API can reject a fence before it is upserted.
func Parse(e *twin.Entity) (Fence, error) {
	if e == nil {
		return Fence{}, &DefinitionError{Property: "entity", Reason: "nil"}
	}
	f := Fence{ID: e.ID, Version: e.Version}
	bad := func(prop, format string, args ...any) (Fence, error) {
		return Fence{}, &DefinitionError{Fence: e.ID, Property: prop, Reason: fmt.Sprintf(format, args...)}
	}
	if e.Kind != KindGeofence {
		return bad("kind", "want %q, got %q", KindGeofence, e.Kind)
	}
	for _, p := range e.Props {
		if strings.HasPrefix(p.Key, "fence.") && !knownProp(p.Key) {
			return bad(p.Key, "unknown fence property (want one of %s)", strings.Join(allProps, ", "))
		}
	}
	radius, hasRadius, err := e.Props.Float(PropRadius)
	if err != nil {
		return bad(PropRadius, "%v", err)
	}
	if hasRadius && !(radius > 0 && radius <= MaxRadius) {
		return bad(PropRadius, "want metres in (0, %d], got %v", MaxRadius, radius)
	}
	near, hasNear, err := e.Props.Text(PropNear)
	if err != nil {
		return bad(PropNear, "%v", err)
	}
	cells, hasCells, err := e.Props.Text(PropCells)
	if err != nil {
		return bad(PropCells, "%v", err)
	}
	if e.Geometry != nil {
		if err := twin.ValidGeometry(e.Geometry); err != nil {
			return bad("geometry", "%v", err)
		}
	}

	switch {
	case hasNear:
		if near == "" || len(near) > twin.MaxIDLen {
			return bad(PropNear, "want the id of an entity to follow")
		}
		if twin.ID(near) == e.ID {
			return bad(PropNear, "a fence cannot follow itself")
		}
		if hasCells {
			return bad(PropCells, "a roaming fence (fence.near) has no cells")
		}
		if !hasRadius {
			return bad(PropRadius, "a roaming fence (fence.near) needs a radius in metres")
		}
		if _, isPt := e.Geometry.(orb.Point); e.Geometry != nil && !isPt {
			return bad("geometry", "a roaming fence has no geometry of its own (got %s)", e.Geometry.GeoJSONType())
		}
		f.Shape, f.Near, f.Radius = ShapeRoaming, twin.ID(near), radius
	case hasCells:
		if e.Geometry != nil {
			return bad("geometry", "a cell fence (fence.cells) has no geometry (got %s)", e.Geometry.GeoJSONType())
		}
		if hasRadius {
			return bad(PropRadius, "only for a Point geometry or fence.near")
		}
		cs, err := parseCells(cells)
		if err != nil {
			return bad(PropCells, "%v", err)
		}
		f.Shape, f.Cells = ShapeCells, cs
		for _, c := range cs {
			f.Area = append(f.Area, geo.CellPolygon(c))
		}
	default:
		switch g := e.Geometry.(type) {
		case nil:
			return bad("geometry", "a fence needs a geometry, %s or %s", PropCells, PropNear)
		case orb.Point:
			if !hasRadius {
				return bad(PropRadius, "a Point fence needs a radius in metres")
			}
			f.Shape, f.Center, f.Radius = ShapeCircle, g, radius
		case orb.Polygon:
			f.Shape, f.Area = ShapeArea, orb.MultiPolygon{g}
		case orb.MultiPolygon:
			f.Shape, f.Area = ShapeArea, g
		case orb.LineString:
			f.Shape, f.Line = ShapeLine, orb.MultiLineString{g}
		case orb.MultiLineString:
			f.Shape, f.Line = ShapeLine, g
		default:
			return bad("geometry", "want Polygon, MultiPolygon, Point, LineString or MultiLineString, got %s", g.GeoJSONType())
		}
		if hasRadius && f.Shape != ShapeCircle {
			return bad(PropRadius, "only for a Point geometry or fence.near")
		}
		if err := checkShape(&f); err != "" {
			return bad("geometry", "%s", err)
		}
	}

	if s, ok, err := e.Props.Text(PropKinds); err != nil {
		return bad(PropKinds, "%v", err)
	} else if ok {
		if f.Kinds, err = twin.ParseKinds(s); err != nil {
			return bad(PropKinds, "%v", err)
		}
	}
	if s, ok, err := e.Props.Text(PropWhere); err != nil {
		return bad(PropWhere, "%v", err)
	} else if ok {
		if f.Where, err = twin.ParseFilters(s); err != nil {
			return bad(PropWhere, "%v", err)
		}
	}
	if s, ok, err := e.Props.Text(PropEvents); err != nil {
		return bad(PropEvents, "%v", err)
	} else if ok {
		for _, k := range twin.SplitList(s, ",") {
			b := eventBit(k)
			if b == 0 {
				return bad(PropEvents, "unknown event %q (want enter, exit, inside, outside, cross)", k)
			}
			f.Events |= b
		}
		if f.Events == 0 {
			return bad(PropEvents, "no events")
		}
	} else if f.Shape == ShapeLine {
		f.Events = EvCross
	} else {
		f.Events = EvEnter | EvExit
	}
	if f.Shape == ShapeLine && f.Events != EvCross {
		return bad(PropEvents, "a line fence has only cross events (got %s)", f.Events)
	}
	if v, ok, err := e.Props.Float(PropDwell); err != nil {
		return bad(PropDwell, "%v", err)
	} else if ok {
		if !(v >= 0 && v <= MaxDwell.Seconds()) {
			return bad(PropDwell, "want seconds in [0, %v], got %v", MaxDwell.Seconds(), v)
		}
		if f.Shape == ShapeLine {
			return bad(PropDwell, "a line fence has no inside to dwell in")
		}
		f.Dwell = time.Duration(math.Round(v * 1e9))
	}
	if v, ok, err := e.Props.Float(PropHysteresis); err != nil {
		return bad(PropHysteresis, "%v", err)
	} else if ok {
		if !(v >= 0 && v <= MaxHysteresis) {
			return bad(PropHysteresis, "want metres in [0, %d], got %v", MaxHysteresis, v)
		}
		f.Hysteresis = v
	}
	return f, nil
}

var allProps = []string{PropCells, PropDwell, PropEvents, PropHysteresis, PropKinds, PropNear, PropRadius, PropWhere}

func knownProp(k string) bool { return slices.Contains(allProps, k) }

// parseCells reads H3 cells given as hex ids; a cell inside another listed
// cell is dropped, so that the polygons of a fence never overlap.
func parseCells(s string) ([]h3.Cell, error) {
	items := twin.SplitList(s, ",")
	if len(items) == 0 {
		return nil, errors.New("no cells")
	}
	if len(items) > MaxCells {
		return nil, fmt.Errorf("%d cells, at most %d", len(items), MaxCells)
	}
	set := make(map[h3.Cell]bool, len(items))
	for _, it := range items {
		v, err := strconv.ParseUint(strings.TrimPrefix(strings.ToLower(it), "0x"), 16, 64)
		c := h3.Cell(v)
		if err != nil || !c.IsValid() {
			return nil, fmt.Errorf("%q is not an H3 cell id", it)
		}
		set[c] = true
	}
	var out []h3.Cell
	for c := range set {
		covered := false
		for r := geo.CellResolution(c) - 1; r >= 0 && !covered; r-- {
			covered = set[geo.Parent(c, r)]
		}
		if !covered {
			out = append(out, c)
		}
	}
	slices.Sort(out)
	return out, nil
}

// checkShape checks what ValidGeometry does not: enough vertices.
func checkShape(f *Fence) string {
	n := 0
	for i, poly := range f.Area {
		if len(poly) == 0 {
			return fmt.Sprintf("polygon %d has no rings", i)
		}
		for j, r := range poly {
			if len(r) < 3 {
				return fmt.Sprintf("polygon %d ring %d has %d points, want >= 3", i, j, len(r))
			}
			n += len(r)
		}
	}
	for i, l := range f.Line {
		if len(l) < 2 {
			return fmt.Sprintf("line %d has %d points, want >= 2", i, len(l))
		}
		n += len(l)
	}
	if f.Shape == ShapeArea && len(f.Area) == 0 || f.Shape == ShapeLine && len(f.Line) == 0 {
		return "empty"
	}
	if n > MaxVertices {
		return fmt.Sprintf("%d vertices, at most %d", n, MaxVertices)
	}
	return ""
}
