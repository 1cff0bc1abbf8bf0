package traffic

import (
	"fmt"
	"math"
)

// Signal is a fixed-time controller at a node. Each Green lets one incoming
// link (an approach) discharge during [Start, Start+Duration) of every cycle,
// shifted by Offset; incoming links without a Green are not controlled.
type Signal struct {
	Node   int
	Cycle  float64 // seconds, > 0
	Offset float64 // seconds
	Greens []Green
}

// Green is the green window of one approach, in seconds into the cycle.
type Green struct {
	Link            int
	Start, Duration float64
}

// validate checks the signal against the network.
func (s *Signal) validate(net *Network) error {
	if s.Node < 0 || s.Node >= len(net.Nodes) {
		return fmt.Errorf("%w: node %d out of range", ErrBadSignal, s.Node)
	}
	if !(s.Cycle > 0) || math.IsInf(s.Cycle, 0) || math.IsNaN(s.Offset) || math.IsInf(s.Offset, 0) {
		return fmt.Errorf("%w: node %d: cycle %v offset %v", ErrBadSignal, s.Node, s.Cycle, s.Offset)
	}
	for _, g := range s.Greens {
		if g.Link < 0 || g.Link >= len(net.Links) || net.Links[g.Link].To != s.Node {
			return fmt.Errorf("%w: node %d: link %d does not end there", ErrBadSignal, s.Node, g.Link)
		}
		if !(g.Duration >= 0 && g.Duration <= s.Cycle) || math.IsNaN(g.Start) || math.IsInf(g.Start, 0) {
			return fmt.Errorf("%w: node %d: green %v+%v in cycle %v", ErrBadSignal, s.Node, g.Start, g.Duration, s.Cycle)
		}
	}
	return nil
}

// phase is one approach's green window, resolved for a link.
type phase struct {
	cycle, start, dur float64 // start includes the signal's offset
}

// greenTime is the green time in [0, t) measured from the window's start, up to a constant.
func (p *phase) greenTime(t float64) float64 {
	tau := t - p.start
	k := math.Floor(tau / p.cycle)
	return k*p.dur + min(tau-k*p.cycle, p.dur)
}

// fraction is the share of [t0, t1) that is green.
func (p *phase) fraction(t0, t1 float64) float64 {
	return min(1, max(0, (p.greenTime(t1)-p.greenTime(t0))/(t1-t0)))
}
