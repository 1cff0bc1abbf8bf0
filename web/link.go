package web

import (
	"net/http"
	"net/url"
)

// Link is a web link as OGC API documents carry them.
type Link struct {
	Href  string `json:"href"`
	Rel   string `json:"rel"`
	Type  string `json:"type,omitempty"`
	Title string `json:"title,omitempty"`
}

// Media types of the documents linked to.
const (
	ContentTypeJSON    = "application/json"
	ContentTypeHTML    = "text/html; charset=utf-8"
	ContentTypeOpenAPI = "application/vnd.oai.openapi+json;version=3.0"
)

// base is what links start with: the configured base URL, or the scheme and host
// the request came to.
func (s *Server) base(r *http.Request) string {
	if s.baseURL != "" {
		return s.baseURL
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	host := r.Host
	if host == "" {
		host = "localhost"
	}
	return scheme + "://" + host
}

// href joins the base, a path and a query.
func href(base, path string, q url.Values) string {
	u := base + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	return u
}

// collectionPath is the path of a collection; ids are path-escaped.
func collectionPath(id string) string { return "/collections/" + url.PathEscape(id) }

// featurePath is the path of one feature; entity ids such as "osm:way/123" hold
// slashes, which are escaped.
func featurePath(collection string, id string) string {
	return collectionPath(collection) + "/items/" + url.PathEscape(id)
}
