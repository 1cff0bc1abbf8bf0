package flood

import (
	"fmt"
	"math"

	"citytwin/geo/crs"
	"citytwin/geo/raster"

	"github.com/paulmach/orb"
)

// Field names a per-cell quantity that Grid can return.
type Field int

const (
	Depth          Field = iota // water depth now (m)
	Stage                       // water surface elevation now (m); NoData where dry
	Speed                       // depth-averaged speed now (m/s)
	VelocityEast                // east component now (m/s)
	VelocityNorth               // north component now (m/s)
	MaxDepth                    // greatest depth so far (m)
	MaxStage                    // ground + greatest depth (m); NoData where never wet
	MaxSpeed                    // greatest speed so far (m/s), where depth ≥ SpeedDepth
	TimeOfMaxDepth              // time of MaxDepth (s); NoData where never wet
	TimeOfMaxSpeed              // time of MaxSpeed (s); NoData where never moving
	Elevation                   // ground used by the model (buildings raised); NoData at walls
)

// NoData is the value Grid gives to walls and to cells a field does not cover.
const NoData = -9999

// Grid returns a field as a raster with the DEM's georeference; walls hold
// NoData.
func (m *Model) Grid(f Field) (*raster.Grid, error) {
	out, err := m.newGrid()
	if err != nil {
		return nil, err
	}
	for k := range m.h {
		if m.ter.wall[k] {
			out.Values[k] = NoData
			continue
		}
		v, ok, known := m.field(f, k)
		if !known {
			return nil, fmt.Errorf("%w: unknown field %d", ErrConfig, int(f))
		}
		if !ok {
			out.Values[k] = NoData
			continue
		}
		out.Values[k] = float32(v)
	}
	return out, nil
}

// field is one cell's value of f, whether it has one, and whether f is known.
func (m *Model) field(f Field, k int) (v float64, ok, known bool) {
	hk := m.h[k]
	switch f {
	case Depth:
		return hk, true, true
	case Stage:
		if hk == 0 {
			return 0, false, true
		}
		return m.ter.z[k] + hk, true, true
	case Speed:
		if hk < m.cfg.SpeedDepth {
			return 0, true, true
		}
		u, v := m.velocity(k)
		return math.Hypot(u, v), true, true
	case VelocityEast, VelocityNorth:
		if hk < m.cfg.SpeedDepth {
			return 0, true, true
		}
		u, v := m.velocity(k)
		if f == VelocityEast {
			return u, true, true
		}
		return -v, true, true
	case MaxDepth:
		return m.maxDepth[k], true, true
	case MaxStage:
		if m.maxDepth[k] == 0 {
			return 0, false, true
		}
		return m.ter.z[k] + m.maxDepth[k], true, true
	case MaxSpeed:
		return m.maxSpeed[k], true, true
	case TimeOfMaxDepth:
		if m.maxDepth[k] == 0 {
			return 0, false, true
		}
		return m.tMaxD[k], true, true
	case TimeOfMaxSpeed:
		if m.maxSpeed[k] == 0 {
			return 0, false, true
		}
		return m.tMaxS[k], true, true
	case Elevation:
		return m.ter.z[k], true, true
	}
	return 0, false, false
}

func (m *Model) newGrid() (*raster.Grid, error) {
	d := m.cfg.DEM
	g, err := raster.New(d.Width, d.Height, d.CellX, d.CellY, d.OriginX, d.OriginY)
	if err != nil {
		return nil, err
	}
	g.CRS, g.NoData, g.HasNoData = d.CRS, NoData, true
	return g, nil
}

// FirstExceeded is the time (s) at which cell's depth first reached
// Config.Thresholds[i], false if it never has (or i is out of range).
func (m *Model) FirstExceeded(cell Cell, i int) (float64, bool) {
	k, ok := m.index(cell)
	if !ok || i < 0 || i >= len(m.first) || m.first[i][k] < 0 {
		return 0, false
	}
	return m.first[i][k], true
}

// FirstExceededGrid is FirstExceeded for every cell as a raster; NoData where
// the threshold was never reached and at walls.
func (m *Model) FirstExceededGrid(i int) (*raster.Grid, error) {
	if i < 0 || i >= len(m.first) {
		return nil, fmt.Errorf("%w: threshold %d of %d", ErrConfig, i, len(m.first))
	}
	out, err := m.newGrid()
	if err != nil {
		return nil, err
	}
	for k, t := range m.first[i] {
		if t < 0 || m.ter.wall[k] {
			out.Values[k] = NoData
		} else {
			out.Values[k] = float32(t)
		}
	}
	return out, nil
}

func (m *Model) index(c Cell) (int, bool) {
	if c.Col < 0 || c.Row < 0 || c.Col >= m.ter.w || c.Row >= m.ter.h {
		return 0, false
	}
	return c.Row*m.ter.w + c.Col, true
}

// CellAt is the cell holding map point p (DEM CRS).
func (m *Model) CellAt(p orb.Point) (Cell, error) {
	c, r, ok := m.cfg.DEM.Cell(p)
	if !ok {
		return Cell{}, fmt.Errorf("%w: %v", ErrOutside, p)
	}
	return Cell{c, r}, nil
}

// CellAtLonLat is the cell holding WGS84 point ll, projected to the DEM's CRS
// with geo/crs.
func (m *Model) CellAtLonLat(ll orb.Point) (Cell, error) {
	tr, err := crs.For(m.cfg.DEM.CRS)
	if err != nil {
		return Cell{}, fmt.Errorf("flood: project %v: %w", ll, err)
	}
	p, err := tr.FromLonLat(ll)
	if err != nil {
		return Cell{}, fmt.Errorf("flood: project %v: %w", ll, err)
	}
	return m.CellAt(p)
}

// CellState is the water in one cell now and at its worst.
type CellState struct {
	Cell
	Ground, Depth, Stage float64 // m; Stage = Ground + Depth
	East, North          float64 // velocity (m/s), 0 below SpeedDepth
	MaxDepth, MaxSpeed   float64
	TimeOfMaxDepth       float64 // s; 0 when never wet
	Wall                 bool
}

// At is the state of a cell.
func (m *Model) At(c Cell) (CellState, error) {
	k, ok := m.index(c)
	if !ok {
		return CellState{}, fmt.Errorf("%w: cell %v", ErrOutside, c)
	}
	s := CellState{Cell: c, Wall: m.ter.wall[k]}
	if s.Wall {
		return s, nil
	}
	s.Ground, s.Depth = m.ter.z[k], m.h[k]
	s.Stage = s.Ground + s.Depth
	if s.Depth >= m.cfg.SpeedDepth {
		u, v := m.velocity(k)
		s.East, s.North = u, -v
	}
	s.MaxDepth, s.MaxSpeed, s.TimeOfMaxDepth = m.maxDepth[k], m.maxSpeed[k], m.tMaxD[k]
	return s, nil
}

// Above lists the open cells (row-major order) whose depth is at least
// threshold: now, or at any time so far when everMax.
func (m *Model) Above(threshold float64, everMax bool) []Cell {
	src := m.h
	if everMax {
		src = m.maxDepth
	}
	var out []Cell
	w := m.ter.w
	for k, v := range src {
		if v >= threshold && !m.ter.wall[k] {
			out = append(out, Cell{k % w, k / w})
		}
	}
	return out
}
