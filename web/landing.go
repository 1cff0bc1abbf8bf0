package web

import (
	"bytes"
	"fmt"
	"html/template"
	"math"
	"net/http"
	"net/url"
	"time"
)

// The conformance classes of OGC API – Features Part 1 this server implements.
var conformanceClasses = []string{
	"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
	"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
	"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
	// Part 3, filtering with CQL2 text (package twin/cql2 says what of CQL2).
	"http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
	"http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
	"http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter",
	"http://www.opengis.net/spec/cql2/1.0/conf/cql2-text",
	"http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2",
	"http://www.opengis.net/spec/cql2/1.0/conf/advanced-comparison-operators",
	"http://www.opengis.net/spec/cql2/1.0/conf/case-insensitive-comparison",
	"http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions",
	"http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions-plus",
	"http://www.opengis.net/spec/cql2/1.0/conf/temporal-functions",
	"http://www.opengis.net/spec/cql2/1.0/conf/arithmetic",
}

// LandingPage is the JSON landing page.
type LandingPage struct {
	Title       string `json:"title"`
	Description string `json:"description"`
	Links       []Link `json:"links"`
}

// Conformance lists the conformance classes.
type Conformance struct {
	ConformsTo []string `json:"conformsTo"`
}

func (s *Server) landing(w http.ResponseWriter, r *http.Request) {
	html, perr := wantsHTML(r, r.URL.Query())
	if perr != nil {
		writeProblem(w, paramProblem(r, perr))
		return
	}
	base := s.base(r)
	w.Header().Add("Vary", "Accept")
	if html {
		s.landingHTML(w, r, base)
		return
	}
	s.writeJSON(w, r, ContentTypeJSON, LandingPage{
		Title:       s.cfg.Title,
		Description: s.cfg.Description,
		Links: []Link{
			{Href: base + "/?f=json", Rel: "self", Type: ContentTypeJSON, Title: "This document"},
			{Href: base + "/?f=html", Rel: "alternate", Type: "text/html", Title: "This document as HTML"},
			{Href: base + "/api", Rel: "service-desc", Type: ContentTypeOpenAPI, Title: "The API definition (OpenAPI 3.0)"},
			{Href: base + "/conformance", Rel: "conformance", Type: ContentTypeJSON, Title: "Conformance classes implemented"},
			{Href: base + "/collections", Rel: "data", Type: ContentTypeJSON, Title: "The collections: one per kind of entity"},
			{Href: base + "/api/v1/health", Rel: "status", Type: ContentTypeJSON, Title: "Health of the twin"},
		},
	})
}

func (s *Server) conformance(w http.ResponseWriter, r *http.Request) {
	if !jsonOnly(w, r) {
		return
	}
	s.writeJSON(w, r, ContentTypeJSON, Conformance{ConformsTo: conformanceClasses})
}

// landingData fills the HTML landing page.
type landingData struct {
	Title, Description, Base string
	Entities                 int
	Collections              []landingCollection
	Example                  string // collection id used in the examples
	BBox                     string // a bbox inside the example collection
	Instant                  string // an RFC 3339 instant an hour ago
	Interval                 string // the last hour, as an OGC datetime interval
}

type landingCollection struct {
	ID    string
	Count int
}

func (s *Server) landingHTML(w http.ResponseWriter, r *http.Request, base string) {
	d := landingData{
		Title:       s.cfg.Title,
		Description: s.cfg.Description,
		Base:        base,
		Entities:    s.store.Len(),
		Example:     "buildings",
		BBox:        "-0.13,51.50,-0.12,51.51",
		Instant:     s.now().Add(-time.Hour).UTC().Truncate(time.Second).Format(time.RFC3339),
		Interval:    s.now().Add(-time.Hour).UTC().Truncate(time.Second).Format(time.RFC3339) + "/..",
	}
	counts := s.store.Counts()
	for i, k := range s.store.Kinds() {
		d.Collections = append(d.Collections, landingCollection{ID: k.Plural(), Count: counts[k]})
		if i == 0 {
			d.Example = k.Plural()
		}
	}
	if ext, err := s.extents.get(r.Context(), s.store, s.cfg.ExtentTTL, s.now()); err == nil && len(d.Collections) > 0 {
		if k, ok := s.kindOf(d.Example); ok && ext[k].Spatial != nil {
			b := ext[k].Spatial.BBox[0]
			// Rounded outwards to 4 decimals (about 10 m), so that it reads well.
			d.BBox = fmt.Sprintf("%.4f,%.4f,%.4f,%.4f", math.Floor(b[0]*1e4)/1e4, math.Floor(b[1]*1e4)/1e4, math.Ceil(b[2]*1e4)/1e4, math.Ceil(b[3]*1e4)/1e4)
		}
	}
	var buf bytes.Buffer
	if err := landingTemplate.Execute(&buf, d); err != nil {
		s.log.Error("render landing page", "err", err)
		writeProblem(w, internalProblem(r))
		return
	}
	w.Header().Set("Content-Type", ContentTypeHTML)
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(buf.Bytes())
}

var landingTemplate = template.Must(template.New("landing").Funcs(template.FuncMap{
	// query encodes key, value pairs; as a template.URL it is not escaped again.
	"query": func(kv ...string) template.URL {
		v := url.Values{}
		for i := 0; i+1 < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		return template.URL(v.Encode()) //nolint:gosec // url.Values.Encode escapes every key and value
	},
}).Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<style>
body { font: 16px/1.5 system-ui, sans-serif; max-width: 52rem; margin: 2rem auto; padding: 0 1rem; color: #222; }
h1 { margin-bottom: 0; }
p.lead { color: #555; margin-top: .25rem; }
code, pre { font: 14px ui-monospace, monospace; background: #f4f4f4; border-radius: 4px; }
code { padding: 0 .25rem; }
pre { padding: .75rem; overflow-x: auto; }
table { border-collapse: collapse; }
td, th { padding: .2rem .8rem .2rem 0; text-align: left; }
a { color: #0550ae; }
</style>
</head>
<body>
<h1>{{.Title}}</h1>
<p class="lead">{{.Description}}</p>

<p>This server is a live digital twin of a city. It holds {{.Entities}} entities
(buildings, roads, stops, sensors, vehicles, …), each with geometry, properties, links,
provenance and a history of versions, and serves them through
<a href="https://ogcapi.ogc.org/features/">OGC API – Features</a> as GeoJSON.
Ask for the twin as it is now, or as it was at any past instant.</p>

<h2>Start here</h2>
<ul>
<li><a href="{{.Base}}/collections">/collections</a>: one collection per kind of entity</li>
<li><a href="{{.Base}}/api/v1/health">/api/v1/health</a>: entities, kinds and the position of the change feed</li>
<li><a href="{{.Base}}/conformance">/conformance</a>: the OGC conformance classes implemented</li>
<li><a href="{{.Base}}/api">/api</a>: the OpenAPI 3.0 definition of every endpoint and parameter,
the REST API under <code>/api/v1</code> included (entities, history, series, latest, aggregates, H3, geofences)</li>
<li><a href="{{.Base}}/metrics">/metrics</a>: Prometheus metrics</li>
</ul>

{{if .Collections}}
<h2>Collections</h2>
<table>
<tr><th>collection</th><th>live entities</th></tr>
{{range .Collections}}<tr><td><a href="{{$.Base}}/collections/{{.ID}}/items">{{.ID}}</a></td><td>{{.Count}}</td></tr>
{{end}}</table>
{{end}}

<h2>Try</h2>
<ul>
<li><a href="{{.Base}}/collections/{{.Example}}/items?{{query "limit" "5"}}">five {{.Example}}</a></li>
<li><a href="{{.Base}}/collections/{{.Example}}/items?{{query "bbox" .BBox "limit" "100"}}">{{.Example}} in a bbox</a>
(<code>bbox=minLon,minLat,maxLon,maxLat</code>; minLon &gt; maxLon crosses the antimeridian)</li>
<li><a href="{{.Base}}/collections/{{.Example}}/items?{{query "datetime" .Instant}}">{{.Example}} as they were an hour ago</a>
(<code>datetime=</code> an RFC 3339 instant)</li>
<li><a href="{{.Base}}/collections/{{.Example}}/items?{{query "datetime" .Interval}}">{{.Example}} valid at any time in the last hour</a>
(<code>datetime=a/b</code>, <code>../b</code> or <code>a/..</code>)</li>
<li>filters in CQL2 (<a href="{{.Base}}/collections/{{.Example}}/queryables">queryables</a>):
<code>filter=height &gt; 20 AND S_INTERSECTS(geometry, BBOX(…))</code></li>
<li>citytwin extensions: <code>where=height&gt;=20</code> (repeatable),
<code>near=lon,lat,radius_m</code>, <code>h3=cell,cell</code></li>
<li>pages: follow the <code>next</code> link; <code>limit</code> takes 1..10000</li>
</ul>

<h2>From the command line</h2>
<pre>curl -s '{{.Base}}/collections'
curl -s '{{.Base}}/collections/{{.Example}}/items?{{query "bbox" .BBox "limit" "10"}}'
curl -s '{{.Base}}/collections/{{.Example}}/items?{{query "datetime" .Instant}}'
curl -s '{{.Base}}/api/v1/health'</pre>

<p>Errors come back as <code>application/problem+json</code> naming the parameter at fault.</p>
</body>
</html>
`))
