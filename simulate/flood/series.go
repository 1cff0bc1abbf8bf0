package flood

import (
	"fmt"
	"math"
)

// Series is a piecewise-linear function of time: Values[i] at Times[i]
// (seconds from the start of the run, strictly increasing). Before the first
// time it holds the first value and after the last the last value. A Series
// with one point is constant. Rainfall intensities are in mm/h, hydrographs in
// m³/s, boundary depths in m.
type Series struct {
	Times  []float64
	Values []float64
}

// Constant is a series that is v at all times.
func Constant(v float64) Series { return Series{Times: []float64{0}, Values: []float64{v}} }

// Validate checks lengths, finiteness and the order of the times; negative
// values are rejected when nonNegative.
func (s Series) Validate(nonNegative bool) error {
	if len(s.Times) == 0 || len(s.Times) != len(s.Values) {
		return fmt.Errorf("%w: series has %d times and %d values", ErrConfig, len(s.Times), len(s.Values))
	}
	for i, t := range s.Times {
		v := s.Values[i]
		if bad(t) || bad(v) {
			return fmt.Errorf("%w: series point %d is not finite", ErrConfig, i)
		}
		if i > 0 && !(t > s.Times[i-1]) {
			return fmt.Errorf("%w: series times not increasing at %d", ErrConfig, i)
		}
		if nonNegative && v < 0 {
			return fmt.Errorf("%w: series value %d is negative", ErrConfig, i)
		}
	}
	return nil
}

func bad(f float64) bool { return math.IsNaN(f) || math.IsInf(f, 0) }

// At is the value at time t.
func (s Series) At(t float64) float64 {
	n := len(s.Times)
	switch {
	case n == 0:
		return 0
	case t <= s.Times[0]:
		return s.Values[0]
	case t >= s.Times[n-1]:
		return s.Values[n-1]
	}
	i := s.search(t)
	t0, t1 := s.Times[i], s.Times[i+1]
	return s.Values[i] + (s.Values[i+1]-s.Values[i])*(t-t0)/(t1-t0)
}

// search is the i with Times[i] <= t < Times[i+1], for t inside the range.
func (s Series) search(t float64) int {
	lo, hi := 0, len(s.Times)-1
	for hi-lo > 1 {
		m := (lo + hi) / 2
		if s.Times[m] <= t {
			lo = m
		} else {
			hi = m
		}
	}
	return lo
}

// Integral is ∫ s(t) dt from a to b (a <= b), exact for the piecewise-linear
// function, so that a run adds exactly the volume its forcing describes
// whatever its time steps.
func (s Series) Integral(a, b float64) float64 {
	if !(b > a) || len(s.Times) == 0 {
		return 0
	}
	return s.primitive(b) - s.primitive(a)
}

// primitive is ∫ s from Times[0] to t (negative before Times[0]).
func (s Series) primitive(t float64) float64 {
	n := len(s.Times)
	if t <= s.Times[0] {
		return s.Values[0] * (t - s.Times[0])
	}
	var sum float64
	for i := 0; i+1 < n; i++ {
		t0, t1 := s.Times[i], s.Times[i+1]
		if t <= t0 {
			break
		}
		e := math.Min(t, t1)
		ve := s.Values[i] + (s.Values[i+1]-s.Values[i])*(e-t0)/(t1-t0)
		sum += 0.5 * (s.Values[i] + ve) * (e - t0)
	}
	if t > s.Times[n-1] {
		sum += s.Values[n-1] * (t - s.Times[n-1])
	}
	return sum
}
