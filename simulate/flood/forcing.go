package flood

import (
	"fmt"
	"sort"
)

// rainSource is a Rain resolved to cells: indices increasing, walls left out,
// with, per block of rows, where the block's cells start in the list.
type rainSource struct {
	intensity Series // mm/h
	cells     []int
	start     []int // len blocks+1
}

// inflowSource is an Inflow resolved to cells (walls left out).
type inflowSource struct {
	discharge Series // m³/s
	cells     []int
}

func newRain(c *Config, t *terrain, i int, blocks int) (rainSource, error) {
	r := c.Rain[i]
	var cells []int
	switch {
	case r.Mask != nil:
		for k, in := range r.Mask {
			if in {
				cells = append(cells, k)
			}
		}
	case r.Area != nil:
		cells = PolygonCells(c.DEM, r.Area)
	default:
		cells = make([]int, t.w*t.h)
		for k := range cells {
			cells[k] = k
		}
	}
	kept := cells[:0:0]
	for _, k := range cells {
		if !t.wall[k] {
			kept = append(kept, k)
		}
	}
	src := rainSource{intensity: r.Intensity, cells: kept, start: make([]int, blocks+1)}
	for b := 0; b <= blocks; b++ {
		first := min(b*blockRows, t.h) * t.w
		src.start[b] = sort.SearchInts(kept, first)
	}
	return src, nil
}

func newInflow(c *Config, t *terrain, i int) (inflowSource, error) {
	f := c.Inflows[i]
	var cells []int
	if f.Cells != nil {
		seen := map[int]bool{}
		for _, cell := range f.Cells {
			k := cell.Row*t.w + cell.Col
			if !seen[k] {
				seen[k] = true
				cells = append(cells, k)
			}
		}
		sort.Ints(cells)
	} else {
		cells = DiskCells(c.DEM, f.At, f.Radius)
	}
	kept := cells[:0:0]
	for _, k := range cells {
		if !t.wall[k] {
			kept = append(kept, k)
		}
	}
	if len(kept) == 0 {
		return inflowSource{}, fmt.Errorf("%w: inflow %d %q has no open cell", ErrConfig, i, f.ID)
	}
	return inflowSource{discharge: f.Discharge, cells: kept}, nil
}
