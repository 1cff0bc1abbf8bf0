package web

import (
	"fmt"
	"net/http"
	"strings"

	"citytwin/twin"
)

// Collection describes the entities of one kind.
type Collection struct {
	ID          string   `json:"id"`
	Title       string   `json:"title"`
	Description string   `json:"description"`
	Extent      *Extent  `json:"extent,omitempty"`
	ItemType    string   `json:"itemType"`
	CRS         []string `json:"crs"`
	Links       []Link   `json:"links"`
}

// Collections lists every collection.
type Collections struct {
	Links       []Link       `json:"links"`
	Collections []Collection `json:"collections"`
}

func (s *Server) collections(w http.ResponseWriter, r *http.Request) {
	if !jsonOnly(w, r) {
		return
	}
	ext, err := s.extents.get(r.Context(), s.store, s.cfg.ExtentTTL, s.now())
	if err != nil {
		s.queryError(w, r, err)
		return
	}
	base := s.base(r)
	counts := s.store.Counts()
	out := Collections{
		Links: []Link{
			{Href: base + "/collections", Rel: "self", Type: ContentTypeJSON, Title: "This document"},
		},
		Collections: []Collection{},
	}
	for _, k := range s.store.Kinds() {
		out.Collections = append(out.Collections, s.describe(base, k, counts[k], ext))
	}
	s.writeJSON(w, r, ContentTypeJSON, out)
}

func (s *Server) collection(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("collectionId")
	kind, ok := s.kindOf(id)
	if !ok {
		s.unknownCollection(w, r, id)
		return
	}
	if !jsonOnly(w, r) {
		return
	}
	ext, err := s.extents.get(r.Context(), s.store, s.cfg.ExtentTTL, s.now())
	if err != nil {
		s.queryError(w, r, err)
		return
	}
	c := s.describe(s.base(r), kind, s.store.Counts()[kind], ext)
	c.Links[0], c.Links[1] = c.Links[1], c.Links[0] // self first
	s.writeJSON(w, r, ContentTypeJSON, c)
}

// describe makes the collection document of kind. Its links are items, then self.
func (s *Server) describe(base string, kind twin.Kind, live int, ext map[twin.Kind]Extent) Collection {
	id := kind.Plural()
	c := Collection{
		ID:          id,
		Title:       title(id),
		Description: fmt.Sprintf("Entities of kind %q in the twin (%d live), with their versions: ask for a past instant with datetime.", kind, live),
		ItemType:    "feature",
		CRS:         []string{CRS84},
		Links: []Link{
			{Href: base + collectionPath(id) + "/items", Rel: "items", Type: ContentTypeGeoJSON, Title: "The " + id},
			{Href: base + collectionPath(id), Rel: "self", Type: ContentTypeJSON, Title: "This collection"},
			{Href: base + collectionPath(id) + "/queryables", Rel: "http://www.opengis.net/def/rel/ogc/1.0/queryables", Type: ContentTypeSchema, Title: "What filters may name"},
		},
	}
	if e, ok := ext[kind]; ok {
		c.Extent = &e
	}
	return c
}

// title makes "building_parts" read "Building parts".
func title(id string) string {
	t := strings.ReplaceAll(id, "_", " ")
	if t == "" {
		return t
	}
	return strings.ToUpper(t[:1]) + t[1:]
}
