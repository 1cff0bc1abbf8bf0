package osm

import (
	"reflect"
	"strings"
	"testing"

	"github.com/paulmach/orb"
)

func TestAssembleRings(t *testing.T) {
	tests := []struct {
		name         string
		ways         []RingWay
		outer, inner [][]int64
		err          string
	}{
		{"closed way", []RingWay{{ID: 1, Nodes: []int64{1, 2, 3, 1}}},
			[][]int64{{1, 2, 3, 1}}, nil, ""},
		{"open ways joined", []RingWay{{ID: 1, Nodes: []int64{1, 2, 3}}, {ID: 2, Nodes: []int64{3, 4, 1}}},
			[][]int64{{1, 2, 3, 4, 1}}, nil, ""},
		{"reversed way", []RingWay{{ID: 1, Nodes: []int64{1, 2, 3}}, {ID: 2, Nodes: []int64{1, 4, 3}}},
			[][]int64{{1, 2, 3, 4, 1}}, nil, ""},
		{"three ways out of order", []RingWay{{ID: 1, Nodes: []int64{1, 2}}, {ID: 3, Nodes: []int64{1, 3}}, {ID: 2, Nodes: []int64{3, 4, 2}}},
			[][]int64{{1, 2, 4, 3, 1}}, nil, ""},
		{"outer and inner", []RingWay{{ID: 1, Nodes: []int64{1, 2, 3, 4, 1}}, {ID: 2, Inner: true, Nodes: []int64{5, 6, 7, 5}}},
			[][]int64{{1, 2, 3, 4, 1}}, [][]int64{{5, 6, 7, 5}}, ""},
		{"unclosable", []RingWay{{ID: 1, Nodes: []int64{1, 2, 3}}, {ID: 2, Nodes: []int64{3, 4}}},
			nil, nil, "does not close"},
		{"way twice (a cycle of one way)", []RingWay{{ID: 1, Nodes: []int64{1, 2, 3}}, {ID: 1, Nodes: []int64{1, 2, 3}}},
			nil, nil, "member twice"},
		{"back and forth is too short", []RingWay{{ID: 1, Nodes: []int64{1, 2}}, {ID: 2, Nodes: []int64{2, 1}}},
			nil, nil, "at least 4"},
		{"empty member", []RingWay{{ID: 1}}, nil, nil, "0 nodes"},
		{"only inner", []RingWay{{ID: 1, Inner: true, Nodes: []int64{1, 2, 3, 1}}}, nil, nil, "no outer"},
		{"no members", nil, nil, nil, "no outer"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			outer, inner, err := AssembleRings(tt.ways)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(outer, tt.outer) || !reflect.DeepEqual(inner, tt.inner) {
				t.Errorf("got %v / %v, want %v / %v", outer, inner, tt.outer, tt.inner)
			}
		})
	}
}

func TestPolygons(t *testing.T) {
	pts := map[int64]orb.Point{
		1: {0, 0}, 2: {0, 10}, 3: {10, 10}, 4: {10, 0}, // clockwise square
		5: {2, 2}, 6: {4, 2}, 7: {4, 4}, // triangle inside
		8: {20, 20}, 9: {21, 20}, 10: {21, 21}, // triangle outside
		11: {30, 30}, 12: {31, 31}, // degenerate
	}
	coord := func(id int64) (orb.Point, bool) { p, ok := pts[id]; return p, ok }
	g, err := Polygons([][]int64{{1, 2, 3, 4, 1}}, [][]int64{{5, 6, 7, 5}}, coord)
	if err != nil {
		t.Fatal(err)
	}
	poly := g.(orb.Polygon)
	if len(poly) != 2 || poly[0].Orientation() != orb.CCW || poly[1].Orientation() != orb.CW {
		t.Errorf("polygon %v: want a ccw shell and a cw hole", poly)
	}
	if g, err := Polygons([][]int64{{1, 2, 3, 4, 1}, {8, 9, 10, 8}}, nil, coord); err != nil {
		t.Fatal(err)
	} else if mp, ok := g.(orb.MultiPolygon); !ok || len(mp) != 2 {
		t.Errorf("got %T %v, want a multipolygon of 2", g, g)
	}
	for name, c := range map[string]struct {
		outer, inner [][]int64
		err          string
	}{
		"missing node":   {[][]int64{{1, 2, 99, 1}}, nil, "missing node 99"},
		"hole outside":   {[][]int64{{1, 2, 3, 4, 1}}, [][]int64{{8, 9, 10, 8}}, "outside every outer"},
		"zero area":      {[][]int64{{11, 12, 11, 11}}, nil, "zero area"},
		"zero area hole": {[][]int64{{1, 2, 3, 4, 1}}, [][]int64{{11, 12, 11, 11}}, "zero area"},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := Polygons(c.outer, c.inner, coord); err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("err %v, want %q", err, c.err)
			}
		})
	}
}
