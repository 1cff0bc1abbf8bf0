package web

import (
	"encoding/json"
	"math"
	"net/http"
	"strconv"
	"time"
	"unicode/utf8"
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
func appendString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == '"' || c == '\\' || c >= utf8.RuneSelf {
			q, _ := json.Marshal(s) // rare: fall back for escapes and non-ASCII
			return appendJSONUnescapeHTML(b, q)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// appendJSONUnescapeHTML appends encoding/json output, undoing its HTML escapes
// of <, > and & (the API's encoders do not escape HTML).
func appendJSONUnescapeHTML(b, q []byte) []byte {
	for i := 0; i < len(q); i++ {
		if q[i] == '\\' && i+5 < len(q) && q[i+1] == 'u' && q[i+2] == '0' && q[i+3] == '0' {
			switch string(q[i+4 : i+6]) {
			case "3c":
				b = append(b, '<')
				i += 5
				continue
			case "3e":
				b = append(b, '>')
				i += 5
				continue
			case "26":
				b = append(b, '&')
				i += 5
				continue
			}
		}
		if q[i] == '\\' && i+1 < len(q) { // keep any other escape whole
			b = append(b, q[i], q[i+1])
			i++
			continue
		}
		b = append(b, q[i])
	}
	return b
}

// writeBytes sends an encoded JSON body.
func writeBytes(w http.ResponseWriter, contentType string, status int, body []byte) {
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

func appendInt(b []byte, n int64) []byte { return strconv.AppendInt(b, n, 10) }

// writeFeatures sends a page of features.
func (s *Server) writeFeatures(w http.ResponseWriter, r *http.Request, page *entityPage) {
	s.writeJSON(w, r, ContentTypeGeoJSON, page)
}
