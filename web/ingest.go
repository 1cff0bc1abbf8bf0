package web

import (
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"

	"citytwin/ingest"
	"citytwin/ingest/gateway"
	"citytwin/ingest/geojson"
	"citytwin/twin"
)

// Option adds a capability to a Server.
type Option func(*Server)

// WithIngest serves the write side of the API: POST /api/v1/observations (SenML
// or plain JSON through the gateway), POST /api/v1/entities (GeoJSON upserts into
// sink) and GET /api/v1/deadletter.
func WithIngest(g *gateway.Gateway, sink ingest.Sink) Option {
	return func(s *Server) { s.gateway, s.sink = g, sink }
}

// ProblemOverloaded is the type of a 429 answer.
const ProblemOverloaded = "tag:citytwin,2025:problem:overloaded"

// retryAfter is what an overloaded server asks producers to wait, in seconds.
const retryAfter = "1"

// ingestReport is the answer to a write: how many records were taken, and why
// each of the others was not.
type ingestReport struct {
	Records  int                   `json:"records"`
	Accepted int                   `json:"accepted"`
	Rejected int                   `json:"rejected"`
	Seq      uint64                `json:"seq"`
	Errors   []gateway.RecordError `json:"errors,omitempty"`
}

// readBody reads a request body, answering the problem itself when it cannot.
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeProblem(w, &Problem{Type: ProblemInvalidParam, Title: "Request body too large", Status: http.StatusRequestEntityTooLarge,
				Detail: "the body is larger than " + strconv.FormatInt(tooBig.Limit, 10) + " bytes; send it in smaller batches", Instance: r.URL.RequestURI()})
			return nil, false
		}
		writeProblem(w, &Problem{Type: ProblemInvalidParam, Title: "Unreadable request body", Status: http.StatusBadRequest, Detail: err.Error(), Instance: r.URL.RequestURI()})
		return nil, false
	}
	return body, true
}

func overloaded(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Retry-After", retryAfter)
	writeProblem(w, &Problem{Type: ProblemOverloaded, Title: "Too many writes", Status: http.StatusTooManyRequests,
		Detail: "the twin's log is behind; nothing of this request was taken: retry after " + retryAfter + " s", Instance: r.URL.RequestURI()})
}

// bodyFormat picks the payload format from ?format= or the Content-Type.
func bodyFormat(r *http.Request) (gateway.Format, *ParamError) {
	if f := r.URL.Query().Get("format"); f != "" {
		format, err := gateway.ParseFormat(f)
		if err != nil {
			return "", paramErrorf("format", "%q: want senml, senml-ndjson or json", f)
		}
		return format, nil
	}
	ct := r.Header.Get("Content-Type")
	mt, _, err := mime.ParseMediaType(ct)
	if ct == "" || err != nil {
		return gateway.FormatJSON, nil
	}
	switch mt {
	case "application/senml+json":
		return gateway.FormatSenML, nil
	case "application/senml+ndjson", "application/x-senml+ndjson":
		return gateway.FormatSenMLLines, nil
	case "application/json", "application/x-ndjson", "application/ndjson", "text/plain":
		return gateway.FormatJSON, nil
	}
	return "", paramErrorf("Content-Type", "%q: want application/senml+json, application/senml+ndjson, application/json or application/x-ndjson", mt)
}

// postObservations takes a batch of readings.
func (s *Server) postObservations(w http.ResponseWriter, r *http.Request) {
	format, perr := bodyFormat(r)
	if perr != nil {
		writeProblem(w, paramProblem(r, perr))
		return
	}
	entity := r.URL.Query().Get("entity")
	if len(entity) > twin.MaxIDLen {
		writeProblem(w, paramProblem(r, paramErrorf("entity", "longer than %d bytes", twin.MaxIDLen)))
		return
	}
	body, ok := readBody(w, r)
	if !ok {
		return
	}
	rep, err := s.gateway.Ingest(r.Context(), gateway.Input{Source: "http", Where: r.URL.Path + " from " + r.RemoteAddr,
		Format: format, Entity: twin.ID(entity), Payload: body, Received: s.now()})
	switch {
	case errors.Is(err, ingest.ErrOverloaded):
		overloaded(w, r)
		return
	case errors.Is(err, gateway.ErrPayload):
		writeProblem(w, &Problem{Type: ProblemInvalidParam, Title: "Unreadable payload", Status: http.StatusBadRequest, Detail: err.Error(), Instance: r.URL.RequestURI()})
		return
	case err != nil:
		s.writeError(w, r, err)
		return
	}
	s.writeReport(w, r, ingestReport{Records: rep.Records, Accepted: rep.Accepted, Rejected: rep.Rejected, Seq: s.store.Seq(), Errors: rep.Errors})
}

// writeReport answers a write: 200 when something was taken (or there was
// nothing to take), 422 when every record was rejected.
func (s *Server) writeReport(w http.ResponseWriter, r *http.Request, rep ingestReport) {
	status := http.StatusOK
	if rep.Accepted == 0 && rep.Records > 0 {
		status = http.StatusUnprocessableEntity
	}
	w.Header().Set("Cache-Control", "no-store")
	s.writeJSONStatus(w, r, "application/json", status, rep)
}

// postEntities upserts GeoJSON features.
func (s *Server) postEntities(w http.ResponseWriter, r *http.Request) {
	body, ok := readBody(w, r)
	if !ok {
		return
	}
	res, err := geojson.Decode(body, geojson.Options{Source: "http", Now: s.now(), DefaultKind: twin.Kind(r.URL.Query().Get("kind"))})
	if err != nil {
		writeProblem(w, &Problem{Type: ProblemInvalidParam, Title: "Unreadable GeoJSON", Status: http.StatusBadRequest, Detail: err.Error(), Instance: r.URL.RequestURI()})
		return
	}
	rep := ingestReport{Records: res.Total}
	for _, rj := range res.Rejects {
		rep.Errors = append(rep.Errors, gateway.RecordError{Index: rj.Index, Name: rj.ID, Reason: rj.Reason})
	}
	if len(s.validators) > 0 {
		// Features their kind's validator refuses are rejected like unreadable ones.
		keep := res.Ops[:0]
		index := res.Index[:0]
		for i, op := range res.Ops {
			if err := s.validate(op.Entity); err != nil {
				rep.Errors = append(rep.Errors, gateway.RecordError{Index: res.Index[i], Name: string(op.Entity.ID), Reason: err.Error()})
				continue
			}
			keep, index = append(keep, op), append(index, res.Index[i])
		}
		res.Ops, res.Index = keep, index
	}
	if len(res.Ops) > 0 {
		errs, err := s.sink.Submit(r.Context(), res.Ops)
		switch {
		case errors.Is(err, ingest.ErrOverloaded):
			overloaded(w, r)
			return
		case err != nil:
			s.writeError(w, r, err)
			return
		}
		for i, e := range errs {
			if e == nil {
				rep.Accepted++
				continue
			}
			rep.Errors = append(rep.Errors, gateway.RecordError{Index: res.Index[i], Name: string(res.Ops[i].Entity.ID), Reason: e.Error()})
		}
	}
	rep.Rejected = rep.Records - rep.Accepted
	if len(rep.Errors) > 0 && s.gateway != nil {
		s.gateway.DeadLetters().Add(ingest.DeadLetter{Time: s.now().UTC(), Source: "http", Where: r.URL.Path + " from " + r.RemoteAddr,
			Reason: strconv.Itoa(rep.Rejected) + " of " + strconv.Itoa(rep.Records) + " features rejected; first: " + rep.Errors[0].Reason, Raw: string(body)})
	}
	rep.Seq = s.store.Seq()
	s.writeReport(w, r, rep)
}

// deadLetters lists the newest rejected inputs.
func (s *Server) deadLetters(w http.ResponseWriter, r *http.Request) {
	limit := 100
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 10000 {
			writeProblem(w, paramProblem(r, paramErrorf("limit", "%q: want a whole number from 1 to 10000", v)))
			return
		}
		limit = n
	}
	dl := s.gateway.DeadLetters()
	total, by := dl.Total()
	letters := dl.List(limit)
	if letters == nil {
		letters = []ingest.DeadLetter{}
	}
	w.Header().Set("Cache-Control", "no-store")
	s.writeJSON(w, r, "application/json", struct {
		Total    uint64              `json:"total"`
		BySource map[string]uint64   `json:"by_source"`
		Letters  []ingest.DeadLetter `json:"letters"`
	}{total, by, letters})
}

// writeError answers an error of the twin that is not the client's fault.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	if errClientGone(r, err) {
		writeProblem(w, &Problem{Type: ProblemUnavailable, Title: "Request cancelled", Status: http.StatusServiceUnavailable, Instance: r.URL.RequestURI()})
		return
	}
	s.log.Error("write to twin", "path", r.URL.Path, "err", err)
	writeProblem(w, &Problem{Type: ProblemUnavailable, Title: "The twin cannot take writes", Status: http.StatusServiceUnavailable,
		Detail: "the change was not taken; the cause is in the server's log", Instance: r.URL.RequestURI()})
}
