package traffic

import "math"

// nodeModel is the general node model of Tampère, Corthout, Cattrysse and
// Immers (2011, "A generic class of first order node models for dynamic macroscopic
// simulation of traffic flows", Transportation Research B 45(1)) with
// capacity-proportional priorities.
//
// Rows are incoming links (and a zone's point queue), columns outgoing links
// (and the sink, and "no route"). Given the sending flows S[r], the turning
// demands Sij[r*cols+k] (summing to S[r] over k), the priorities C[r] and the
// supplies R[k] (+Inf for a sink), it sets theta[r], the share of S[r] that
// moves, the same for every turn of a row (FIFO). The flows are theta[r]·Sij.
//
// The most restrictive outgoing link is the one whose remaining supply, shared
// in proportion to the priorities of the rows that want to enter it, gives the
// smallest share a. Rows whose whole demand fits in their share are
// demand-constrained and move fully; otherwise every row that wants that link is
// supply-constrained by it and moves a·C[r]. Either way those rows are settled,
// their flows are taken off the remaining supplies, and the search repeats.
type nodeModel struct {
	rows, cols int
	S, C       []float64
	Sij        []float64
	R          []float64
	theta      []float64
	open       []bool
}

// reset sizes the scratch for rows×cols and zeroes the demands.
func (m *nodeModel) reset(rows, cols int) {
	m.rows, m.cols = rows, cols
	m.S = grow(m.S, rows)
	m.C = grow(m.C, rows)
	m.theta = grow(m.theta, rows)
	m.R = grow(m.R, cols)
	m.Sij = grow(m.Sij, rows*cols)
	if cap(m.open) < rows {
		m.open = make([]bool, rows)
	}
	m.open = m.open[:rows]
}

func grow(s []float64, n int) []float64 {
	if cap(s) < n {
		s = make([]float64, n)
	}
	s = s[:n]
	clear(s)
	return s
}

// solve fills theta. It consumes R (the remaining supplies).
func (m *nodeModel) solve() {
	rows, cols := m.rows, m.cols
	left := 0
	for r := range rows {
		m.theta[r] = 0
		m.open[r] = m.S[r] > 0
		if m.open[r] {
			left++
			if !(m.C[r] > 0) {
				m.C[r] = m.S[r]
			}
		}
	}
	for left > 0 {
		best, kb := math.Inf(1), -1
		for k := range cols {
			if math.IsInf(m.R[k], 1) {
				continue
			}
			den := 0.0
			for r := range rows {
				if m.open[r] && m.Sij[r*cols+k] > 0 {
					den += m.C[r] * m.Sij[r*cols+k] / m.S[r]
				}
			}
			if den == 0 {
				continue
			}
			if a := max(m.R[k], 0) / den; a < best {
				best, kb = a, k
			}
		}
		if kb < 0 { // only sinks (or nothing) left: all move
			for r := range rows {
				if m.open[r] {
					m.settle(r, 1)
					left--
				}
			}
			return
		}
		demand := false
		for r := range rows {
			if m.open[r] && m.Sij[r*cols+kb] > 0 && m.S[r] <= best*m.C[r] {
				m.settle(r, 1)
				left--
				demand = true
			}
		}
		if demand {
			continue
		}
		for r := range rows {
			if m.open[r] && m.Sij[r*cols+kb] > 0 {
				m.settle(r, min(1, best*m.C[r]/m.S[r]))
				left--
			}
		}
	}
}

// settle fixes row r's share and takes its flows off the remaining supplies.
func (m *nodeModel) settle(r int, theta float64) {
	m.theta[r] = theta
	m.open[r] = false
	row := m.Sij[r*m.cols : (r+1)*m.cols]
	for k, s := range row {
		if s > 0 {
			m.R[k] -= theta * s
		}
	}
}
