package web

import (
	"encoding/json"
	"errors"
	"hash/maphash"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"citytwin/ingest"
	"citytwin/ingest/geojson"
	"citytwin/twin"

	orbjson "github.com/paulmach/orb/geojson"
)

// ProblemPrecondition is the type of a 412 answer: If-Match or If-None-Match
// did not hold.
const ProblemPrecondition = "tag:citytwin,2025:problem:precondition-failed"

// ProblemRejected is the type of a 422 answer: the twin refused the change.
const ProblemRejected = "tag:citytwin,2025:problem:rejected"

// writeLocks serialise the REST writes of one entity between reading its version
// and applying the change, so that If-Match holds against other REST writes.
// Writes through the gateway or the importers do not take them: the twin has no
// conditional op yet. They live here rather than in Server because they guard
// nothing but this check-then-write, and striping by id keeps writes of
// different entities apart.
var (
	writeLocks    [64]sync.Mutex
	writeLockSeed = maphash.MakeSeed()
)

func lockEntity(id twin.ID) func() {
	mu := &writeLocks[maphash.String(writeLockSeed, string(id))%uint64(len(writeLocks))]
	mu.Lock()
	return mu.Unlock
}

// serverProps are the members featureOf adds to properties. A PUT of a feature
// as GET returned it carries them back; they are not the client's to set.
var serverProps = []string{propVersion, propMoving, propDeleted, propDistance}

// preconditions checks If-Match and If-None-Match against the current version
// of the entity (exists false: there is none). It answers 412 itself.
func preconditions(w http.ResponseWriter, r *http.Request, cur twin.Entity, exists bool) bool {
	fail := func(detail string) bool {
		if exists {
			w.Header().Set("ETag", etag(cur.Version))
		}
		writeProblem(w, &Problem{Type: ProblemPrecondition, Title: "Precondition failed", Status: http.StatusPreconditionFailed,
			Detail: detail, Instance: r.URL.RequestURI()})
		return false
	}
	if h := r.Header.Get("If-Match"); h != "" {
		if !exists {
			return fail("If-Match: the entity does not exist")
		}
		if !etagMatch(h, cur.Version) {
			return fail("If-Match " + h + ": the entity is at version " + etag(cur.Version) + "; GET it again and redo the change")
		}
	}
	if h := r.Header.Get("If-None-Match"); h != "" && exists && etagMatch(h, cur.Version) {
		return fail("If-None-Match " + h + ": the entity exists at version " + etag(cur.Version))
	}
	return true
}

// etagMatch reports whether an If-Match list names version (or is *). Weak tags
// compare by their opaque part, as versions are exact.
func etagMatch(header string, version uint64) bool {
	want := etag(version)
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == "*" || t == want {
			return true
		}
	}
	return false
}

// noParams refuses any query parameter.
func noParams(w http.ResponseWriter, r *http.Request) bool {
	v, ok := query(w, r)
	if !ok {
		return false
	}
	if err := checkParams(v, []string{}); err != nil {
		err.Reason = "unknown parameter; this endpoint takes none"
		writeProblem(w, paramProblem(r, err))
		return false
	}
	return true
}

// putEntity serves PUT /api/v1/entities/{id}: create or replace the entity with
// a GeoJSON feature. 201 when it is new, 200 when it was replaced.
func (s *Server) putEntity(w http.ResponseWriter, r *http.Request) {
	if !noParams(w, r) {
		return
	}
	body, ok := readBody(w, r)
	if !ok {
		return
	}
	id := twin.ID(r.PathValue("id"))
	f, perr := decodeFeature(body, id)
	if perr != nil {
		writeProblem(w, paramProblem(r, perr))
		return
	}
	defer lockEntity(id)()
	cur, err := s.store.Get(id)
	exists := err == nil
	if !preconditions(w, r, cur, exists) {
		return
	}
	for _, k := range serverProps {
		delete(f.Properties, k)
	}
	if vf, ok := f.Properties[propValidFrom].(string); ok && exists && vf == cur.ValidFrom.UTC().Format(time.RFC3339Nano) {
		delete(f.Properties, propValidFrom) // echoed from a GET: the new version is valid from now
	}
	opts := geojson.Options{Source: "http", Now: s.now()}
	if exists {
		opts.DefaultKind = cur.Kind
	} else if _, ok := f.Properties[propKind]; !ok {
		writeProblem(w, paramProblem(r, paramErrorf("properties.kind", "missing; a new entity needs a kind such as building or sensor")))
		return
	}
	op, err := geojson.FeatureOp(f, &opts)
	if err != nil {
		writeProblem(w, paramProblem(r, &ParamError{Name: "body", Reason: err.Error()}))
		return
	}
	if err := s.validate(op.Entity); err != nil {
		refuseInvalid(w, r, err)
		return
	}
	if !s.submit(w, r, op) {
		return
	}
	status := http.StatusOK
	if !exists {
		status = http.StatusCreated
		w.Header().Set("Location", s.base(r)+entityPath(id))
	}
	s.writeEntity(w, r, id, status)
}

// decodeFeature reads a GeoJSON feature whose id, if it has one, is id.
func decodeFeature(body []byte, id twin.ID) (*orbjson.Feature, *ParamError) {
	f, err := orbjson.UnmarshalFeature(body)
	if err != nil {
		return nil, paramErrorf("body", "not a GeoJSON Feature: %v", err)
	}
	if f.Type != "Feature" {
		return nil, paramErrorf("body", "type %q: want a Feature", clip(f.Type))
	}
	switch fid := f.ID.(type) {
	case nil:
	case string:
		if twin.ID(fid) != id {
			return nil, paramErrorf("id", "the feature's id %q is not the id of the path %q; leave it out or make them equal", clip(fid), clip(string(id)))
		}
	case float64:
		if strconv.FormatFloat(fid, 'f', -1, 64) != string(id) {
			return nil, paramErrorf("id", "the feature's id %v is not the id of the path %q", fid, clip(string(id)))
		}
	default:
		return nil, paramErrorf("id", "want a string")
	}
	f.ID = string(id)
	if f.Properties == nil {
		f.Properties = orbjson.Properties{}
	}
	return f, nil
}

// patchEntity serves PATCH /api/v1/entities/{id}: a JSON merge patch (RFC 7396)
// of the entity's feature, of which only properties may change: a null removes
// a property.
func (s *Server) patchEntity(w http.ResponseWriter, r *http.Request) {
	if !noParams(w, r) {
		return
	}
	body, ok := readBody(w, r)
	if !ok {
		return
	}
	patch, perr := parsePatch(body)
	if perr != nil {
		writeProblem(w, paramProblem(r, perr))
		return
	}
	id := twin.ID(r.PathValue("id"))
	defer lockEntity(id)()
	cur, err := s.store.Get(id)
	if err != nil {
		s.noEntity(w, r, string(id), "")
		return
	}
	if !preconditions(w, r, cur, true) {
		return
	}
	next := cur
	next.Props = cur.Props.Merge(patch)
	if err := s.validate(&next); err != nil {
		refuseInvalid(w, r, err)
		return
	}
	if len(patch) > 0 && !s.submit(w, r, twin.Op{Type: twin.OpPatch, T: s.now().UnixNano(), Source: "http", ID: id, Patch: patch}) {
		return
	}
	s.writeEntity(w, r, id, http.StatusOK)
}

// parsePatch reads {"properties": {...}} into a twin patch. The members the
// server sets, and those that are entity fields rather than properties (height,
// levels, …), are refused: PUT the feature to change them.
func parsePatch(body []byte) (twin.Properties, *ParamError) {
	members, err := strictObject("body", body)
	if err != nil {
		return nil, err
	}
	for k := range members {
		if k != "properties" {
			return nil, paramErrorf(clip(k), "only properties can be patched; PUT the feature to change its %s", clip(k))
		}
	}
	raw, ok := members["properties"]
	if !ok || !notNull(raw) {
		return nil, nil
	}
	var props map[string]json.RawMessage
	if err := json.Unmarshal(raw, &props); err != nil {
		return nil, paramErrorf("properties", "want an object")
	}
	keys := make([]string, 0, len(props))
	for k := range props {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var patch twin.Properties
	for _, k := range keys {
		name := "properties." + clip(k)
		switch k {
		case propKind, propVersion, propValidFrom, propHeight, propMinHeight, propLevels, propMoving, propDeleted, "links":
			return nil, paramErrorf(name, "set by the server or an entity field; PUT the feature to change it")
		}
		var v twin.Value
		if err := json.Unmarshal(props[k], &v); err != nil {
			return nil, paramErrorf(name, "want a string, number, boolean or null (objects and arrays are not properties)")
		}
		patch = append(patch, twin.Prop{Key: k, Value: v})
	}
	if err := patch.Validate(); err != nil {
		return nil, paramErrorf("properties", "%v", err)
	}
	return patch, nil
}

// deleteEntity serves DELETE /api/v1/entities/{id}: 204, the entity ends; its
// history stays.
func (s *Server) deleteEntity(w http.ResponseWriter, r *http.Request) {
	if !noParams(w, r) {
		return
	}
	id := twin.ID(r.PathValue("id"))
	defer lockEntity(id)()
	cur, err := s.store.Get(id)
	if err != nil {
		s.noEntity(w, r, string(id), "")
		return
	}
	if !preconditions(w, r, cur, true) {
		return
	}
	if !s.submit(w, r, twin.Op{Type: twin.OpDelete, T: s.now().UnixNano(), Source: "http", ID: id}) {
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusNoContent)
}

// submit puts one op through the sink, answering the problem itself when it
// is not taken.
func (s *Server) submit(w http.ResponseWriter, r *http.Request, op twin.Op) bool {
	errs, err := s.sink.Submit(r.Context(), []twin.Op{op})
	switch {
	case errors.Is(err, ingest.ErrOverloaded):
		overloaded(w, r)
		return false
	case err != nil:
		s.writeError(w, r, err)
		return false
	case len(errs) > 0 && errs[0] != nil:
		if errors.Is(errs[0], twin.ErrNotFound) {
			s.noEntity(w, r, r.PathValue("id"), "")
			return false
		}
		writeProblem(w, &Problem{Type: ProblemRejected, Title: "Change rejected", Status: http.StatusUnprocessableEntity,
			Detail: errs[0].Error(), Instance: r.URL.RequestURI()})
		return false
	}
	return true
}

// writeEntity answers a write with the entity as the twin now holds it.
func (s *Server) writeEntity(w http.ResponseWriter, r *http.Request, id twin.ID, status int) {
	e, err := s.store.Get(id)
	if err != nil {
		s.queryError(w, r, err)
		return
	}
	f := featureOf(&e)
	f.Links = []Link{{Href: s.base(r) + entityPath(id), Rel: "self", Type: ContentTypeGeoJSON, Title: "This entity"}}
	w.Header().Set("ETag", etag(e.Version))
	w.Header().Set("Cache-Control", "no-store")
	s.writeJSONStatus(w, r, ContentTypeGeoJSON, status, f)
}
