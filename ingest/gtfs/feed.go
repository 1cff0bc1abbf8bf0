package gtfs

import (
	"archive/zip"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"sort"
	"strings"

	"github.com/paulmach/orb"
)

// Errors of the reader.
var (
	// ErrMissingFile is a required file absent from the feed; the error names it.
	ErrMissingFile = errors.New("gtfs: required file missing")
	// ErrFormat is a file that cannot be read at all (not a zip, no header, a
	// required column absent).
	ErrFormat = errors.New("gtfs: bad format")
)

// Agency is a row of agency.txt.
type Agency struct {
	ID, Name, URL, Timezone, Lang, Phone string
}

// Stop is a row of stops.txt.
type Stop struct {
	ID, Code, Name, Desc string
	Point                orb.Point // lon, lat; zero when the stop has no position
	HasPoint             bool
	ZoneID               string
	// LocationType: 0 stop or platform, 1 station, 2 entrance/exit, 3 generic
	// node, 4 boarding area.
	LocationType       int
	ParentStation      string
	WheelchairBoarding int // 0 unknown, 1 some, 2 none
	PlatformCode       string

	line int // in stops.txt, for rejects found later
}

// Route is a row of routes.txt.
type Route struct {
	ID, AgencyID, ShortName, LongName, Desc string
	Type                                    int // route_type, basic (0–12) or extended (100–1799)
	URL, Color, TextColor                   string
}

// Mode is the route's mode name; see ModeOf.
func (r *Route) Mode() string { return ModeOf(r.Type) }

// Feed is a static GTFS feed as read: its rows, in file order, and its schedule.
type Feed struct {
	Agencies []Agency
	Stops    []Stop
	Routes   []Route
	// Shapes are the shapes' points ordered by shape_pt_sequence, lon/lat.
	Shapes   map[string]orb.LineString
	Schedule *Schedule
	// Rejects are the rows left out, and why; the rest of the feed is kept.
	Rejects []Reject
	// Files are the names of the feed's files that were found.
	Files []string

	stopIdx      map[string]int
	routeIdx     map[string]int
	tripsByRoute map[string][]*Trip
}

// Stop returns the stop with id.
func (f *Feed) Stop(id string) (*Stop, bool) {
	i, ok := f.stopIdx[id]
	if !ok {
		return nil, false
	}
	return &f.Stops[i], true
}

// Route returns the route with id.
func (f *Feed) Route(id string) (*Route, bool) {
	i, ok := f.routeIdx[id]
	if !ok {
		return nil, false
	}
	return &f.Routes[i], true
}

// ReadFile reads a GTFS zip file; see Read.
func ReadFile(ctx context.Context, name string) (*Feed, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	feed, err := Read(ctx, f, st.Size())
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	return feed, nil
}

// Read reads a static GTFS zip. Files may sit at the root or in one folder.
// agency, stops, routes, trips and stop_times are required, and calendar or
// calendar_dates; a missing one is ErrMissingFile naming it. Bad rows are
// rejected (Feed.Rejects) and the rest kept.
func Read(ctx context.Context, r io.ReaderAt, size int64) (*Feed, error) {
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return nil, fmt.Errorf("%w: not a zip: %v", ErrFormat, err)
	}
	files := map[string]*zip.File{}
	for _, zf := range zr.File {
		base := strings.ToLower(path.Base(zf.Name))
		if !strings.HasSuffix(base, ".txt") || zf.FileInfo().IsDir() {
			continue
		}
		// Files at the root win over ones in a folder.
		if old, ok := files[base]; !ok || strings.Count(zf.Name, "/") < strings.Count(old.Name, "/") {
			files[base] = zf
		}
	}
	return readFiles(ctx, func(name string) (io.ReadCloser, bool, error) {
		zf, ok := files[name]
		if !ok {
			return nil, false, nil
		}
		rc, err := zf.Open()
		return rc, true, err
	})
}

// opener opens one file of a feed; false when there is no such file.
type opener func(name string) (io.ReadCloser, bool, error)

type loader struct {
	ctx  context.Context
	open opener
	f    *Feed
}

func readFiles(ctx context.Context, open opener) (*Feed, error) {
	l := &loader{ctx: ctx, open: open, f: &Feed{
		Shapes:   map[string]orb.LineString{},
		Schedule: &Schedule{Trips: map[string]*Trip{}, Services: map[string]*Service{}},
		stopIdx:  map[string]int{},
		routeIdx: map[string]int{},
	}}
	steps := []struct {
		file     string
		required bool
		read     func(*table) error
	}{
		{"agency.txt", true, l.agencies},
		{"stops.txt", true, l.stops},
		{"routes.txt", true, l.routes},
		{"calendar.txt", false, l.calendar},
		{"calendar_dates.txt", false, l.calendarDates},
		{"shapes.txt", false, l.shapes},
		{"trips.txt", true, l.trips},
		{"stop_times.txt", true, l.stopTimes},
		{"frequencies.txt", false, l.frequencies},
	}
	for _, s := range steps {
		found, err := l.file(s.file, s.read)
		if err != nil {
			return nil, err
		}
		if !found && s.required {
			return nil, fmt.Errorf("%w: %s", ErrMissingFile, s.file)
		}
		if found {
			l.f.Files = append(l.f.Files, s.file)
		}
		if s.file == "calendar_dates.txt" && !found && !l.has("calendar.txt") {
			return nil, fmt.Errorf("%w: calendar.txt or calendar_dates.txt", ErrMissingFile)
		}
	}
	l.finish()
	return l.f, nil
}

func (l *loader) has(file string) bool {
	for _, f := range l.f.Files {
		if f == file {
			return true
		}
	}
	return false
}

// file reads one file with read, if the feed has it.
func (l *loader) file(name string, read func(*table) error) (bool, error) {
	rc, ok, err := l.open(name)
	if !ok {
		return false, nil
	}
	if err != nil {
		return true, fmt.Errorf("%s: %w: %v", name, ErrFormat, err)
	}
	defer rc.Close()
	t, err := newTable(name, rc, &l.f.Rejects)
	if err != nil {
		return true, err
	}
	return true, read(t)
}

// rows calls row for every row of t, checking for cancellation now and then; a
// row error other than errRow stops the file.
func (l *loader) rows(t *table, row func() error) error {
	for n := 0; t.next(); n++ {
		if n%8192 == 0 {
			if err := l.ctx.Err(); err != nil {
				return err
			}
		}
		if err := row(); err != nil && !errors.Is(err, errRow) {
			return err
		}
	}
	return nil
}

func (l *loader) agencies(t *table) error {
	if err := t.require("agency_name"); err != nil {
		return err
	}
	return l.rows(t, func() error {
		name, err := t.need("agency_name")
		if err != nil {
			return err
		}
		l.f.Agencies = append(l.f.Agencies, Agency{ID: t.str("agency_id"), Name: name, URL: t.str("agency_url"),
			Timezone: t.str("agency_timezone"), Lang: t.str("agency_lang"), Phone: t.str("agency_phone")})
		return nil
	})
}

func (l *loader) stops(t *table) error {
	if err := t.require("stop_id"); err != nil {
		return err
	}
	return l.rows(t, func() error {
		id, err := t.need("stop_id")
		if err != nil {
			return err
		}
		if _, dup := l.f.stopIdx[id]; dup {
			t.rejectRow("stop_id", "duplicate stop_id %q", id)
			return errRow
		}
		s := Stop{ID: id, Code: t.str("stop_code"), Name: t.str("stop_name"), Desc: t.str("stop_desc"),
			ZoneID: t.str("zone_id"), ParentStation: t.str("parent_station"), PlatformCode: t.str("platform_code"),
			line: t.line}
		if s.LocationType, err = t.intOr("location_type", 0); err != nil {
			return err
		}
		if s.LocationType < 0 || s.LocationType > 4 {
			t.rejectRow("location_type", "%d is not 0..4", s.LocationType)
			return errRow
		}
		if s.WheelchairBoarding, err = t.intOr("wheelchair_boarding", 0); err != nil {
			return err
		}
		// Generic nodes and boarding areas may have no position.
		if s.LocationType <= 2 || t.str("stop_lat") != "" || t.str("stop_lon") != "" {
			lat, err := t.float("stop_lat", -90, 90)
			if err != nil {
				return err
			}
			lon, err := t.float("stop_lon", -180, 180)
			if err != nil {
				return err
			}
			s.Point, s.HasPoint = orb.Point{lon, lat}, true
		}
		l.f.stopIdx[id] = len(l.f.Stops)
		l.f.Stops = append(l.f.Stops, s)
		return nil
	})
}

func (l *loader) routes(t *table) error {
	if err := t.require("route_id", "route_type"); err != nil {
		return err
	}
	return l.rows(t, func() error {
		id, err := t.need("route_id")
		if err != nil {
			return err
		}
		if _, dup := l.f.routeIdx[id]; dup {
			t.rejectRow("route_id", "duplicate route_id %q", id)
			return errRow
		}
		r := Route{ID: id, AgencyID: t.str("agency_id"), ShortName: t.str("route_short_name"),
			LongName: t.str("route_long_name"), Desc: t.str("route_desc"), URL: t.str("route_url"),
			Color: t.str("route_color"), TextColor: t.str("route_text_color")}
		if _, err := t.need("route_type"); err != nil {
			return err
		}
		if r.Type, err = t.intOr("route_type", 0); err != nil {
			return err
		}
		if ModeOf(r.Type) == "" {
			t.rejectRow("route_type", "unknown route_type %d", r.Type)
			return errRow
		}
		l.f.routeIdx[id] = len(l.f.Routes)
		l.f.Routes = append(l.f.Routes, r)
		return nil
	})
}

func (l *loader) service(id string) *Service {
	s := l.f.Schedule.Services[id]
	if s == nil {
		s = &Service{ID: id}
		l.f.Schedule.Services[id] = s
	}
	return s
}

var weekdays = [7]string{"sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"}

func (l *loader) calendar(t *table) error {
	if err := t.require(append([]string{"service_id", "start_date", "end_date"}, weekdays[:]...)...); err != nil {
		return err
	}
	return l.rows(t, func() error {
		id, err := t.need("service_id")
		if err != nil {
			return err
		}
		var days [7]bool
		for i, w := range weekdays {
			switch t.str(w) {
			case "1":
				days[i] = true
			case "0":
			default:
				t.rejectRow(w, "%q is not 0 or 1", t.str(w))
				return errRow
			}
		}
		start, err := t.date("start_date")
		if err != nil {
			return err
		}
		end, err := t.date("end_date")
		if err != nil {
			return err
		}
		if end < start {
			t.rejectRow("end_date", "%v before start_date %v", end, start)
			return errRow
		}
		if s := l.f.Schedule.Services[id]; s != nil && s.Start != 0 {
			t.rejectRow("service_id", "duplicate service_id %q", id)
			return errRow
		}
		s := l.service(id)
		s.Days, s.Start, s.End = days, start, end
		return nil
	})
}

func (l *loader) calendarDates(t *table) error {
	if err := t.require("service_id", "date", "exception_type"); err != nil {
		return err
	}
	return l.rows(t, func() error {
		id, err := t.need("service_id")
		if err != nil {
			return err
		}
		d, err := t.date("date")
		if err != nil {
			return err
		}
		s := l.service(id)
		switch t.str("exception_type") {
		case "1":
			if s.Added == nil {
				s.Added = map[Date]bool{}
			}
			s.Added[d] = true
			delete(s.Removed, d)
		case "2":
			if s.Removed == nil {
				s.Removed = map[Date]bool{}
			}
			s.Removed[d] = true
			delete(s.Added, d)
		default:
			t.rejectRow("exception_type", "%q is not 1 or 2", t.str("exception_type"))
			return errRow
		}
		return nil
	})
}

func (l *loader) shapes(t *table) error {
	if err := t.require("shape_id", "shape_pt_lat", "shape_pt_lon", "shape_pt_sequence"); err != nil {
		return err
	}
	type pt struct {
		seq int
		p   orb.Point
	}
	pts := map[string][]pt{}
	err := l.rows(t, func() error {
		id, err := t.need("shape_id")
		if err != nil {
			return err
		}
		lat, err := t.float("shape_pt_lat", -90, 90)
		if err != nil {
			return err
		}
		lon, err := t.float("shape_pt_lon", -180, 180)
		if err != nil {
			return err
		}
		if _, err := t.need("shape_pt_sequence"); err != nil {
			return err
		}
		seq, err := t.intOr("shape_pt_sequence", 0)
		if err != nil {
			return err
		}
		pts[id] = append(pts[id], pt{seq, orb.Point{lon, lat}})
		return nil
	})
	if err != nil {
		return err
	}
	for id, ps := range pts {
		sort.SliceStable(ps, func(i, j int) bool { return ps[i].seq < ps[j].seq })
		ls := make(orb.LineString, len(ps))
		for i, p := range ps {
			ls[i] = p.p
		}
		l.f.Shapes[id] = ls
	}
	return nil
}

func (l *loader) trips(t *table) error {
	if err := t.require("route_id", "service_id", "trip_id"); err != nil {
		return err
	}
	sch := l.f.Schedule
	return l.rows(t, func() error {
		id, err := t.need("trip_id")
		if err != nil {
			return err
		}
		if _, dup := sch.Trips[id]; dup {
			t.rejectRow("trip_id", "duplicate trip_id %q", id)
			return errRow
		}
		tr := &Trip{ID: id, RouteID: t.str("route_id"), ServiceID: t.str("service_id"), Headsign: t.str("trip_headsign"),
			ShortName: t.str("trip_short_name"), ShapeID: t.str("shape_id"), BlockID: t.str("block_id")}
		if _, ok := l.f.routeIdx[tr.RouteID]; !ok {
			t.rejectRow("route_id", "unknown route_id %q", tr.RouteID)
			return errRow
		}
		if _, ok := sch.Services[tr.ServiceID]; !ok {
			t.rejectRow("service_id", "service_id %q not in calendar.txt or calendar_dates.txt", tr.ServiceID)
			return errRow
		}
		if tr.Direction, err = t.intOr("direction_id", -1); err != nil {
			return err
		}
		if tr.Direction < -1 || tr.Direction > 1 {
			t.rejectRow("direction_id", "%d is not 0 or 1", tr.Direction)
			return errRow
		}
		if _, ok := l.f.Shapes[tr.ShapeID]; tr.ShapeID != "" && !ok {
			t.rejectRow("shape_id", "unknown shape_id %q (trip kept without shape)", tr.ShapeID)
			tr.ShapeID = ""
		}
		sch.Trips[id] = tr
		return nil
	})
}

func (l *loader) stopTimes(t *table) error {
	if err := t.require("trip_id", "stop_id", "stop_sequence"); err != nil {
		return err
	}
	sch := l.f.Schedule
	var last *Trip // stop_times are usually grouped by trip
	err := l.rows(t, func() error {
		id, err := t.need("trip_id")
		if err != nil {
			return err
		}
		tr := last
		if tr == nil || tr.ID != id {
			if tr = sch.Trips[id]; tr == nil {
				t.rejectRow("trip_id", "unknown trip_id %q", id)
				return errRow
			}
			last = tr
		}
		st := StopTime{Headsign: t.str("stop_headsign")}
		if st.StopID, err = t.need("stop_id"); err != nil {
			return err
		}
		if _, ok := l.f.stopIdx[st.StopID]; !ok {
			t.rejectRow("stop_id", "unknown stop_id %q", st.StopID)
			return errRow
		}
		if _, err := t.need("stop_sequence"); err != nil {
			return err
		}
		if st.Sequence, err = t.intOr("stop_sequence", 0); err != nil {
			return err
		}
		if st.Sequence < 0 {
			t.rejectRow("stop_sequence", "%d is negative", st.Sequence)
			return errRow
		}
		if st.Arrival, err = t.timeOr("arrival_time"); err != nil {
			return err
		}
		if st.Departure, err = t.timeOr("departure_time"); err != nil {
			return err
		}
		if st.Arrival < 0 {
			st.Arrival = st.Departure
		}
		if st.Departure < 0 {
			st.Departure = st.Arrival
		}
		if st.Departure < st.Arrival {
			t.rejectRow("departure_time", "%s before arrival_time %s", FormatTime(st.Departure), FormatTime(st.Arrival))
			return errRow
		}
		if st.PickupType, err = t.intOr("pickup_type", 0); err != nil {
			return err
		}
		if st.DropOffType, err = t.intOr("drop_off_type", 0); err != nil {
			return err
		}
		tr.StopTimes = append(tr.StopTimes, st)
		return nil
	})
	if err != nil {
		return err
	}
	for _, tr := range sch.Trips {
		sts := tr.StopTimes
		if !sort.SliceIsSorted(sts, func(i, j int) bool { return sts[i].Sequence < sts[j].Sequence }) {
			sort.SliceStable(sts, func(i, j int) bool { return sts[i].Sequence < sts[j].Sequence })
		}
		// A repeated stop_sequence keeps the first row.
		out := sts[:0]
		for i, st := range sts {
			if i > 0 && st.Sequence == sts[i-1].Sequence {
				l.f.Rejects = append(l.f.Rejects, Reject{File: "stop_times.txt", Column: "stop_sequence",
					Reason: fmt.Sprintf("trip %q: duplicate stop_sequence %d", tr.ID, st.Sequence)})
				continue
			}
			out = append(out, st)
		}
		tr.StopTimes = out
	}
	return nil
}

func (l *loader) frequencies(t *table) error {
	if err := t.require("trip_id", "start_time", "end_time", "headway_secs"); err != nil {
		return err
	}
	return l.rows(t, func() error {
		id, err := t.need("trip_id")
		if err != nil {
			return err
		}
		tr := l.f.Schedule.Trips[id]
		if tr == nil {
			t.rejectRow("trip_id", "unknown trip_id %q", id)
			return errRow
		}
		var f Frequency
		if f.Start, err = t.timeOr("start_time"); err != nil {
			return err
		}
		if f.End, err = t.timeOr("end_time"); err != nil {
			return err
		}
		h, err := t.intOr("headway_secs", 0)
		if err != nil {
			return err
		}
		if h <= 0 || f.Start < 0 || f.End < f.Start {
			t.rejectRow("headway_secs", "need start_time <= end_time and headway_secs > 0")
			return errRow
		}
		f.Headway = int32(min(h, 1<<30))
		f.Exact = t.str("exact_times") == "1"
		tr.Frequencies = append(tr.Frequencies, f)
		return nil
	})
}

// finish checks references between files and builds the schedule's index.
func (l *loader) finish() {
	for i := range l.f.Stops {
		s := &l.f.Stops[i]
		if s.ParentStation == "" {
			continue
		}
		if _, ok := l.f.stopIdx[s.ParentStation]; !ok || s.ParentStation == s.ID {
			l.f.Rejects = append(l.f.Rejects, Reject{File: "stops.txt", Line: s.line, Column: "parent_station",
				Reason: fmt.Sprintf("stop %q: unknown parent_station %q (link dropped)", s.ID, s.ParentStation)})
			s.ParentStation = ""
		}
	}
	l.f.Schedule.index()
	l.f.tripsByRoute = map[string][]*Trip{}
	for _, tr := range l.f.Schedule.Trips {
		l.f.tripsByRoute[tr.RouteID] = append(l.f.tripsByRoute[tr.RouteID], tr)
	}
}
