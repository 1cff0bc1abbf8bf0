package geo

import (
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/paulmach/orb"
	"github.com/uber/h3-go/v4"
)

var (
	// ErrResolution is returned for an H3 resolution outside 0..15.
	ErrResolution = errors.New("geo: h3 resolution out of range 0..15")
	// ErrUnsupportedGeometry is returned when an operation does not handle a
	// geometry type.
	ErrUnsupportedGeometry = errors.New("geo: unsupported geometry type")
	// ErrTooManyCells is returned when a cover would exceed MaxCoverCells.
	ErrTooManyCells = errors.New("geo: cover needs too many cells")
)

// MaxCoverCells bounds the work of CoverPolygon (cells inside plus boundary
// samples), so that a country at resolution 15 is an error, not an
// out-of-memory crash.
const MaxCoverCells = 20_000_000

// The H3 index layout (see the H3 spec): 4 bits of resolution at bit 52 and
// fifteen 3-bit digits below bit 45, digit r at bit 3*(15-r); unused digits
// are 7. Parent and CellResolution work on these bits directly because they
// run for every point of an aggregate, where a cgo call per cell would
// dominate.
const (
	h3ResOffset = 52
	h3ResMask   = 0xf << h3ResOffset
	h3DigitBits = 3
)

// MaxRingK bounds k in Ring: a disk of k rings holds 3k(k+1)+1 cells, 3M
// at this k, beyond which a caller wants a polygon cover instead.
const MaxRingK = 1000

// maxChildren bounds Children to 7^8 (5.7M) cells for the same reason.
const maxChildrenLevels = 8

// ValidRes returns ErrResolution unless 0 <= res <= 15.
func ValidRes(res int) error {
	if res < 0 || res > h3.MaxResolution {
		return fmt.Errorf("%w: %d", ErrResolution, res)
	}
	return nil
}

// Cell returns the cell at res containing p, or 0 for an invalid res or a
// non-finite point.
func Cell(p orb.Point, res int) h3.Cell {
	if ValidRes(res) != nil || !isFinitePt(p) {
		return 0
	}
	return h3.LatLngToCell(h3.NewLatLng(p[1], p[0]), res)
}

// CellResolution returns the resolution of c from its bits (no validation).
func CellResolution(c h3.Cell) int {
	return int((uint64(c) & h3ResMask) >> h3ResOffset)
}

// Parent returns the ancestor of c at res, computed from the bits exactly as
// H3's cellToParent does: c itself when res equals its resolution, and 0
// (like h3.Cell.Parent) when res is finer than c or outside 0..15.
func Parent(c h3.Cell, res int) h3.Cell {
	cres := CellResolution(c)
	if res < 0 || res > h3.MaxResolution || res > cres {
		return 0
	}
	u := uint64(c)&^h3ResMask | uint64(res)<<h3ResOffset
	// Digits res+1..cres become 7; those finer than cres are left as they are.
	n := uint((cres - res) * h3DigitBits)
	u |= (uint64(1)<<n - 1) << uint((h3.MaxResolution-cres)*h3DigitBits)
	return h3.Cell(u)
}

// Children returns the descendants of c at res (c itself at its own
// resolution). It returns nil for an invalid cell, res outside
// [resolution of c, 15], or more than 8 levels down (over 5.7M cells).
func Children(c h3.Cell, res int) []h3.Cell {
	cres := CellResolution(c)
	if !c.IsValid() || res < cres || res > h3.MaxResolution || res-cres > maxChildrenLevels {
		return nil
	}
	return c.Children(res)
}

// CellCenter returns the centre of c, or the zero Point for an invalid cell.
func CellCenter(c h3.Cell) orb.Point {
	if !c.IsValid() {
		return orb.Point{}
	}
	ll := h3.CellToLatLng(c)
	return orb.Point{ll.Lng, ll.Lat}
}

// CellPolygon returns the boundary of c as a closed ring, counter-clockwise
// as H3 gives it, or nil for an invalid cell. Longitudes are made continuous
// from the first vertex, so a cell on the antimeridian has some longitudes
// beyond ±180 rather than a ring that wraps round the world; planar
// predicates then work on it. The few coarse cells that contain a pole have
// no such form; their ring is returned as H3 gives it.
func CellPolygon(c h3.Cell) orb.Polygon {
	if !c.IsValid() {
		return nil
	}
	ring, _ := cellRing(c)
	return orb.Polygon{ring}
}

// cellRing returns the unwrapped ring and whether c contains a pole.
func cellRing(c h3.Cell) (orb.Ring, bool) {
	bnd := h3.CellToBoundary(c)
	ring := make(orb.Ring, 0, len(bnd)+1)
	var turn float64
	for i, ll := range bnd {
		lon := ll.Lng
		if i > 0 {
			prev := ring[i-1][0]
			d := lon - prev
			d -= 360 * math.Round(d/360)
			lon = prev + d
			turn += d
		}
		ring = append(ring, orb.Point{lon, ll.Lat})
	}
	if len(ring) > 0 {
		d := ring[0][0] - ring[len(ring)-1][0]
		d -= 360 * math.Round(d/360)
		turn += d
	}
	// Going round a pole adds up to a full turn of longitude.
	if math.Abs(turn) > 180 {
		ring = ring[:0]
		for _, ll := range bnd {
			ring = append(ring, orb.Point{ll.Lng, ll.Lat})
		}
		return append(ring, ring[0]), true
	}
	if len(ring) > 0 {
		ring = append(ring, ring[0])
	}
	return ring, false
}

// CellBound returns the lon/lat box of c. For a cell on the antimeridian
// it extends beyond ±180 like CellPolygon (pass its corners to SplitBound
// for a wrapped pair); a cell containing a pole spans all longitudes up to
// the pole. An invalid cell gives the zero Bound.
func CellBound(c h3.Cell) orb.Bound {
	if !c.IsValid() {
		return orb.Bound{}
	}
	ring, polar := cellRing(c)
	b := ring.Bound()
	if polar {
		b.Min[0], b.Max[0] = -180, 180
		if b.Max[1] > 0 {
			b.Max[1] = 90
		} else {
			b.Min[1] = -90
		}
	}
	return b
}

// Ring returns the cells within grid distance k of c, c included, in no
// particular order; nil for an invalid cell, k < 0 or k > MaxRingK.
func Ring(c h3.Cell, k int) []h3.Cell {
	if k < 0 || k > MaxRingK || !c.IsValid() {
		return nil
	}
	return h3.GridDisk(c, k)
}

// CoverPolygon returns the sorted cells at res that together contain every
// point of g (a Polygon, MultiPolygon, Ring or Bound), holes aside: the
// cells whose centres are inside (H3's polyfill) plus every cell the
// boundary passes through. The boundary cells come from points sampled
// along each edge at under a quarter of the cell edge length, and their
// neighbours: a cell the edge clips between two samples is always next to
// the cell of the nearer sample.
func CoverPolygon(g orb.Geometry, res int) ([]h3.Cell, error) {
	if err := ValidRes(res); err != nil {
		return nil, err
	}
	var polys []orb.Polygon
	switch g := g.(type) {
	case orb.Polygon:
		polys = []orb.Polygon{g}
	case orb.MultiPolygon:
		polys = g
	case orb.Ring:
		polys = []orb.Polygon{{g}}
	case orb.Bound:
		if !g.IsEmpty() {
			polys = []orb.Polygon{g.ToPolygon()}
		}
	default:
		return nil, fmt.Errorf("%w: CoverPolygon of %T", ErrUnsupportedGeometry, g)
	}
	set := make(map[h3.Cell]struct{})
	step := h3.HexagonEdgeLengthAvgM(res) / 4
	work := 0.0
	for _, poly := range polys {
		if len(poly) == 0 || len(poly[0]) == 0 {
			continue
		}
		for _, r := range poly {
			if !isFiniteRing(r) {
				return nil, errors.New("geo: cover polygon: non-finite coordinate")
			}
			ringEdges(r, func(a, b orb.Point) bool {
				work += Distance(a, b) / step
				return true
			})
		}
		bb := poly[0].Bound()
		h := Distance(bb.Min, orb.Point{bb.Min[0], bb.Max[1]})
		w := math.Max(Distance(bb.Min, orb.Point{bb.Max[0], bb.Min[1]}), Distance(orb.Point{bb.Min[0], bb.Max[1]}, bb.Max))
		work += w * h / h3.HexagonAreaAvgM2(res)
		if work > MaxCoverCells {
			return nil, fmt.Errorf("%w: about %.0f at resolution %d", ErrTooManyCells, work, res)
		}
		inner, err := polyfill(poly, res)
		if err != nil {
			return nil, err
		}
		for _, c := range inner {
			set[c] = struct{}{}
		}
		edgeCells := make(map[h3.Cell]struct{})
		for _, r := range poly {
			ringEdges(r, func(a, b orb.Point) bool {
				n := int(math.Ceil(Distance(a, b) / step))
				for i := 0; i <= n; i++ {
					t := 1.0
					if n > 0 {
						t = float64(i) / float64(n)
					}
					edgeCells[Cell(lerp(a, b, t), res)] = struct{}{}
				}
				return true
			})
		}
		for c := range edgeCells {
			for _, n := range h3.GridDisk(c, 1) {
				set[n] = struct{}{}
			}
		}
	}
	delete(set, 0)
	out := make([]h3.Cell, 0, len(set))
	for c := range set {
		out = append(out, c)
	}
	slices.Sort(out)
	return out, nil
}

// polyfill returns the cells whose centres are in poly. Loops of fewer than
// three points have no inside (and make h3-go index an empty slice), so they
// are skipped; the boundary sampling covers them.
func polyfill(poly orb.Polygon, res int) (cells []h3.Cell, err error) {
	gp := h3.GeoPolygon{GeoLoop: toGeoLoop(poly[0])}
	if len(gp.GeoLoop) < 3 {
		return nil, nil
	}
	for _, hole := range poly[1:] {
		if loop := toGeoLoop(hole); len(loop) >= 3 {
			gp.Holes = append(gp.Holes, loop)
		}
	}
	// h3-go panics when H3 reports an error sizing the output; that is
	// input we failed to foresee, and callers get an error, not a crash.
	defer func() {
		if r := recover(); r != nil {
			cells, err = nil, fmt.Errorf("geo: cover polygon: h3 polyfill failed: %v", r)
		}
	}()
	return h3.PolygonToCells(gp, res), nil
}

func isFiniteRing(r []orb.Point) bool {
	for _, p := range r {
		if !isFinitePt(p) {
			return false
		}
	}
	return true
}

func toGeoLoop(r []orb.Point) h3.GeoLoop {
	loop := make(h3.GeoLoop, 0, len(r))
	for _, p := range r {
		loop = append(loop, h3.NewLatLng(p[1], p[0]))
	}
	// H3 closes loops itself; a repeated first point would be a zero edge.
	if len(loop) > 1 && loop[0] == loop[len(loop)-1] {
		loop = loop[:len(loop)-1]
	}
	return loop
}
