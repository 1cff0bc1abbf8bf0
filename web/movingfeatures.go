package web

import (
	"errors"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"citytwin/twin"
)

// OGC API – Moving Features (part 1): a moving entity's track as a temporal
// geometry sequence, /collections/{c}/items/{id}/tgsequence.

// tgsequenceSuffix ends the path of a feature's temporal geometry sequence.
const tgsequenceSuffix = "/tgsequence"

// maxTrackPoints caps the positions one tgsequence answer carries.
const maxTrackPoints = 100_000

// temporalGeometrySequence is MF-JSON's TemporalGeometrySequence.
type temporalGeometrySequence struct {
	Type             string        `json:"type"`
	GeometrySequence []movingPoint `json:"geometrySequence"`
	NumberMatched    int           `json:"numberMatched"`
	NumberReturned   int           `json:"numberReturned"`
	TimeStamp        string        `json:"timeStamp"`
	Links            []Link        `json:"links"`
}

// movingPoint is MF-JSON's MovingPoint temporal geometry.
type movingPoint struct {
	Type          string       `json:"type"`
	ID            string       `json:"id"`
	Datetimes     []string     `json:"datetimes"`
	Coordinates   [][2]float64 `json:"coordinates"`
	Interpolation string       `json:"interpolation"`
}

var tgsequenceParams = []string{"datetime", "limit", "f"}

// tgsequence answers the track of a moving feature, optionally within a
// datetime interval (a/b, ../b, a/..) or up to an instant.
func (s *Server) tgsequence(w http.ResponseWriter, r *http.Request, cid string, kind twin.Kind, fid string) {
	v, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		writeProblem(w, paramProblem(r, &ParamError{Name: "query", Reason: "the query string is malformed: " + err.Error()}))
		return
	}
	from, to, limit, perr := parseTrackParams(v)
	if perr != nil {
		writeProblem(w, paramProblem(r, perr))
		return
	}
	e, err := s.store.Get(twin.ID(fid))
	if errors.Is(err, twin.ErrNotFound) || err == nil && e.Kind != kind {
		writeProblem(w, notFound(r, "there is no feature "+quote(fid)+" in "+cid))
		return
	}
	if err != nil {
		s.queryError(w, r, err)
		return
	}
	track, err := s.track(w, r, twin.ID(fid), from, to) // history.go
	if errors.Is(err, twin.ErrNotFound) {
		writeProblem(w, notFound(r, "feature "+quote(fid)+" has not moved: it has no temporal geometry"))
		return
	}
	if err != nil {
		s.queryError(w, r, err)
		return
	}
	matched := len(track)
	if len(track) > limit {
		track = track[:limit]
	}
	mp := movingPoint{Type: "MovingPoint", ID: fid, Interpolation: "Linear",
		Datetimes: make([]string, len(track)), Coordinates: make([][2]float64, len(track))}
	for i, p := range track {
		mp.Datetimes[i] = twin.Time(p.T).Format(time.RFC3339Nano)
		mp.Coordinates[i] = [2]float64{p.Point[0], p.Point[1]}
	}
	base := s.base(r)
	seq := temporalGeometrySequence{
		Type: "TemporalGeometrySequence", GeometrySequence: []movingPoint{mp},
		NumberMatched: matched, NumberReturned: len(track),
		TimeStamp: s.now().UTC().Format(time.RFC3339),
		Links: []Link{
			{Href: href(base, featurePath(cid, fid)+tgsequenceSuffix, v), Rel: "self", Type: ContentTypeJSON, Title: "This track"},
			{Href: base + featurePath(cid, fid), Rel: "up", Type: ContentTypeGeoJSON, Title: "The feature"},
		},
	}
	if matched > len(track) {
		next := cloneValues(v)
		next.Set("datetime", twin.Time(track[len(track)-1].T+1).Format(time.RFC3339Nano)+"/"+intervalEnd(to))
		seq.Links = append(seq.Links, Link{Href: href(base, featurePath(cid, fid)+tgsequenceSuffix, next), Rel: "next", Type: ContentTypeJSON, Title: "The rest of the track"})
	}
	s.writeJSON(w, r, ContentTypeJSON, seq)
}

func intervalEnd(to int64) string {
	if to == math.MaxInt64 {
		return ".."
	}
	return twin.Time(to).Format(time.RFC3339Nano)
}

// parseTrackParams reads datetime (an instant: the track up to it; an interval:
// the part within it) and limit (1..maxTrackPoints, default all up to the cap).
func parseTrackParams(v url.Values) (from, to int64, limit int, perr *ParamError) {
	from, to, limit = math.MinInt64, math.MaxInt64, maxTrackPoints
	if perr = checkParams(v, tgsequenceParams); perr != nil {
		return
	}
	if perr = checkFormat(v, "json"); perr != nil {
		return
	}
	if s, ok, err := single(v, "limit"); err != nil {
		return from, to, limit, err
	} else if ok {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > maxTrackPoints {
			return from, to, limit, paramErrorf("limit", "%q: want a whole number of positions from 1 to %d", clip(s), maxTrackPoints)
		}
		limit = n
	}
	s, ok, err := single(v, "datetime")
	if err != nil || !ok {
		return from, to, limit, err
	}
	a, b, isInterval := strings.Cut(s, "/")
	if !isInterval {
		t, perr := parseInstant(s)
		return from, t + 1, limit, perr
	}
	if open(a) && open(b) {
		return from, to, limit, nil
	}
	if !open(a) {
		t, err := parseTime(a)
		if err != nil {
			return from, to, limit, paramErrorf("datetime", "%q: the start is not an RFC 3339 instant", clip(a))
		}
		from = t.UnixNano()
	}
	if !open(b) {
		t, err := parseTime(b)
		if err != nil {
			return from, to, limit, paramErrorf("datetime", "%q: the end is not an RFC 3339 instant", clip(b))
		}
		to = t.UnixNano() + 1 // the end is inclusive
	}
	if from >= to {
		return from, to, limit, paramErrorf("datetime", "%q: the interval ends before it starts", clip(s))
	}
	return from, to, limit, nil
}
