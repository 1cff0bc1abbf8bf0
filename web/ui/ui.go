// Package ui embeds the command centre, the browser view of the twin built
// from web/ui/src by `make ui` (esbuild bundles deck.gl and the app into
// dist/), and serves it. Without a bundle (a plain `go build`) it serves a
// page that says how to build one, so the binary always builds and runs.
package ui

import (
	"bytes"
	"embed"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"
)

//go:embed all:dist
var dist embed.FS

// Bundle returns the files of the built bundle (index.html at the root), and
// whether there is one.
func Bundle() (fs.FS, bool) {
	sub, err := fs.Sub(dist, "dist")
	if err != nil {
		return nil, false
	}
	if _, err := fs.Stat(sub, "index.html"); err != nil {
		return sub, false
	}
	return sub, true
}

// Built reports whether the binary holds a built bundle.
func Built() bool {
	_, ok := Bundle()
	return ok
}

// Handler serves the command centre from files: index.html for the root and
// for any path without an extension (so that reloading a deep link works),
// the hashed assets with a year's caching, and their gzipped copies to clients
// that accept gzip. prefix is the path the handler is mounted at ("/ui/").
func Handler(prefix string) http.Handler {
	files, ok := Bundle()
	if !ok {
		return notBuilt{}
	}
	return &handler{prefix: prefix, files: files}
}

// HandlerFS is Handler over other files (tests).
func HandlerFS(prefix string, files fs.FS) http.Handler {
	return &handler{prefix: prefix, files: files}
}

type handler struct {
	prefix string
	files  fs.FS
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	name := strings.TrimPrefix(r.URL.Path, strings.TrimSuffix(h.prefix, "/"))
	name = strings.TrimPrefix(path.Clean("/"+name), "/")
	if name == "" || path.Ext(name) == "" {
		name = "index.html"
	}
	if name == "README" || strings.HasSuffix(name, ".gz") {
		http.NotFound(w, r)
		return
	}
	hd := w.Header()
	if name == "index.html" {
		// The page names the hashed assets: always ask for the current one.
		hd.Set("Cache-Control", "no-cache")
	} else {
		hd.Set("Cache-Control", "public, max-age=31536000, immutable")
	}
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Add("Vary", "Accept-Encoding")
	if ct := contentType(name); ct != "" {
		hd.Set("Content-Type", ct)
	}
	serve := name
	if acceptsGzip(r) {
		if _, err := fs.Stat(h.files, name+".gz"); err == nil {
			serve = name + ".gz"
			hd.Set("Content-Encoding", "gzip")
		}
	}
	b, err := fs.ReadFile(h.files, serve)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	if name == "index.html" {
		hd.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; worker-src 'self' blob:; connect-src 'self' ws: wss:")
	}
	if serve != name {
		r.Header.Del("Range") // ranges of the gzipped bytes would confuse a client
	}
	// The embedded files never change while the binary runs: their names (or
	// the binary) are the version, so http.ServeContent needs no modtime.
	http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(b))
}

func contentType(name string) string {
	switch path.Ext(name) {
	case ".html":
		return "text/html; charset=utf-8"
	case ".js":
		return "text/javascript; charset=utf-8"
	case ".css":
		return "text/css; charset=utf-8"
	case ".txt":
		return "text/plain; charset=utf-8"
	case ".json":
		return "application/json"
	case ".png":
		return "image/png"
	case ".svg":
		return "image/svg+xml"
	case ".woff2":
		return "font/woff2"
	case ".woff":
		return "font/woff"
	}
	return ""
}

func acceptsGzip(r *http.Request) bool {
	for _, v := range r.Header.Values("Accept-Encoding") {
		for _, part := range strings.Split(v, ",") {
			enc, params, _ := strings.Cut(strings.TrimSpace(part), ";")
			if strings.EqualFold(strings.TrimSpace(enc), "gzip") && !strings.Contains(strings.ReplaceAll(params, " ", ""), "q=0") {
				return true
			}
		}
	}
	return false
}

// notBuilt answers every request with a page that says how to build the UI.
type notBuilt struct{}

func (notBuilt) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusServiceUnavailable)
	_, _ = w.Write([]byte(notBuiltPage))
}

const notBuiltPage = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>citytwin — the command centre is not built</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem;color:#222}code,pre{background:#f4f4f4;border-radius:4px;padding:0 .25rem}pre{padding:.75rem}</style></head>
<body>
<h1>The command centre is not built into this binary</h1>
<p>This citytwin was built without its browser view. Build the view (it needs Node.js and npm)
and then the binary, from the repository root:</p>
<pre>make ui
make build      # or: make run</pre>
<p>The API works without it: <a href="/?f=html">the landing page</a>, <a href="/collections">/collections</a>,
<a href="/api">/api</a>.</p>
</body>
</html>
`
