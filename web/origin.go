package web

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// originAllowed reports whether a browser page at the request's Origin may use
// the API: no Origin (not a browser, or same-origin navigation), the server's
// own host, or one of the configured origins.
func (s *Server) originAllowed(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	if slices.Contains(s.cfg.AllowedOrigins, "*") || slices.Contains(s.cfg.AllowedOrigins, origin) {
		return true
	}
	u, err := url.Parse(origin)
	if err != nil {
		return false
	}
	if s.baseURL != "" {
		b, err := url.Parse(s.baseURL)
		return err == nil && strings.EqualFold(b.Host, u.Host) && b.Scheme == u.Scheme
	}
	return strings.EqualFold(u.Host, r.Host)
}

// corsMethods and corsHeaders are what a cross-origin page may send.
const (
	corsMethods = "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS"
	corsHeaders = "Authorization, Content-Type, If-Match, If-None-Match"
	corsExpose  = "ETag, Link, Location, WWW-Authenticate"
)

// cors answers preflights and marks answers to the allowed origins; requests
// from other origins are refused with a 403 so that a page elsewhere cannot
// use a visitor's access (the browser would hide the answer, but a write would
// already have happened).
func (s *Server) cors(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		if origin == "" {
			next.ServeHTTP(w, r)
			return
		}
		if !s.originAllowed(r) {
			writeProblem(w, &Problem{Type: ProblemForbidden, Title: "Origin not allowed", Status: http.StatusForbidden,
				Detail:   "pages from " + quote(origin) + " may not use this server; start it with --allow-origin " + origin + " to allow them",
				Instance: r.URL.RequestURI()})
			return
		}
		h := w.Header()
		h.Add("Vary", "Origin")
		h.Set("Access-Control-Allow-Origin", origin)
		h.Set("Access-Control-Expose-Headers", corsExpose)
		if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
			h.Set("Access-Control-Allow-Methods", corsMethods)
			h.Set("Access-Control-Allow-Headers", corsHeaders)
			h.Set("Access-Control-Max-Age", "600")
			w.WriteHeader(http.StatusNoContent)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// longRunning are the paths whose requests may outlive the request timeout:
// whole-file imports and streams.
func longRunning(path string) bool {
	return path == importsPath || path == "/api/v1/stream"
}

// limitTime cancels a request's context after the configured timeout.
func limitTime(s *Server, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if longRunning(r.URL.Path) {
			next.ServeHTTP(w, r)
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), s.cfg.RequestTimeout)
		defer cancel()
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}
