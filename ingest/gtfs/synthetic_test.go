package gtfs

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"io"
	"strconv"
	"strings"
	"testing"
	"time"

	"citytwin/twin"

	"github.com/paulmach/orb"
)

func makeZip(t testing.TB, files map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, text := range files {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(w, text)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func zipOpener(t testing.TB, files map[string]string) opener {
	t.Helper()
	return func(name string) (io.ReadCloser, bool, error) {
		text, ok := files[name]
		if !ok {
			return nil, false, nil
		}
		return io.NopCloser(strings.NewReader(text)), true, nil
	}
}

func containsStr(s, sub string) bool { return strings.Contains(s, sub) }

// small is a feed with a station, quoting, a BOM, extra columns, no shapes and
// rows that must be rejected.
var small = map[string]string{
	"feed/agency.txt": "\uFEFFagency_id,agency_name,agency_url,agency_timezone\nA1,\"Metro, Inc.\",http://x,Europe/Helsinki\n",
	"feed/stops.txt": "stop_id,stop_name,stop_lat,stop_lon,location_type,parent_station,platform_code,wheelchair_boarding,extra\n" +
		"S,\"Central\nStation\",60.17,24.94,1,,,1,foo\n" +
		"P1,Central platform 1,60.171,24.941,0,S,1,,\n" +
		"P2,Central platform 2,60.172,24.942,0,S,2\n" +
		"Q,Quay,60.16,24.95\n" +
		"BAD,Bad,91,24\n" +
		"ORPHAN,Orphan,60.1,24.9,0,NOPE\n",
	"feed/routes.txt": "route_id,agency_id,route_short_name,route_long_name,route_type,route_color\n" +
		"R1,A1,1,\"Central – Quay\",900,FF0000\n" +
		"R2,A1,2,Ferry,1200,\n" +
		"R3,A1,3,Weird,99,\n",
	"feed/calendar_dates.txt": "service_id,date,exception_type\nX,20240102,1\nX,20240103,1\nX,20240103,2\nX,20240230,1\n",
	"feed/trips.txt": "route_id,service_id,trip_id,trip_headsign,direction_id,shape_id\n" +
		"R1,X,T1,Quay,0,\n" +
		"R2,X,T2,Central,1,\n" +
		"R1,NOSERVICE,T3,,,\n" +
		"R9,X,T4,,,\n",
	"feed/stop_times.txt": "trip_id,arrival_time,departure_time,stop_id,stop_sequence\n" +
		"T1,23:50:00,23:51:00,P1,2\n" +
		"T1,23:40:00,23:40:00,Q,1\n" +
		"T1,24:10:00,24:10:00,P2,3\n" +
		"T1,25:00:00,25:00:00,Q,4\n" +
		"T2,8:00:00,08:00:00,Q,1\n" +
		"T2,08:10:00,,P1,2\n" +
		"T2,8:1:00,08:10:00,P2,3\n" +
		"T9,08:10:00,08:10:00,P2,3\n" +
		"T2,08:20:00,08:20:00,NOSTOP,4\n",
}

func TestSmallFeed(t *testing.T) {
	data := makeZip(t, small)
	f, err := Read(context.Background(), bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	wantRejects := map[string]bool{
		"stops.txt:7:stop_lat":          true,
		"stops.txt:8:parent_station":    true,
		"routes.txt:4:route_type":       true,
		"calendar_dates.txt:5:date":     true,
		"trips.txt:4:service_id":        true,
		"trips.txt:5:route_id":          true,
		"stop_times.txt:8:arrival_time": true,
		"stop_times.txt:9:trip_id":      true,
		"stop_times.txt:10:stop_id":     true,
	}
	for _, r := range f.Rejects {
		key := r.File + ":" + strconv.Itoa(r.Line) + ":" + r.Column
		if !wantRejects[key] {
			t.Errorf("unexpected reject %v", r)
		}
		delete(wantRejects, key)
	}
	for k := range wantRejects {
		t.Errorf("missing reject %s", k)
	}
	if s, _ := f.Stop("S"); s == nil || s.Name != "Central\nStation" || s.LocationType != 1 || s.WheelchairBoarding != 1 {
		t.Errorf("station %+v", s)
	}
	if a := f.Agencies[0]; a.Name != "Metro, Inc." || a.ID != "A1" {
		t.Errorf("agency %+v", a)
	}
	if r, _ := f.Route("R1"); r == nil || r.Mode() != "tram" {
		t.Errorf("route R1 %+v", r)
	}
	tr := f.Schedule.Trips["T1"]
	if tr == nil || len(tr.StopTimes) != 4 || tr.StopTimes[0].StopID != "Q" || tr.StopTimes[3].Arrival != 25*3600 {
		t.Fatalf("trip T1 %+v", tr)
	}
	if t2 := f.Schedule.Trips["T2"]; t2.StopTimes[1].Departure != 8*3600+600 || t2.Direction != 1 {
		t.Errorf("trip T2 %+v", t2)
	}
	sv := f.Schedule.Services["X"]
	if !sv.Active(day(2024, 1, 2)) || sv.Active(day(2024, 1, 3)) || sv.Active(day(2024, 1, 4)) {
		t.Errorf("service X %+v", sv)
	}
	// After midnight: T1 leaves P2 at 24:10 of the 2 January service day.
	deps := f.Schedule.Departures("P2", day(2024, 1, 2), 24*time.Hour, 25*time.Hour)
	if len(deps) != 1 || deps[0].TripID != "T1" || deps[0].Departure != 24*3600+600 || deps[0].Headsign != "Quay" {
		t.Errorf("departures %+v", deps)
	}
	// Q is the last call of T1 at 25:00: no departure there.
	if deps := f.Schedule.Departures("Q", day(2024, 1, 2), 24*time.Hour, 26*time.Hour); len(deps) != 0 {
		t.Errorf("departures at a last stop %+v", deps)
	}

	es, rejects := f.Entities(Options{Source: "test"})
	if len(rejects) != 0 {
		t.Fatalf("entity rejects %v", rejects)
	}
	byID := map[twin.ID]*twin.Entity{}
	for _, e := range es {
		byID[e.ID] = e
	}
	p1 := byID["gtfs:stop/P1"]
	wantLinks := []twin.Link{{Rel: "parent", To: "gtfs:stop/S"}, {Rel: "served_by", To: "gtfs:route/R1"}, {Rel: "served_by", To: "gtfs:route/R2"}}
	if p1 == nil || len(p1.Links) != len(wantLinks) {
		t.Fatalf("P1 %+v", p1)
	}
	for i := range wantLinks {
		if p1.Links[i] != wantLinks[i] {
			t.Errorf("P1 link %d = %v, want %v", i, p1.Links[i], wantLinks[i])
		}
	}
	if v, _ := p1.Props.Get("platform_code"); v != twin.StringValue("1") {
		t.Errorf("platform_code %v", v)
	}
	// The station is served by the routes of its platforms.
	if s := byID["gtfs:stop/S"]; s == nil || len(s.Links) != 2 {
		t.Errorf("station links %+v", s)
	}
	if o := byID["gtfs:stop/ORPHAN"]; o == nil || len(o.Links) != 0 {
		t.Errorf("orphan %+v", o)
	}
	// Without shapes, a route's line runs through the stops of its longest trip.
	r1 := byID["gtfs:route/R1"]
	want := orb.LineString{{24.95, 60.16}, {24.941, 60.171}, {24.942, 60.172}, {24.95, 60.16}}
	if ls, ok := r1.Geometry.(orb.LineString); !ok || !ls.Equal(want) {
		t.Errorf("R1 geometry %v, want %v", r1.Geometry, want)
	}
	if v, _ := byID["gtfs:route/R2"].Props.Get("mode"); v != twin.StringValue("ferry") {
		t.Errorf("R2 mode %v", v)
	}
	if v, _ := r1.Props.Get("agency"); v != twin.StringValue("Metro, Inc.") {
		t.Errorf("R1 agency %v", v)
	}
}

func TestReadErrors(t *testing.T) {
	base := func() map[string]string {
		m := map[string]string{}
		for k, v := range small {
			m[strings.TrimPrefix(k, "feed/")] = v
		}
		return m
	}
	for _, tc := range []struct {
		name   string
		edit   func(map[string]string)
		want   error
		naming string
	}{
		{"no stop_times", func(m map[string]string) { delete(m, "stop_times.txt") }, ErrMissingFile, "stop_times.txt"},
		{"no agency", func(m map[string]string) { delete(m, "agency.txt") }, ErrMissingFile, "agency.txt"},
		{"no calendar", func(m map[string]string) { delete(m, "calendar_dates.txt") }, ErrMissingFile, "calendar"},
		{"no stop_id column", func(m map[string]string) { m["stops.txt"] = "stop_name\nx\n" }, ErrFormat, "stop_id"},
		{"empty routes", func(m map[string]string) { m["routes.txt"] = "" }, ErrFormat, "routes.txt"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := base()
			tc.edit(m)
			data := makeZip(t, m)
			_, err := Read(context.Background(), bytes.NewReader(data), int64(len(data)))
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.naming) {
				t.Fatalf("err = %v, want %v naming %s", err, tc.want, tc.naming)
			}
		})
	}
	if _, err := Read(context.Background(), strings.NewReader("not a zip"), 9); !errors.Is(err, ErrFormat) {
		t.Errorf("not a zip: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	data := makeZip(t, small)
	if _, err := Read(ctx, bytes.NewReader(data), int64(len(data))); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}

func TestModeOf(t *testing.T) {
	for _, tc := range []struct {
		typ  int
		want string
	}{
		{0, "tram"}, {1, "metro"}, {2, "rail"}, {3, "bus"}, {4, "ferry"}, {5, "cable_tram"}, {6, "aerial_lift"},
		{7, "funicular"}, {11, "trolleybus"}, {12, "monorail"}, {8, ""}, {99, ""},
		{100, "rail"}, {109, "rail"}, {200, "coach"}, {400, "metro"}, {405, "monorail"}, {700, "bus"}, {717, "bus"},
		{800, "trolleybus"}, {900, "tram"}, {1000, "ferry"}, {1100, "air"}, {1200, "ferry"}, {1300, "aerial_lift"},
		{1400, "funicular"}, {1500, "taxi"}, {1600, "self_drive"}, {1700, "other"}, {1702, "other"}, {1800, ""}, {-1, ""},
	} {
		if got := ModeOf(tc.typ); got != tc.want {
			t.Errorf("ModeOf(%d) = %q, want %q", tc.typ, got, tc.want)
		}
	}
}

func TestParseTimeAndDate(t *testing.T) {
	for _, tc := range []struct {
		s    string
		want int32
		ok   bool
	}{
		{"08:00:00", 28800, true}, {"8:00:00", 28800, true}, {"25:35:00", 92100, true}, {"100:00:00", 360000, true},
		{"08:60:00", 0, false}, {"08:00", 0, false}, {"-1:00:00", 0, false}, {"aa:00:00", 0, false}, {"", 0, false},
	} {
		got, ok := ParseTime(tc.s)
		if got != tc.want || ok != tc.ok {
			t.Errorf("ParseTime(%q) = %d, %v; want %d, %v", tc.s, got, ok, tc.want, tc.ok)
		}
	}
	if FormatTime(92100) != "25:35:00" {
		t.Error("FormatTime")
	}
	for _, tc := range []struct {
		s  string
		ok bool
	}{{"20240229", true}, {"20230229", false}, {"2024011", false}, {"2024-1-1", false}} {
		if _, ok := ParseDate(tc.s); ok != tc.ok {
			t.Errorf("ParseDate(%q) ok = %v", tc.s, ok)
		}
	}
}
