package fleet_test

import (
	"strings"
	"testing"
	"time"

	"citytwin/twin/fleet"
)

func TestFormatInterval(t *testing.T) {
	for _, c := range []struct {
		d    time.Duration
		want string
	}{
		{0, "00:00:00"},
		{time.Hour, "01:00:00"},
		{12*time.Hour + 20*time.Minute, "12:20:00"},
		{25 * time.Hour, "25:00:00"},
		{time.Minute + 1500*time.Millisecond, "00:01:01.5"},
		{-90 * time.Second, "-00:01:30"},
	} {
		if got := fleet.FormatInterval(c.d); got != c.want {
			t.Errorf("FormatInterval(%v) = %q, want %q", c.d, got, c.want)
		}
	}
	if got := fleet.FormatTime(time.Date(2016, 1, 1, 0, 0, 0, 0, time.UTC)); got != "2016-01-01T00:00:00+00:00" {
		t.Errorf("FormatTime = %q", got)
	}
}

func TestCompare(t *testing.T) {
	cols := fleet.AvgDailyDrivingSessionType.Columns()
	want := fleet.Table{Columns: cols, Rows: [][]any{
		{"truck_1", "2016-01-01T00:00:00+00:00", nil},
		{"truck_2", "2016-01-01T00:00:00+00:00", "01:00:00"},
	}}
	swapped := fleet.Table{Columns: cols, Rows: [][]any{want.Rows[1], want.Rows[0]}}
	for _, c := range []struct {
		name  string
		typ   fleet.Type
		got   fleet.Table
		agree bool
	}{
		{"same", fleet.AvgDailyDrivingSessionType, want, true},
		{"out of order", fleet.AvgDailyDrivingSessionType, swapped, false},
		{"unordered type", fleet.LastLocType, swapped, true},
		{"null vs value", fleet.AvgDailyDrivingSessionType, fleet.Table{Columns: cols, Rows: [][]any{want.Rows[0], {"truck_2", "2016-01-01T00:00:00+00:00", nil}}}, false},
		{"missing row", fleet.AvgDailyDrivingSessionType, fleet.Table{Columns: cols, Rows: want.Rows[:1]}, false},
	} {
		if diff := fleet.Compare(c.typ, c.got, want); (diff == "") != c.agree {
			t.Errorf("%s: %q", c.name, diff)
		}
	}
	num := func(v float64) fleet.Table {
		return fleet.Table{Columns: []string{"model", "count"}, Rows: [][]any{{"H-2", v}}}
	}
	if d := fleet.Compare(fleet.BreakdownFrequencyType, num(1000*(1+1e-12)), num(1000)); d != "" {
		t.Errorf("within tolerance: %s", d)
	}
	if d := fleet.Compare(fleet.BreakdownFrequencyType, num(1000*(1+1e-8)), num(1000)); !strings.Contains(d, "no row") {
		t.Errorf("beyond tolerance: %q", d)
	}
}
