package web

import (
	"math"
	"net/http"
	"strconv"
	"time"

	"citytwin/twin"
)

// The REST API answers with large arrays of numbers (time series, the latest
// value of every sensor in a city). These appenders write them without
// reflection, as encoding/json would (SetEscapeHTML(false)), except that a value
// JSON cannot hold (NaN, ±Inf, which the twin stores as given) is null.

// appendFloat writes f as encoding/json does, or null when it is not finite.
func appendFloat(b []byte, f float64) []byte {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return append(b, "null"...)
	}
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' { // e-07 → e-7, as encoding/json writes it
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}

// appendTime writes Unix nanoseconds as a quoted RFC 3339 UTC instant.
func appendTime(b []byte, ns int64) []byte {
	b = append(b, '"')
	b = time.Unix(0, ns).UTC().AppendFormat(b, time.RFC3339Nano)
	return append(b, '"')
}

// appendString writes s as a JSON string, as encoding/json does without HTML
// escaping.
func appendString(b []byte, s string) []byte { return appendJSONString(b, s, false) }

// writeBytes sends an encoded JSON body.
func writeBytes(w http.ResponseWriter, contentType string, status int, body []byte) {
	h := w.Header()
	h.Set("Content-Type", contentType)
	// Known in advance: one write, no chunked framing.
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

func appendInt(b []byte, n int64) []byte { return strconv.AppendInt(b, n, 10) }

// writeFeatures sends a page of features.
func (s *Server) writeFeatures(w http.ResponseWriter, r *http.Request, page *entityPage) {
	s.writeJSON(w, r, ContentTypeGeoJSON, page)
}

// writeEntities sends fc with the features of entities, encoded as featureOf
// would make them but without making them; next is the next member of an
// entityPage ("" for none, or for a FeatureCollection).
func (s *Server) writeEntities(w http.ResponseWriter, r *http.Request, fc *FeatureCollection, entities []twin.Entity, next string) {
	bp := getBuf()
	defer putBuf(bp)
	b, err := appendEntityCollection((*bp)[:0], fc, entities, next)
	*bp = b
	if err == nil {
		writeBytes(w, ContentTypeGeoJSON, http.StatusOK, b)
		return
	}
	// Something only encoding/json knows how to write, or to refuse.
	fc.Features = make([]Feature, len(entities))
	for i := range entities {
		fc.Features[i] = featureOf(&entities[i])
	}
	if next != "" {
		s.writeFeatures(w, r, &entityPage{FeatureCollection: *fc, Next: next})
		return
	}
	s.writeJSON(w, r, ContentTypeGeoJSON, fc)
}
