package traffic

import (
	"fmt"
	"math"
)

// Restriction scales the capacity of a link during [From, To) seconds: Factor
// 0.5 for a lane closed out of two, 0 for a closure. It applies where vehicles
// enter and leave the link; a closed link (Factor 0) admits nobody, and the
// vehicles on it when it closes drive off at the link's normal capacity. Route
// choice treats a closed link as missing and is recomputed when a restriction
// starts or ends. Vehicles left without any route wait at their junction
// (holding up the link behind them, first in first out) or at their origin
// until one reopens. Overlapping restrictions of a link multiply.
type Restriction struct {
	Link     int
	From, To float64 // seconds since the start of the run
	Factor   float64 // in [0, 1]
}

// Closure closes a link from t0 to t1 (seconds).
func Closure(link int, t0, t1 float64) Restriction {
	return Restriction{Link: link, From: t0, To: t1, Factor: 0}
}

func (r *Restriction) validate(links int) error {
	if r.Link < 0 || r.Link >= links {
		return fmt.Errorf("%w: restriction of link %d out of range", ErrBadConfig, r.Link)
	}
	if !(r.Factor >= 0 && r.Factor <= 1) || math.IsNaN(r.From) || math.IsNaN(r.To) {
		return fmt.Errorf("%w: restriction of link %d: factor %v in [%v, %v)", ErrBadConfig, r.Link, r.Factor, r.From, r.To)
	}
	return nil
}

// active reports whether r applies at time t.
func (r *Restriction) active(t float64) bool { return t >= r.From && t < r.To }
