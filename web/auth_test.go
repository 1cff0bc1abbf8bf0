package web

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const (
	viewerSecret   = "viewer-secret-0123456789"
	operatorSecret = "operator-secret-0123456789"
	plannerSecret  = "planner-secret-0123456789"
	adminSecret    = "admin-secret-0123456789"
)

func testTokens(t *testing.T) []Token {
	t.Helper()
	toks, err := ParseTokens(strings.NewReader(`# who may do what
viewer wall-screen `+viewerSecret+`
operator control-room `+operatorSecret+`

planner planning `+plannerSecret+`
admin ops `+adminSecret+`
`), "tokens.txt")
	if err != nil {
		t.Fatal(err)
	}
	return toks
}

// send makes a request with an optional bearer token and body.
func send(t *testing.T, h http.Handler, method, target, token, body string, header ...string) response {
	t.Helper()
	req := httptest.NewRequest(method, target, strings.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	b, _ := io.ReadAll(rec.Result().Body)
	return response{status: rec.Code, header: rec.Header(), body: b}
}

func TestTokensFileErrorsNameTheLine(t *testing.T) {
	for _, c := range []struct{ file, want string }{
		{"viewer a 0123456789abcdef\nroot b 0123456789abcdef\n", "tokens.txt:2: unknown role \"root\""},
		{"viewer a short\n", "tokens.txt:1: token \"a\": the secret has 5 characters"},
		{"\n\nviewer a\n", "tokens.txt:3: want \"role name secret\", found 2 fields"},
	} {
		_, err := ParseTokens(strings.NewReader(c.file), "tokens.txt")
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: got %v, want %q", c.file, err, c.want)
		}
	}
	if _, err := ParseTokenFlag("admin:ops"); err == nil || strings.Contains(err.Error(), "ops") && !strings.Contains(err.Error(), "…") {
		t.Errorf("flag without a secret: %v", err)
	}
	tok, err := ParseTokenFlag("planner:anna:" + plannerSecret)
	if err != nil || tok.Role != RolePlanner || tok.Name != "anna" {
		t.Errorf("flag: %+v %v", tok, err)
	}
}

// Every route asks for the right role: no token and a wrong token are 401, a
// role without the permission is 403 and names the roles that would do.
func TestRolesGuardEveryKindOfRequest(t *testing.T) {
	s, _ := ingestServerWith(t, nil, func(c *Config) { c.Tokens = testTokens(t) })
	h := s.Handler()
	obs := `[{"bn":"sensor:a:","n":"pm25","u":"ug/m3","v":3}]`
	if r := send(t, h, "POST", "/api/v1/entities", operatorSecret, twoSensors, "Content-Type", "application/geo+json"); r.status != 200 {
		t.Fatalf("operator creates sensors: %d %s", r.status, r.body)
	}
	cases := []struct {
		method, target, token, body string
		want                        int
	}{
		{"GET", "/collections", "", "", 401},
		{"GET", "/collections", "not-a-token-at-all-xyz", "", 401},
		{"GET", "/collections", viewerSecret, "", 200},
		{"GET", "/metrics", viewerSecret, "", 200},
		{"GET", "/api/v1/health", "", "", 200}, // probes need no token
		{"GET", "/ui/", "", "", -1},            // the command centre's files need no token: any status but 401 or 403 (503 without a bundle, 200 with)
		{"POST", "/api/v1/observations", "", obs, 401},
		{"POST", "/api/v1/observations", viewerSecret, obs, 403},
		{"POST", "/api/v1/observations", plannerSecret, obs, 403},
		{"POST", "/api/v1/observations", operatorSecret, obs, 200},
		{"POST", "/api/v1/observations", adminSecret, obs, 200},
		{"POST", importsPath, operatorSecret, "x", 403},
		{"POST", importsPath, adminSecret, "not a city", 400},
		{"GET", "/api/v1/deadletter", operatorSecret, "", 403},
		{"GET", "/api/v1/deadletter", adminSecret, "", 200},
		{"POST", "/api/v1/scenarios", operatorSecret, "{}", 403},
		{"POST", "/api/v1/geofences", plannerSecret, "{}", 403},
	}
	for _, c := range cases {
		r := send(t, h, c.method, c.target, c.token, c.body, "Content-Type", "application/senml+json")
		if c.want == -1 {
			if r.status == 401 || r.status == 403 {
				t.Errorf("%s %s with %q: %d, want no refusal", c.method, c.target, c.token, r.status)
			}
			continue
		}
		if r.status != c.want {
			t.Errorf("%s %s with %q: %d, want %d\n%s", c.method, c.target, c.token, r.status, c.want, r.body)
			continue
		}
		if c.want == 401 || c.want == 403 {
			if r.header.Get("Content-Type") != ContentTypeProblem {
				t.Errorf("%s %s: %d without a problem body", c.method, c.target, r.status)
			}
		}
		if c.want == 401 && !strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Bearer") {
			t.Errorf("%s %s: 401 without WWW-Authenticate", c.method, c.target)
		}
		if c.want == 403 && !strings.Contains(string(r.body), "it needs") {
			t.Errorf("%s %s: 403 does not say which role would do: %s", c.method, c.target, r.body)
		}
	}
}

func TestPublicReadStillGuardsWrites(t *testing.T) {
	s, _ := ingestServerWith(t, nil, func(c *Config) { c.Tokens, c.PublicRead = testTokens(t), true })
	h := s.Handler()
	if r := send(t, h, "GET", "/collections", "", ""); r.status != 200 {
		t.Errorf("public read: %d", r.status)
	}
	if r := send(t, h, "POST", "/api/v1/entities", "", `{"type":"FeatureCollection","features":[]}`); r.status != 401 {
		t.Errorf("anonymous write: %d", r.status)
	}
	if r := send(t, h, "GET", "/collections", "wrong-token-0123456789", ""); r.status != 401 {
		t.Errorf("a wrong token is refused even where anonymous reads pass: %d", r.status)
	}
}

func TestCORSAndOrigins(t *testing.T) {
	s, _ := ingestServerWith(t, nil, func(c *Config) { c.AllowedOrigins = []string{"https://ops.example.org"} })
	h := s.Handler()
	r := send(t, h, "GET", "/collections", "", "", "Origin", "https://ops.example.org")
	if r.status != 200 || r.header.Get("Access-Control-Allow-Origin") != "https://ops.example.org" {
		t.Errorf("allowed origin: %d %v", r.status, r.header)
	}
	r = send(t, h, "OPTIONS", "/api/v1/entities", "", "", "Origin", "https://ops.example.org", "Access-Control-Request-Method", "POST")
	if r.status != 204 || !strings.Contains(r.header.Get("Access-Control-Allow-Headers"), "Authorization") {
		t.Errorf("preflight: %d %v", r.status, r.header)
	}
	r = send(t, h, "POST", "/api/v1/entities", "", `{"type":"FeatureCollection","features":[]}`, "Origin", "https://evil.example.com")
	if r.status != 403 || r.header.Get("Access-Control-Allow-Origin") != "" || !strings.Contains(string(r.body), "--allow-origin") {
		t.Errorf("foreign origin: %d %v %s", r.status, r.header, r.body)
	}
	// The server's own pages are same-origin.
	if r := send(t, h, "GET", "/collections", "", "", "Origin", "http://example.com"); r.status != 200 {
		t.Errorf("same host origin: %d", r.status)
	}
	cfg := DefaultConfig()
	cfg.AllowedOrigins = []string{"ops.example.org/path"}
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "allowed origin") {
		t.Errorf("bad origin accepted: %v", err)
	}
}

func TestOversizedBodyIs413(t *testing.T) {
	s, _ := ingestServerWith(t, nil, func(c *Config) { c.MaxBodyBytes = 1024 })
	big := `{"type":"FeatureCollection","features":[` + strings.Repeat(" ", 4096) + `]}`
	r := send(t, s.Handler(), "POST", "/api/v1/entities", "", big, "Content-Type", "application/geo+json")
	if r.status != http.StatusRequestEntityTooLarge {
		t.Errorf("oversized body: %d %s", r.status, r.body)
	}
}

// A client that sends its headers a byte at a time (slow-loris) is cut off by
// the read-header timeout instead of holding a connection for ever.
func TestSlowHeadersAreCutOff(t *testing.T) {
	s, _ := ingestServerWith(t, nil, func(c *Config) { c.ReadHeaderTimeout = 300 * time.Millisecond })
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := s.HTTPServer(ln.Addr().String())
	go func() { _ = hs.Serve(ln) }()
	t.Cleanup(func() { hs.Close() })

	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	start := time.Now()
	closed := false
	for _, b := range []byte("GET /collections HTTP/1.1\r\nHost: x\r\nX-Slow: ") {
		if _, err := conn.Write([]byte{b}); err != nil {
			closed = true
			break
		}
		time.Sleep(20 * time.Millisecond)
		if time.Since(start) > 5*time.Second {
			break
		}
	}
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	line, err := bufio.NewReader(conn).ReadString('\n')
	if !closed && err == nil && !strings.Contains(line, "408") {
		t.Fatalf("slow client got an answer: %q", line)
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("the server kept the slow connection open past its header timeout")
	}
}

// The import endpoint takes files only in the request body: a name with path
// tricks labels the upload and reaches no file on the server.
func TestImportNamesCannotReachFiles(t *testing.T) {
	s, store := ingestServerWith(t, nil, nil)
	dir := t.TempDir()
	secret := filepath.Join(dir, "secret.geojson")
	if err := os.WriteFile(secret, []byte(`{"type":"FeatureCollection","features":[{"type":"Feature","id":"x:leak","geometry":{"type":"Point","coordinates":[1,2]},"properties":{"kind":"sensor"}}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	h := s.Handler()
	for _, name := range []string{"../../../../" + secret, secret, "..%2F..%2Fetc%2Fpasswd"} {
		r := post(t, h, importsPath+"?name="+name, "", "")
		if r.status != 400 {
			t.Errorf("empty upload named %q: %d %s", name, r.status, r.body)
		}
	}
	if _, err := store.Get("x:leak"); err == nil {
		t.Fatal("an import name reached a file on the server")
	}
	if r := post(t, h, importsPath+"?format=../../geojson", "", "{}"); r.status != 400 || !strings.Contains(string(r.body), "format") {
		t.Errorf("format with a path: %d %s", r.status, r.body)
	}
}
