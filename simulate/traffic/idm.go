package traffic

import (
	"fmt"
	"math"
	"slices"
)

// IDM holds the parameters of the Intelligent Driver Model of car following
// (Treiber, Hennecke and Helbing 2000, "Congested traffic states in empirical
// observations and microscopic simulations", Physical Review E 62): a driver
// at speed v with desired speed v0, a gap s to the leader and an approach rate
// Δv = v − v_leader accelerates at
//
//	a·[1 − (v/v0)^δ − (s*(v, Δv)/s)²],  s*(v, Δv) = s0 + max(0, v·T + v·Δv/(2√(a·b))).
type IDM struct {
	T      float64 // safe time headway, s
	S0     float64 // minimum gap at standstill, m
	A      float64 // maximum acceleration, m/s²
	B      float64 // comfortable deceleration, m/s²
	Delta  float64 // acceleration exponent
	Length float64 // vehicle length, m
}

// DefaultIDM is the city-traffic set of Treiber and Kesting (2013, Traffic
// Flow Dynamics, table 11.2): T = 1 s, s0 = 2 m, a = 1 m/s², b = 1.5 m/s²,
// δ = 4, with cars of 5 m.
func DefaultIDM() IDM { return IDM{T: 1, S0: 2, A: 1, B: 1.5, Delta: 4, Length: 5} }

// Accel is the IDM acceleration (m/s²) at speed v, desired speed v0, gap s
// (m, bumper to bumper; +Inf for a free road) and approach rate dv.
func (p IDM) Accel(v, v0, s, dv float64) float64 {
	free := 1 - math.Pow(v/v0, p.Delta)
	if p.Delta == 4 {
		r := v / v0
		r *= r
		free = 1 - r*r
	}
	if math.IsInf(s, 1) {
		return p.A * free
	}
	star := p.S0 + max(0, v*p.T+v*dv/(2*math.Sqrt(p.A*p.B)))
	q := star / max(s, 1e-3)
	return p.A * (free - q*q)
}

// EquilibriumGap is the gap at which a driver at steady speed v < v0 behind a
// leader at the same speed neither accelerates nor brakes.
func (p IDM) EquilibriumGap(v, v0 float64) float64 {
	return (p.S0 + v*p.T) / math.Sqrt(1-math.Pow(v/v0, p.Delta))
}

func (p IDM) validate() error {
	for _, x := range []float64{p.T, p.S0, p.A, p.B, p.Delta, p.Length} {
		if !(x > 0) || math.IsInf(x, 0) {
			return fmt.Errorf("%w: IDM %+v", ErrBadConfig, p)
		}
	}
	return nil
}

// Micro is a microscopic district model: every link of the network is a
// single lane, vehicles follow their routes with IDM car following, the leader
// of the first vehicle of a lane being the last vehicle of the lane it drives
// into next. Routes are either open (the vehicle enters at the start of its
// first link when there is room and leaves at the end of its last) or loops.
// A step computes every acceleration from the positions at its start, then
// moves every vehicle (the ballistic update of Treiber and Kanagaraj 2015), so
// results do not depend on the order of vehicles. Junctions have no conflict
// control: vehicles merging into a lane in the same step are ordered by
// position.
type Micro struct {
	net  *Network
	p    IDM
	dt   float64
	lane [][]int32 // vehicles on each link, front first

	// per vehicle
	x, v, acc []float64 // position on its link (m from its start), speed, acceleration
	link      []int32   // current link, -1 before entering or after leaving
	route     [][]int32
	at        []int32 // index into route
	loop      []bool

	waiting [][]int32 // per link, vehicles waiting to enter it, first come first
	moved   []int32   // scratch of a step
	touched []int32
	mark    []bool // per link, in touched
	arrived int
	steps   int64
	updates int64
}

// NewMicro makes an empty district model of net with time step dt seconds.
func NewMicro(net *Network, p IDM, dt float64) (*Micro, error) {
	if err := net.Validate(); err != nil {
		return nil, err
	}
	if err := p.validate(); err != nil {
		return nil, err
	}
	if !(dt > 0) || math.IsInf(dt, 0) {
		return nil, fmt.Errorf("%w: step %v", ErrBadConfig, dt)
	}
	return &Micro{net: net, p: p, dt: dt, lane: make([][]int32, len(net.Links)),
		waiting: make([][]int32, len(net.Links)), mark: make([]bool, len(net.Links))}, nil
}

// checkRoute checks that route is a connected sequence of links (closed for a loop).
func (m *Micro) checkRoute(route []int, loop bool) error {
	if len(route) == 0 {
		return fmt.Errorf("%w: empty route", ErrBadDemand)
	}
	for i, l := range route {
		if l < 0 || l >= len(m.net.Links) {
			return fmt.Errorf("%w: route link %d out of range", ErrBadDemand, l)
		}
		if i > 0 && m.net.Links[route[i-1]].To != m.net.Links[l].From {
			return fmt.Errorf("%w: route breaks between links %d and %d", ErrBadDemand, route[i-1], l)
		}
	}
	if loop && m.net.Links[route[len(route)-1]].To != m.net.Links[route[0]].From {
		return fmt.Errorf("%w: loop does not close", ErrBadDemand)
	}
	return nil
}

func (m *Micro) newVehicle(route []int, loop bool) int32 {
	r := make([]int32, len(route))
	for i, l := range route {
		r[i] = int32(l)
	}
	id := int32(len(m.x))
	m.x, m.v, m.acc = append(m.x, 0), append(m.v, 0), append(m.acc, 0)
	m.link, m.route, m.at, m.loop = append(m.link, -1), append(m.route, r), append(m.at, 0), append(m.loop, loop)
	return id
}

// Add queues a vehicle to enter at the start of route[0] and leave at the end
// of its last link. It returns the vehicle's index.
func (m *Micro) Add(route []int) (int, error) {
	if err := m.checkRoute(route, false); err != nil {
		return 0, err
	}
	id := m.newVehicle(route, false)
	m.waiting[route[0]] = append(m.waiting[route[0]], id)
	return int(id), nil
}

// AddLoop places n vehicles at rest, evenly spaced, on a closed route they
// drive round for ever.
func (m *Micro) AddLoop(route []int, n int) error {
	if err := m.checkRoute(route, true); err != nil {
		return err
	}
	total := 0.0
	for _, l := range route {
		total += m.net.Links[l].Length
	}
	if float64(n)*(m.p.Length+m.p.S0) > total {
		return fmt.Errorf("%w: %d vehicles do not fit on a loop of %v m", ErrBadDemand, n, total)
	}
	for k := range n {
		id := m.newVehicle(route, true)
		pos := total * float64(n-1-k) / float64(n) // the first added is the front
		i := 0
		for pos >= m.net.Links[route[i]].Length {
			pos -= m.net.Links[route[i]].Length
			i++
		}
		m.at[id], m.link[id], m.x[id] = int32(i), int32(route[i]), pos
		m.lane[route[i]] = append(m.lane[route[i]], id)
	}
	for _, l := range route {
		m.sortLane(l)
	}
	return nil
}

func (m *Micro) sortLane(l int) {
	slices.SortStableFunc(m.lane[l], func(a, b int32) int {
		switch {
		case m.x[a] > m.x[b]:
			return -1
		case m.x[a] < m.x[b]:
			return 1
		}
		return int(a - b)
	})
}

// nextLink is the link vehicle i drives into after its current one, or -1.
func (m *Micro) nextLink(i int32) int32 {
	k := int(m.at[i]) + 1
	if k == len(m.route[i]) {
		if !m.loop[i] {
			return -1
		}
		k = 0
	}
	return m.route[i][k]
}

// leader returns the gap and the speed of what vehicle i (at index k of lane
// l) follows, +Inf for a free road within one link ahead.
func (m *Micro) leader(l int, k int) (gap, v float64) {
	i := m.lane[l][k]
	if k > 0 {
		j := m.lane[l][k-1]
		return m.x[j] - m.x[i] - m.p.Length, m.v[j]
	}
	n := m.nextLink(i)
	if n < 0 || len(m.lane[n]) == 0 {
		return math.Inf(1), 0
	}
	j := m.lane[n][len(m.lane[n])-1]
	return m.net.Links[l].Length - m.x[i] + m.x[j] - m.p.Length, m.v[j]
}

// Step advances the district by one time step.
func (m *Micro) Step() {
	// Entries, when the first stretch of the link is clear.
	for l, w := range m.waiting {
		if len(w) == 0 {
			continue
		}
		if ln := m.lane[l]; len(ln) > 0 && m.x[ln[len(ln)-1]]-m.p.Length < m.p.S0+m.p.Length {
			continue
		}
		id := w[0]
		m.waiting[l] = w[1:]
		m.link[id], m.x[id], m.v[id] = int32(l), 0, 0
		m.lane[l] = append(m.lane[l], id)
	}
	// Accelerations from the positions at the start of the step.
	for l, ln := range m.lane {
		v0 := m.net.Links[l].FreeSpeed
		for k, i := range ln {
			gap, vl := m.leader(l, k)
			m.acc[i] = max(m.p.Accel(m.v[i], v0, gap, m.v[i]-vl), -9) // physical braking limit
		}
		m.updates += int64(len(ln))
	}
	// Ballistic update, then lane changes at the ends of links.
	dt := m.dt
	moved := m.moved[:0]
	for l := range m.lane {
		ln := m.lane[l]
		keep := ln[:0]
		for _, i := range ln {
			v, a := m.v[i], m.acc[i]
			nv := v + a*dt
			if nv < 0 { // stops within the step
				m.x[i] -= v * v / (2 * a)
				nv = 0
			} else {
				m.x[i] += v*dt + a*dt*dt/2
			}
			m.v[i] = nv
			if m.x[i] >= m.net.Links[l].Length {
				moved = append(moved, i)
			} else {
				keep = append(keep, i)
			}
		}
		m.lane[l] = keep
	}
	touched := m.touched[:0]
	for _, i := range moved {
		for m.link[i] >= 0 && m.x[i] >= m.net.Links[m.link[i]].Length {
			m.x[i] -= m.net.Links[m.link[i]].Length
			n := m.nextLink(i)
			if n < 0 {
				m.link[i] = -1
				m.arrived++
				break
			}
			m.at[i] = (m.at[i] + 1) % int32(len(m.route[i]))
			m.link[i] = n
		}
		if m.link[i] >= 0 {
			l := m.link[i]
			m.lane[l] = append(m.lane[l], i)
			if !m.mark[l] {
				m.mark[l] = true
				touched = append(touched, l)
			}
		}
	}
	for _, l := range touched {
		m.sortLane(int(l))
		m.mark[l] = false
	}
	m.moved, m.touched = moved, touched
	m.steps++
}

// Time is the simulated time in seconds.
func (m *Micro) Time() float64 { return float64(m.steps) * m.dt }

// Updates is the number of vehicle updates (one per vehicle on a link per step) so far.
func (m *Micro) Updates() int64 { return m.updates }

// Arrived is the number of vehicles that have left at the end of their routes.
func (m *Micro) Arrived() int { return m.arrived }

// Vehicle returns vehicle i's link (-1 off the network), position on it (m)
// and speed (m/s).
func (m *Micro) Vehicle(i int) (link int, x, v float64) { return int(m.link[i]), m.x[i], m.v[i] }
