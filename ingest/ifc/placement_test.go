package ifc

import (
	"context"
	"math"
	"strings"
	"testing"
)

func near(a, b Vec3) bool {
	return math.Abs(a[0]-b[0]) < 1e-9 && math.Abs(a[1]-b[1]) < 1e-9 && math.Abs(a[2]-b[2]) < 1e-9
}

func TestAxes(t *testing.T) {
	v := func(x, y, z float64) *Vec3 { return &Vec3{x, y, z} }
	tests := []struct {
		name      string
		axis, ref *Vec3
		want      Transform
	}{
		{"default", nil, nil, Identity},
		{"ref y", nil, v(0, 1, 0), Transform{X: Vec3{0, 1, 0}, Y: Vec3{-1, 0, 0}, Z: Vec3{0, 0, 1}}},
		{"ref not unit", nil, v(0, 5, 0), Transform{X: Vec3{0, 1, 0}, Y: Vec3{-1, 0, 0}, Z: Vec3{0, 0, 1}}},
		{"z along x", v(1, 0, 0), v(0, 0, 1), Transform{X: Vec3{0, 0, 1}, Y: Vec3{0, -1, 0}, Z: Vec3{1, 0, 0}}},
		{"ref not perpendicular", nil, v(1, 0, 1), Identity},
		{"ref parallel to axis", nil, v(0, 0, 2), Identity},
		{"zero axis", v(0, 0, 0), nil, Identity},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Axes(Vec3{}, tt.axis, tt.ref)
			if !near(got.X, tt.want.X) || !near(got.Y, tt.want.Y) || !near(got.Z, tt.want.Z) {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestTransformThen(t *testing.T) {
	rot90 := Transform{X: Vec3{0, 1, 0}, Y: Vec3{-1, 0, 0}, Z: Vec3{0, 0, 1}}
	tests := []struct {
		name          string
		child, parent Transform
		p, want       Vec3
	}{
		{"identity", Identity, Identity, Vec3{1, 2, 3}, Vec3{1, 2, 3}},
		{"translate", Transform{X: Identity.X, Y: Identity.Y, Z: Identity.Z, O: Vec3{1, 0, 0}},
			Transform{X: Identity.X, Y: Identity.Y, Z: Identity.Z, O: Vec3{0, 2, 3}}, Vec3{1, 1, 1}, Vec3{2, 3, 4}},
		// child shifted 10 along x of a parent turned 90° and at (5,5,0):
		// local (1,0,0) -> child (11,0,0) -> parent (5,16,0).
		{"rotate", Transform{X: Identity.X, Y: Identity.Y, Z: Identity.Z, O: Vec3{10, 0, 0}},
			Transform{X: rot90.X, Y: rot90.Y, Z: rot90.Z, O: Vec3{5, 5, 0}}, Vec3{1, 0, 0}, Vec3{5, 16, 0}},
		{"rotate twice", rot90, rot90, Vec3{1, 0, 0}, Vec3{-1, 0, 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.child.Then(tt.parent).Apply(tt.p)
			if !near(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
			if direct := tt.parent.Apply(tt.child.Apply(tt.p)); !near(direct, got) {
				t.Errorf("Then %v != applying in turn %v", got, direct)
			}
		})
	}
}

func TestPlacementChain(t *testing.T) {
	src := step(`#1=IFCCARTESIANPOINT((1000.,0.,0.));
#2=IFCDIRECTION((0.,1.,0.));
#3=IFCAXIS2PLACEMENT3D(#1,$,#2);
#4=IFCLOCALPLACEMENT($,#3);
#5=IFCLOCALPLACEMENT(#4,#3);
#6=IFCLOCALPLACEMENT(#7,#3);
#7=IFCLOCALPLACEMENT(#6,#3);
#8=IFCLOCALPLACEMENT(#99,#3);
#9=IFCLOCALPLACEMENT(#9,#3);`)
	f, err := Parse(context.Background(), strings.NewReader(src))
	if err != nil {
		t.Fatal(err)
	}
	g := newGeom(f, 0.001) // millimetres
	tests := []struct {
		id     uint64
		ok     bool
		origin Vec3
	}{
		{4, true, Vec3{1, 0, 0}},
		{5, true, Vec3{1, 1, 0}}, // (1,0) in a frame turned 90° at (1,0)
		{6, false, Vec3{}},       // cycle 6 -> 7 -> 6
		{8, true, Vec3{1, 0, 0}}, // dangling parent: world
		{9, false, Vec3{}},       // self-cycle
		{3, false, Vec3{}},       // not a local placement
	}
	for _, tt := range tests {
		tr, ok := g.placement(tt.id)
		if ok != tt.ok || ok && !near(tr.O, tt.origin) {
			t.Errorf("#%d: ok %v origin %v, want %v %v", tt.id, ok, tr.O, tt.ok, tt.origin)
		}
	}
}
