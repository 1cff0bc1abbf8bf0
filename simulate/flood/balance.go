package flood

import "math"

// Balance is the water budget of a run, in m³.
type Balance struct {
	Initial     float64 // stored at time 0
	Rain        float64 // fallen on open cells
	Inflow      float64 // from inflow hydrographs
	BoundaryIn  float64 // entered across FixedDepth edges
	BoundaryOut float64 // left across Free and FixedDepth edges
	// Clipped is water created when round-off took a depth just below zero
	// and it was set to zero; it stays at round-off level.
	Clipped float64
	Stored  float64 // in the cells now
}

// In is all water that entered: initial, rain, inflows, boundaries.
func (b Balance) In() float64 { return b.Initial + b.Rain + b.Inflow + b.BoundaryIn }

// Error is stored − (in − out − clipped correction): zero up to round-off.
func (b Balance) Error() float64 { return b.Stored - (b.In() - b.BoundaryOut + b.Clipped) }

// RelativeError is Error over the larger of the water that entered and the
// water stored, 0 when there is none.
func (b Balance) RelativeError() float64 {
	d := math.Max(b.In(), b.Stored)
	if d == 0 {
		return 0
	}
	return b.Error() / d
}

// Stored is the volume of water in the cells (m³), summed in a fixed order.
func (m *Model) Stored() float64 {
	// Neumaier's compensated sum, so the budget closes to round-off of the
	// total rather than of the cell count.
	var s, comp float64
	for _, hk := range m.h {
		t := s + hk
		if math.Abs(s) >= math.Abs(hk) {
			comp += (s - t) + hk
		} else {
			comp += (hk - t) + s
		}
		s = t
	}
	return (s + comp) * m.ter.dx * m.ter.dy
}

// Balance is the water budget so far.
func (m *Model) Balance() Balance {
	b := m.bal
	b.Stored = m.Stored()
	return b
}
