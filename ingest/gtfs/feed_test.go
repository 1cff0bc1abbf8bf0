package gtfs

import (
	"context"
	"errors"
	"math"
	"sort"
	"testing"
	"time"

	"citytwin/datasets/sharedtest"
	"citytwin/twin"

	"github.com/paulmach/orb"
)

func readShared(t *testing.T, name string) *Feed {
	t.Helper()
	f, err := ReadFile(context.Background(), sharedtest.File(t, "datasets/gtfs/"+name))
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 12, 0, 0, 0, time.UTC) }

func stopBound(f *Feed) orb.Bound {
	b := orb.Bound{Min: orb.Point{math.Inf(1), math.Inf(1)}, Max: orb.Point{math.Inf(-1), math.Inf(-1)}}
	for _, s := range f.Stops {
		b = b.Extend(s.Point)
	}
	return b
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-6 }

func TestCairns(t *testing.T) {
	f := readShared(t, "cairns_gtfs.zip")
	if len(f.Rejects) != 0 {
		t.Errorf("rejects: %v", f.Rejects)
	}
	if len(f.Agencies) != 1 || f.Agencies[0].Name != "Department of Transport and Main Roads - TransLink Division (qconnect)" ||
		f.Agencies[0].Timezone != "Australia/Brisbane" {
		t.Errorf("agencies %+v", f.Agencies)
	}
	var stopTimes, shapePts int
	for _, tr := range f.Schedule.Trips {
		stopTimes += len(tr.StopTimes)
	}
	for _, s := range f.Shapes {
		shapePts += len(s)
	}
	for _, c := range []struct {
		name      string
		got, want int
	}{
		{"stops", len(f.Stops), 416}, {"routes", len(f.Routes), 22}, {"trips", len(f.Schedule.Trips), 1339},
		{"stop_times", stopTimes, 37790}, {"shapes", len(f.Shapes), 54}, {"shape points", shapePts, 22784},
		{"services", len(f.Schedule.Services), 4},
	} {
		if c.got != c.want {
			t.Errorf("%s = %d, want %d", c.name, c.got, c.want)
		}
	}
	b := stopBound(f)
	if !near(b.Min[0], 145.662903) || !near(b.Max[0], 145.786470) || !near(b.Min[1], -17.104062) || !near(b.Max[1], -16.743472) {
		t.Errorf("stop bound %v", b)
	}
	s, ok := f.Stop("750000")
	if !ok || s.Point != (orb.Point{145.668217, -16.74359}) || s.Name != "Cedar Rd (Palm Cove) - Hail and Ride Location" {
		t.Errorf("stop 750000 = %+v", s)
	}
	r, ok := f.Route("110-423")
	if !ok || r.ShortName != "110" || r.LongName != "City - Palm Cove" || r.Type != 3 || r.Mode() != "bus" || r.Color != "7BC142" {
		t.Errorf("route 110-423 = %+v", r)
	}
	for _, r := range f.Routes {
		if r.Type != 3 {
			t.Errorf("route %s type %d, want 3", r.ID, r.Type)
		}
	}
	var start, end Date
	for _, sv := range f.Schedule.Services {
		if start == 0 || sv.Start < start {
			start = sv.Start
		}
		end = max(end, sv.End)
	}
	if start != 20140526 || end != 20141228 {
		t.Errorf("calendar %v … %v, want 20140526 … 20141228", start, end)
	}
	// Times past midnight are kept as they are.
	var latest int32
	for _, tr := range f.Schedule.Trips {
		for _, st := range tr.StopTimes {
			latest = max(latest, st.Arrival)
		}
	}
	if got := FormatTime(latest); got != "29:39:00" {
		t.Errorf("latest arrival %s, want 29:39:00", got)
	}
	// Shapes are ordered by shape_pt_sequence.
	if ls := f.Shapes["1100015"]; len(ls) == 0 || ls[0] != (orb.Point{145.668255, -16.743632}) {
		t.Errorf("shape 1100015 starts %v", ls[:min(1, len(ls))])
	}
}

func TestCairnsActive(t *testing.T) {
	f := readShared(t, "cairns_gtfs.zip")
	const wk, fri, sat, sun = "CNS2014-CNS_MUL-Weekday-00", "CNS2014-CNS_MUL-Weekday-00-0000100", "CNS2014-CNS_MUL-Saturday-00", "CNS2014-CNS_MUL-Sunday-00"
	for _, tc := range []struct {
		date    time.Time
		service string
		want    bool
	}{
		{day(2014, 6, 10), wk, true},   // a Tuesday
		{day(2014, 6, 10), sun, false}, //
		{day(2014, 6, 9), wk, false},   // Queen's Birthday: removed …
		{day(2014, 6, 9), sun, true},   // … and run as a Sunday
		{day(2014, 6, 13), fri, true},  // a Friday
		{day(2014, 6, 12), fri, false}, // a Thursday
		{day(2014, 6, 14), sat, true},
		{day(2014, 12, 25), wk, false},
		{day(2014, 12, 25), sun, true},
		{day(2014, 12, 26), fri, false},
		{day(2014, 5, 25), sun, false}, // before the calendar
		{day(2014, 12, 29), wk, false}, // after it
		{day(2014, 6, 10), "nope", false},
	} {
		if got := f.Schedule.Active(tc.service, tc.date); got != tc.want {
			t.Errorf("Active(%s, %s) = %v, want %v", tc.service, tc.date.Format("2006-01-02 Mon"), got, tc.want)
		}
	}
}

func TestCairnsDepartures(t *testing.T) {
	f := readShared(t, "cairns_gtfs.zip")
	tue := f.Schedule.Departures("750000", day(2014, 6, 10), 7*time.Hour, 9*time.Hour)
	var got []string
	for _, d := range tue {
		got = append(got, FormatTime(d.Departure)+" "+d.TripID+" "+d.RouteID)
	}
	want := []string{
		"07:16:00 CNS2014-CNS_MUL-Weekday-00-4165881 110-423",
		"07:46:00 CNS2014-CNS_MUL-Weekday-00-4165882 110-423",
		"08:16:00 CNS2014-CNS_MUL-Weekday-00-4165883 110-423",
		"08:50:00 CNS2014-CNS_MUL-Weekday-00-4165884 110-423",
	}
	if len(got) != len(want) {
		t.Fatalf("departures %q, want %q", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("departure %d = %q, want %q", i, got[i], want[i])
		}
	}
	// Whole days: 30 on a Tuesday, 16 on the Queen's Birthday (Sunday timetable),
	// none at a date outside the calendar. Counted with a separate script.
	for _, tc := range []struct {
		date time.Time
		want int
	}{{day(2014, 6, 10), 30}, {day(2014, 6, 9), 16}, {day(2014, 6, 13), 30}, {day(2015, 1, 6), 0}} {
		if got := len(f.Schedule.Departures("750000", tc.date, 0, 48*time.Hour)); got != tc.want {
			t.Errorf("departures on %s = %d, want %d", tc.date.Format("2006-01-02"), got, tc.want)
		}
	}
}

func TestBullrunner(t *testing.T) {
	f := readShared(t, "usf_bullrunner_gtfs.zip")
	if len(f.Rejects) != 0 {
		t.Errorf("rejects: %v", f.Rejects)
	}
	if len(f.Agencies) != 1 || f.Agencies[0].Name != "USF Bull Runner" || f.Agencies[0].Timezone != "America/New_York" {
		t.Errorf("agencies %+v", f.Agencies)
	}
	var stopTimes, shapePts int
	for _, tr := range f.Schedule.Trips {
		stopTimes += len(tr.StopTimes)
	}
	for _, s := range f.Shapes {
		shapePts += len(s)
	}
	if len(f.Stops) != 125 || len(f.Routes) != 6 || len(f.Schedule.Trips) != 15 || stopTimes != 473 || len(f.Shapes) != 6 || shapePts != 1522 {
		t.Errorf("counts: %d stops, %d routes, %d trips, %d stop_times, %d shapes, %d points",
			len(f.Stops), len(f.Routes), len(f.Schedule.Trips), stopTimes, len(f.Shapes), shapePts)
	}
	b := stopBound(f)
	if !near(b.Min[0], -82.434953) || !near(b.Max[0], -82.401586) || !near(b.Min[1], 28.043435) || !near(b.Max[1], 28.080391) {
		t.Errorf("stop bound %v", b)
	}
	if r, _ := f.Route("A"); r == nil || r.LongName != "Green Campus Loop" || r.Mode() != "bus" {
		t.Errorf("route A = %+v", r)
	}
	if r, _ := f.Route("F"); r == nil || r.LongName != "Brown Off-Campus South" {
		t.Errorf("route F = %+v", r)
	}
	if tr := f.Schedule.Trips["1"]; tr == nil || len(tr.Frequencies) != 1 || tr.Frequencies[0] != (Frequency{Start: 7 * 3600, End: 24 * 3600, Headway: 600}) {
		t.Errorf("trip 1 = %+v", tr)
	}
	// The route ids the realtime sample's vehicles carry (SOURCES.md) are the
	// static routes, so gtfs:route/<id> links them up.
	es, rejects := f.Entities(Options{})
	if len(rejects) != 0 {
		t.Errorf("entity rejects %v", rejects)
	}
	ids := map[twin.ID]bool{}
	for _, e := range es {
		ids[e.ID] = true
	}
	for _, r := range []string{"F", "B", "C", "A", "D", "E"} {
		if !ids[RouteID(r)] {
			t.Errorf("no entity %s for realtime route_id %s", RouteID(r), r)
		}
	}
	// Calendar 20150101 … 20201231; the realtime sample is from Wed 2017-09-13.
	for _, tc := range []struct {
		date    time.Time
		service string
		want    bool
	}{
		{day(2017, 9, 13), "Mo", true}, {day(2017, 9, 15), "Fr", true}, {day(2017, 9, 16), "Su", true},
		{day(2017, 9, 13), "Fr", false}, {day(2014, 12, 31), "Mo", false}, {day(2021, 1, 4), "Mo", false},
	} {
		if got := f.Schedule.Active(tc.service, tc.date); got != tc.want {
			t.Errorf("Active(%s, %s) = %v, want %v", tc.service, tc.date.Format("2006-01-02"), got, tc.want)
		}
	}
}

func TestBullrunnerFrequencyDepartures(t *testing.T) {
	f := readShared(t, "usf_bullrunner_gtfs.zip")
	// Stop 101 is call 6 of trip 1 (route A, 07:03:38 in the template), which
	// repeats every 600 s from 07:00 to 24:00 on Monday–Thursday.
	deps := f.Schedule.Departures("101", day(2017, 9, 13), 7*time.Hour, 8*time.Hour)
	var a []string
	for _, d := range deps {
		if d.TripID == "1" {
			a = append(a, FormatTime(d.Departure))
		}
	}
	want := []string{"07:03:38", "07:13:38", "07:23:38", "07:33:38", "07:43:38", "07:53:38"}
	if len(a) != len(want) {
		t.Fatalf("trip 1 departures %v, want %v", a, want)
	}
	for i := range want {
		if a[i] != want[i] {
			t.Errorf("departure %d = %s, want %s", i, a[i], want[i])
		}
	}
	if !sort.SliceIsSorted(deps, func(i, j int) bool { return deps[i].Departure < deps[j].Departure }) {
		t.Error("departures not sorted")
	}
	var n int
	for _, d := range f.Schedule.Departures("101", day(2017, 9, 13), 0, 48*time.Hour) {
		if d.TripID == "1" {
			n++
		}
	}
	if n != 102 {
		t.Errorf("trip 1 runs %d times, want 102", n)
	}
}

func TestCairnsEntities(t *testing.T) {
	f := readShared(t, "cairns_gtfs.zip")
	opts := Options{Feed: "cairns_gtfs.zip", Time: time.Date(2014, 5, 26, 0, 0, 0, 0, time.UTC)}
	ops, rejects := f.Ops(opts)
	if len(rejects) != 0 {
		t.Fatalf("rejects %v", rejects)
	}
	if len(ops) != 416+22 {
		t.Fatalf("%d ops, want 438", len(ops))
	}
	byID := map[twin.ID]*twin.Entity{}
	for _, op := range ops {
		if err := op.Validate(); err != nil {
			t.Fatalf("op %s: %v", op.Entity.ID, err)
		}
		byID[op.Entity.ID] = op.Entity
	}
	stop := byID["gtfs:stop/750000"]
	if stop == nil || stop.Kind != twin.KindStop || stop.Geometry != (orb.Point{145.668217, -16.74359}) {
		t.Fatalf("stop entity %+v", stop)
	}
	if v, _ := stop.Props.Get("name"); v.String() != "Cedar Rd (Palm Cove) - Hail and Ride Location" {
		t.Errorf("stop name %v", v)
	}
	if v, _ := stop.Props.Get("location_type"); v != twin.NumberValue(0) {
		t.Errorf("location_type %v", v)
	}
	var served []twin.ID
	for _, l := range stop.Links {
		if l.Rel == "served_by" {
			served = append(served, l.To)
		}
	}
	if len(served) == 0 || served[0] != "gtfs:route/110-423" {
		t.Errorf("stop served_by %v", served)
	}
	route := byID["gtfs:route/110-423"]
	if route == nil || route.Kind != twin.KindRoute {
		t.Fatalf("route entity %+v", route)
	}
	mls, ok := route.Geometry.(orb.MultiLineString)
	if !ok || len(mls) == 0 {
		t.Fatalf("route geometry %T", route.Geometry)
	}
	for k, want := range map[string]twin.Value{
		"short_name": twin.StringValue("110"), "long_name": twin.StringValue("City - Palm Cove"),
		"type": twin.NumberValue(3), "mode": twin.StringValue("bus"), "color": twin.StringValue("7BC142"),
		"agency": twin.StringValue("Department of Transport and Main Roads - TransLink Division (qconnect)"),
	} {
		if got, _ := route.Props.Get(k); got != want {
			t.Errorf("route %s = %v, want %v", k, got, want)
		}
	}
	if ops[0].T != twin.Nanos(opts.Time) || ops[0].Source != "gtfs" || stop.Provenance[0].Note != "cairns_gtfs.zip" {
		t.Errorf("op time/source/provenance %v %q %+v", ops[0].T, ops[0].Source, stop.Provenance)
	}
}

func TestMissingFile(t *testing.T) {
	_, err := readFiles(context.Background(), zipOpener(t, map[string]string{
		"agency.txt": "agency_name\nX\n",
		"stops.txt":  "stop_id,stop_lat,stop_lon\n1,1,1\n",
	}))
	if !errors.Is(err, ErrMissingFile) || !containsStr(err.Error(), "routes.txt") {
		t.Fatalf("err = %v, want ErrMissingFile naming routes.txt", err)
	}
}
