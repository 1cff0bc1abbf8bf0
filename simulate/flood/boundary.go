package flood

import "math"

// boundaryFluxes sets the discharges of the faces on the four edges of the
// grid, in qxT and qyT, from the last discharges in qx and qy.
func (m *Model) boundaryFluxes(dt float64) {
	t := m.ter
	w, h := t.w, t.h
	e := m.cfg.Edges
	for r := 0; r < h; r++ {
		// West: face 0 of the row, outward is negative; inner cell (0, r).
		m.qxT[r*(w+1)] = m.edgeFlow(e.West, m.qx[r*(w+1)], -1, r*w, r*w+1, w > 1, t.dx, dt)
		m.qxT[r*(w+1)+w] = m.edgeFlow(e.East, m.qx[r*(w+1)+w], 1, r*w+w-1, r*w+w-2, w > 1, t.dx, dt)
	}
	for i := 0; i < w; i++ {
		m.qyT[i] = m.edgeFlow(e.North, m.qy[i], -1, i, i+w, h > 1, t.dy, dt)
		m.qyT[h*w+i] = m.edgeFlow(e.South, m.qy[h*w+i], 1, (h-1)*w+i, (h-2)*w+i, h > 1, t.dy, dt)
	}
}

// edgeFlow is the discharge across an edge face: k is the cell inside the edge,
// inner the next cell inwards (when hasInner), sign the direction (+1, -1) of
// the face axis that points out of the grid, q the face's last discharge.
func (m *Model) edgeFlow(e Edge, q, sign float64, k, inner int, hasInner bool, d, dt float64) float64 {
	t := m.ter
	if e.Kind == Closed || t.wall[k] {
		return 0
	}
	c := &m.cfg
	qo := q * sign // outward
	hk, zk := m.h[k], t.z[k]
	switch e.Kind {
	case Free:
		if hk <= c.FlowDepth {
			return 0
		}
		s := c.FreeSlope
		if hasInner && !t.wall[inner] {
			s = math.Max(s, (t.z[inner]+m.h[inner]-zk-hk)/d)
		}
		hf := hk
		qo = (qo + c.Gravity*hf*dt*s) / (1 + c.Gravity*dt*t.n2[k]*math.Abs(qo)/(hf*hf*math.Cbrt(hf)))
		return sign * math.Max(qo, 0)
	case FixedDepth:
		hb := e.Depth.At(m.time)
		// The ghost beyond the edge has the edge cell's ground; in outward
		// axis terms the edge cell is on the negative side.
		qo = faceFlow(qo, qo, qo, hk, hb, zk, zk, t.n2[k], c.Gravity*dt, 1/d, c.Theta, c.FlowDepth)
		return sign * qo
	}
	return 0
}

// boundaryBalance adds the water that crossed the edges in the last step
// (limited discharges in qx and qy) to the balance.
func (m *Model) boundaryBalance(dt float64) {
	t := m.ter
	w, h := t.w, t.h
	var out, in float64
	add := func(v float64) {
		if v > 0 {
			out += v
		} else {
			in -= v
		}
	}
	for r := 0; r < h; r++ {
		add(-m.qx[r*(w+1)] * t.dy * dt)
		add(m.qx[r*(w+1)+w] * t.dy * dt)
	}
	for i := 0; i < w; i++ {
		add(-m.qy[i] * t.dx * dt)
		add(m.qy[h*w+i] * t.dx * dt)
	}
	m.bal.BoundaryOut += out
	m.bal.BoundaryIn += in
}
