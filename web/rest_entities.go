package web

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"citytwin/twin"
)

// atParams are the query parameters of the reads of one entity.
var atParams = []string{pAt}

// entityPath is the path of one entity. Ids such as "osm:way/123" hold slashes,
// which are escaped: the id is one path segment.
func entityPath(id twin.ID) string { return entitiesPath + "/" + url.PathEscape(string(id)) }

// etag is the entity tag of a version: the version number, quoted.
func etag(version uint64) string { return `"` + strconv.FormatUint(version, 10) + `"` }

// entityAt reads {id} and at= and finds the entity, answering the problem itself
// when it cannot.
func (s *Server) entityAt(w http.ResponseWriter, r *http.Request) (twin.Entity, url.Values, bool) {
	v, ok := query(w, r)
	if !ok {
		return twin.Entity{}, nil, false
	}
	if err := checkParams(v, atParams); err != nil {
		writeProblem(w, paramProblem(r, err))
		return twin.Entity{}, nil, false
	}
	var at int64
	if s, ok, err := single(v, pAt); err != nil {
		writeProblem(w, paramProblem(r, err))
		return twin.Entity{}, nil, false
	} else if ok {
		if at, err = parseAt(pAt, s); err != nil {
			writeProblem(w, paramProblem(r, err))
			return twin.Entity{}, nil, false
		}
	}
	id := r.PathValue("id")
	e, err := s.entityAsOf(w, r, twin.ID(id), at) // history.go
	switch {
	case errors.Is(err, twin.ErrNotFound):
		s.noEntity(w, r, id, v.Get(pAt))
		return twin.Entity{}, nil, false
	case err != nil:
		s.queryError(w, r, err)
		return twin.Entity{}, nil, false
	}
	return e, v, true
}

func (s *Server) noEntity(w http.ResponseWriter, r *http.Request, id, at string) {
	detail := "there is no entity " + quote(id)
	if at != "" {
		detail += " at " + quote(at)
	}
	writeProblem(w, notFound(r, detail+"; ids are one path segment, percent-encoded (osm:way%2F123)"))
}

// getEntity serves GET /api/v1/entities/{id}: the entity now, or as of at.
func (s *Server) getEntity(w http.ResponseWriter, r *http.Request) {
	e, v, ok := s.entityAt(w, r)
	if !ok {
		return
	}
	f := featureOf(&e)
	base, path := s.base(r), entityPath(e.ID)
	f.Links = []Link{
		{Href: href(base, path, v), Rel: "self", Type: ContentTypeGeoJSON, Title: "This entity"},
		{Href: base + path + "/history", Rel: "version-history", Type: ContentTypeGeoJSON, Title: "Its versions"},
	}
	if c, ok := s.kindOf(e.Kind.Plural()); ok {
		f.Links = append(f.Links, Link{Href: base + featurePath(c.Plural(), string(e.ID)), Rel: "alternate", Type: ContentTypeGeoJSON, Title: "As an OGC API feature"})
	}
	w.Header().Set("ETag", etag(e.Version))
	s.writeJSON(w, r, ContentTypeGeoJSON, f)
}

// propDeleted marks the tombstone versions of a history.
const propDeleted = "deleted"

// history serves GET /api/v1/entities/{id}/history: every version, oldest
// first, tombstones marked deleted; with at, those that began by then.
func (s *Server) history(w http.ResponseWriter, r *http.Request) {
	v, ok := query(w, r)
	if !ok {
		return
	}
	if err := checkParams(v, atParams); err != nil {
		writeProblem(w, paramProblem(r, err))
		return
	}
	at := int64(0)
	if str, ok, err := single(v, pAt); err != nil {
		writeProblem(w, paramProblem(r, err))
		return
	} else if ok {
		if at, err = parseAt(pAt, str); err != nil {
			writeProblem(w, paramProblem(r, err))
			return
		}
	}
	id := r.PathValue("id")
	versions, err := s.versions(w, r, twin.ID(id)) // history.go
	switch {
	case errors.Is(err, twin.ErrNotFound):
		s.noEntity(w, r, id, "")
		return
	case err != nil:
		s.queryError(w, r, err)
		return
	}
	fc := FeatureCollection{Type: "FeatureCollection", Features: []Feature{}, TimeStamp: s.now().UTC().Format(time.RFC3339Nano),
		Links: []Link{{Href: href(s.base(r), entityPath(twin.ID(id))+"/history", v), Rel: "self", Type: ContentTypeGeoJSON, Title: "This history"}}}
	for i := range versions {
		e := &versions[i]
		if at != 0 && e.ValidFrom.UnixNano() > at {
			break
		}
		f := featureOf(e)
		// A tombstone is the version from which the entity is not found.
		if s.tombstone(r, e) { // history.go
			f.Properties[propDeleted] = true
		}
		fc.Features = append(fc.Features, f)
	}
	if len(fc.Features) == 0 {
		s.noEntity(w, r, id, v.Get(pAt))
		return
	}
	fc.NumberMatched, fc.NumberReturned = len(fc.Features), len(fc.Features)
	s.writeJSON(w, r, ContentTypeGeoJSON, fc)
}

// entityLinks serves GET /api/v1/entities/{id}/links.
func (s *Server) entityLinks(w http.ResponseWriter, r *http.Request) {
	e, _, ok := s.entityAt(w, r)
	if !ok {
		return
	}
	links := e.Links
	if links == nil {
		links = []twin.Link{}
	}
	s.writeJSON(w, r, ContentTypeJSON, struct {
		Entity  twin.ID     `json:"entity"`
		Version uint64      `json:"version"`
		Links   []twin.Link `json:"links"`
	}{e.ID, e.Version, links})
}

// entityProvenance serves GET /api/v1/entities/{id}/provenance.
func (s *Server) entityProvenance(w http.ResponseWriter, r *http.Request) {
	e, _, ok := s.entityAt(w, r)
	if !ok {
		return
	}
	prov := e.Provenance
	if prov == nil {
		prov = []twin.Provenance{}
	}
	s.writeJSON(w, r, ContentTypeJSON, struct {
		Entity     twin.ID           `json:"entity"`
		Version    uint64            `json:"version"`
		Provenance []twin.Provenance `json:"provenance"`
	}{e.ID, e.Version, prov})
}

// entityMetrics serves GET /api/v1/entities/{id}/metrics: the names of its
// time series.
func (s *Server) entityMetrics(w http.ResponseWriter, r *http.Request) {
	e, _, ok := s.entityAt(w, r)
	if !ok {
		return
	}
	metrics := s.store.Metrics(e.ID)
	if metrics == nil {
		metrics = []string{}
	}
	s.writeJSON(w, r, ContentTypeJSON, struct {
		Entity  twin.ID  `json:"entity"`
		Metrics []string `json:"metrics"`
	}{e.ID, metrics})
}
