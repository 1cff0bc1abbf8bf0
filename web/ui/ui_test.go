package ui

import (
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"
)

// bundle is a built bundle in miniature: hashed assets, their gzipped copies
// and the page that names them.
func bundle(t *testing.T) fstest.MapFS {
	t.Helper()
	js := "console.log('command centre')"
	var gz strings.Builder
	w := gzip.NewWriter(&gz)
	if _, err := io.WriteString(w, js); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return fstest.MapFS{
		"README":               {Data: []byte("placeholder")},
		"index.html":           {Data: []byte(`<!doctype html><script type="module" src="app-ABC.js"></script>`)},
		"app-ABC.js":           {Data: []byte(js)},
		"app-ABC.js.gz":        {Data: []byte(gz.String())},
		"style-DEF.css":        {Data: []byte("body{}")},
		"app-ABC.js.LEGAL.txt": {Data: []byte("MIT")},
	}
}

func TestHandlerServesBundle(t *testing.T) {
	h := HandlerFS("/ui/", bundle(t))
	tests := []struct {
		name, path, acceptEncoding string
		status                     int
		contentType, cache, enc    string
		body                       string
	}{
		{"page", "/ui/", "", 200, "text/html; charset=utf-8", "no-cache", "", "<!doctype html>"},
		{"deep link gets the page", "/ui/entity/42", "", 200, "text/html; charset=utf-8", "no-cache", "", "app-ABC.js"},
		{"asset", "/ui/app-ABC.js", "", 200, "text/javascript; charset=utf-8", "public, max-age=31536000, immutable", "", "console.log"},
		{"gzipped asset", "/ui/app-ABC.js", "gzip, deflate, br", 200, "text/javascript; charset=utf-8", "public, max-age=31536000, immutable", "gzip", ""},
		{"gzip refused", "/ui/app-ABC.js", "gzip;q=0", 200, "text/javascript; charset=utf-8", "public, max-age=31536000, immutable", "", "console.log"},
		{"css without a gzipped copy", "/ui/style-DEF.css", "gzip", 200, "text/css; charset=utf-8", "public, max-age=31536000, immutable", "", "body{}"},
		{"missing asset", "/ui/app-XYZ.js", "", 404, "", "", "", ""},
		{"placeholder hidden", "/ui/README.txt", "", 404, "", "", "", ""},
		{"gz files not by name", "/ui/app-ABC.js.gz", "", 404, "", "", "", ""},
		{"no escape from the bundle", "/ui/../../etc/passwd", "", 200, "text/html; charset=utf-8", "no-cache", "", "<!doctype html>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest("GET", tt.path, nil)
			if tt.acceptEncoding != "" {
				req.Header.Set("Accept-Encoding", tt.acceptEncoding)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tt.status {
				t.Fatalf("status %d, want %d", rec.Code, tt.status)
			}
			if tt.status != 200 {
				return
			}
			if got := rec.Header().Get("Content-Type"); got != tt.contentType {
				t.Errorf("Content-Type %q, want %q", got, tt.contentType)
			}
			if got := rec.Header().Get("Cache-Control"); got != tt.cache {
				t.Errorf("Cache-Control %q, want %q", got, tt.cache)
			}
			if got := rec.Header().Get("Content-Encoding"); got != tt.enc {
				t.Errorf("Content-Encoding %q, want %q", got, tt.enc)
			}
			body := rec.Body.String()
			if tt.enc == "gzip" {
				r, err := gzip.NewReader(rec.Body)
				if err != nil {
					t.Fatal(err)
				}
				b, _ := io.ReadAll(r)
				body = string(b)
				if body != "console.log('command centre')" {
					t.Errorf("gunzipped body %q", body)
				}
			} else if !strings.Contains(body, tt.body) {
				t.Errorf("body %.100q lacks %q", body, tt.body)
			}
		})
	}
}

func TestHandlerRefusesWrites(t *testing.T) {
	rec := httptest.NewRecorder()
	HandlerFS("/ui/", bundle(t)).ServeHTTP(rec, httptest.NewRequest("POST", "/ui/", nil))
	if rec.Code != http.StatusMethodNotAllowed || rec.Header().Get("Allow") != "GET, HEAD" {
		t.Errorf("POST: %d, Allow %q", rec.Code, rec.Header().Get("Allow"))
	}
}

func TestPageSecurityPolicy(t *testing.T) {
	rec := httptest.NewRecorder()
	HandlerFS("/ui/", bundle(t)).ServeHTTP(rec, httptest.NewRequest("GET", "/ui/", nil))
	csp := rec.Header().Get("Content-Security-Policy")
	// Nothing from elsewhere: the page loads and connects to its own server only.
	for _, want := range []string{"default-src 'self'", "connect-src 'self' ws: wss:"} {
		if !strings.Contains(csp, want) {
			t.Errorf("Content-Security-Policy %q lacks %q", csp, want)
		}
	}
}

// TestNotBuilt: a binary built without `make ui` says how to build the view.
func TestNotBuilt(t *testing.T) {
	rec := httptest.NewRecorder()
	notBuilt{}.ServeHTTP(rec, httptest.NewRequest("GET", "/ui/", nil))
	if rec.Code != http.StatusServiceUnavailable || !strings.Contains(rec.Body.String(), "make ui") {
		t.Errorf("%d %s", rec.Code, rec.Body.String())
	}
}

// TestEmbeddedBundle checks what this binary holds: the placeholder always,
// and when `make ui` ran, a page whose every script and stylesheet is in it.
func TestEmbeddedBundle(t *testing.T) {
	files, built := Bundle()
	if files == nil {
		t.Fatal("no dist directory embedded")
	}
	if !built {
		rec := httptest.NewRecorder()
		Handler("/ui/").ServeHTTP(rec, httptest.NewRequest("GET", "/ui/", nil))
		if rec.Code != http.StatusServiceUnavailable {
			t.Errorf("without a bundle /ui/ answers %d", rec.Code)
		}
		t.Skip("the bundle is not built (make ui)")
	}
	h := Handler("/ui/")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/ui/", nil))
	page := rec.Body.String()
	if rec.Code != 200 {
		t.Fatalf("/ui/: %d", rec.Code)
	}
	for _, attr := range []string{`src="`, `href="`} {
		for rest := page; ; {
			i := strings.Index(rest, attr)
			if i < 0 {
				break
			}
			rest = rest[i+len(attr):]
			ref := rest[:strings.IndexByte(rest, '"')]
			if strings.HasPrefix(ref, "data:") {
				continue
			}
			if strings.Contains(ref, "//") {
				t.Errorf("the page loads %s from elsewhere", ref)
				continue
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest("GET", "/ui/"+ref, nil))
			if rec.Code != 200 || rec.Body.Len() == 0 {
				t.Errorf("the page names %s, which answers %d", ref, rec.Code)
			}
		}
	}
}
