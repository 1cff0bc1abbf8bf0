package web

import (
	"encoding/json"
	"fmt"
	"net/http"
)

// Problem is an RFC 9457 problem detail, served as application/problem+json.
type Problem struct {
	Type          string         `json:"type"`
	Title         string         `json:"title"`
	Status        int            `json:"status"`
	Detail        string         `json:"detail,omitempty"`
	Instance      string         `json:"instance,omitempty"`
	InvalidParams []InvalidParam `json:"invalid-params,omitempty"`
}

// InvalidParam names one bad request parameter and says what is wrong with it.
type InvalidParam struct {
	Name   string `json:"name"`
	Reason string `json:"reason"`
}

// Problem types. They are tag URIs (RFC 4151): identifiers, not pages to fetch.
const (
	ProblemInvalidParam = "tag:citytwin,2025:problem:invalid-parameter"
	ProblemNotFound     = "tag:citytwin,2025:problem:not-found"
	ProblemNotAllowed   = "tag:citytwin,2025:problem:method-not-allowed"
	ProblemInternal     = "tag:citytwin,2025:problem:internal"
	ProblemUnavailable  = "tag:citytwin,2025:problem:unavailable"
	ProblemUnauthorized = "tag:citytwin,2025:problem:unauthorized"
	ProblemForbidden    = "tag:citytwin,2025:problem:forbidden"
	ProblemTimeout      = "tag:citytwin,2025:problem:timeout"
)

// ContentTypeProblem is the media type of problem responses.
const ContentTypeProblem = "application/problem+json"

// ParamError reports a bad request parameter: which one, and why.
type ParamError struct {
	Name   string // the query parameter, e.g. "bbox"
	Reason string // what is wrong and what is wanted, for people
}

func (e *ParamError) Error() string { return fmt.Sprintf("parameter %s: %s", e.Name, e.Reason) }

func paramErrorf(name, format string, args ...any) *ParamError {
	return &ParamError{Name: name, Reason: fmt.Sprintf(format, args...)}
}

// paramProblem turns a parameter error into a 400 problem for the request r.
func paramProblem(r *http.Request, e *ParamError) *Problem {
	return &Problem{
		Type:          ProblemInvalidParam,
		Title:         "Invalid parameter",
		Status:        http.StatusBadRequest,
		Detail:        e.Error(),
		Instance:      r.URL.RequestURI(),
		InvalidParams: []InvalidParam{{Name: e.Name, Reason: e.Reason}},
	}
}

func notFound(r *http.Request, detail string) *Problem {
	return &Problem{
		Type:     ProblemNotFound,
		Title:    "Not found",
		Status:   http.StatusNotFound,
		Detail:   detail,
		Instance: r.URL.RequestURI(),
	}
}

func internalProblem(r *http.Request) *Problem {
	return &Problem{
		Type:     ProblemInternal,
		Title:    "Internal server error",
		Status:   http.StatusInternalServerError,
		Detail:   "the server failed to answer; the error is in its log",
		Instance: r.URL.RequestURI(),
	}
}

// writeProblem sends p. It must be called before anything else is written.
func writeProblem(w http.ResponseWriter, p *Problem) {
	b, err := json.Marshal(p)
	if err != nil { // cannot happen: Problem has only strings and ints
		b = []byte(`{"type":"` + ProblemInternal + `","title":"Internal server error","status":500}`)
		p.Status = http.StatusInternalServerError
	}
	h := w.Header()
	h.Set("Content-Type", ContentTypeProblem)
	h.Set("Cache-Control", "no-store")
	h.Del("Content-Length")
	w.WriteHeader(p.Status)
	_, _ = w.Write(append(b, '\n'))
}
