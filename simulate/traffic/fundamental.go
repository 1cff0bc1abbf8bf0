package traffic

// Fundamental is the triangular (trapezoidal when Capacity is below the apex)
// fundamental diagram of one lane: q(k) = min(v·k, q_max, w·(k_j − k)).
type Fundamental struct {
	FreeSpeed  float64 // v, m/s
	WaveSpeed  float64 // w, m/s, the speed at which congestion moves upstream
	JamDensity float64 // k_j, veh/m
	Capacity   float64 // q_max, veh/s
}

// Flow is q(k) in veh/s for a density k in veh/m (0 outside [0, k_j]).
func (f Fundamental) Flow(k float64) float64 {
	if k <= 0 || k >= f.JamDensity {
		return 0
	}
	return min(f.FreeSpeed*k, f.Capacity, f.WaveSpeed*(f.JamDensity-k))
}

// Speed is q(k)/k in m/s, the free speed at k = 0.
func (f Fundamental) Speed(k float64) float64 {
	if k <= 0 {
		return f.FreeSpeed
	}
	return f.Flow(k) / k
}

// Critical is the density at which the flow first reaches capacity.
func (f Fundamental) Critical() float64 { return f.Capacity / f.FreeSpeed }

// Congested is the density on the congested branch with flow q ≤ Capacity.
func (f Fundamental) Congested(q float64) float64 { return f.JamDensity - q/f.WaveSpeed }

// Shock is the speed (m/s, negative upstream) of the front between an
// upstream state (k1, q(k1)) and a downstream one (k2, q(k2)): the
// Rankine–Hugoniot condition (q2 − q1)/(k2 − k1).
func Shock(k1, q1, k2, q2 float64) float64 { return (q2 - q1) / (k2 - k1) }

// cellFD is the link-level diagram (all lanes) in the units of a cell and a step.
type cellFD struct {
	vr   float64 // min(1, v·Δt/dx): share of a cell's vehicles that can leave in a step
	wr   float64 // min(1, w·Δt/dx)
	qdt  float64 // capacity of all lanes per step, veh
	ncap float64 // jam vehicles per cell, all lanes
}

// send is the sending flow of a cell holding n vehicles.
func (c *cellFD) send(n float64) float64 { return max(0, min(c.vr*n, c.qdt)) }

// recv is the receiving flow of a cell holding n vehicles.
func (c *cellFD) recv(n float64) float64 { return max(0, min(c.qdt, c.wr*(c.ncap-n))) }
