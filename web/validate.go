package web

import (
	"net/http"

	"citytwin/twin"
)

// Validator checks an entity of one kind beyond what every entity must satisfy
// (a geofence's or an alert rule's properties), naming what is wrong.
type Validator func(e *twin.Entity) error

// WithValidator makes every write of an entity of kind (POST /api/v1/entities,
// PUT and PATCH /api/v1/entities/{id}) pass v first; a refused write is a 422
// that says why, and nothing reaches the log.
func WithValidator(kind twin.Kind, v Validator) Option {
	return func(s *Server) {
		if s.validators == nil {
			s.validators = map[twin.Kind]Validator{}
		}
		s.validators[kind] = v
	}
}

// validate runs the validator of e's kind, if any.
func (s *Server) validate(e *twin.Entity) error {
	if v := s.validators[e.Kind]; v != nil {
		return v(e)
	}
	return nil
}

// refuseInvalid answers a write whose entity its kind's validator refused.
func refuseInvalid(w http.ResponseWriter, r *http.Request, err error) {
	writeProblem(w, &Problem{Type: ProblemInvalidParam, Title: "Invalid entity", Status: http.StatusUnprocessableEntity,
		Detail: err.Error(), Instance: r.URL.RequestURI()})
}
