package gtfs

import (
	"sort"
	"strconv"
	"time"
)

// Date is a calendar date as GTFS writes it, YYYYMMDD as a number (20140526).
type Date int32

// ParseDate parses YYYYMMDD.
func ParseDate(s string) (Date, bool) {
	if len(s) != 8 {
		return 0, false
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return 0, false
	}
	d := Date(n)
	if t := d.Time(); t.Year() != n/10000 || int(t.Month()) != n/100%100 || t.Day() != n%100 {
		return 0, false // 20140231 and the like
	}
	return d, true
}

// DateOf is the date of t in t's location.
func DateOf(t time.Time) Date {
	y, m, d := t.Date()
	return Date(y*10000 + int(m)*100 + d)
}

// Time is midnight UTC of d.
func (d Date) Time() time.Time {
	return time.Date(int(d)/10000, time.Month(int(d)/100%100), int(d)%100, 0, 0, 0, 0, time.UTC)
}

func (d Date) String() string { return strconv.Itoa(int(d)) }

// Service says on which dates trips run: weekly days between Start and End
// (calendar.txt), then dates added or removed (calendar_dates.txt).
type Service struct {
	ID         string
	Days       [7]bool // indexed by time.Weekday: Days[time.Sunday] …
	Start, End Date    // 0 when the service has no calendar.txt row
	Added      map[Date]bool
	Removed    map[Date]bool
}

// Active reports whether the service runs on date (its year, month and day in
// its own location).
func (s *Service) Active(date time.Time) bool {
	return s.ActiveOn(DateOf(date))
}

// ActiveOn reports whether the service runs on d.
func (s *Service) ActiveOn(d Date) bool {
	if s.Added[d] {
		return true
	}
	if s.Removed[d] {
		return false
	}
	return s.Start != 0 && d >= s.Start && d <= s.End && s.Days[d.Time().Weekday()]
}

// Trip is one run of a route, as schedule data.
type Trip struct {
	ID, RouteID, ServiceID string
	Headsign, ShortName    string
	Direction              int // direction_id 0 or 1; -1 when not given
	ShapeID, BlockID       string
	StopTimes              []StopTime  // by stop_sequence
	Frequencies            []Frequency // when the trip repeats (frequencies.txt)
}

// StopTime is one call of a trip at a stop. Times are seconds since the service
// day's midnight (noon minus 12 h), past 86400 for calls after midnight; -1 when
// the feed leaves them to interpolation.
type StopTime struct {
	StopID             string
	Sequence           int // stop_sequence as given
	Arrival, Departure int32
	Headsign           string
	PickupType         int // 0 regular, 1 none, 2 phone, 3 ask the driver
	DropOffType        int
}

// Frequency repeats a trip: its first departure shifted to every Headway from
// Start to before End (seconds since the service day's midnight).
type Frequency struct {
	Start, End, Headway int32
	Exact               bool
}

// Schedule is the timetable of a feed, kept for streams and simulations.
type Schedule struct {
	Trips    map[string]*Trip
	Services map[string]*Service
	byStop   map[string][]stopCall
}

// stopCall is call Index of Trip.
type stopCall struct {
	trip  *Trip
	index int
}

// Active reports whether service id runs on date; false for an unknown service.
func (s *Schedule) Active(serviceID string, date time.Time) bool {
	sv := s.Services[serviceID]
	return sv != nil && sv.Active(date)
}

// Departure is one departure from a stop on a service day.
type Departure struct {
	TripID, RouteID    string
	Headsign           string
	StopIndex          int   // index into the trip's StopTimes
	Arrival, Departure int32 // seconds since the service day's midnight
}

// Departures lists the departures from stopID of trips running on date's
// service day, with a departure time in [from, to) counted from the service
// day's midnight (so from 0 to 30 h also finds trips after midnight), sorted by
// time. Frequency-based trips are expanded; calls where passengers cannot board
// (pickup_type 1) and the last call of a trip are left out, as are calls
// without a time.
func (s *Schedule) Departures(stopID string, date time.Time, from, to time.Duration) []Departure {
	d := DateOf(date)
	lo, hi := int64(from/time.Second), int64(to/time.Second)
	var out []Departure
	for _, c := range s.byStop[stopID] {
		tr := c.trip
		sv := s.Services[tr.ServiceID]
		if sv == nil || !sv.ActiveOn(d) || c.index == len(tr.StopTimes)-1 {
			continue
		}
		st := tr.StopTimes[c.index]
		if st.PickupType == 1 || st.Departure < 0 {
			continue
		}
		headsign := st.Headsign
		if headsign == "" {
			headsign = tr.Headsign
		}
		add := func(offset int32) {
			dep := int64(st.Departure) + int64(offset)
			if dep >= lo && dep < hi {
				arr := st.Arrival
				if arr < 0 {
					arr = st.Departure
				}
				out = append(out, Departure{TripID: tr.ID, RouteID: tr.RouteID, Headsign: headsign, StopIndex: c.index,
					Arrival: arr + offset, Departure: st.Departure + offset})
			}
		}
		if len(tr.Frequencies) == 0 {
			add(0)
			continue
		}
		first := tr.StopTimes[0].Departure
		if first < 0 {
			continue
		}
		for _, f := range tr.Frequencies {
			for t := f.Start; t < f.End; t += f.Headway {
				add(t - first)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Departure != out[j].Departure {
			return out[i].Departure < out[j].Departure
		}
		return out[i].TripID < out[j].TripID
	})
	return out
}

// index builds the stop → calls index after loading.
func (s *Schedule) index() {
	s.byStop = map[string][]stopCall{}
	ids := make([]string, 0, len(s.Trips))
	for id := range s.Trips {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		tr := s.Trips[id]
		for i, st := range tr.StopTimes {
			s.byStop[st.StopID] = append(s.byStop[st.StopID], stopCall{tr, i})
		}
	}
}
