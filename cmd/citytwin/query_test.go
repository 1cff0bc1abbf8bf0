package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
)

// citytwin query asks a running server and prints tables people can read, or
// the server's JSON.
func TestQueryCommand(t *testing.T) {
	base := startServe(t, "--demo", "--tick", "200ms")
	q := func(args ...string) (string, string, int) {
		t.Helper()
		var out, errb bytes.Buffer
		code := run(context.Background(), append(append([]string{"query"}, args...), "--server", base), &out, &errb)
		return out.String(), errb.String(), code
	}

	out, errs, code := q("list", "--kind", "building", "--limit", "3")
	if code != 0 || !strings.HasPrefix(out, "ID") || strings.Count(out, "synth:building/") != 3 || !strings.Contains(out, "of 3000") {
		t.Fatalf("list: exit %d\n%s%s", code, out, errs)
	}
	out, errs, code = q("nearest", "24.94,60.17", "--k", "2", "--kind", "sensor")
	if code != 0 || !strings.Contains(out, "DISTANCE_M") || strings.Count(out, "synth:sensor/") != 2 {
		t.Fatalf("nearest: exit %d\n%s%s", code, out, errs)
	}
	// An id with a slash is escaped for the path.
	out, errs, code = q("get", "synth:vehicle/1", "--json")
	var f map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &f) != nil || f["id"] != "synth:vehicle/1" {
		t.Fatalf("get --json: exit %d\n%s%s", code, out, errs)
	}
	out, errs, code = q("h3", "pm25", "--res", "7")
	if code != 0 || !strings.Contains(out, "CELL") || !strings.Contains(out, "871") {
		t.Fatalf("h3: exit %d\n%s%s", code, out, errs)
	}

	// The server's problems come back as messages, with a failing exit code.
	_, errs, code = q("list", "--bbox", "1,2,3")
	if code != 1 || !strings.Contains(errs, "bbox") {
		t.Errorf("bad bbox: exit %d, %q", code, errs)
	}
	_, errs, code = q("get", "nobody")
	if code != 1 || !strings.Contains(errs, "404") {
		t.Errorf("unknown id: exit %d, %q", code, errs)
	}
	if _, _, code = q("frobnicate"); code != 2 {
		t.Errorf("unknown command: exit %d", code)
	}
	if _, _, code = q("series", "only-one-arg"); code != 2 {
		t.Errorf("missing argument: exit %d", code)
	}
}
