package main

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// An open API on a reachable address is refused before anything starts.
func TestServeRefusesOpenAPIOnAReachableAddress(t *testing.T) {
	for _, args := range [][]string{
		{"serve", "--addr", "0.0.0.0:0"},
		{"serve", "--addr", ":0"},
		{"serve", "--addr", "192.0.2.1:8080"},
	} {
		var stderr bytes.Buffer
		code := run(context.Background(), args, &bytes.Buffer{}, &stderr)
		if code == 0 || !strings.Contains(stderr.String(), "without tokens") {
			t.Errorf("%v: exit %d, %q", args, code, stderr.String())
		}
	}
	var stderr bytes.Buffer
	if code := run(context.Background(), []string{"serve", "--token", "admin:ops:short"}, &bytes.Buffer{}, &stderr); code == 0 || !strings.Contains(stderr.String(), "at least 16") {
		t.Errorf("short token: exit %d, %q", code, stderr.String())
	}
}

func TestServeWithTokensFile(t *testing.T) {
	file := filepath.Join(t.TempDir(), "tokens")
	if err := os.WriteFile(file, []byte("# the wall screen\nviewer wall 0123456789abcdef0123\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	base := startServe(t, "--tokens", file)
	resp, err := http.Get(base + "/collections")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("no token: %d", resp.StatusCode)
	}
	req, _ := http.NewRequest(http.MethodGet, base+"/collections", nil)
	req.Header.Set("Authorization", "Bearer 0123456789abcdef0123")
	if resp, err = http.DefaultClient.Do(req); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("viewer token: %d", resp.StatusCode)
	}
}
