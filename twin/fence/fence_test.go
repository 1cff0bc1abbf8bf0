package fence

import (
	"errors"
	"testing"
	"time"

	"citytwin/geo"
	"citytwin/twin"

	"github.com/paulmach/orb"
)

func TestParse(t *testing.T) {
	poly := orb.Polygon{{at(0, 0), at(100, 0), at(100, 100), at(0, 0)}}
	cell := geo.Cell(at(0, 0), 9)
	for _, tc := range []struct {
		name  string
		g     orb.Geometry
		props map[string]any
		prop  string // the property the error names; "" for no error
		check func(*testing.T, Fence)
	}{
		{"polygon", poly, map[string]any{PropKinds: "vehicle, sensor", PropWhere: "route=42; speed>3", PropEvents: "enter,cross", PropDwell: 30.0, PropHysteresis: "5"}, "", func(t *testing.T, f Fence) {
			if f.Shape != ShapeArea || len(f.Kinds) != 2 || len(f.Where) != 2 || f.Events != EvEnter|EvCross || f.Dwell != 30*time.Second || f.Hysteresis != 5 {
				t.Errorf("%+v", f)
			}
		}},
		{"circle", at(0, 0), map[string]any{PropRadius: 50.0}, "", func(t *testing.T, f Fence) {
			if f.Shape != ShapeCircle || f.Radius != 50 || f.Events != EvEnter|EvExit {
				t.Errorf("%+v", f)
			}
		}},
		{"line", orb.LineString{at(0, 0), at(1, 1)}, nil, "", func(t *testing.T, f Fence) {
			if f.Shape != ShapeLine || f.Events != EvCross {
				t.Errorf("%+v", f)
			}
		}},
		{"cells", nil, map[string]any{PropCells: cell.String() + "," + geo.Parent(cell, 8).String() + ",0x" + geo.Cell(at(5000, 5000), 9).String()}, "", func(t *testing.T, f Fence) {
			if f.Shape != ShapeCells || len(f.Cells) != 2 || len(f.Area) != 2 {
				t.Errorf("%+v", f) // the res-9 cell inside its listed parent is dropped
			}
		}},
		{"roaming", nil, map[string]any{PropNear: "bus:1", PropRadius: 100.0}, "", func(t *testing.T, f Fence) {
			if f.Shape != ShapeRoaming || f.Near != "bus:1" {
				t.Errorf("%+v", f)
			}
		}},
		{"no geometry", nil, nil, "geometry", nil},
		{"point without radius", at(0, 0), nil, PropRadius, nil},
		{"negative radius", at(0, 0), map[string]any{PropRadius: -1.0}, PropRadius, nil},
		{"radius on polygon", poly, map[string]any{PropRadius: 10.0}, PropRadius, nil},
		{"radius not a number", at(0, 0), map[string]any{PropRadius: "far"}, PropRadius, nil},
		{"bad cell", nil, map[string]any{PropCells: "zz"}, PropCells, nil},
		{"cells and geometry", poly, map[string]any{PropCells: cell.String()}, "geometry", nil},
		{"roaming without radius", nil, map[string]any{PropNear: "bus:1"}, PropRadius, nil},
		{"bad kind", poly, map[string]any{PropKinds: "Vehicle"}, PropKinds, nil},
		{"bad where", poly, map[string]any{PropWhere: "=3"}, PropWhere, nil},
		{"bad event", poly, map[string]any{PropEvents: "enter,leave"}, PropEvents, nil},
		{"line with enter", orb.LineString{at(0, 0), at(1, 1)}, map[string]any{PropEvents: "enter"}, PropEvents, nil},
		{"dwell too long", poly, map[string]any{PropDwell: 1e9}, PropDwell, nil},
		{"negative hysteresis", poly, map[string]any{PropHysteresis: -2.0}, PropHysteresis, nil},
		{"typo", poly, map[string]any{"fence.radus": 3.0}, "fence.radus", nil},
		{"short ring", orb.Polygon{{at(0, 0), at(1, 1)}}, nil, "geometry", nil},
		{"multipoint", orb.MultiPoint{at(0, 0)}, nil, "geometry", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := Parse(fenceEntity("fence:x", tc.g, tc.props))
			if tc.prop == "" {
				if err != nil {
					t.Fatal(err)
				}
				tc.check(t, f)
				return
			}
			var de *DefinitionError
			if !errors.As(err, &de) || !errors.Is(err, ErrBadFence) || de.Property != tc.prop || de.Fence != "fence:x" {
				t.Fatalf("got %v, want an error naming %s", err, tc.prop)
			}
		})
	}
	if _, err := Parse(&twin.Entity{ID: "x", Kind: "zone", Geometry: poly}); !errors.Is(err, ErrBadFence) {
		t.Errorf("kind zone: %v", err)
	}
}

// FuzzParse checks that no entity makes Parse panic, and that what it
// accepts compiles and evaluates.
func FuzzParse(f *testing.F) {
	f.Add("fence.radius", "50", "fence.events", "enter,exit", 0.0, 0.0)
	f.Add("fence.cells", "89283082803ffff", "fence.kinds", "vehicle", 1.0, 2.0)
	f.Add("fence.near", "bus:1", "fence.radius", "100", 0.0, 0.0)
	f.Add("fence.where", "route=42;speed>3", "fence.dwell", "30", 24.9, 60.1)
	f.Fuzz(func(t *testing.T, k1, v1, k2, v2 string, x, y float64) {
		ps, err := twin.PropertiesOf(map[string]any{k1: v1, k2: v2})
		if err != nil {
			return
		}
		for _, g := range []orb.Geometry{nil, orb.Point{x, y}, orb.Polygon{{{x, y}, {x + 0.01, y}, {x, y + 0.01}, {x, y}}}} {
			fe, err := Parse(&twin.Entity{ID: "f", Kind: KindGeofence, Geometry: g, Props: ps})
			if err != nil {
				continue
			}
			r := compile(fe, 0, func(twin.Kind) uint16 { return 1 })
			if fe.Shape == ShapeRoaming {
				r.setCenter(orb.Point{x, y})
			}
			r.locate(orb.Point{x, y})
		}
	})
}
