package traffic

import (
	"fmt"
	"math"
)

// OD is a stream of trips from one node to another.
type OD struct {
	Origin, Dest int     // node indexes
	Rate         float64 // veh/h before the profile
	// From and To bound the stream to [From, To) seconds; To 0 is no end.
	// A demand that changes in a window is written as streams that follow
	// one another.
	From, To float64
}

// rate is the OD's rate at time t: Rate inside its window, 0 outside.
func (od *OD) rate(t float64) float64 {
	if t < od.From || (od.To != 0 && t >= od.To) {
		return 0
	}
	return od.Rate
}

// Demand is an origin–destination matrix with a time profile: during
// [i·ProfileStep, (i+1)·ProfileStep) every OD's rate is multiplied by
// Profile[i]; past the end of Profile the last factor holds. An empty Profile is
// a constant factor 1.
type Demand struct {
	ODs         []OD
	Profile     []float64
	ProfileStep float64 // seconds, > 0 when Profile is set
}

// Validate checks nodes, rates and the profile against a network of nodes nodes.
func (d *Demand) Validate(nodes int) error {
	for i, od := range d.ODs {
		switch {
		case od.Origin < 0 || od.Origin >= nodes || od.Dest < 0 || od.Dest >= nodes:
			return fmt.Errorf("%w: od %d: node out of range", ErrBadDemand, i)
		case od.Origin == od.Dest:
			return fmt.Errorf("%w: od %d: origin equals destination", ErrBadDemand, i)
		case !(od.Rate >= 0) || math.IsInf(od.Rate, 0):
			return fmt.Errorf("%w: od %d: rate %v", ErrBadDemand, i, od.Rate)
		case !(od.From >= 0) || math.IsInf(od.From, 0) || !(od.To >= 0) || math.IsInf(od.To, 0) || (od.To != 0 && od.To <= od.From):
			return fmt.Errorf("%w: od %d: window [%v, %v)", ErrBadDemand, i, od.From, od.To)
		}
	}
	if len(d.Profile) > 0 && (!(d.ProfileStep > 0) || math.IsInf(d.ProfileStep, 0)) {
		return fmt.Errorf("%w: profile step %v", ErrBadDemand, d.ProfileStep)
	}
	for i, f := range d.Profile {
		if !(f >= 0) || math.IsInf(f, 0) {
			return fmt.Errorf("%w: profile[%d] = %v", ErrBadDemand, i, f)
		}
	}
	return nil
}

// Factor is the profile factor at time t (seconds).
func (d *Demand) Factor(t float64) float64 {
	if len(d.Profile) == 0 {
		return 1
	}
	i := int(math.Floor(t / d.ProfileStep))
	return d.Profile[min(max(i, 0), len(d.Profile)-1)]
}

// Scaled returns a copy of d with the rate of OD i multiplied by scale[i].
func (d Demand) Scaled(scale []float64) Demand {
	out := d
	out.ODs = append([]OD(nil), d.ODs...)
	for i := range out.ODs {
		out.ODs[i].Rate *= scale[i]
	}
	return out
}
