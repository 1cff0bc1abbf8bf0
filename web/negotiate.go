package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// wantsHTML decides between HTML and JSON: the f parameter ("html" or "json")
// decides when given, else the Accept header, where text/html must be preferred
// over JSON explicitly (browsers do so; curl's */* gets JSON).
func wantsHTML(r *http.Request, v url.Values) (bool, *ParamError) {
	if s, ok, err := single(v, "f"); err != nil {
		return false, err
	} else if ok {
		switch strings.ToLower(s) {
		case "html":
			return true, nil
		case "json":
			return false, nil
		}
		return false, paramErrorf("f", "format %q is not offered here; want json or html", clip(s))
	}
	htmlQ, jsonQ := acceptQ(r.Header.Values("Accept"))
	return htmlQ > jsonQ, nil
}

// acceptQ returns the quality an Accept header gives HTML and JSON by name.
func acceptQ(accept []string) (htmlQ, jsonQ float64) {
	for _, h := range accept {
		for _, part := range strings.Split(h, ",") {
			fields := strings.Split(part, ";")
			mt := strings.ToLower(strings.TrimSpace(fields[0]))
			q := 1.0
			for _, p := range fields[1:] {
				k, val, _ := strings.Cut(strings.TrimSpace(p), "=")
				if strings.EqualFold(strings.TrimSpace(k), "q") {
					if f, err := strconv.ParseFloat(strings.TrimSpace(val), 64); err == nil && f >= 0 && f <= 1 {
						q = f
					}
				}
			}
			switch mt {
			case "text/html", "application/xhtml+xml":
				htmlQ = max(htmlQ, q)
			case "application/json", "application/geo+json":
				jsonQ = max(jsonQ, q)
			}
		}
	}
	return htmlQ, jsonQ
}

// jsonOnly checks the f parameter of endpoints that only speak JSON.
func jsonOnly(w http.ResponseWriter, r *http.Request) bool {
	if err := checkFormat(r.URL.Query(), "json"); err != nil {
		writeProblem(w, paramProblem(r, err))
		return false
	}
	return true
}
