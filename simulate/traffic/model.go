package traffic

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"sync"
)

// Config is the set of model parameters shared by all links.
type Config struct {
	Step         float64 // time step Δt, seconds
	WaveSpeed    float64 // w, m/s
	JamDensity   float64 // k_j, veh/m per lane
	Capacity     float64 // q_max, veh/s per lane, for links without their own
	RerouteEvery float64 // seconds between route recomputations; 0: only at the start and when a restriction starts or ends
	SampleEvery  float64 // seconds between samples of the link series; 0: no series
	// Release makes origins send trips as whole vehicles: an OD's demand
	// departs once at least Release vehicles have accumulated. 0 departs it as
	// a continuous flow every step, as the analytic figures assume; whole
	// vehicles keep the trips on a link few and the model fast.
	Release float64
	Workers int // goroutines for a step; results do not depend on it
}

// DefaultConfig is Δt = 2 s, w = 20 km/h, k_j = 1 vehicle per 7.5 m, 1800
// veh/h per lane, routes every 5 minutes, whole vehicles, no series, up to two
// workers.
func DefaultConfig() Config {
	return Config{Step: 2, WaveSpeed: 20 / 3.6, JamDensity: 1 / 7.5, Capacity: 0.5,
		RerouteEvery: 300, Release: 1, Workers: min(2, runtime.GOMAXPROCS(0))}
}

// Validate checks that every parameter is positive and finite.
func (c Config) Validate() error {
	for _, p := range []struct {
		name string
		v    float64
	}{{"step", c.Step}, {"wave speed", c.WaveSpeed}, {"jam density", c.JamDensity}, {"capacity", c.Capacity}} {
		if !(p.v > 0) || math.IsInf(p.v, 0) {
			return fmt.Errorf("%w: %s %v", ErrBadConfig, p.name, p.v)
		}
	}
	if !(c.Release >= 0) || math.IsInf(c.Release, 0) {
		return fmt.Errorf("%w: release %v", ErrBadConfig, c.Release)
	}
	if !(c.RerouteEvery >= 0) || !(c.SampleEvery >= 0) || math.IsInf(c.RerouteEvery, 0) || math.IsInf(c.SampleEvery, 0) {
		return fmt.Errorf("%w: reroute every %v, sample every %v", ErrBadConfig, c.RerouteEvery, c.SampleEvery)
	}
	if c.Workers < 0 {
		return fmt.Errorf("%w: workers %d", ErrBadConfig, c.Workers)
	}
	return nil
}

// Model is a cell transmission model of a network with demand. It is not safe
// for concurrent use; Step uses Config.Workers goroutines internally and waits
// for them.
type Model struct {
	net *Network
	dem Demand
	cfg Config

	signals      []Signal
	restrictions []Restriction
	linkRestr    [][]int32 // restriction indexes per link
	phases       []phase
	linkPhase    []int32 // per link, index into phases or -1

	// network layout
	cellOff      []int32   // cells of link i: cellOff[i]:cellOff[i+1]
	dx           []float64 // cell length
	dxe          []float64 // effective cell length: at least v·Δt
	cfd          []cellFD
	outOff       []int32 // links leaving node v: outAdj[outOff[v]:outOff[v+1]]
	outAdj       []int32
	outPos       []int32 // position of a link among its From node's outgoing links
	inOff, inAdj []int32
	inFrom       []int32 // From node of each link of inAdj
	dests        []int   // destination nodes
	odDest       []int32 // per OD, index into dests
	odByDestOff  []int32
	odByDest     []int32
	odByOrigOff  []int32 // per node
	odByOrig     []int32
	rerouteSteps int64
	sampleSteps  int64
	destOfNode   []int32 // per node, index into dests or -1

	// state
	step           int64
	pendingReroute bool      // a restriction added during the run took effect at once
	n              []float64 // vehicles per cell
	q              []fifo    // per link
	// occupied mirrors len(q[i].live()) > 0 in a compact array, for the
	// junctions and links that skip empty links.
	occupied []bool
	pend     []float64 // per OD, demand not yet released (see Config.Release)
	buf      []float64 // per OD, vehicles waiting at the origin
	next     []int32   // next link per node and destination: next[v*len(dests)+d], -1 none
	bufT     []float64 // per OD, sum of the departure times of buf, veh·s
	dep      []float64 // per OD, departed
	route    []float64 // per OD, departures × the route's travel time then, veh·s
	arr      []float64 // per destination, arrived
	ttSum    []float64 // per destination, veh·s of travel of the arrived vehicles
	odTime   []float64 // per OD, travel time on the current routes, s
	odFree   []float64 // per OD, free-flow travel time, s
	wait     float64   // veh·s spent waiting at origins
	vkt      []float64 // per link, veh·m
	vht      []float64 // per link, veh·s
	cnt      []float64 // per link, vehicles that left it
	qVeh     []float64 // per link, vehicles in congested cells
	qLen     []float64 // per link, metres of congested cells
	qVehMx   []float64
	qLenMx   []float64
	series   Series
	prev     [3][]float64 // cnt, vkt, vht at the last sample

	// scratch of a step
	inflow, outflow []float64
	stage           [][]packet
	cost            []float64
	costIn          []float64 // cost in the order of inAdj, for the searches
	work            []worker
}

// worker is the scratch of one goroutine.
type worker struct {
	nm   nodeModel
	col  []int32
	span []int32
	dist []float64
	heap hheap
}

// New builds a model of net with demand dem. The network and demand must not
// change while the model lives.
func New(net *Network, dem Demand, cfg Config) (*Model, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := net.Validate(); err != nil {
		return nil, err
	}
	if err := dem.Validate(len(net.Nodes)); err != nil {
		return nil, err
	}
	if cfg.Workers == 0 {
		cfg.Workers = 1
	}
	nl, nn, nod := len(net.Links), len(net.Nodes), len(dem.ODs)
	m := &Model{net: net, dem: dem, cfg: cfg}
	m.cellOff = make([]int32, nl+1)
	m.dx = make([]float64, nl)
	m.dxe = make([]float64, nl)
	m.cfd = make([]cellFD, nl)
	for i := range net.Links {
		l := &net.Links[i]
		cells := max(1, int(math.Floor(l.Length/(l.FreeSpeed*cfg.Step)+1e-9)))
		m.cellOff[i+1] = m.cellOff[i] + int32(cells)
		dx := l.Length / float64(cells)
		m.dx[i] = dx
		// A link shorter than v·Δt is one cell that behaves as if it were
		// v·Δt long: crossed in one step, storing and passing what such a
		// cell would, so that it is no bottleneck of its own.
		dxe := max(dx, l.FreeSpeed*cfg.Step)
		m.dxe[i] = dxe
		lanes := float64(l.Lanes)
		m.cfd[i] = cellFD{
			vr:   min(1, l.FreeSpeed*cfg.Step/dxe),
			wr:   min(1, cfg.WaveSpeed*cfg.Step/dxe),
			qdt:  m.capacity(i) * lanes * cfg.Step,
			ncap: cfg.JamDensity * lanes * dxe,
		}
	}
	m.outOff, m.outAdj = csr(nn, nl, func(i int) int { return net.Links[i].From })
	m.inOff, m.inAdj = csr(nn, nl, func(i int) int { return net.Links[i].To })
	m.inFrom = make([]int32, nl)
	for k, l := range m.inAdj {
		m.inFrom[k] = int32(net.Links[l].From)
	}
	m.outPos = make([]int32, nl)
	for v := range nn {
		for k, l := range m.outAdj[m.outOff[v]:m.outOff[v+1]] {
			m.outPos[l] = int32(k)
		}
	}
	m.destOfNode = make([]int32, nn)
	for i := range m.destOfNode {
		m.destOfNode[i] = -1
	}
	m.odDest = make([]int32, nod)
	for i, od := range dem.ODs {
		if m.destOfNode[od.Dest] < 0 {
			m.destOfNode[od.Dest] = int32(len(m.dests))
			m.dests = append(m.dests, od.Dest)
		}
		m.odDest[i] = m.destOfNode[od.Dest]
	}
	m.odByDestOff, m.odByDest = csr(len(m.dests), nod, func(i int) int { return int(m.odDest[i]) })
	m.odByOrigOff, m.odByOrig = csr(nn, nod, func(i int) int { return dem.ODs[i].Origin })
	m.rerouteSteps = stepsOf(cfg.RerouteEvery, cfg.Step)
	m.sampleSteps = stepsOf(cfg.SampleEvery, cfg.Step)
	m.linkRestr = make([][]int32, nl)
	m.linkPhase = make([]int32, nl)
	for i := range m.linkPhase {
		m.linkPhase[i] = -1
	}

	cells := int(m.cellOff[nl])
	m.n = make([]float64, cells)
	m.q = make([]fifo, nl)
	m.occupied = make([]bool, nl)
	m.buf = make([]float64, nod)
	m.pend = make([]float64, nod)
	if cfg.Release > 0 { // stagger the pairs' first departures, else they all leave at once
		for i := range m.pend {
			m.pend[i] = cfg.Release * math.Mod(float64(i)*0.6180339887498949, 1)
		}
	}
	m.next = make([]int32, len(m.dests)*nn)
	m.dep = make([]float64, nod)
	m.bufT = make([]float64, nod)
	m.route = make([]float64, nod)
	m.arr = make([]float64, len(m.dests))
	m.ttSum = make([]float64, len(m.dests))
	m.odTime = make([]float64, nod)
	m.odFree = make([]float64, nod)
	for _, p := range []*[]float64{&m.vkt, &m.vht, &m.cnt, &m.qVeh, &m.qLen, &m.qVehMx, &m.qLenMx,
		&m.inflow, &m.outflow, &m.cost, &m.prev[0], &m.prev[1], &m.prev[2]} {
		*p = make([]float64, nl)
	}
	m.costIn = make([]float64, nl)
	m.stage = make([][]packet, nl)
	m.work = make([]worker, cfg.Workers)
	return m, nil
}

// capacity is link i's capacity per lane in veh/s.
func (m *Model) capacity(i int) float64 {
	if c := m.net.Links[i].Capacity; c > 0 {
		return c
	}
	return m.cfg.Capacity
}

// fd is the fundamental diagram of one lane of link i.
func (m *Model) fd(i int) Fundamental {
	return Fundamental{FreeSpeed: m.net.Links[i].FreeSpeed, WaveSpeed: m.cfg.WaveSpeed,
		JamDensity: m.cfg.JamDensity, Capacity: m.capacity(i)}
}

// csr groups the items 0..n-1 by key(i) in [0, groups), stably.
func csr(groups, n int, key func(int) int) (off, adj []int32) {
	off = make([]int32, groups+1)
	for i := range n {
		off[key(i)+1]++
	}
	for g := range groups {
		off[g+1] += off[g]
	}
	adj = make([]int32, n)
	fill := append([]int32(nil), off[:groups]...)
	for i := range n {
		k := key(i)
		adj[fill[k]] = int32(i)
		fill[k]++
	}
	return off, adj
}

func stepsOf(seconds, step float64) int64 {
	if seconds <= 0 {
		return 0
	}
	return max(1, int64(math.Round(seconds/step)))
}

// AddSignal installs a fixed-time signal. Add signals before the first Step.
func (m *Model) AddSignal(s Signal) error {
	if err := s.validate(m.net); err != nil {
		return err
	}
	m.signals = append(m.signals, s)
	for _, g := range s.Greens {
		m.linkPhase[g.Link] = int32(len(m.phases))
		m.phases = append(m.phases, phase{cycle: s.Cycle, start: s.Offset + g.Start, dur: g.Duration})
	}
	return nil
}

// Restrict adds a restriction or closure of a link (see Restriction). It may be
// added at any time; one that has started before now takes effect from the next
// step, and routes are recomputed then.
func (m *Model) Restrict(r Restriction) error {
	if err := r.validate(len(m.net.Links)); err != nil {
		return err
	}
	m.linkRestr[r.Link] = append(m.linkRestr[r.Link], int32(len(m.restrictions)))
	m.restrictions = append(m.restrictions, r)
	if m.step > 0 && r.active(m.Time()) {
		m.pendingReroute = true
	}
	return nil
}

// factor is the product of the active restrictions of link i at time t.
func (m *Model) factor(i int, t float64) float64 {
	f := 1.0
	for _, r := range m.linkRestr[i] {
		if rr := &m.restrictions[r]; rr.active(t) {
			f *= rr.Factor
		}
	}
	return f
}

func (m *Model) entryFactor(i int, t float64) float64 { return m.factor(i, t) }

func (m *Model) exitFactor(i int, t float64) float64 {
	if f := m.factor(i, t); f > 0 {
		return f
	}
	return 1 // a closed link lets its vehicles drive off
}

// restrictionsChange reports whether some restriction starts or ends in (t-Δt, t].
func (m *Model) restrictionsChange(t float64) bool {
	prev := t - m.cfg.Step
	for i := range m.restrictions {
		r := &m.restrictions[i]
		if r.active(t) != r.active(prev) {
			return true
		}
	}
	return false
}

// Time is the simulated time in seconds since the start.
func (m *Model) Time() float64 { return float64(m.step) * m.cfg.Step }

// Run steps until the simulated time reaches until (seconds), checking ctx
// every 64 steps.
func (m *Model) Run(ctx context.Context, until float64) error {
	for k := 0; m.Time()+m.cfg.Step/2 < until; k++ {
		if k%64 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		m.Step()
	}
	return nil
}

// Step advances the model by one time step.
func (m *Model) Step() {
	t0 := m.Time()
	t1 := t0 + m.cfg.Step
	dt := m.cfg.Step
	if m.step == 0 || m.pendingReroute || (m.rerouteSteps > 0 && m.step%m.rerouteSteps == 0) ||
		(len(m.restrictions) > 0 && m.restrictionsChange(t0)) {
		m.reroute()
		m.pendingReroute = false
	}
	f := m.dem.Factor(t0) * dt / 3600
	for i := range m.dem.ODs {
		if x := m.pend[i] + m.dem.ODs[i].rate(t0)*f; x > 0 {
			if x < m.cfg.Release {
				m.pend[i] = x
				continue
			}
			m.pend[i] = 0
			m.buf[i] += x
			m.bufT[i] += x * t0
			m.dep[i] += x
			if !math.IsInf(m.odTime[i], 1) {
				m.route[i] += x * m.odTime[i]
			}
		}
	}
	// Junctions: who moves where.
	m.parallel(len(m.net.Nodes), func(lo, hi, w int) {
		s := &m.work[w]
		for v := lo; v < hi; v++ {
			m.junction(v, s, t0, t1)
		}
	})
	// Cells: flows inside the links, vehicles and KPIs.
	m.parallel(len(m.net.Links), func(lo, hi, _ int) {
		for i := lo; i < hi; i++ {
			m.advance(i, dt)
		}
	})
	for _, b := range m.buf {
		m.wait += b * dt
	}
	m.step++
	if m.sampleSteps > 0 && m.step%m.sampleSteps == 0 {
		m.sample()
	}
}

// advance moves the vehicles inside link i, takes in its inflow, lets out its
// outflow and adds up its KPIs.
func (m *Model) advance(i int, dt float64) {
	if m.inflow[i] == 0 && m.outflow[i] == 0 && !m.occupied[i] {
		// Empty (up to rounding residues of the cells, left as they are).
		m.qVeh[i], m.qLen[i] = 0, 0
		return
	}
	c := &m.cfd[i]
	cells := m.n[m.cellOff[i]:m.cellOff[i+1]]
	in := m.inflow[i]
	vht, moved := 0.0, 0.0
	last := len(cells) - 1
	// Congested cells are above the critical density.
	crit := c.qdt / m.cfg.Step / m.net.Links[i].FreeSpeed * m.dxe[i] * (1 + 1e-9)
	congested := 0
	qv := 0.0
	for k := range cells {
		var out float64
		if k < last {
			out = min(c.send(cells[k]), c.recv(cells[k+1]))
		} else {
			out = m.outflow[i]
		}
		vht += cells[k]
		moved += out
		n := cells[k] + in - out
		cells[k] = n
		in = out
		if n > crit {
			qv += n
			congested++
		}
	}
	m.vht[i] += vht * dt
	m.vkt[i] += moved * m.dx[i]
	m.cnt[i] += m.outflow[i]
	m.inflow[i], m.outflow[i] = 0, 0
	ql := float64(congested) * m.dx[i]
	m.qVeh[i], m.qLen[i] = qv, ql
	m.qVehMx[i] = max(m.qVehMx[i], qv)
	m.qLenMx[i] = max(m.qLenMx[i], ql)
	q := &m.q[i]
	for _, p := range m.stage[i] {
		q.push(p, c.ncap)
	}
	m.stage[i] = m.stage[i][:0]
	m.occupied[i] = len(q.live()) > 0
}

// crumb is the remainder of a packet too small to keep apart.
const crumb = 1e-9

// sendOf is the sending flow of link i's last cell during [t0, t1): its
// vehicles, the capacity of its exit (restricted, and green or not).
func (m *Model) sendOf(i int, t0, t1 float64) float64 {
	c := &m.cfd[i]
	g := 1.0
	if p := m.linkPhase[i]; p >= 0 {
		g = m.phases[p].fraction(t0, t1)
	}
	return max(0, min(c.vr*m.n[m.cellOff[i+1]-1], c.qdt*m.exitFactor(i, t0)*g))
}

// recvOf is the receiving flow of link i's first cell at t0.
func (m *Model) recvOf(i int, t0 float64) float64 {
	c := &m.cfd[i]
	return max(0, min(c.qdt*m.entryFactor(i, t0), c.wr*(c.ncap-m.n[m.cellOff[i]])))
}

// junction runs the node model at node v for the step [t0, t1) and moves the
// vehicles. It reads the cells (not yet advanced) and writes only what node v
// owns: the heads of its incoming links, the arrivals of its outgoing ones, its
// zones' queues and its destination's arrivals.
func (m *Model) junction(v int, s *worker, t0, t1 float64) {
	ins := m.inAdj[m.inOff[v]:m.inOff[v+1]]
	origs := m.odByOrig[m.odByOrigOff[v]:m.odByOrigOff[v+1]]
	busy := false
	for _, l := range ins {
		busy = busy || m.occupied[l]
	}
	for _, od := range origs {
		busy = busy || m.buf[od] > 0
	}
	if !busy {
		return
	}
	rows := len(ins)
	if len(origs) > 0 {
		rows++
	}
	outs := m.outAdj[m.outOff[v]:m.outOff[v+1]]
	cols := len(outs) + 2
	sink, block := len(outs), len(outs)+1
	nm := &s.nm
	nm.reset(rows, cols)
	s.col = s.col[:0] // the column of every packet covered, row after row
	if cap(s.span) < rows {
		s.span = make([]int32, rows)
	}
	s.span = s.span[:rows] // where each row's packets end in s.col
	busy = false
	for r, l := range ins {
		live := m.q[l].live()
		if len(live) == 0 {
			continue
		}
		S := m.sendOf(int(l), t0, t1)
		covered := 0.0
		for j := range live {
			if covered >= S {
				break
			}
			a := min(live[j].n, S-covered)
			k := m.column(live[j].dest, v)
			s.col = append(s.col, int32(k))
			nm.Sij[r*cols+k] += a
			covered += a
		}
		s.span[r] = int32(len(s.col))
		nm.S[r] = covered
		nm.C[r] = m.cfd[l].qdt
		busy = busy || covered > 0
	}
	if len(origs) > 0 {
		r := len(ins)
		for _, od := range origs {
			if b := m.buf[od]; b > 0 {
				k := m.column(m.odDest[od], v)
				s.col = append(s.col, int32(k))
				if k != block {
					nm.Sij[r*cols+k] += b
					nm.S[r] += b
				}
			}
		}
		nm.C[r] = nm.S[r]
		busy = busy || nm.S[r] > 0
	}
	if !busy {
		return
	}
	for k, l := range outs {
		for r := range rows { // only the links wanted (a cache miss each)
			if nm.Sij[r*cols+k] > 0 {
				nm.R[k] = m.recvOf(int(l), t0)
				break
			}
		}
	}
	nm.R[sink] = math.Inf(1)
	nm.R[block] = 0
	nm.solve()
	at := 0 // into s.col
	for r, l := range ins {
		q := &m.q[l]
		live := q.live()
		if len(live) == 0 {
			continue
		}
		first := at
		at = int(s.span[r])
		S, th := nm.S[r], nm.theta[r]
		if th <= 0 {
			continue
		}
		covered, out := 0.0, 0.0
		for j, k := range s.col[first:at] {
			p := &live[j]
			if p.n <= 0 { // emptied by an earlier crumb, behind a packet that was not
				continue
			}
			a := min(p.n, S-covered)
			covered += a
			x := th * a
			tm := p.tm * (x / p.n)
			if p.n-x < crumb {
				x, tm = p.n, p.tm
			}
			p.n -= x
			p.tm -= tm
			out += x
			m.deliver(packet{p.dest, x, tm}, int(k), outs, t0)
		}
		m.outflow[l] = out
		q.trim()
		m.occupied[l] = len(q.live()) > 0
	}
	if len(origs) > 0 {
		th := nm.theta[len(ins)]
		for _, od := range origs {
			b := m.buf[od]
			if b <= 0 {
				continue
			}
			k := s.col[at]
			at++
			if th <= 0 || int(k) == block {
				continue
			}
			x := th * b
			tm := m.bufT[od] * (x / b)
			if b-x < crumb {
				x, tm = b, m.bufT[od]
			}
			m.buf[od] -= x
			m.bufT[od] -= tm
			m.deliver(packet{m.odDest[od], x, tm}, int(k), outs, t0)
		}
	}
}

// column is where vehicles bound for destination d at node v go: an outgoing
// link's position, the sink (len(outs)) or nowhere (len(outs)+1).
func (m *Model) column(d int32, v int) int {
	if m.dests[d] == v {
		return int(m.outOff[v+1] - m.outOff[v])
	}
	l := m.next[v*len(m.dests)+int(d)]
	if l < 0 {
		return int(m.outOff[v+1]-m.outOff[v]) + 1
	}
	return int(m.outPos[l])
}

// deliver moves the vehicles of p on through column k of their junction: into
// an outgoing link, or out of the network at their destination.
func (m *Model) deliver(p packet, k int, outs []int32, t0 float64) {
	if k == len(outs) {
		m.arr[p.dest] += p.n
		m.ttSum[p.dest] += p.n*t0 - p.tm
		return
	}
	j := outs[k]
	m.inflow[j] += p.n
	st := m.stage[j]
	for k := len(st) - 1; k >= 0; k-- { // arrivals of one step have no order
		if st[k].dest == p.dest {
			st[k].n += p.n
			st[k].tm += p.tm
			return
		}
	}
	m.stage[j] = append(st, p)
}

// parallel runs fn over [0, n) split into Config.Workers contiguous ranges and
// waits. Every index is handled the same way whatever the split, so results do
// not depend on the number of workers.
func (m *Model) parallel(n int, fn func(lo, hi, w int)) {
	w := min(len(m.work), max(1, n/256))
	if w <= 1 {
		fn(0, n, 0)
		return
	}
	var wg sync.WaitGroup
	for k := range w {
		lo, hi := k*n/w, (k+1)*n/w
		wg.Add(1)
		go func() {
			defer wg.Done()
			fn(lo, hi, k)
		}()
	}
	wg.Wait()
}
