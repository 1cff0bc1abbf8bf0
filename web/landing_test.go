package web

import (
	"slices"
	"strings"
	"testing"
)

func TestLanding(t *testing.T) {
	fx := newFixture(t)
	s, _ := newTestServer(t, fx, nil)
	h := s.Handler()
	browser := "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
	tests := []struct {
		target, accept string
		html           bool
	}{
		{"/", "", false},
		{"/", "*/*", false},
		{"/", "application/json", false},
		{"/?f=html", browser, true},
		{"/?f=html", "application/json;q=0.5, text/html", true},
		{"/", "text/html;q=0.4, application/json", false},
		{"/?f=json", browser, false},
		{"/?f=html", "application/json", true},
		{"/?f=HTML", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.target+" "+tt.accept, func(t *testing.T) {
			r := get(t, h, tt.target, "Accept", tt.accept)
			if r.status != 200 {
				t.Fatalf("status %d: %s", r.status, r.body)
			}
			if !strings.Contains(r.header.Get("Vary"), "Accept") {
				t.Error("no Vary: Accept")
			}
			if tt.html {
				if ct := r.header.Get("Content-Type"); ct != ContentTypeHTML {
					t.Fatalf("Content-Type %q, want HTML", ct)
				}
				body := string(r.body)
				for _, want := range []string{"<!doctype html>", "citytwin", `href="http://twin.test/collections"`,
					"http://twin.test/api/v1/health", `href="http://twin.test/collections/buildings/items?limit=5"`,
					`href="http://twin.test/collections/buildings/items?bbox=13.4000%2C52.5000%2C13.4440%2C52.5190&amp;limit=100"`, "datetime=2024-05-01T10%3A00%3A00Z", "curl -s"} {
					if !strings.Contains(body, want) {
						t.Errorf("HTML landing page lacks %q", want)
					}
				}
				for _, ext := range []string{"<script", "src=\"http", "stylesheet"} {
					if strings.Contains(body, ext) {
						t.Errorf("HTML landing page loads an external asset (%s)", ext)
					}
				}
				return
			}
			if ct := r.header.Get("Content-Type"); ct != ContentTypeJSON {
				t.Fatalf("Content-Type %q, want JSON", ct)
			}
			m := r.json(t)
			if m["title"] != "citytwin" || m["description"] == "" {
				t.Errorf("landing page %v", m)
			}
			rels := map[string]string{}
			for _, l := range m["links"].([]any) {
				l := l.(map[string]any)
				rels[l["rel"].(string)] = l["href"].(string)
			}
			want := map[string]string{
				"self":         "http://twin.test/?f=json",
				"service-desc": "http://twin.test/api",
				"conformance":  "http://twin.test/conformance",
				"data":         "http://twin.test/collections",
			}
			for rel, href := range want {
				if rels[rel] != href {
					t.Errorf("link %s = %q, want %q", rel, rels[rel], href)
				}
			}
		})
	}
}

func TestLandingBaseFromRequest(t *testing.T) {
	fx := newFixture(t)
	s, _ := newTestServer(t, fx, func(c *Config) { c.BaseURL = "" })
	r := get(t, s.Handler(), "http://city.example:8080/")
	if !strings.Contains(string(r.body), `"href":"http://city.example:8080/conformance"`) {
		t.Errorf("links do not follow the request's host: %s", r.body)
	}
	s, _ = newTestServer(t, fx, func(c *Config) { c.BaseURL = "https://twin.example.org/city/" })
	r = get(t, s.Handler(), "/")
	if !strings.Contains(string(r.body), `"href":"https://twin.example.org/city/conformance"`) {
		t.Errorf("links do not follow the base url: %s", r.body)
	}
}

func TestConformance(t *testing.T) {
	fx := newFixture(t)
	s, _ := newTestServer(t, fx, nil)
	r := get(t, s.Handler(), "/conformance")
	if r.status != 200 || r.header.Get("Content-Type") != ContentTypeJSON {
		t.Fatalf("%d %s", r.status, r.header.Get("Content-Type"))
	}
	var got []string
	for _, c := range r.json(t)["conformsTo"].([]any) {
		got = append(got, c.(string))
	}
	for _, class := range []string{"core", "geojson", "oas30"} {
		if !slices.Contains(got, "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/"+class) {
			t.Errorf("conformsTo %v lacks %s", got, class)
		}
	}
}

func TestAcceptQ(t *testing.T) {
	tests := []struct {
		accept       string
		htmlQ, jsonQ float64
	}{
		{"", 0, 0},
		{"*/*", 0, 0},
		{"text/html", 1, 0},
		{"application/geo+json;q=0.3,text/html;q=0.2", 0.2, 0.3},
		{"TEXT/HTML ; Q=0.7", 0.7, 0},
		{"text/html;q=bad", 1, 0},
		{"text/html;q=7", 1, 0},
	}
	for _, tt := range tests {
		h, j := acceptQ([]string{tt.accept})
		if h != tt.htmlQ || j != tt.jsonQ {
			t.Errorf("acceptQ(%q) = %v, %v; want %v, %v", tt.accept, h, j, tt.htmlQ, tt.jsonQ)
		}
	}
}
