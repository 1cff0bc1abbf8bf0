package datasets

import (
	"math"

	"github.com/paulmach/orb"
)

// lot is a parcel that will hold one building: a rectangle in metres centred at
// c, with unit axis (ux, uy) along its street, half-length hw along the axis and
// half-depth hd across it. Buildings are set back inside their lot, so lots that
// do not overlap hold buildings that do not touch.
type lot struct {
	c      orb.Point
	ux, uy float64
	hw, hd float64
	style  lotStyle
	zone   zone
	key    uint64 // district << 32 | n: unique, and orders lots by district
}

type lotStyle uint8

const (
	styleRow        lotStyle = iota // a building along a street
	styleTower                      // a tall, slender building
	styleCourtyard                  // a perimeter block around a courtyard
	styleCampus                     // a school, hospital or public building
	styleIndustrial                 // a hall or warehouse
)

// area is an open block: a park or a parking lot.
type area struct {
	c      orb.Point
	ux, uy float64
	hw, hd float64
	kind   areaKind
}

type areaKind uint8

const (
	areaPark areaKind = iota
	areaParking
)

func (d *district) addLot(c orb.Point, ux, uy, hw, hd float64, style lotStyle) {
	key := uint64(d.spec.index)<<32 | uint64(len(d.lots))
	d.lots = append(d.lots, lot{c: c, ux: ux, uy: uy, hw: hw, hd: hd, style: style, zone: d.zone, key: key})
}

// lotShape returns the width and depth ranges of lots in a zone.
func (z zone) lotShape() (minW, maxW, minD, maxD float64) {
	switch z {
	case zoneCore:
		return 18, 36, 16, 30
	case zoneMid:
		return 16, 30, 15, 28
	case zoneOuter:
		return 13, 22, 14, 26
	}
	return 35, 70, 30, 60
}

// block fills a rectangular block (centre c, axis u, half sizes hw, hd).
func (d *district) block(c orb.Point, ux, uy, hw, hd float64) {
	r := d.rng
	whole := d.spec.bnd.rectFits(quad(c, ux, uy, hw, hd), arterialMargin)
	var weights []float64 // row, courtyard, campus, park, parking
	switch d.zone {
	case zoneCore:
		weights = []float64{0.5, 0.3, 0.05, 0.08, 0.07}
	case zoneMid:
		weights = []float64{0.6, 0.2, 0.08, 0.08, 0.04}
	case zoneOuter:
		weights = []float64{0.8, 0.03, 0.06, 0.08, 0.03}
	default:
		weights = []float64{0.85, 0, 0, 0.05, 0.1}
	}
	kind := pickWeighted(r, weights)
	W, D := 2*hw, 2*hd
	if whole {
		switch {
		case kind == 1 && W >= 36 && D >= 36 && W <= 180 && D <= 180:
			d.addLot(c, ux, uy, hw, hd, styleCourtyard)
			return
		case kind == 2 && W >= 40 && D >= 30:
			d.addLot(c, ux, uy, math.Min(hw, 75), math.Min(hd, 60), styleCampus)
			return
		case kind == 3 || kind == 4:
			d.areas = append(d.areas, area{c: c, ux: ux, uy: uy, hw: hw, hd: hd, kind: areaKind(kind - 3)})
			return
		}
	}
	// Rows of lots along the longer sides.
	if hd > hw {
		ux, uy = -uy, ux // rotate the axis by 90°: still right-handed
		hw, hd = hd, hw
	}
	vx, vy := -uy, ux
	minW, maxW, minD, maxD := d.zone.lotShape()
	depth := math.Min(hd*2, maxD)
	rows := []float64{-hd + depth/2} // centre offsets across the block
	if 2*hd >= 2*minD {
		depth = math.Min(hd, maxD)
		rows = []float64{-hd + depth/2, hd - depth/2}
	}
	for _, off := range rows {
		x := -hw
		for {
			rest := hw - x
			w := between(r, minW, maxW)
			if rest-w < minW {
				w = rest
			}
			if w < 8 {
				break
			}
			cx := x + w/2
			lc := orb.Point{c[0] + cx*ux + off*vx, c[1] + cx*uy + off*vy}
			x += w
			if !whole && !d.spec.bnd.rectFits(quad(lc, ux, uy, w/2, depth/2), arterialMargin) {
				continue
			}
			style := styleRow
			switch {
			case d.zone == zoneIndustrial:
				style = styleIndustrial
			case d.zone == zoneCore && chance(r, 0.12):
				style = styleTower
			}
			d.addLot(lc, ux, uy, w/2, depth/2, style)
		}
	}
}

// polarCell fills the cell between radii lo and hi (lot edges may reach them) and
// the radial lines at angles a0 and a1 (lots keep m0 and m1 metres from them).
func (d *district) polarCell(lo, hi, a0, m0, a1, m1 float64) {
	r := d.rng
	minW, maxW, minD, maxD := d.zone.lotShape()
	if chance(r, 0.08) {
		// A park or a parking lot: the cell's middle, as a rectangle.
		am := (a0 + a1) / 2
		rm := (lo + hi) / 2
		hw := math.Min((am-a0)*lo-m0, (a1-am)*lo-m1) * 0.9
		hd := (hi - lo) / 2 * 0.9
		if hw > 10 && hd > 10 {
			sn, cs := math.Sincos(am)
			kind := areaPark
			if chance(r, 0.4) {
				kind = areaParking
			}
			d.areas = append(d.areas, area{c: polar(rm, am), ux: -sn, uy: cs, hw: hw, hd: hd, kind: kind})
			return
		}
	}
	type row struct{ ra, rb float64 }
	rows := []row{{lo, hi}}
	if hi-lo >= 2*minD+1 {
		mid := (lo + hi) / 2
		rows = []row{{lo, math.Min(mid-0.5, lo+maxD)}, {math.Max(mid+0.5, hi-maxD), hi}}
	}
	for ri, rw := range rows {
		phi := a0
		for tries := 0; tries < 1000; tries++ {
			w := between(r, minW, maxW)
			half := w / 2
			alpha := math.Atan2(half, rw.ra)
			depth := math.Min(maxD, math.Sqrt(rw.rb*rw.rb-half*half)-rw.ra)
			if depth < 10 {
				break
			}
			ra := rw.ra
			if ri == 1 {
				// The outer row fronts the outer street: push it out.
				ra = math.Sqrt(rw.rb*rw.rb-half*half) - depth
			}
			pc := phi + alpha
			sn, cs := math.Sincos(pc)
			c := orb.Point{(ra + depth/2) * cs, (ra + depth/2) * sn}
			q := quad(c, -sn, cs, half, depth/2)
			fitsHi := true
			for _, p := range q {
				if -sideOf(p, a1) < m1 {
					fitsHi = false
				}
			}
			if !fitsHi {
				break
			}
			fitsLo := true
			for _, p := range q {
				if sideOf(p, a0) < m0 {
					fitsLo = false
				}
			}
			if !fitsLo {
				phi += 2 / rw.ra
				continue
			}
			style := styleRow
			if d.zone == zoneCore && chance(r, 0.1) {
				style = styleTower
			}
			d.addLot(c, -sn, cs, half, depth/2, style)
			phi = pc + alpha
		}
	}
}
