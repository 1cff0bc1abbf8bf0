package flood

import (
	"slices"
	"testing"

	"citytwin/geo/raster"

	"github.com/paulmach/orb"
)

func TestCellSelections(t *testing.T) {
	g, err := raster.New(10, 10, 1, 1, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	// A horizontal line along y = 5 (between rows 4 and 5) from x = 2 to 6:
	// centres at y = 4.5 and 5.5 lie 0.5 away.
	got := LineCells(g, orb.LineString{{2, 5}, {6, 5}}, 0.6)
	var want []int
	for _, r := range []int{4, 5} {
		for c := 2; c <= 5; c++ {
			want = append(want, r*10+c)
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("LineCells = %v, want %v", got, want)
	}
	sq := orb.Polygon{{{1, 1}, {4, 1}, {4, 4}, {1, 4}, {1, 1}}}
	if got := PolygonCells(g, sq); len(got) != 9 || got[0] != 6*10+1 {
		t.Errorf("PolygonCells = %v, want 9 cells from 61", got)
	}
	if got := DiskCells(g, orb.Point{5, 5}, 1); len(got) != 4 {
		t.Errorf("DiskCells = %v, want the 4 cells around the corner", got)
	}
	if got := DiskCells(g, orb.Point{5.2, 5.2}, 0); !slices.Equal(got, []int{4*10 + 5}) {
		t.Errorf("DiskCells radius 0 = %v", got)
	}
}

func TestExposureOfStormCase(t *testing.T) {
	cfg := stormConfig(t, 2)
	m, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	runTo(t, m, 300)
	all := make([]int, len(m.h))
	for k := range all {
		all[k] = k
	}
	e := m.Exposure(all)
	wet := m.Above(cfg.Thresholds[0], true)
	if e.MaxDepth == 0 || !e.Flooded(0) || len(wet) == 0 {
		t.Fatalf("nothing flooded: %+v", e)
	}
	// The earliest first-exceedance over all cells is the minimum of the
	// per-cell times.
	first := -1.0
	for _, c := range wet {
		ft, ok := m.FirstExceeded(c, 0)
		if !ok {
			t.Fatalf("cell %v above threshold at its max but no first time", c)
		}
		if first < 0 || ft < first {
			first = ft
		}
	}
	if e.First[0] != first {
		t.Errorf("Exposure first %v, want %v", e.First[0], first)
	}
	// Walls count for nothing.
	hall := PolygonCells(cfg.DEM, cfg.Buildings[0].Footprint)
	if got := m.Exposure(hall); got.Cells != 0 || got.MaxDepth != 0 {
		t.Errorf("wall exposure %+v", got)
	}
	if g, err := m.Grid(Elevation); err != nil || g.Values[hall[0]] != NoData {
		t.Errorf("wall elevation not NoData: %v", err)
	}
}
