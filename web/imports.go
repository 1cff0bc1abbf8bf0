package web

import (
	"errors"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"

	"citytwin/ingest"
	"citytwin/ingest/importer"
)

// importsPath takes whole files for the importers.
const importsPath = "/api/v1/imports"

// importAnswer is the answer to POST /api/v1/imports.
type importAnswer struct {
	importer.Summary
	SensorsLinked int    `json:"sensors_linked"`
	Seq           uint64 `json:"seq"`
}

// postImport runs an importer on the request body: the same importers as
// `citytwin import`, the format told by content or named by ?format=, ?name=
// for the provenance and the answer. It answers once every record is in the
// log; a big file takes a while, and the command line suits it better.
func (s *Server) postImport(w http.ResponseWriter, r *http.Request) {
	format := r.URL.Query().Get("format")
	if format != "" && !slices.Contains(importer.Formats, format) {
		writeProblem(w, paramProblem(r, paramErrorf("format", "%q: want one of %s", format, strings.Join(importer.Formats, ", "))))
		return
	}
	name := r.URL.Query().Get("name")
	if name == "" {
		name = "upload"
	}
	tmp, err := os.CreateTemp("", "citytwin-import-*")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	if _, err := io.Copy(tmp, r.Body); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeProblem(w, &Problem{Type: ProblemInvalidParam, Title: "File too large", Status: http.StatusRequestEntityTooLarge,
				Detail: "imports over the server's limit go through `citytwin import` on the command line", Instance: r.URL.RequestURI()})
			return
		}
		writeProblem(w, &Problem{Type: ProblemInvalidParam, Title: "Unreadable request body", Status: http.StatusBadRequest, Detail: err.Error(), Instance: r.URL.RequestURI()})
		return
	}
	dead := s.gateway.DeadLetters()
	dataDir := ""
	if d, ok := s.store.Durability(); ok {
		dataDir = d.Dir
	}
	sum, err := importer.File(r.Context(), s.store, tmp.Name(), importer.Options{Format: format, DataDir: dataDir, Reject: func(dl ingest.DeadLetter) {
		dl.Where = strings.ReplaceAll(dl.Where, tmp.Name(), name)
		dead.Add(dl)
	}})
	sum.Path = name
	if err != nil {
		if errClientGone(r, err) {
			s.writeError(w, r, err)
			return
		}
		writeProblem(w, &Problem{Type: ProblemInvalidParam, Title: "The file could not be imported", Status: http.StatusBadRequest,
			Detail: strings.ReplaceAll(err.Error(), tmp.Name(), name), Instance: r.URL.RequestURI()})
		return
	}
	linked, err := importer.LinkSensors(r.Context(), s.store)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	s.writeJSON(w, r, ContentTypeJSON, importAnswer{Summary: sum, SensorsLinked: linked, Seq: s.store.Seq()})
}
