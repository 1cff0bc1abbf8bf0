package fleet

import (
	"cmp"
	"context"
	"slices"

	"citytwin/twin"
	"citytwin/twin/series"
)

// Driver is a truck and its driver: the rows of stationary-trucks and the
// long-session queries.
type Driver struct {
	Name, Driver string
}

// StationaryBelow is stationary-trucks' threshold of mean velocity.
const StationaryBelow = 1.0

// StationaryTrucks answers TSBS's stationary-trucks: the trucks of the fleet
// whose mean velocity over their readings in w is below 1. Blanked velocities
// are left out; a truck with none in w is not listed.
func StationaryTrucks(ctx context.Context, s *twin.Store, fleet string, w Window) ([]Driver, error) {
	if err := w.validate(); err != nil {
		return nil, err
	}
	r, err := allTrucks(ctx, s)
	if err != nil {
		return nil, err
	}
	trucks := r.trucks
	// A ten-minute window is a few dozen points a truck, found by binary
	// search: too little work to share among goroutines.
	still := make([]bool, len(trucks))
	inFleet := func(t *Truck) bool { return selected(t, fleet, nil) }
	err = scanTrucks(ctx, s, r, maskOf(colVelocity), inFleet, false, func(i int, ch *channels) error {
		n, sum := 0, 0.0
		for _, p := range inWindow(ch[colVelocity], w) {
			if p.V == p.V {
				n++
				sum += p.V
			}
		}
		still[i] = n > 0 && sum/float64(n) < StationaryBelow
		return nil
	})
	if err != nil {
		return nil, err
	}
	var out []Driver
	for i, t := range trucks {
		if still[i] {
			out = append(out, Driver{Name: t.Name, Driver: t.Driver})
		}
	}
	return out, nil
}

// MovingAbove is the mean velocity above which a ten-minute bucket counts as
// moving in the session queries.
const MovingAbove = 1.0

// SessionThreshold is TSBS's threshold of moving ten-minute buckets for a
// window of the given length when the driver rests restPerHour minutes an
// hour: (window − rest) in ten-minute units, rounded down. 4 h with 5 min/h
// gives 22 (long-driving-sessions); 24 h with 35 min/h gives 60
// (long-daily-sessions).
func SessionThreshold(window int64, restPerHour float64) int {
	mins := float64(window) / 60e9
	return int((mins - restPerHour*mins/60) / 10)
}

// LongDrivingSessions answers TSBS's long-driving-sessions (and, with a 24 h
// window and moreThan 60, long-daily-sessions): the trucks of the fleet with
// more than moreThan ten-minute buckets, clock-aligned, whose mean velocity
// over the truck's readings in w is above 1.
func LongDrivingSessions(ctx context.Context, s *twin.Store, fleet string, w Window, moreThan int) ([]Driver, error) {
	if err := w.validate(); err != nil {
		return nil, err
	}
	r, err := allTrucks(ctx, s)
	if err != nil {
		return nil, err
	}
	trucks := r.trucks
	long := make([]bool, len(trucks))
	inFleet := func(t *Truck) bool { return selected(t, fleet, nil) }
	err = scanTrucks(ctx, s, r, maskOf(colVelocity), inFleet, true, func(i int, ch *channels) error {
		moving := 0
		for _, b := range tenMinuteMeans(inWindow(ch[colVelocity], w), nil) {
			if b.mean > MovingAbove {
				moving++
			}
		}
		long[i] = moving > moreThan
		return nil
	})
	if err != nil {
		return nil, err
	}
	var out []Driver
	for i, t := range trucks {
		if long[i] {
			out = append(out, Driver{Name: t.Name, Driver: t.Driver})
		}
	}
	return out, nil
}

// LongDailySessions is LongDrivingSessions over a day's window with TSBS's
// daily threshold (more than 10 h of driving: 60 buckets).
func LongDailySessions(ctx context.Context, s *twin.Store, fleet string, w Window, moreThan int) ([]Driver, error) {
	return LongDrivingSessions(ctx, s, fleet, w, moreThan)
}

// inWindow is the points of pts (ascending) in w.
func inWindow(pts []series.Point, w Window) []series.Point {
	from, _ := slices.BinarySearchFunc(pts, w.From, func(p series.Point, t int64) int { return cmp.Compare(p.T, t) })
	to, _ := slices.BinarySearchFunc(pts[from:], w.To, func(p series.Point, t int64) int { return cmp.Compare(p.T, t) })
	return pts[from : from+to]
}
