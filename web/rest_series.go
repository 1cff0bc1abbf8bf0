package web

import (
	"errors"
	"math"
	"net/http"
	"net/url"
	"strings"
	"time"

	"citytwin/ingest/unit"
	"citytwin/twin"
	"citytwin/twin/series"
)

// Paths of the time-series endpoints.
const (
	latestPath    = "/api/v1/latest"
	aggregatePath = "/api/v1/aggregate"
)

// Limits of the time-series endpoints.
const (
	maxSeriesPoints = 100_000
	defSeriesPoints = 10_000
	maxLastN        = 10_000
	maxBuckets      = 100_000
)

// Query parameters of the time-series endpoints, in the order the OpenAPI
// document lists them.
var (
	seriesParams    = []string{"from", "to", "last", "before", pAt, pLimit, "format"}
	latestParams    = []string{"metric", pKind, pID, pBBox, pWithin, pIntersects, pNear, pCells, pRing, pWhere, pAt, "format"}
	aggregateParams = []string{"metric", "agg", "by", "step", "from", "to", pKind, pID, pBBox, pWithin, pIntersects, pNear, pCells, pRing, pWhere, pAt}
)

// seriesQuery is a parsed request for one channel.
type seriesQuery struct {
	from, to int64 // [from, to)
	last     int   // > 0: the last N before to
	limit    int
	columns  bool
}

// parseSeries reads from/to (RFC 3339, [from, to)) or last=N with before; at
// caps both at an instant (what was known then: points at or before it).
func parseSeries(v url.Values) (seriesQuery, *ParamError) {
	sq := seriesQuery{from: math.MinInt64, to: math.MaxInt64, limit: defSeriesPoints}
	if err := checkParams(v, seriesParams); err != nil {
		return sq, err
	}
	var err *ParamError
	each := func(name string, parse func(string) *ParamError) {
		if err != nil {
			return
		}
		s, ok, e := single(v, name)
		switch {
		case e != nil:
			err = e
		case ok:
			err = parse(s)
		}
	}
	var before, at int64
	each("from", func(s string) (e *ParamError) { sq.from, e = parseAt("from", s); return })
	each("to", func(s string) (e *ParamError) { sq.to, e = parseAt("to", s); return })
	each("before", func(s string) (e *ParamError) { before, e = parseAt("before", s); return })
	each("last", func(s string) (e *ParamError) { sq.last, e = parseInt("last", s, 1, maxLastN); return })
	each(pAt, func(s string) (e *ParamError) { at, e = parseAt(pAt, s); return })
	each(pLimit, func(s string) (e *ParamError) { sq.limit, e = parseInt(pLimit, s, 1, maxSeriesPoints); return })
	each("format", func(s string) *ParamError {
		switch s {
		case "points":
		case "columns":
			sq.columns = true
		default:
			return paramErrorf("format", "%q: want points or columns", clip(s))
		}
		return nil
	})
	switch {
	case err != nil:
		return sq, err
	case sq.last > 0 && (v.Has("from") || v.Has("to")):
		return sq, paramErrorf("last", "give last (with before) or from and to, not both")
	case sq.last == 0 && v.Has("before"):
		return sq, paramErrorf("before", "goes with last")
	case sq.from >= sq.to:
		return sq, paramErrorf("to", "is not after from")
	}
	if v.Has("before") {
		sq.to = before
	}
	if at != 0 && at < math.MaxInt64 && at+1 < sq.to {
		sq.to = at + 1
	}
	return sq, nil
}

// unitOf is the canonical unit a metric of e is stored in, when the entity
// records the unit its values were sent in; "" when unknown.
func unitOf(e *twin.Entity, metric string) string {
	v, ok := e.Props.Get("unit_sent." + metric)
	if !ok {
		return ""
	}
	s, _ := v.Str()
	c, err := unit.Lookup(s)
	if err != nil {
		return ""
	}
	return c.Canonical
}

// entitySeries serves GET /api/v1/entities/{id}/series/{metric}.
func (s *Server) entitySeries(w http.ResponseWriter, r *http.Request) {
	v, ok := query(w, r)
	if !ok {
		return
	}
	sq, perr := parseSeries(v)
	if perr != nil {
		writeProblem(w, paramProblem(r, perr))
		return
	}
	id, metric := twin.ID(r.PathValue("id")), r.PathValue("metric")
	e, err := s.store.Get(id)
	if err != nil {
		if e, err = s.lastVersion(id); err != nil {
			s.noEntity(w, r, string(id), "")
			return
		}
	}
	var pts []series.Point
	if sq.last > 0 {
		before := sq.to
		if before == math.MaxInt64 {
			before = 0
		}
		pts, err = s.seriesLast(w, r, id, metric, sq.last, before) // history.go
	} else {
		pts, err = s.seriesRange(w, r, id, metric, sq.from, sq.to) // history.go
	}
	switch {
	case errors.Is(err, twin.ErrNoChannel):
		writeProblem(w, notFound(r, "entity "+quote(string(id))+" has no series "+quote(metric)+"; "+entityPath(id)+"/metrics lists them"))
		return
	case err != nil:
		s.queryError(w, r, err)
		return
	}
	var next string
	if len(pts) > sq.limit {
		pts = pts[:sq.limit]
		nv := cloneValues(v)
		nv.Set("from", time.Unix(0, pts[len(pts)-1].T+1).UTC().Format(time.RFC3339Nano))
		next = href(s.base(r), r.URL.EscapedPath(), nv)
	}
	b := make([]byte, 0, 64+len(pts)*48)
	b = append(b, `{"entity":`...)
	b = appendString(b, string(id))
	b = append(b, `,"metric":`...)
	b = appendString(b, metric)
	if u := unitOf(&e, metric); u != "" {
		b = append(b, `,"unit":`...)
		b = appendString(b, u)
	}
	if sq.columns {
		b = append(b, `,"t":[`...)
		for i, p := range pts {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendInt(b, floorDiv(p.T, 1e6))
		}
		b = append(b, `],"v":[`...)
		for i, p := range pts {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendFloat(b, p.V)
		}
	} else {
		b = append(b, `,"points":[`...)
		for i, p := range pts {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, '[')
			b = appendTime(b, p.T)
			b = append(b, ',')
			b = appendFloat(b, p.V)
			b = append(b, ']')
		}
	}
	b = append(b, ']')
	if next != "" {
		b = append(b, `,"next":`...)
		b = appendString(b, next)
	}
	b = append(b, "}\n"...)
	writeBytes(w, ContentTypeJSON, http.StatusOK, b)
}

// lastVersion finds a deleted entity, whose series are still kept.
func (s *Server) lastVersion(id twin.ID) (twin.Entity, error) {
	vs, err := s.store.History(id)
	if err != nil {
		return twin.Entity{}, err
	}
	return vs[len(vs)-1], nil
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && a < 0 {
		q--
	}
	return q
}

// parseMetric reads the required metric parameter.
func parseMetric(v url.Values) (string, *ParamError) {
	m, ok, err := single(v, "metric")
	switch {
	case err != nil:
		return "", err
	case !ok || m == "":
		return "", paramErrorf("metric", "missing; name a metric such as pm25 (GET /api/v1/entities/{id}/metrics lists an entity's)")
	case len(m) > 256:
		return "", paramErrorf("metric", "longer than 256 bytes")
	}
	return m, nil
}

// parseLatest reads the parameters of GET /api/v1/latest.
func parseLatest(v url.Values) (metric string, q twin.Query, columns bool, err *ParamError) {
	if err = checkParams(v, latestParams); err != nil {
		return "", q, false, err
	}
	if metric, err = parseMetric(v); err != nil {
		return "", q, false, err
	}
	if err = parseSelection(v, &q); err != nil {
		return "", q, false, err
	}
	if s, ok, e := single(v, "format"); e != nil {
		return "", q, false, e
	} else if ok {
		switch s {
		case "values":
		case "columns":
			columns = true
		default:
			return "", q, false, paramErrorf("format", "%q: want values or columns", clip(s))
		}
	}
	return metric, q, columns, nil
}

// latest serves GET /api/v1/latest: the newest value of a metric of every
// matching entity, now or as of at.
func (s *Server) latest(w http.ResponseWriter, r *http.Request) {
	v, ok := query(w, r)
	if !ok {
		return
	}
	metric, q, columns, perr := parseLatest(v)
	if perr != nil {
		writeProblem(w, paramProblem(r, perr))
		return
	}
	ls, err := s.store.Latest(r.Context(), q, metric)
	if err != nil {
		s.queryError(w, r, err)
		return
	}
	s.writeLatest(w, metric, ls, columns)
}

func (s *Server) writeLatest(w http.ResponseWriter, metric string, ls []twin.Latest, columns bool) {
	size := 64
	for i := range ls {
		size += len(ls[i].ID) + 64
	}
	b := make([]byte, 0, size)
	b = append(b, `{"metric":`...)
	b = appendString(b, metric)
	b = append(b, `,"numberReturned":`...)
	b = appendInt(b, int64(len(ls)))
	if columns {
		b = append(b, `,"id":[`...)
		for i := range ls {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, string(ls[i].ID))
		}
		b = append(b, `],"t":[`...)
		for i := range ls {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendInt(b, floorDiv(ls[i].Point.T, 1e6))
		}
		b = append(b, `],"v":[`...)
		for i := range ls {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendFloat(b, ls[i].Point.V)
		}
	} else {
		b = append(b, `,"values":[`...)
		for i := range ls {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"id":`...)
			b = appendString(b, string(ls[i].ID))
			b = append(b, `,"t":`...)
			b = appendTime(b, ls[i].Point.T)
			b = append(b, `,"v":`...)
			b = appendFloat(b, ls[i].Point.V)
			b = append(b, '}')
		}
	}
	b = append(b, "]}\n"...)
	writeBytes(w, ContentTypeJSON, http.StatusOK, b)
}

// parseAggregate reads the parameters of GET /api/v1/aggregate: metric, agg
// (default avg), by=entity|time (default entity), step (a Go duration such as
// 15m, needed by time), from, to and the selection. With at and no to, the window
// ends at at.
func parseAggregate(v url.Values) (a twin.Aggregate, byTime bool, err *ParamError) {
	if err = checkParams(v, aggregateParams); err != nil {
		return a, false, err
	}
	if a.Metric, err = parseMetric(v); err != nil {
		return a, false, err
	}
	if a.Agg, err = parseAgg(v); err != nil {
		return a, false, err
	}
	if s, ok, e := single(v, "by"); e != nil {
		return a, false, e
	} else if ok {
		switch s {
		case "entity":
		case "time":
			byTime = true
		default:
			return a, false, paramErrorf("by", "%q: want entity or time", clip(s))
		}
	}
	if err = parseWindow(v, &a); err != nil {
		return a, false, err
	}
	if s, ok, e := single(v, "step"); e != nil {
		return a, false, e
	} else if ok {
		if !byTime {
			return a, false, paramErrorf("step", "goes with by=time")
		}
		d, derr := time.ParseDuration(s)
		if derr != nil || d < time.Millisecond {
			return a, false, paramErrorf("step", "%q: want a duration of at least 1ms such as 15m or 1h", clip(s))
		}
		a.Step = int64(d)
	} else if byTime {
		return a, false, paramErrorf("step", "missing; by=time needs a bucket width such as 15m")
	}
	if byTime && a.From != 0 && a.To != 0 && (a.To-a.From)/a.Step > maxBuckets {
		return a, false, paramErrorf("step", "%d buckets from from to to; at most %d", (a.To-a.From)/a.Step, maxBuckets)
	}
	if err = parseSelection(v, &a.Query); err != nil {
		return a, false, err
	}
	if a.To == 0 && a.Query.At != 0 && a.Query.At < math.MaxInt64 {
		a.To = a.Query.At + 1
	}
	if a.To != 0 && a.From >= a.To {
		return a, false, paramErrorf("to", "is not after from")
	}
	return a, byTime, nil
}

// parseAgg reads agg (default avg).
func parseAgg(v url.Values) (series.Agg, *ParamError) {
	s, ok, err := single(v, "agg")
	if err != nil || !ok {
		return series.Avg, err
	}
	agg, aerr := series.ParseAgg(s)
	if aerr != nil {
		return 0, paramErrorf("agg", "%q: want avg, min, max, sum, count, p50 or p95", clip(s))
	}
	return agg, nil
}

// parseWindow reads from and to into the window of a. The twin reads From = 0
// as the beginning and To = 0 as now.
func parseWindow(v url.Values, a *twin.Aggregate) *ParamError {
	for _, w := range []struct {
		name string
		into *int64
	}{{"from", &a.From}, {"to", &a.To}} {
		s, ok, err := single(v, w.name)
		if err != nil {
			return err
		}
		if ok {
			if *w.into, err = parseAt(w.name, s); err != nil {
				return err
			}
		}
	}
	return nil
}

// aggregate serves GET /api/v1/aggregate.
func (s *Server) aggregate(w http.ResponseWriter, r *http.Request) {
	v, ok := query(w, r)
	if !ok {
		return
	}
	a, byTime, perr := parseAggregate(v)
	if perr != nil {
		writeProblem(w, paramProblem(r, perr))
		return
	}
	b := make([]byte, 0, 256)
	b = append(b, `{"metric":`...)
	b = appendString(b, a.Metric)
	b = append(b, `,"agg":`...)
	b = appendString(b, strings.ToLower(a.Agg.String()))
	if byTime {
		bs, err := s.timeBuckets(w, r, a) // history.go
		if err != nil {
			s.queryError(w, r, err)
			return
		}
		b = append(b, `,"by":"time","step":`...)
		b = appendString(b, time.Duration(a.Step).String())
		b = append(b, `,"values":[`...)
		for i, x := range bs {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"t":`...)
			b = appendTime(b, x.Start)
			b = append(b, `,"value":`...)
			b = appendFloat(b, x.Value)
			b = append(b, `,"count":`...)
			b = appendInt(b, int64(x.Count))
			b = append(b, '}')
		}
	} else {
		es, err := s.entityValues(w, r, a) // history.go
		if err != nil {
			s.queryError(w, r, err)
			return
		}
		b = append(b, `,"by":"entity","values":[`...)
		for i, x := range es {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"id":`...)
			b = appendString(b, string(x.ID))
			b = append(b, `,"value":`...)
			b = appendFloat(b, x.Value)
			b = append(b, `,"count":`...)
			b = appendInt(b, int64(x.Count))
			b = append(b, '}')
		}
	}
	b = append(b, "]}\n"...)
	writeBytes(w, ContentTypeJSON, http.StatusOK, b)
}
