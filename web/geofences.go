package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"

	"citytwin/twin"
	"citytwin/twin/fence"
)

// Geofences are entities of kind geofence (written like any entity, checked by
// fence.Parse); these routes serve what is not an entity: the events, which
// can be replayed from any kept sequence number, and the endpoints they are
// delivered to.

// WithFences serves a geofence engine's events and endpoints, checks
// geofences on every write and exports the engine's metrics.
func WithFences(e *fence.Engine) Option {
	return func(s *Server) {
		s.fences = e
		WithValidator(fence.KindGeofence, func(ent *twin.Entity) error { _, err := fence.Parse(ent); return err })(s)
		WithCollectors(FenceCollector(e.Stats))(s)
	}
}

// maxEventsPage caps the events one request returns.
const maxEventsPage = 10_000

// eventsPage is the answer of GET /api/v1/geofences/events.
type eventsPage struct {
	Events []fence.Event `json:"events"`
	// Head is the newest event's seq, First the oldest still kept; Next is the
	// after= that continues (the last event's seq, or after itself when none).
	Head  uint64 `json:"head"`
	First uint64 `json:"first"`
	Next  uint64 `json:"next"`
	Links []Link `json:"links"`
}

var eventsParams = []string{"after", "limit", "fence", "kind"}

// fenceEvents replays events after a sequence number, optionally of some
// fences or event kinds.
func (s *Server) fenceEvents(w http.ResponseWriter, r *http.Request) {
	v, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		writeProblem(w, paramProblem(r, &ParamError{Name: "query", Reason: "the query string is malformed: " + err.Error()}))
		return
	}
	if perr := checkParams(v, eventsParams); perr != nil {
		writeProblem(w, paramProblem(r, perr))
		return
	}
	after, limit := uint64(0), 1000
	if a, ok, perr := single(v, "after"); perr != nil {
		writeProblem(w, paramProblem(r, perr))
		return
	} else if ok {
		if after, err = strconv.ParseUint(a, 10, 64); err != nil {
			writeProblem(w, paramProblem(r, paramErrorf("after", "%q: want the sequence number of the last event you have (0 for the oldest kept)", clip(a))))
			return
		}
	}
	if l, ok, perr := single(v, "limit"); perr != nil {
		writeProblem(w, paramProblem(r, perr))
		return
	} else if ok {
		if limit, err = strconv.Atoi(l); err != nil || limit < 1 || limit > maxEventsPage {
			writeProblem(w, paramProblem(r, paramErrorf("limit", "%q: want 1 to %d", clip(l), maxEventsPage)))
			return
		}
	}
	fences := map[twin.ID]bool{}
	for _, f := range v["fence"] {
		fences[twin.ID(f)] = true
	}
	kinds := map[string]bool{}
	for _, k := range v["kind"] {
		switch k {
		case fence.Enter, fence.Exit, fence.Inside, fence.Outside, fence.Cross:
			kinds[k] = true
		default:
			writeProblem(w, paramProblem(r, paramErrorf("kind", "%q: want enter, exit, inside, outside or cross", clip(k))))
			return
		}
	}
	head, first := s.fences.Head()
	page := eventsPage{Events: []fence.Event{}, Head: head, First: first, Next: after}
	// Filtered pages read on until they are full or the outbox ends.
	for len(page.Events) < limit && page.Next < head {
		evs, err := s.fences.Events(page.Next, limit)
		if errors.Is(err, fence.ErrCompacted) {
			writeProblem(w, &Problem{Type: ProblemNotFound, Title: "Events no longer kept", Status: http.StatusGone,
				Detail: "events after " + strconv.FormatUint(after, 10) + " have been removed by retention; the oldest kept is " + strconv.FormatUint(first, 10), Instance: r.URL.RequestURI()})
			return
		}
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		if len(evs) == 0 {
			break
		}
		for _, e := range evs {
			page.Next = e.Seq
			if (len(fences) == 0 || fences[e.Fence]) && (len(kinds) == 0 || kinds[e.Kind]) {
				page.Events = append(page.Events, e)
				if len(page.Events) == limit {
					break
				}
			}
		}
	}
	next := cloneValues(v)
	next.Set("after", strconv.FormatUint(page.Next, 10))
	base := s.base(r)
	page.Links = []Link{
		{Href: href(base, "/api/v1/geofences/events", v), Rel: "self", Type: ContentTypeJSON, Title: "This page"},
		{Href: href(base, "/api/v1/geofences/events", next), Rel: "next", Type: ContentTypeJSON, Title: "The events after this page (poll it)"},
	}
	w.Header().Set("Cache-Control", "no-store")
	s.writeJSON(w, r, ContentTypeJSON, page)
}

// endpointView is an endpoint as the API shows it: without its secret.
type endpointView struct {
	fence.Endpoint
	Signed bool                 `json:"signed"`
	Stats  *fence.EndpointStats `json:"stats,omitempty"`
}

func (s *Server) viewEndpoint(e fence.Endpoint) endpointView {
	v := endpointView{Endpoint: e, Signed: e.Secret != ""}
	v.Secret, v.FromStart = "", false
	for _, st := range s.fences.Stats().Endpoints {
		if st.ID == e.ID {
			v.Stats = &st
		}
	}
	return v
}

func (s *Server) listEndpoints(w http.ResponseWriter, r *http.Request) {
	if !noParams(w, r) {
		return
	}
	out := []endpointView{}
	for _, e := range s.fences.Endpoints() {
		out = append(out, s.viewEndpoint(e))
	}
	s.writeJSON(w, r, ContentTypeJSON, map[string]any{"endpoints": out})
}

// postEndpoint adds (or replaces) an endpoint: {"id","kind":"webhook"|"mqtt",
// "url","fences","kinds","secret","from_start"}.
func (s *Server) postEndpoint(w http.ResponseWriter, r *http.Request) {
	if !noParams(w, r) {
		return
	}
	body, ok := readBody(w, r)
	if !ok {
		return
	}
	var e fence.Endpoint
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&e); err != nil {
		writeProblem(w, paramProblem(r, &ParamError{Name: "body", Reason: "want an endpoint {\"id\",\"kind\",\"url\",\"fences\",\"kinds\",\"secret\",\"from_start\"}: " + err.Error()}))
		return
	}
	if err := s.fences.AddEndpoint(e); err != nil {
		if errors.Is(err, fence.ErrEndpoint) {
			refuseInvalid(w, r, err)
			return
		}
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Location", s.base(r)+"/api/v1/geofences/endpoints/"+url.PathEscape(e.ID))
	s.writeJSONStatus(w, r, ContentTypeJSON, http.StatusCreated, s.viewEndpoint(e))
}

func (s *Server) deleteEndpoint(w http.ResponseWriter, r *http.Request) {
	if !noParams(w, r) {
		return
	}
	id := r.PathValue("id")
	if err := s.fences.RemoveEndpoint(id); err != nil {
		if errors.Is(err, fence.ErrNoEndpoint) {
			writeProblem(w, notFound(r, "there is no endpoint "+quote(id)+"; GET /api/v1/geofences/endpoints lists them"))
			return
		}
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
