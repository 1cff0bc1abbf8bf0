package web

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"citytwin/twin"
)

// items serves /collections/{collectionId}/items.
func (s *Server) items(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("collectionId")
	kind, ok := s.kindOf(id)
	if !ok {
		s.unknownCollection(w, r, id)
		return
	}
	v, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		writeProblem(w, paramProblem(r, &ParamError{Name: "query", Reason: "the query string is malformed: " + err.Error()}))
		return
	}
	q, perr := parseItems(v, kind, pageLimits{def: s.cfg.DefaultLimit, max: s.cfg.MaxLimit})
	if perr != nil {
		writeProblem(w, paramProblem(r, perr))
		return
	}
	res, err := s.queryEntities(w, r, q) // history.go
	if err != nil {
		s.queryError(w, r, err)
		return
	}
	base := s.base(r)
	fc := FeatureCollection{
		Type:           "FeatureCollection",
		NumberMatched:  res.Matched,
		NumberReturned: len(res.Entities),
		TimeStamp:      s.now().UTC().Format(time.RFC3339Nano),
	}
	path := collectionPath(id) + "/items"
	fc.Links = append(fc.Links, Link{Href: href(base, path, v), Rel: "self", Type: ContentTypeGeoJSON, Title: "This page"})
	if res.Next != "" {
		next := cloneValues(v)
		next.Set("cursor", res.Next)
		fc.Links = append(fc.Links, Link{Href: href(base, path, next), Rel: "next", Type: ContentTypeGeoJSON, Title: "The next page"})
	}
	fc.Links = append(fc.Links, Link{Href: base + collectionPath(id), Rel: "collection", Type: ContentTypeJSON, Title: "The collection"})
	s.writeEntities(w, r, &fc, res.Entities, "")
}

// item serves /collections/{collectionId}/items/{featureId}.
func (s *Server) item(w http.ResponseWriter, r *http.Request) {
	cid := r.PathValue("collectionId")
	kind, ok := s.kindOf(cid)
	if !ok {
		s.unknownCollection(w, r, cid)
		return
	}
	fid := r.PathValue("featureId")
	if id, ok := strings.CutSuffix(fid, tgsequenceSuffix); ok {
		if _, err := s.store.Get(twin.ID(fid)); err != nil { // an id may end so, too
			s.tgsequence(w, r, cid, kind, id)
			return
		}
	}
	v, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		writeProblem(w, paramProblem(r, &ParamError{Name: "query", Reason: "the query string is malformed: " + err.Error()}))
		return
	}
	at, perr := parseItemParams(v)
	if perr != nil {
		writeProblem(w, paramProblem(r, perr))
		return
	}
	e, err := s.entityAsOf(w, r, twin.ID(fid), at) // history.go
	switch {
	case errors.Is(err, twin.ErrNotFound) || err == nil && e.Kind != kind:
		detail := "there is no feature " + quote(fid) + " in " + cid
		if at != 0 {
			detail += " at " + quote(v.Get("datetime"))
		}
		writeProblem(w, notFound(r, detail))
		return
	case err != nil:
		s.queryError(w, r, err)
		return
	}
	f := featureOf(&e)
	base := s.base(r)
	f.Links = []Link{
		{Href: href(base, featurePath(cid, fid), v), Rel: "self", Type: ContentTypeGeoJSON, Title: "This feature"},
		{Href: base + collectionPath(cid), Rel: "collection", Type: ContentTypeJSON, Title: "The collection"},
	}
	s.writeJSON(w, r, ContentTypeGeoJSON, f)
}

// parseItemParams reads the parameters of one feature: datetime and f.
func parseItemParams(v url.Values) (int64, *ParamError) {
	if err := checkParams(v, itemParams); err != nil {
		return 0, err
	}
	if err := checkFormat(v, "json", "geojson"); err != nil {
		return 0, err
	}
	s, ok, err := single(v, "datetime")
	if err != nil || !ok {
		return 0, err
	}
	return parseInstant(s)
}

func cloneValues(v url.Values) url.Values {
	out := make(url.Values, len(v)+1)
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}
