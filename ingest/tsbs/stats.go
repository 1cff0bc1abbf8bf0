package tsbs

import "maps"

// Stats count what a Feed has read and emitted.
type Stats struct {
	Rows          int64            // data rows read, rejected ones included
	Measurements  map[string]int64 // rows per measurement, of the rows the Reader could read
	Rejected      map[string]int64 // rejected rows, by reason (the Reject… constants)
	Observations  int64            // observations emitted
	Positions     int64            // positions emitted
	BadPositions  int64            // latitude and longitude outside WGS84: observed, not placed
	Entities      int64            // entities upserted (one per truck or host)
	Patches       int64            // patches filling attributes the first row lacked
	Disagreements int64            // attribute values that differ from the entity's: ignored
	BlankFields   int64            // blanked field values in the rows kept
	BlankTags     int64            // blanked tags (attributes) in the rows kept
}

// RejectedRows is the number of rows rejected for any reason.
func (s Stats) RejectedRows() int64 {
	var n int64
	for _, c := range s.Rejected {
		n += c
	}
	return n
}

// Values is the number of values emitted: observations and positions.
func (s Stats) Values() int64 { return s.Observations + s.Positions }

// Stats returns what the feed has counted so far.
func (f *Feed) Stats() Stats {
	s := f.stats
	s.Rejected = maps.Clone(f.rejected)
	s.Measurements = make(map[string]int64, len(f.meas))
	for _, m := range f.meas {
		if m.rows > 0 {
			s.Measurements[m.spec.name] = m.rows
		}
	}
	return s
}
