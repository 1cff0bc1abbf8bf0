package web

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"
	"time"
)

// recorder remembers the status and size of a response, for the log and for the
// panic handler (which may only write a problem when nothing was written yet).
type recorder struct {
	http.ResponseWriter
	status int
	bytes  int64
	user   string // the name of the token that authenticated the request
}

func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	n, err := r.ResponseWriter.Write(b)
	r.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the connection.
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// logRequests logs one line per request with stable keys, and turns a panic into a
// 500 problem and an error line: bad input must never take the server down.
func logRequests(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &recorder{ResponseWriter: w}
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler { //nolint:errorlint // a sentinel value, compared as net/http does
					panic(v)
				}
				log.Error("http panic",
					"method", r.Method, "path", r.URL.Path, "query", r.URL.RawQuery,
					"panic", fmt.Sprint(v), "stack", string(debug.Stack()))
				if rec.status == 0 {
					writeProblem(rec, internalProblem(r))
				}
			}
			level := slog.LevelInfo
			switch {
			case rec.status >= 500:
				level = slog.LevelError
			case rec.status >= 400:
				level = slog.LevelWarn
			}
			// Typed attributes, built only when the line is written: the same
			// record as Log with key-value pairs, without boxing each value.
			if !log.Enabled(r.Context(), level) {
				return
			}
			log.LogAttrs(r.Context(), level, "http request",
				slog.String("method", r.Method),
				slog.String("path", r.URL.Path),
				slog.String("query", r.URL.RawQuery),
				slog.Int("status", rec.status),
				slog.Int64("bytes", rec.bytes),
				slog.Float64("dur_ms", float64(time.Since(start).Microseconds())/1000),
				slog.String("remote", r.RemoteAddr),
				slog.String("user", rec.user))
		}()
		next.ServeHTTP(rec, r)
	})
}

// limitBodies caps request bodies.
func limitBodies(max, imports int64, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body != nil && r.Body != http.NoBody { // GETs have nothing to limit
			limit := max
			if r.URL.Path == importsPath && imports > 0 {
				limit = imports
			}
			r.Body = http.MaxBytesReader(w, r.Body, limit)
		}
		next.ServeHTTP(w, r)
	})
}

// problemMux routes with mux and answers what it cannot route (404, 405) with a
// problem instead of net/http's plain text.
func problemMux(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, pattern := mux.Handler(r); pattern != "" {
			mux.ServeHTTP(w, r)
			return
		}
		mux.ServeHTTP(&unrouted{ResponseWriter: w, r: r}, r)
	})
}

// unrouted replaces the bodies of net/http's 404 and 405 answers with problems,
// keeping its headers (Allow) and any redirect as they are.
type unrouted struct {
	http.ResponseWriter
	r       *http.Request
	swallow bool
}

func (u *unrouted) WriteHeader(code int) {
	switch code {
	case http.StatusNotFound:
		u.swallow = true
		writeProblem(u.ResponseWriter, notFound(u.r, fmt.Sprintf("nothing is served at %s; start at / or /collections", u.r.URL.Path)))
	case http.StatusMethodNotAllowed:
		u.swallow = true
		allow := u.Header().Get("Allow")
		writeProblem(u.ResponseWriter, &Problem{
			Type:     ProblemNotAllowed,
			Title:    "Method not allowed",
			Status:   http.StatusMethodNotAllowed,
			Detail:   fmt.Sprintf("%s is not allowed on %s; allowed: %s", u.r.Method, u.r.URL.Path, strings.ReplaceAll(allow, ",", ", ")),
			Instance: u.r.URL.RequestURI(),
		})
	default:
		u.ResponseWriter.WriteHeader(code)
	}
}

func (u *unrouted) Write(b []byte) (int, error) {
	if u.swallow {
		return len(b), nil
	}
	return u.ResponseWriter.Write(b)
}

// errClientGone reports whether err only says that the client went away.
func errClientGone(r *http.Request, err error) bool {
	return r.Context().Err() != nil && (errors.Is(err, r.Context().Err()))
}
