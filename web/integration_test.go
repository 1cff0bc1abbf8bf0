package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"citytwin/twin"

	"github.com/paulmach/orb"
)

// TestIntegration starts the real server on a free port and talks to it over HTTP.
func TestIntegration(t *testing.T) {
	fx := newFixture(t)
	s, logs := newTestServer(t, fx, func(c *Config) { c.BaseURL = "" })
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := s.HTTPServer(ln.Addr().String())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
		if err := <-served; !errors.Is(err, http.ErrServerClosed) {
			t.Errorf("serve: %v", err)
		}
	})
	base := "http://" + ln.Addr().String()
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{}}
	// Runs before the shutdown above: connections the transport dialled but never
	// used look new to the server, and Shutdown waits 5 s before it closes those.
	t.Cleanup(client.CloseIdleConnections)
	fetch := func(target string) (*http.Response, []byte) {
		t.Helper()
		resp, err := client.Get(target)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return resp, body
	}

	// Walk as a client would: landing page → data link → items link → pages.
	resp, body := fetch(base + "/")
	var landing LandingPage
	if err := json.Unmarshal(body, &landing); err != nil || resp.StatusCode != 200 {
		t.Fatalf("landing: %d %v %s", resp.StatusCode, err, body)
	}
	var data string
	for _, l := range landing.Links {
		if l.Rel == "data" {
			data = l.Href
		}
	}
	if !strings.HasPrefix(data, base) {
		t.Fatalf("data link %q is not on %s", data, base)
	}
	_, body = fetch(data)
	var colls Collections
	if err := json.Unmarshal(body, &colls); err != nil {
		t.Fatal(err)
	}
	var items string
	for _, c := range colls.Collections {
		if c.ID == "buildings" {
			for _, l := range c.Links {
				if l.Rel == "items" {
					items = l.Href
				}
			}
		}
	}
	if items == "" {
		t.Fatalf("no items link for buildings: %s", body)
	}
	next := items + "?" + url.Values{"limit": {"4"}, "bbox": {"13.3,52.4,13.5,52.6"}}.Encode()
	seen := map[string]bool{}
	for next != "" {
		resp, body := fetch(next)
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != ContentTypeGeoJSON {
			t.Fatalf("%s: %d %s", next, resp.StatusCode, body)
		}
		var fc FeatureCollection
		if err := json.Unmarshal(body, &fc); err != nil {
			t.Fatal(err)
		}
		for _, f := range fc.Features {
			if seen[string(f.ID)] {
				t.Errorf("%s twice", f.ID)
			}
			seen[string(f.ID)] = true
		}
		next = ""
		for _, l := range fc.Links {
			if l.Rel == "next" {
				next = l.Href
			}
		}
	}
	if len(seen) != 23 {
		t.Errorf("paged through %d buildings, want 23", len(seen))
	}

	// A bad request over the wire is a problem naming the parameter.
	resp, body = fetch(base + "/collections/buildings/items?bbox=13,53,14,52")
	var p Problem
	if err := json.Unmarshal(body, &p); err != nil || resp.StatusCode != 400 || resp.Header.Get("Content-Type") != ContentTypeProblem ||
		len(p.InvalidParams) != 1 || p.InvalidParams[0].Name != "bbox" {
		t.Errorf("bad bbox: %d %s", resp.StatusCode, body)
	}

	// Concurrent readers while the twin changes.
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := range 50 {
			e := twin.Entity{ID: twin.ID(fmt.Sprintf("sensor:new-%d", i)), Kind: twin.KindSensor, Geometry: orb.Point{13.41 + float64(i)*1e-4, 52.505}}
			if _, err := fx.store.Apply(twin.Op{Type: twin.OpUpsert, Entity: &e}); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 10 {
				resp, err := client.Get(base + "/collections/sensors/items?limit=3&near=13.41,52.505,2000")
				if err == nil && i%2 == 0 {
					resp.Body.Close()
					resp, err = client.Get(base + "/collections")
				}
				if err != nil {
					t.Error(err)
					return
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 {
					t.Errorf("reader %d: %d", i, resp.StatusCode)
				}
			}
		}()
	}
	wg.Wait()
	if !strings.Contains(logs.String(), `"msg":"http request"`) {
		t.Error("no request log lines")
	}
}
