package flood

import (
	"math"
	"sync"
	"sync/atomic"
)

// parallel calls fn for every block of rows, on up to Workers goroutines,
// and waits for them. Blocks write disjoint data, so the order does not
// matter.
func (m *Model) parallel(fn func(b int)) {
	workers := min(m.cfg.Workers, m.blocks)
	if workers <= 1 {
		for b := 0; b < m.blocks; b++ {
			fn(b)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				b := int(next.Add(1)) - 1
				if b >= m.blocks {
					return
				}
				fn(b)
			}
		})
	}
	wg.Wait()
}

// fmax is the larger of two finite numbers, cheaper than math.Max, which
// also orders NaNs and signed zeros.
func fmax(a, b float64) float64 {
	if a > b {
		return a
	}
	return b
}

// faceFlow is the local-inertial update of one face's unit discharge
// (Bates et al. 2010, eq. 11; θ-weighting of de Almeida et al. 2012): a is
// the cell on the negative side (west or north), b on the positive side, q
// the face's last discharge, qm and qp the last discharges of the faces before
// and after it along the same axis, d the distance between centres.
//
// gdt is g·Δt and invD is 1/d. The update is written with one division:
// (q̃ − g·h_f·Δt·S)·h_f^(7/3) / (h_f^(7/3) + g·Δt·n²·|q|).
func faceFlow(q, qm, qp, ha, hb, za, zb, n2, gdt, invD, theta, flowDepth float64) float64 {
	ea, eb := za+ha, zb+hb
	hf := fmax(ea, eb) - fmax(za, zb)
	if hf <= flowDepth {
		return 0
	}
	qt := q
	if theta < 1 {
		qt = theta*q + 0.5*(1-theta)*(qm+qp)
	}
	// h_f^(7/3) = h_f² · ∛h_f, far cheaper than Pow.
	h73 := hf * hf * math.Cbrt(hf)
	return (qt - gdt*hf*(eb-ea)*invD) * h73 / (h73 + gdt*n2*math.Abs(q))
}

// active is the range of columns [lo, hi] of row r where anything can happen
// this step: the wet columns of rows r-1, r and r+1, widened by one, and the
// whole edge next to a FixedDepth boundary. Outside it every face is dry on
// both sides and carries nothing. lo > hi when there is nothing to do.
func (m *Model) active(r int) (lo, hi int) {
	w, h := m.ter.w, m.ter.h
	lo, hi = w, -1
	for rr := max(r-1, 0); rr <= min(r+1, h-1); rr++ {
		if m.wetLo[rr] <= m.wetHi[rr] {
			lo, hi = min(lo, int(m.wetLo[rr])), max(hi, int(m.wetHi[rr]))
		}
	}
	if lo <= hi {
		lo, hi = max(lo-1, 0), min(hi+1, w-1)
	}
	e := &m.cfg.Edges
	if e.North.Kind == FixedDepth && r == 0 || e.South.Kind == FixedDepth && r == h-1 {
		return 0, w - 1
	}
	if e.West.Kind == FixedDepth {
		lo, hi = 0, max(hi, 0)
	}
	if e.East.Kind == FixedDepth {
		lo, hi = min(lo, w-1), w-1
	}
	return lo, hi
}

// fluxes computes the new, not yet limited, face discharges into qxT and qyT.
func (m *Model) fluxes(dt float64) {
	t := m.ter
	w, h := t.w, t.h
	c := &m.cfg
	gdt, theta, fd := c.Gravity*dt, c.Theta, c.FlowDepth
	invDx, invDy := 1/t.dx, 1/t.dy
	m.parallel(func(b int) {
		for r := b * blockRows; r < min((b+1)*blockRows, h); r++ {
			base := r * w
			fx := r * (w + 1)
			qrow := m.qx[fx : fx+w+1]
			trow := m.qxT[fx : fx+w+1]
			fy := r * w
			clear(trow)
			clear(m.qyT[fy : fy+w])
			lo, hi := m.active(r)
			if lo > hi {
				continue
			}
			hr := m.h[base : base+w]
			zr := t.z[base : base+w]
			nr := t.n2[base : base+w]
			for i := max(lo, 1); i <= hi; i++ {
				if hr[i-1] == 0 && hr[i] == 0 {
					continue
				}
				trow[i] = faceFlow(qrow[i], qrow[i-1], qrow[i+1], hr[i-1], hr[i], zr[i-1], zr[i],
					0.5*(nr[i-1]+nr[i]), gdt, invDx, theta, fd)
			}
			if r == 0 {
				continue
			}
			// y faces between rows r-1 and r.
			up := base - w
			ha, za, na := m.h[up:up+w], t.z[up:up+w], t.n2[up:up+w]
			qn, q0, qs := m.qy[fy-w:fy], m.qy[fy:fy+w], m.qy[fy+w:fy+2*w]
			tq := m.qyT[fy : fy+w]
			for i := lo; i <= hi; i++ {
				if ha[i] == 0 && hr[i] == 0 {
					continue
				}
				tq[i] = faceFlow(q0[i], qn[i], qs[i], ha[i], hr[i], za[i], zr[i],
					0.5*(na[i]+nr[i]), gdt, invDy, theta, fd)
			}
		}
	})
	clear(m.qyT[h*w:])
	m.boundaryFluxes(dt)
}

// update limits the outflow of every cell to its water, applies continuity,
// rainfall and inflows, and updates maxima, first-exceedance times, the wet
// spans and the water balance; t1 is the time at the end of the step.
func (m *Model) update(dt, t1 float64) {
	t := m.ter
	w, h := t.w, t.h
	area := t.dx * t.dy
	// Limiting factors: the share of its planned outflow each cell can supply.
	// Dry cells supply nothing, whatever the momentum of their faces says.
	m.parallel(func(b int) {
		for r := b * blockRows; r < min((b+1)*blockRows, h); r++ {
			lo, hi := m.active(r)
			for i := lo; i <= hi; i++ {
				k := r*w + i
				hk := m.h[k]
				if hk == 0 {
					m.fac[k] = 0
					continue
				}
				fx := r*(w+1) + i
				fy := r*w + i
				out := (fmax(m.qxT[fx+1], 0)+fmax(-m.qxT[fx], 0))*t.dy +
					(fmax(m.qyT[fy+w], 0)+fmax(-m.qyT[fy], 0))*t.dx
				out *= dt
				if vol := hk * area; out > vol {
					m.fac[k] = vol / out
				} else {
					m.fac[k] = 1
				}
			}
		}
	})
	rainDepth := m.rainDepth
	for i, r := range m.rains {
		rainDepth[i] = r.intensity.Integral(m.time, t1) / 3.6e6 // mm/h·s → m
	}
	c := &m.cfg
	invDx, invDy := 1/t.dx, 1/t.dy
	m.parallel(func(b int) {
		clip, hmax := 0.0, 0.0
		r0, r1 := b*blockRows, min((b+1)*blockRows, h)
		raining := false
		for ri, rs := range m.rains {
			raining = raining || rainDepth[ri] != 0 && rs.start[b] < rs.start[b+1]
		}
		for r := r0; r < r1; r++ {
			base := r * w
			fx := r * (w + 1)
			qrow := m.qx[fx : fx+w+1]
			trow := m.qxT[fx : fx+w+1]
			fy := r * w
			lo, hi := m.active(r)
			// x faces of the row, scaled by their donor's factor; the edge faces
			// always, since a boundary may feed a dry row.
			clear(qrow)
			clear(m.qy[fy : fy+w])
			qrow[0] = m.limitX(trow[0], base, 0)
			qrow[w] = m.limitX(trow[w], base, w)
			for i := max(lo, 1); i <= min(hi+1, w-1); i++ {
				qrow[i] = m.limitX(trow[i], base, i)
			}
			// The y face north of the row is the row's to write; the one south
			// of it belongs to the next row, so only its scaled value is used.
			ylo, yhi := lo, hi
			if r == 0 || r == h-1 {
				ylo, yhi = 0, w-1
			}
			for i := ylo; i <= yhi; i++ {
				m.qy[fy+i] = m.limitY(m.qyT[fy+i], r, i)
			}
			if r == h-1 {
				fs := h * w
				for i := 0; i < w; i++ {
					m.qy[fs+i] = m.limitY(m.qyT[fs+i], h, i)
				}
			}
			hr := m.h[base : base+w]
			// Without rain on the block this step, the maxima are taken here,
			// from the face discharges at hand; otherwise after the rain.
			span := [2]int32{int32(w), -1}
			for i := ylo; i <= yhi; i++ {
				qn := m.qy[fy+i]
				var qs float64
				if r < h-1 {
					qs = m.limitY(m.qyT[fy+w+i], r+1, i)
				} else {
					qs = m.qy[fy+w+i]
				}
				qw, qe := qrow[i], qrow[i+1]
				v := hr[i] + dt*((qw-qe)*invDx+(qn-qs)*invDy)
				if v < 0 {
					// Only round-off can take a limited cell below zero.
					clip -= v
					v = 0
				}
				hr[i] = v
				if !raining && v > 0 {
					span[0], span[1] = min(span[0], int32(i)), int32(i)
					hmax = fmax(hmax, v)
					m.stats(base+i, v, qw+qe, qn+qs, t1, c)
				}
			}
			// Edge cells outside the active span may still be fed across the
			// west or east edge.
			for _, i := range [2]int{0, w - 1} {
				if i >= ylo && i <= yhi {
					continue
				}
				if d := qrow[i] - qrow[i+1]; d != 0 {
					hr[i] += dt * d * invDx
					if !raining && hr[i] > 0 {
						span[0], span[1] = min(span[0], int32(i)), max(span[1], int32(i))
						hmax = fmax(hmax, hr[i])
						m.cellStats(base+i, r, i, t1, c)
					}
				}
			}
			m.nextLo[r], m.nextHi[r] = span[0], span[1]
		}
		if !raining {
			m.blockHMax[b], m.blockClip[b] = hmax, clip*area
			return
		}
		for ri, rs := range m.rains {
			d := rainDepth[ri]
			if d == 0 {
				continue
			}
			for _, k := range rs.cells[rs.start[b]:rs.start[b+1]] {
				m.h[k] += d
			}
		}
		for r := r0; r < r1; r++ {
			lo, hi := int32(w), int32(-1)
			base := r * w
			for i, hk := range m.h[base : base+w] {
				if hk == 0 {
					continue
				}
				if lo > int32(i) {
					lo = int32(i)
				}
				hi = int32(i)
				hmax = fmax(hmax, hk)
				m.cellStats(base+i, r, i, t1, c)
			}
			m.nextLo[r], m.nextHi[r] = lo, hi
		}
		m.blockHMax[b], m.blockClip[b] = hmax, clip*area
	})
	// The spans of the step just taken were read by every block until now.
	m.wetLo, m.nextLo = m.nextLo, m.wetLo
	m.wetHi, m.nextHi = m.nextHi, m.wetHi
	hmax := 0.0
	for b := range m.blocks {
		hmax = fmax(hmax, m.blockHMax[b])
		m.bal.Clipped += m.blockClip[b]
	}
	for i, r := range rainDepth {
		m.bal.Rain += r * float64(len(m.rains[i].cells)) * area
	}
	for _, f := range m.inflows {
		vol := f.discharge.Integral(m.time, t1)
		if vol == 0 {
			continue
		}
		m.bal.Inflow += vol
		d := vol / (float64(len(f.cells)) * area)
		for _, k := range f.cells {
			m.h[k] += d
			r, i := k/w, k%w
			m.cellStats(k, r, i, t1, c)
			hmax = fmax(hmax, m.h[k])
			m.wetLo[r], m.wetHi[r] = min(m.wetLo[r], int32(i)), max(m.wetHi[r], int32(i))
		}
	}
	m.hmax = hmax
	m.boundaryBalance(dt)
}

// limitX is the x face i of the row starting at cell base scaled by its
// donor's factor; the ghost cells beyond the west and east edges supply
// without limit.
func (m *Model) limitX(q float64, base, i int) float64 {
	switch {
	case q > 0 && i > 0:
		return q * m.fac[base+i-1]
	case q < 0 && i < m.ter.w:
		return q * m.fac[base+i]
	}
	return q
}

// limitY is the y face between rows r-1 and r scaled by its donor's factor;
// the ghost cells beyond the north and south edges supply without limit.
func (m *Model) limitY(q float64, r, i int) float64 {
	w, h := m.ter.w, m.ter.h
	switch {
	case q > 0 && r > 0:
		return q * m.fac[(r-1)*w+i]
	case q < 0 && r < h:
		return q * m.fac[r*w+i]
	}
	return q
}

// spans recomputes the wet column span of every row from the depths.
func (m *Model) spans() {
	w := m.ter.w
	for r := range m.wetLo {
		lo, hi := int32(w), int32(-1)
		for i, hk := range m.h[r*w : (r+1)*w] {
			if hk > 0 {
				lo, hi = min(lo, int32(i)), int32(i)
			}
		}
		m.wetLo[r], m.wetHi[r] = lo, hi
	}
}

// cellStats updates the maxima and first-exceedance times of cell k (column
// i of row r) at time t1 from its depth and the discharges of its faces.
func (m *Model) cellStats(k, r, i int, t1 float64, c *Config) {
	hk := m.h[k]
	if hk == 0 {
		return
	}
	// The south face may belong to a block still being written: take its
	// value from the unlimited discharge and the factors, as its owner does.
	w := m.ter.w
	fx := r*(w+1) + i
	m.stats(k, hk, m.qx[fx]+m.qx[fx+1], m.qy[k]+m.limitY(m.qyT[k+w], r+1, i), t1, c)
}

// stats updates the maxima and first-exceedance times of cell k, of depth
// hk > 0, given the sums of its two x and two y face discharges.
func (m *Model) stats(k int, hk, qu, qv, t1 float64, c *Config) {
	if hk > m.maxDepth[k] {
		m.maxDepth[k], m.tMaxD[k] = hk, t1
	}
	if p := int(m.passed[k]); p < len(c.Thresholds) && hk >= c.Thresholds[p] {
		for ; p < len(c.Thresholds) && hk >= c.Thresholds[p]; p++ {
			m.first[p][k] = t1
		}
		m.passed[k] = uint8(p)
	}
	if hk >= c.SpeedDepth {
		// Speed² = (qu² + qv²)/(2h)²; compared without dividing.
		if s2, ms := qu*qu+qv*qv, 2*hk*m.maxSpeed[k]; s2 > ms*ms {
			m.maxSpeed[k], m.tMaxS[k] = math.Sqrt(s2)/(2*hk), t1
		}
	}
}

// velocity is the cell's depth-averaged velocity, east and south (m/s): the
// mean of its two faces' discharges on each axis over its depth.
func (m *Model) velocity(k int) (u, v float64) {
	hk := m.h[k]
	if hk <= 0 {
		return 0, 0
	}
	w := m.ter.w
	r, i := k/w, k%w
	fx := r*(w+1) + i
	u = 0.5 * (m.qx[fx] + m.qx[fx+1]) / hk
	v = 0.5 * (m.qy[k] + m.qy[k+w]) / hk
	return u, v
}
