package fleet

import (
	"cmp"
	"context"
	"database/sql"
	"math"
	"slices"
	"time"

	"citytwin/twin"
)

// DrivingDuration is a truck's mean daily driving time, in whole hours.
type DrivingDuration struct {
	Fleet, Name, Driver string
	AvgDailyHours       float64
}

// AvgDailyDrivingDuration answers TSBS's avg-daily-driving-duration over all
// the data: for each truck and UTC day, the ten-minute buckets whose mean
// velocity is above 1, as whole hours (count / 6, rounded down), averaged over
// the truck's days that have any such bucket. A truck with none is not listed.
func AvgDailyDrivingDuration(ctx context.Context, s *twin.Store) ([]DrivingDuration, error) {
	trucks, err := fleetTrucks(ctx, s, "", nil)
	if err != nil {
		return nil, err
	}
	avg := make([]float64, len(trucks))
	err = eachTruck(ctx, len(trucks), func(i int) error {
		avg[i] = nan
		bs, err := buckets(ctx, s, trucks[i].ID, MetricVelocity, All)
		if err != nil {
			return err
		}
		days, hours := 0, 0
		day, moving := int64(math.MinInt64), 0
		for _, b := range bs {
			if b.Count == 0 || !(b.Value > MovingAbove) {
				continue
			}
			if d := bucketOf(b.Start, Day); d != day {
				if moving > 0 {
					days++
					hours += moving / 6
				}
				day, moving = d, 0
			}
			moving++
		}
		if moving > 0 {
			days++
			hours += moving / 6
		}
		if days > 0 {
			avg[i] = float64(hours) / float64(days)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	var out []DrivingDuration
	for i, t := range trucks {
		if avg[i] == avg[i] {
			out = append(out, DrivingDuration{Fleet: t.Fleet, Name: t.Name, Driver: t.Driver, AvgDailyHours: avg[i]})
		}
	}
	return out, nil
}

// DrivingAbove is the mean velocity above which avg-daily-driving-session
// counts a ten-minute bucket as driving.
const DrivingAbove = 5.0

// DrivingSession is a truck's mean driving session, by the UTC day it started.
// Duration is NULL when none of the day's sessions has ended.
type DrivingSession struct {
	Name     string
	Day      time.Time
	Duration sql.Null[time.Duration]
}

// status is a ten-minute bucket of a truck's readings: driving, standing, or
// unknown (NULL: every velocity of the bucket was blanked).
type status int8

const (
	unknown status = iota
	standing
	driving
)

// AvgDailyDrivingSession answers TSBS's avg-daily-driving-session over all the
// data. A truck's ten-minute buckets are driving when their mean velocity is
// above 5; a bucket whose label differs from the previous bucket's starts a
// session that lasts until the next such change. The sessions that start
// driving are averaged per truck name and UTC day of their start; the last
// change has no end (a NULL duration, which the mean skips). A bucket whose
// velocities are all blanked exists (it has readings) with a NULL label,
// which is never a change, nor is the bucket after it. Rows come ordered by
// name (bytewise), then day.
func AvgDailyDrivingSession(ctx context.Context, s *twin.Store) ([]DrivingSession, error) {
	trucks, err := fleetTrucks(ctx, s, "", nil)
	if err != nil {
		return nil, err
	}
	per := make([][]DrivingSession, len(trucks))
	err = eachTruck(ctx, len(trucks), func(i int) error {
		t := &trucks[i]
		bs, err := buckets(ctx, s, t.ID, MetricVelocity, All)
		if err != nil {
			return err
		}
		type bucket struct {
			start int64
			st    status
		}
		buckets := make([]bucket, 0, len(bs))
		for _, b := range bs {
			st := standing
			if b.Value > DrivingAbove {
				st = driving
			}
			buckets = append(buckets, bucket{b.Start, st})
		}
		// Buckets with readings but no velocity: any row without velocity
		// has its latitude (TSBS blanks one field a row), so look for
		// latitudes in the gaps between velocity buckets.
		var gaps []bucket
		gap := func(from, to int64) error {
			if from >= to {
				return nil
			}
			lat, err := points(s, t.ID, MetricLatitude, Window{from, to})
			if err != nil {
				return err
			}
			for _, p := range lat {
				if b := bucketOf(p.T, TenMinutes); len(gaps) == 0 || gaps[len(gaps)-1].start != b {
					gaps = append(gaps, bucket{b, unknown})
				}
			}
			return nil
		}
		prev := int64(math.MinInt64)
		for _, b := range buckets {
			if err := gap(prev, b.start); err != nil {
				return err
			}
			prev = b.start + TenMinutes
		}
		if err := gap(prev, math.MaxInt64); err != nil {
			return err
		}
		if len(gaps) > 0 {
			buckets = append(buckets, gaps...)
			slices.SortFunc(buckets, func(a, b bucket) int { return cmp.Compare(a.start, b.start) })
		}

		// The changes, each lasting until the next.
		type change struct {
			start int64
			st    status
		}
		var changes []change
		for k := 1; k < len(buckets); k++ {
			if a, b := buckets[k-1].st, buckets[k].st; a != unknown && b != unknown && a != b {
				changes = append(changes, change{buckets[k].start, b})
			}
		}
		type dayAcc struct {
			day   int64
			n     int64
			total int64 // ns
		}
		var days []dayAcc
		for k, c := range changes {
			if c.st != driving {
				continue
			}
			d := bucketOf(c.start, Day)
			if len(days) == 0 || days[len(days)-1].day != d {
				days = append(days, dayAcc{day: d})
			}
			if k+1 < len(changes) {
				days[len(days)-1].n++
				days[len(days)-1].total += changes[k+1].start - c.start
			}
		}
		for _, d := range days {
			row := DrivingSession{Name: t.Name, Day: time.Unix(0, d.day).UTC()}
			if d.n > 0 {
				// PostgreSQL divides an interval to the microsecond, rounding.
				us := math.RoundToEven(float64(d.total/1e3) / float64(d.n))
				row.Duration = sql.Null[time.Duration]{V: time.Duration(us) * time.Microsecond, Valid: true}
			}
			per[i] = append(per[i], row)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	var out []DrivingSession
	for _, rows := range per {
		out = append(out, rows...)
	}
	slices.SortStableFunc(out, func(a, b DrivingSession) int {
		if c := cmp.Compare(a.Name, b.Name); c != 0 {
			return c
		}
		return a.Day.Compare(b.Day)
	})
	return out, nil
}
