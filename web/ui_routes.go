package web

import (
	"net/http"

	"citytwin/web/ui"
)

// uiPath is where the command centre is served.
const uiPath = "/ui/"

// uiRoutes mounts the command centre (package ui: the embedded bundle, or a
// page that says how to build it) at /ui/ and returns the handler of GET /,
// which sends browsers there and gives other clients the OGC landing page.
func (s *Server) uiRoutes(mux *http.ServeMux) http.HandlerFunc {
	mux.Handle("GET "+uiPath, ui.Handler(uiPath))
	return s.root
}

// root answers GET /. A browser (its Accept prefers HTML, and it names no
// format with f=) is redirected to the command centre; the hash of its URL
// (a shared view) survives the redirect. f=html still gives the HTML landing
// page, and every other client the JSON one.
func (s *Server) root(w http.ResponseWriter, r *http.Request) {
	if !r.URL.Query().Has("f") {
		if html, _ := wantsHTML(r, r.URL.Query()); html {
			w.Header().Add("Vary", "Accept")
			target := uiPath
			if r.URL.RawQuery != "" {
				target += "?" + r.URL.RawQuery // an access_token, say
			}
			http.Redirect(w, r, target, http.StatusSeeOther)
			return
		}
	}
	s.landing(w, r)
}
