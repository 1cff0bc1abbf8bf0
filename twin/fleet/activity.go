package fleet

import (
	"cmp"
	"context"
	"math"
	"slices"
	"time"

	"citytwin/twin"
	"citytwin/twin/series"
)

// statusCell is a ten-minute bucket of a truck's diagnostics: its rows, and
// the count and sum of the statuses among them.
type statusCell struct {
	start int64
	rows  int
	n     int
	sum   float64
}

// statusCells rebuilds a truck's diagnostics rows, bucketed, from its
// fuel_state and status points. Every row has a fuel_state or a status (TSBS
// blanks one field a row), so the rows are the union of the times of those
// two channels.
func statusCells(fuel, st []series.Point, dst []statusCell) []statusCell {
	var (
		end  = int64(math.MinInt64) // of the last cell
		c    = &statusCell{}        // the last cell
		i, j int
	)
	for i < len(fuel) || j < len(st) {
		// The next row: a fuel_state alone, or a status (with or without
		// a fuel_state at its time).
		var t int64
		var p *series.Point
		if j == len(st) || i < len(fuel) && fuel[i].T < st[j].T {
			t = fuel[i].T
			i++
		} else {
			p = &st[j]
			t = p.T
			if i < len(fuel) && fuel[i].T == t {
				i++
			}
			j++
		}
		if t >= end {
			start := bucketOf(t, TenMinutes)
			dst = append(dst, statusCell{start: start})
			c, end = &dst[len(dst)-1], endOf(start)
		}
		c.rows++
		if p != nil && p.V == p.V {
			c.n++
			c.sum += p.V
		}
	}
	return dst
}

// Activity is daily-activity's figure for a fleet, model and UTC day.
type Activity struct {
	Fleet, Model  string
	Day           time.Time
	DailyActivity float64
}

// ActiveBelow is the mean status below which a ten-minute cell counts as
// active in daily-activity.
const ActiveBelow = 1.0

// DailyActivity answers TSBS's daily-activity over all the data: the
// diagnostics rows (NULL status included) of the (day, ten minutes, truck)
// cells whose mean status is below 1, added up per (fleet, model, day) and
// divided by 144. The label says hours; the SQL counts rows, so the figure
// scales with the rows and the trucks. Rows come ordered by day, then fleet
// and model.
func DailyActivity(ctx context.Context, s *twin.Store) ([]Activity, error) {
	r, err := allTrucks(ctx, s)
	if err != nil {
		return nil, err
	}
	trucks := r.trucks
	type dayRows struct {
		day  int64
		rows int64
	}
	per := make([][]dayRows, len(trucks))
	err = scanTrucks(ctx, s, r, maskOf(colFuelState, colStatus), nil, true, func(i int, ch *channels) error {
		cells := statusCells(ch[colFuelState], ch[colStatus], make([]statusCell, 0, 160))
		var days []dayRows
		for _, c := range cells {
			if c.n == 0 || !(c.sum/float64(c.n) < ActiveBelow) {
				continue
			}
			d := bucketOf(c.start, Day)
			if len(days) == 0 || days[len(days)-1].day != d {
				days = append(days, dayRows{day: d})
			}
			days[len(days)-1].rows += int64(c.rows)
		}
		per[i] = days
		return nil
	})
	if err != nil {
		return nil, err
	}
	type key struct {
		fleet, model string
		day          int64
	}
	sums := map[key]int64{}
	for i, t := range trucks {
		for _, d := range per[i] {
			sums[key{t.Fleet, t.Model, d.day}] += d.rows
		}
	}
	out := make([]Activity, 0, len(sums))
	for k, n := range sums {
		out = append(out, Activity{Fleet: k.fleet, Model: k.model, Day: time.Unix(0, k.day).UTC(), DailyActivity: float64(n) / 144})
	}
	slices.SortFunc(out, func(a, b Activity) int {
		if c := a.Day.Compare(b.Day); c != 0 {
			return c
		}
		if c := cmp.Compare(a.Fleet, b.Fleet); c != 0 {
			return c
		}
		return cmp.Compare(a.Model, b.Model)
	})
	return out, nil
}

// Breakdowns is how many times the trucks of a model broke down.
type Breakdowns struct {
	Model string
	Count int64
}

// BreakdownFrequency answers TSBS's breakdown-frequency over all the data, per
// model, sorted. TSBS means a bucket where at least half the statuses are 0;
// its SQL, count(status = 0) / count(*) >= 0.5 in integer arithmetic, flags a
// ten-minute bucket exactly when none of its diagnostics rows has a blanked
// status (count of the non-NULL statuses = count of rows). This counts, as
// the reference does, the consecutive buckets of a truck (with rows) whose
// flag turns from false to true.
func BreakdownFrequency(ctx context.Context, s *twin.Store) ([]Breakdowns, error) {
	r, err := allTrucks(ctx, s)
	if err != nil {
		return nil, err
	}
	trucks := r.trucks
	counts := make([]int64, len(trucks))
	err = scanTrucks(ctx, s, r, maskOf(colFuelState, colStatus), nil, true, func(i int, ch *channels) error {
		cells := statusCells(ch[colFuelState], ch[colStatus], make([]statusCell, 0, 160))
		for k := 1; k < len(cells); k++ {
			if cells[k-1].n != cells[k-1].rows && cells[k].n == cells[k].rows {
				counts[i]++
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	byModel := map[string]int64{}
	for i, t := range trucks {
		if counts[i] > 0 {
			byModel[t.Model] += counts[i]
		}
	}
	out := make([]Breakdowns, 0, len(byModel))
	for m, n := range byModel {
		out = append(out, Breakdowns{Model: m, Count: n})
	}
	slices.SortFunc(out, func(a, b Breakdowns) int { return cmp.Compare(a.Model, b.Model) })
	return out, nil
}
