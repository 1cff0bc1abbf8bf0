package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"citytwin/twin"

	"github.com/paulmach/orb"
)

// Paths of the REST query endpoints.
const (
	entitiesPath = "/api/v1/entities"
	nearestPath  = "/api/v1/nearest"
	queryPath    = "/api/v1/query"
)

// nearestParams are the query parameters of GET /api/v1/nearest.
var nearestParams = []string{"point", "k", pKind, pID, pBBox, pWithin, pIntersects, pCells, pRing, pWhere, pAt}

// propDistance is the member nearest adds to each feature's properties.
const propDistance = "distance_m"

// entityPage is a page of entities: an OGC feature collection whose next
// member repeats the cursor of the next link, for POST /api/v1/query, whose
// next page is another POST.
type entityPage struct {
	FeatureCollection
	Next string `json:"next,omitempty"`
}

// ParseEntitiesParams turns the query parameters of GET /api/v1/entities into a
// twin query, with the default page limits. Every error is a *ParamError naming
// the parameter; any parameter the endpoint does not take is one. It never
// touches a store.
func ParseEntitiesParams(v url.Values) (twin.Query, error) {
	d := DefaultConfig()
	q, err := parseEntities(v, pageLimits{def: d.DefaultLimit, max: d.MaxLimit})
	if err != nil { // never return a typed nil as an error
		return twin.Query{}, err
	}
	return q, nil
}

func parseEntities(v url.Values, lim pageLimits) (twin.Query, *ParamError) {
	if err := checkParams(v, entitiesParams); err != nil {
		return twin.Query{}, err
	}
	q := twin.Query{Limit: lim.def}
	if err := parseSelection(v, &q); err != nil {
		return twin.Query{}, err
	}
	if err := parsePage(v, &q, lim); err != nil {
		return twin.Query{}, err
	}
	return q, nil
}

// parsePage reads limit and cursor.
func parsePage(v url.Values, q *twin.Query, lim pageLimits) *ParamError {
	if s, ok, err := single(v, pLimit); err != nil {
		return err
	} else if ok {
		if q.Limit, err = parseLimit(s, lim.max); err != nil {
			return err
		}
	}
	if s, ok, err := single(v, pCursor); err != nil {
		return err
	} else if ok {
		if q.After, err = parseCursor(s); err != nil {
			return err
		}
	}
	return nil
}

// query parses the query string of r, answering the problem itself when it is
// malformed.
func query(w http.ResponseWriter, r *http.Request) (url.Values, bool) {
	v, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		writeProblem(w, paramProblem(r, &ParamError{Name: "query", Reason: "the query string is malformed: " + err.Error()}))
		return nil, false
	}
	return v, true
}

func (s *Server) limits() pageLimits {
	return pageLimits{def: s.cfg.DefaultLimit, max: s.cfg.MaxLimit}
}

// listEntities serves GET /api/v1/entities.
func (s *Server) listEntities(w http.ResponseWriter, r *http.Request) {
	v, ok := query(w, r)
	if !ok {
		return
	}
	q, perr := parseEntities(v, s.limits())
	if perr != nil {
		writeProblem(w, paramProblem(r, perr))
		return
	}
	s.answerQuery(w, r, q, func(cursor string) string {
		next := cloneValues(v)
		next.Set(pCursor, cursor)
		return href(s.base(r), entitiesPath, next)
	}, href(s.base(r), entitiesPath, v))
}

// postQuery serves POST /api/v1/query: the selection of GET
// /api/v1/entities as a JSON body, for geometries too big for a URL.
func (s *Server) postQuery(w http.ResponseWriter, r *http.Request) {
	if len(r.URL.RawQuery) > 0 {
		v, ok := query(w, r)
		if !ok {
			return
		}
		if err := checkParams(v, nil); err != nil {
			err.Reason = "unknown parameter; this endpoint takes its query as a JSON body"
			writeProblem(w, paramProblem(r, err))
			return
		}
	}
	body, ok := readBody(w, r)
	if !ok {
		return
	}
	q, perr := parseQueryBody(body, s.limits())
	if perr != nil {
		writeProblem(w, paramProblem(r, perr))
		return
	}
	s.answerQuery(w, r, q, nil, "")
}

// answerQuery runs q and sends the page. nextHref makes the next link from a
// cursor (nil: the next page is another POST, told by the next member).
func (s *Server) answerQuery(w http.ResponseWriter, r *http.Request, q twin.Query, nextHref func(string) string, self string) {
	res, err := s.queryEntities(w, r, q) // history.go
	if err != nil {
		s.queryError(w, r, err)
		return
	}
	fc := FeatureCollection{
		Type:           "FeatureCollection",
		NumberMatched:  res.Matched,
		NumberReturned: len(res.Entities),
		TimeStamp:      s.now().UTC().Format(time.RFC3339Nano),
		Links:          []Link{},
	}
	if self != "" {
		fc.Links = append(fc.Links, Link{Href: self, Rel: "self", Type: ContentTypeGeoJSON, Title: "This page"})
	}
	if res.Next != "" && nextHref != nil {
		fc.Links = append(fc.Links, Link{Href: nextHref(res.Next), Rel: "next", Type: ContentTypeGeoJSON, Title: "The next page"})
	}
	s.writeEntities(w, r, &fc, res.Entities, res.Next)
}

// nearest serves GET /api/v1/nearest: the k entities nearest to a point, with
// their true distance in metres.
func (s *Server) nearest(w http.ResponseWriter, r *http.Request) {
	v, ok := query(w, r)
	if !ok {
		return
	}
	p, k, q, perr := parseNearest(v)
	if perr != nil {
		writeProblem(w, paramProblem(r, perr))
		return
	}
	ns, err := s.store.Nearest(r.Context(), p, k, q)
	if err != nil {
		s.queryError(w, r, err)
		return
	}
	page := entityPage{FeatureCollection: FeatureCollection{
		Type:           "FeatureCollection",
		Features:       make([]Feature, len(ns)),
		NumberMatched:  len(ns),
		NumberReturned: len(ns),
		TimeStamp:      s.now().UTC().Format(time.RFC3339Nano),
		Links:          []Link{{Href: href(s.base(r), nearestPath, v), Rel: "self", Type: ContentTypeGeoJSON, Title: "This page"}},
	}}
	for i := range ns {
		f := featureOf(&ns[i].Entity)
		f.Properties[propDistance] = ns[i].Distance
		page.Features[i] = f
	}
	s.writeFeatures(w, r, &page)
}

// parseNearest reads point=lon,lat, k=1..1000 (default 10) and the selection.
func parseNearest(v url.Values) (p orb.Point, k int, q twin.Query, err *ParamError) {
	if err := checkParams(v, nearestParams); err != nil {
		return p, 0, q, err
	}
	s, ok, err := single(v, "point")
	if err != nil {
		return p, 0, q, err
	}
	if !ok {
		return p, 0, q, paramErrorf("point", "missing; give lon,lat")
	}
	if p, err = parsePoint("point", s); err != nil {
		return p, 0, q, err
	}
	k = 10
	if s, ok, err := single(v, "k"); err != nil {
		return p, 0, q, err
	} else if ok {
		if k, err = parseInt("k", s, 1, maxNearestK); err != nil {
			return p, 0, q, err
		}
	}
	if err := parseSelection(v, &q); err != nil {
		return p, 0, q, err
	}
	return p, k, q, nil
}

// queryBodyFields are the members of a POST /api/v1/query body.
var queryBodyFields = []string{"kinds", "ids", "bbox", "within", "intersects", "near", "cells", "ring", "where", "at", "limit", "cursor"}

// ParseQueryBody turns a POST /api/v1/query body into a twin query, with the
// default page limits. Decoding is strict: an unknown member, a member of the
// wrong type or trailing data is a *ParamError naming the member (near.radius
// for a nested one).
func ParseQueryBody(body []byte) (twin.Query, error) {
	d := DefaultConfig()
	q, err := parseQueryBody(body, pageLimits{def: d.DefaultLimit, max: d.MaxLimit})
	if err != nil {
		return twin.Query{}, err
	}
	return q, nil
}

func parseQueryBody(body []byte, lim pageLimits) (twin.Query, *ParamError) {
	members, err := strictObject("body", body)
	if err != nil {
		return twin.Query{}, err
	}
	if err := checkMembers("", members, queryBodyFields); err != nil {
		return twin.Query{}, err
	}
	if notNull(members["cells"]) && notNull(members["ring"]) {
		return twin.Query{}, paramErrorf("ring", "give cells or ring, not both")
	}
	q := twin.Query{Limit: lim.def}
	var (
		strs []string
		num  float64
	)
	for _, name := range queryBodyFields {
		raw, ok := members[name]
		if !ok || !notNull(raw) {
			continue
		}
		switch name {
		case "kinds":
			if err = decodeMember(name, raw, &strs, "an array of kind names"); err == nil {
				q.Kinds, err = parseKinds(name, strs)
			}
		case "ids":
			if err = decodeMember(name, raw, &strs, "an array of entity ids"); err == nil {
				q.IDs, err = parseIDs(name, strs)
			}
		case "bbox":
			var f []float64
			if err = decodeMember(name, raw, &f, "an array of 4 (or 6) numbers"); err == nil {
				q.BBox, err = parseBBox(joinNumbers(f))
			}
		case "within":
			q.Within, err = parseGeometry(name, raw, true)
		case "intersects":
			q.Intersects, err = parseGeometry(name, raw, false)
		case "near":
			q.Near, err = parseNearBody(raw)
		case "cells":
			if err = decodeMember(name, raw, &strs, "an array of H3 cell indexes"); err == nil {
				q.Cells, err = parseCells([]string{strings.Join(strs, ",")})
				err = renamed(name, err)
			}
		case "ring":
			var ring struct {
				Cell string `json:"cell"`
				K    int    `json:"k"`
			}
			if err = decodeStrict(name, raw, &ring, "an object {\"cell\": \"8a1fb46622dffff\", \"k\": 2}"); err == nil {
				q.Cells, err = parseRing(ring.Cell + "," + strconv.Itoa(ring.K))
				err = renamed(name, err)
			}
		case "where":
			if err = decodeMember(name, raw, &strs, "an array of filters such as \"height>=10\""); err == nil {
				q.Where, err = parseWhere(strs)
			}
		case "at":
			var at string
			if err = decodeMember(name, raw, &at, "an RFC 3339 instant"); err == nil {
				q.At, err = parseAt(name, at)
			}
		case "limit":
			if err = decodeMember(name, raw, &num, "a whole number"); err == nil {
				q.Limit, err = parseLimit(strconv.FormatFloat(num, 'f', -1, 64), lim.max)
			}
		case "cursor":
			var c string
			if err = decodeMember(name, raw, &c, "the next member of the previous page"); err == nil {
				q.After, err = parseCursor(c)
			}
		}
		if err != nil {
			return twin.Query{}, err
		}
	}
	return q, nil
}

// parseNearBody reads {"lon": …, "lat": …, "radius": metres}.
func parseNearBody(raw []byte) (*twin.Circle, *ParamError) {
	var near struct {
		Lon    *float64 `json:"lon"`
		Lat    *float64 `json:"lat"`
		Radius *float64 `json:"radius"`
	}
	if err := decodeStrict("near", raw, &near, "an object {\"lon\": 24.94, \"lat\": 60.17, \"radius\": 250}"); err != nil {
		return nil, err
	}
	for name, f := range map[string]*float64{"near.lon": near.Lon, "near.lat": near.Lat, "near.radius": near.Radius} {
		if f == nil {
			return nil, paramErrorf(name, "missing")
		}
	}
	return parseNear(joinNumbers([]float64{*near.Lon, *near.Lat, *near.Radius}))
}

func notNull(raw json.RawMessage) bool { return raw != nil && string(raw) != "null" }

// strictObject splits a JSON object into its members, refusing anything after it.
func strictObject(name string, b []byte) (map[string]json.RawMessage, *ParamError) {
	var m map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&m); err != nil || m == nil {
		reason := "want a JSON object"
		if err != nil {
			reason += ": " + err.Error()
		}
		return nil, &ParamError{Name: name, Reason: reason}
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, paramErrorf(name, "data after the JSON object")
	}
	return m, nil
}

// checkMembers refuses members not in known, naming the first in sorted order.
func checkMembers(prefix string, m map[string]json.RawMessage, known []string) *ParamError {
	var unknown []string
	for k := range m {
		if !slices.Contains(known, k) {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) == 0 {
		return nil
	}
	slices.Sort(unknown)
	return paramErrorf(prefix+clip(unknown[0]), "unknown member; want %s", strings.Join(known, ", "))
}

// decodeMember decodes one member, saying what was wanted when it is of the
// wrong type.
func decodeMember(name string, raw []byte, into any, want string) *ParamError {
	if err := json.Unmarshal(raw, into); err != nil {
		return paramErrorf(name, "want %s", want)
	}
	return nil
}

// decodeStrict decodes an object member, refusing members into does not have.
func decodeStrict(name string, raw []byte, into any, want string) *ParamError {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(into); err != nil {
		if field, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
			f, _ := strconv.Unquote(field)
			return paramErrorf(name+"."+clip(f), "unknown member; want %s", want)
		}
		return paramErrorf(name, "want %s", want)
	}
	return nil
}

// joinNumbers formats numbers so that parseNumbers reads them back exactly.
func joinNumbers(f []float64) string {
	parts := make([]string, len(f))
	for i, x := range f {
		parts[i] = strconv.FormatFloat(x, 'g', -1, 64)
	}
	return strings.Join(parts, ",")
}
