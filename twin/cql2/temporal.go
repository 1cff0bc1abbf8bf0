package cql2

import (
	"math"
	"time"

	"citytwin/twin"
)

// Times are Unix nanoseconds, as everywhere in the twin, so literals are
// limited to the years 1678 to 2261.

const day = int64(24 * time.Hour)

const dateLayout = "2006-01-02"

func isDateString(s string) bool { return len(s) == len(dateLayout) }

// parseInstant reads a date (YYYY-MM-DD) or an RFC 3339 timestamp.
func parseInstant(s string, date bool) (val, bool) {
	var t time.Time
	var err error
	if date {
		t, err = time.Parse(dateLayout, s)
	} else {
		t, err = time.Parse(time.RFC3339Nano, s)
	}
	if err != nil || t.Year() < 1678 || t.Year() > 2261 {
		return val{}, false
	}
	return val{k: kTime, t: t.UnixNano(), date: date}, true
}

func formatTime(v val) string {
	t := time.Unix(0, v.t).UTC()
	if v.date {
		return t.Format(dateLayout)
	}
	return t.Format(time.RFC3339Nano)
}

// dayOf is the number of the UTC day of t.
func dayOf(t int64) int64 {
	d := t / day
	if t%day < 0 {
		d--
	}
	return d
}

// startOf and endOf are the first and last nanosecond of a time: a date is
// the whole day.
func startOf(v val) int64 {
	if v.date {
		return dayOf(v.t) * day
	}
	return v.t
}

func endOf(v val) int64 {
	if v.date {
		return dayOf(v.t)*day + day - 1
	}
	return v.t
}

// span is the closed interval of nanoseconds a temporal argument covers: an
// instant is a degenerate interval, a date its whole day, '..' unbounded.
// ok is false for a missing value; typed is false for a value that is not a
// time (a property holding a number, or a string that is no date).
func span(x value, e *twin.Entity) (lo, hi int64, ok, typed bool) {
	if iv, isIv := x.(*interval); isIv {
		lo, _, ok, typed = span(iv.lo, e)
		if !ok || !typed {
			return 0, 0, ok, typed
		}
		var ok2, typed2 bool
		_, hi, ok2, typed2 = span(iv.hi, e)
		return lo, hi, ok2, typed2
	}
	if _, isOpen := x.(open); isOpen {
		return math.MinInt64, math.MaxInt64, true, true
	}
	v := x.eval(e)
	switch v.k {
	case kNull:
		return 0, 0, false, true
	case kStr:
		var isTime bool
		if v, isTime = parseInstant(v.str, isDateString(v.str)); !isTime {
			return 0, 0, true, false
		}
	case kTime:
	default:
		return 0, 0, true, false
	}
	return startOf(v), endOf(v), true, true
}

// eval applies the relation of Allen's interval algebra that the function
// names; instants are intervals that start and end at once.
func (x *temporalCond) eval(e *twin.Entity) tri {
	as, ae, ok, typed := span(x.a, e)
	if !ok {
		return unk
	}
	if !typed {
		return fls
	}
	bs, be, ok, typed := span(x.b, e)
	if !ok {
		return unk
	}
	if !typed {
		return fls
	}
	var r bool
	switch x.op {
	case tAfter:
		r = as > be
	case tBefore:
		r = ae < bs
	case tContains:
		r = as < bs && ae > be
	case tDisjoint:
		r = as > be || ae < bs
	case tDuring:
		r = as > bs && ae < be
	case tEquals:
		r = as == bs && ae == be
	case tFinishedBy:
		r = as < bs && ae == be
	case tFinishes:
		r = as > bs && ae == be
	case tIntersects:
		r = as <= be && bs <= ae
	case tMeets:
		r = ae == bs
	case tMetBy:
		r = as == be
	case tOverlappedBy:
		r = bs < as && as < be && be < ae
	case tOverlaps:
		r = as < bs && bs < ae && ae < be
	case tStartedBy:
		r = as == bs && ae > be
	case tStarts:
		r = as == bs && ae < be
	}
	return truthOf(r)
}
