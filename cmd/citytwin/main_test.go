package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// startServe runs `citytwin serve` in-process on a free port and returns its URL.
func startServe(t *testing.T, args ...string) string {
	t.Helper()
	u, _ := startServeMQTT(t, args...)
	return u
}

// startServeMQTT is startServe that also returns the address of the MQTT broker
// when the arguments ask for one (--mqtt 127.0.0.1:0).
func startServeMQTT(t *testing.T, args ...string) (string, string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, append([]string{"serve", "--addr", "127.0.0.1:0", "--log-level", "warn"}, args...), pw, io.Discard)
		pw.Close()
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case code := <-done:
			if code != 0 {
				t.Errorf("serve exited with %d after cancel", code)
			}
		case <-time.After(15 * time.Second):
			t.Error("serve did not stop within 15 s of cancel")
		}
		pr.Close()
	})
	line := make(chan string, 1)
	var mqttAddr string // written before line is sent
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			if a, ok := strings.CutPrefix(sc.Text(), "MQTT broker on "); ok {
				mqttAddr = strings.TrimSuffix(strings.Fields(a)[0], ":")
			}
			if m := regexp.MustCompile(`http://[0-9.:]+/`).FindString(sc.Text()); m != "" {
				line <- m
			}
		}
	}()
	select {
	case u := <-line:
		return strings.TrimSuffix(u, "/"), mqttAddr
	case code := <-done:
		t.Fatalf("serve exited with %d before listening", code)
	case <-time.After(60 * time.Second):
		t.Fatal("serve did not start within 60 s")
	}
	return "", ""
}

func getJSON(t *testing.T, url string, wantStatus int, into any) http.Header {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != wantStatus {
		t.Fatalf("GET %s: %d %s, want %d", url, resp.StatusCode, body, wantStatus)
	}
	if into != nil {
		if err := json.Unmarshal(body, into); err != nil {
			t.Fatalf("GET %s: %v in %s", url, err, body)
		}
	}
	return resp.Header
}

func TestServeDemoAnswersOverHTTP(t *testing.T) {
	base := startServe(t, "--demo", "--tick", "100ms")

	var health struct {
		Status   string         `json:"status"`
		Entities int            `json:"entities"`
		Kinds    map[string]int `json:"kinds"`
		Seq      uint64         `json:"seq"`
	}
	getJSON(t, base+"/api/v1/health", 200, &health)
	if health.Status != "ok" || health.Kinds["building"] < 1000 || health.Kinds["sensor"] == 0 || health.Kinds["vehicle"] == 0 {
		t.Fatalf("health %+v", health)
	}

	var fc featureCollection
	h := getJSON(t, base+"/collections/buildings/items?limit=5&bbox=24.90,60.15,24.98,60.19", 200, &fc)
	if ct := h.Get("Content-Type"); !strings.HasPrefix(ct, "application/geo+json") {
		t.Fatalf("content type %q", ct)
	}
	if fc.Type != "FeatureCollection" || fc.NumberReturned != 5 || fc.NumberMatched < 100 || len(fc.Features) != 5 {
		t.Fatalf("items: %s returned %d of %d", fc.Type, fc.NumberReturned, fc.NumberMatched)
	}
	next := ""
	for _, l := range fc.Links {
		if l.Rel == "next" {
			next = l.Href
		}
	}
	if next == "" {
		t.Fatal("no next link")
	}

	// The live stream moves vehicles: a vehicle's position changes over time.
	var v1, v2 map[string]any
	getJSON(t, base+"/collections/vehicles/items/synth:vehicle%2F1", 200, &v1)
	deadline := time.Now().Add(20 * time.Second)
	for {
		getJSON(t, base+"/collections/vehicles/items/synth:vehicle%2F1", 200, &v2)
		if !jsonEqual(v1["geometry"], v2["geometry"]) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("vehicle 1 did not move in 20 s: %v", v2["geometry"])
		}
		time.Sleep(200 * time.Millisecond)
	}

	// Bad input is a 400 problem that names the parameter.
	for _, c := range []struct{ query, param string }{
		{"bbox=24.9,60.2,24.8,60.1", "bbox"},
		{"bbox=a,b,c,d", "bbox"},
		{"limit=0", "limit"},
		{"limit=10001", "limit"},
		{"datetime=yesterday", "datetime"},
	} {
		resp, err := http.Get(base + "/collections/buildings/items?" + c.query)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 400 || resp.Header.Get("Content-Type") != "application/problem+json" || !bytes.Contains(body, []byte(c.param)) {
			t.Errorf("%s: %d %s %s", c.query, resp.StatusCode, resp.Header.Get("Content-Type"), body)
		}
	}
	resp, err := http.Get(base + "/collections/castles/items")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 404 || resp.Header.Get("Content-Type") != "application/problem+json" {
		t.Errorf("unknown collection: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
}

// featureCollection is the part of a GeoJSON FeatureCollection the tests read.
type featureCollection struct {
	Type     string `json:"type"`
	Features []struct {
		ID         string         `json:"id"`
		Properties map[string]any `json:"properties"`
	} `json:"features"`
	NumberMatched  int `json:"numberMatched"`
	NumberReturned int `json:"numberReturned"`
	Links          []struct {
		Rel  string `json:"rel"`
		Href string `json:"href"`
	} `json:"links"`
}

func jsonEqual(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return bytes.Equal(x, y)
}

func TestGenWritesGeoJSON(t *testing.T) {
	out := filepath.Join(t.TempDir(), "city.geojson")
	var stderr bytes.Buffer
	if code := run(context.Background(), []string{"gen", "--buildings", "300", "--sensors", "30", "--vehicles", "10", "--seed", "3", "--quiet", "-o", out}, io.Discard, &stderr); code != 0 {
		t.Fatalf("gen exited %d: %s", code, stderr.String())
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var fc featureCollection
	if err := json.Unmarshal(data, &fc); err != nil {
		t.Fatal(err)
	}
	kinds := map[string]int{}
	for _, f := range fc.Features {
		kinds[f.Properties["kind"].(string)]++
	}
	if fc.Type != "FeatureCollection" || kinds["building"] != 300 || kinds["sensor"] != 30 || kinds["road"] == 0 {
		t.Fatalf("gen wrote %s with %v", fc.Type, kinds)
	}
}

func TestCommandLineErrors(t *testing.T) {
	cases := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"frobnicate"}, 2, "unknown command"},
		{[]string{"serve", "--no-such-flag"}, 2, "no-such-flag"},
		{[]string{"gen", "--size", "huge"}, 2, "--size"},
		{[]string{"serve", "--help"}, 0, "Usage: citytwin serve"},
	}
	for _, c := range cases {
		var stderr bytes.Buffer
		if code := run(context.Background(), c.args, io.Discard, &stderr); code != c.code || !strings.Contains(stderr.String(), c.want) {
			t.Errorf("%v: exit %d (%s), want %d mentioning %q", c.args, code, stderr.String(), c.code, c.want)
		}
	}
}
