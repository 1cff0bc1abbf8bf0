package web

import (
	"net/http"
	"slices"

	"citytwin/twin"
)

// ContentTypeSchema is the media type of JSON Schema documents.
const ContentTypeSchema = "application/schema+json"

// queryablesSample is how many entities of a collection are looked at to list
// its properties: enough to see every key a source writes, bounded in time.
const queryablesSample = 10_000

// fieldQueryables are what every entity has, named as filters name them.
var fieldQueryables = map[string]map[string]any{
	"geometry":  {"x-ogc-role": "primary-geometry", "format": "geometry-any", "title": "Geometry (WGS84 lon/lat)"},
	"id":        {"x-ogc-role": "id", "type": "string", "title": "Entity id"},
	"kind":      {"type": "string", "title": "Kind"},
	"height":    {"type": "number", "title": "Height above ground (m); missing when unknown"},
	"minHeight": {"type": "number", "title": "Height of the bottom above ground (m)"},
	"levels":    {"type": "integer", "title": "Storeys; missing when unknown"},
	"version":   {"type": "integer", "title": "Version, 1 for the first state"},
	"validFrom": {"x-ogc-role": "primary-instant", "type": "string", "format": "date-time", "title": "When this version took effect"},
}

// queryables serves /collections/{collectionId}/queryables (OGC API Features
// Part 3): the properties a filter may name, with their types.
func (s *Server) queryables(w http.ResponseWriter, r *http.Request) {
	cid := r.PathValue("collectionId")
	kind, ok := s.kindOf(cid)
	if !ok {
		s.unknownCollection(w, r, cid)
		return
	}
	if !jsonOnly(w, r) {
		return
	}
	res, err := s.store.Query(r.Context(), twin.Query{Kinds: []twin.Kind{kind}, Limit: queryablesSample})
	if err != nil {
		s.queryError(w, r, err)
		return
	}
	// A key seen with several types gets all of them.
	types := map[string][]string{}
	for _, e := range res.Entities {
		for _, p := range e.Props {
			t := jsonType(p.Value.Type())
			if t != "" && !slices.Contains(types[p.Key], t) {
				types[p.Key] = append(types[p.Key], t)
			}
		}
	}
	props := make(map[string]any, len(types)+len(fieldQueryables))
	for k, ts := range types {
		slices.Sort(ts)
		if len(ts) == 1 {
			props[k] = map[string]any{"type": ts[0]}
		} else {
			props[k] = map[string]any{"type": ts}
		}
	}
	for k, v := range fieldQueryables {
		props[k] = v // the fields win, as they do in filters
	}
	base := s.base(r)
	s.writeJSON(w, r, ContentTypeSchema, map[string]any{
		"$schema":              "https://json-schema.org/draft/2020-12/schema",
		"$id":                  base + collectionPath(cid) + "/queryables",
		"type":                 "object",
		"title":                title(cid),
		"description":          "Properties that filters (filter=, CQL2 text) may name; other properties of new entities may be named too.",
		"properties":           props,
		"additionalProperties": true,
	})
}

func jsonType(t twin.ValueType) string {
	switch t {
	case twin.Bool:
		return "boolean"
	case twin.Number:
		return "number"
	case twin.String:
		return "string"
	}
	return ""
}
