package fleet

import (
	"cmp"
	"context"
	"database/sql"
	"math"
	"slices"
	"time"

	"citytwin/twin"
	"citytwin/twin/series"
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
	r, err := allTrucks(ctx, s)
	if err != nil {
		return nil, err
	}
	trucks := r.trucks
	avg := make([]float64, len(trucks))
	for i := range avg {
		avg[i] = nan
	}
	err = scanTrucks(ctx, s, r, maskOf(colVelocity), nil, true, func(i int, ch *channels) error {
		bs := tenMinuteMeans(ch[colVelocity], nil)
		days, hours := 0, 0
		day, moving := int64(math.MinInt64), 0
		for _, b := range bs {
			if !(b.mean > MovingAbove) {
				continue
			}
			if d := bucketOf(b.start, Day); d != day {
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
	r, err := allTrucks(ctx, s)
	if err != nil {
		return nil, err
	}
	trucks := r.trucks
	per := make([][]DrivingSession, len(trucks))
	err = scanTrucks(ctx, s, r, maskOf(colVelocity, colLatitude), nil, true, func(i int, ch *channels) error {
		t := &trucks[i]
		means := tenMinuteMeans(ch[colVelocity], nil)
		type bucket struct {
			start int64
			st    status
		}
		buckets := make([]bucket, 0, len(means))
		for _, b := range means {
			st := standing
			if b.mean > DrivingAbove {
				st = driving
			}
			buckets = append(buckets, bucket{b.start, st})
		}
		// Buckets with readings but no velocity: any row without velocity
		// has its latitude (TSBS blanks one field a row), so look for
		// latitudes outside the velocity buckets.
		var gaps []bucket
		k := 0
		end := int64(math.MinInt64) // of the bucket of the latitude before
		for _, p := range ch[colLatitude] {
			if p.T < end {
				continue // the bucket of the one before, already looked at
			}
			start := bucketOf(p.T, TenMinutes)
			end = endOf(start)
			for k < len(means) && means[k].start < start {
				k++
			}
			if k < len(means) && means[k].start == start {
				continue
			}
			gaps = append(gaps, bucket{start, unknown})
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

// bucketMean is a ten-minute bucket of a channel and the mean of its values.
type bucketMean struct {
	start int64
	mean  float64
}

// tenMinuteMeans appends to dst the ten-minute buckets of pts (ascending,
// clock-aligned) that have values, with their means as the twin's
// AggregateBuckets computes them: the values summed in time order, divided
// by their count.
func tenMinuteMeans(pts []series.Point, dst []bucketMean) []bucketMean {
	var (
		start, end = int64(0), int64(math.MinInt64)
		n          int
		sum        float64
	)
	for _, p := range pts {
		if p.V != p.V {
			continue
		}
		if p.T >= end {
			if n > 0 {
				dst = append(dst, bucketMean{start, sum / float64(n)})
			}
			start = bucketOf(p.T, TenMinutes)
			end, n, sum = endOf(start), 0, 0
		}
		n++
		sum += p.V
	}
	if n > 0 {
		dst = append(dst, bucketMean{start, sum / float64(n)})
	}
	return dst
}

// endOf is the end of the ten-minute bucket starting at start, clamped at
// the end of time.
func endOf(start int64) int64 {
	if start > math.MaxInt64-TenMinutes {
		return math.MaxInt64
	}
	return start + TenMinutes
}
