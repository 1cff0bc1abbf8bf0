// Package sharedtest finds the project's shared data (../shared beside the
// repository) for tests: a test that needs a file that is not there is
// skipped on a developer's machine and fails in CI (CI=true), where the data
// must be present.
package sharedtest

import (
	"bufio"
	"compress/gzip"
	"os"
	"path/filepath"
	"testing"

	"citytwin/datasets"
)

// Dir returns the shared folder.
func Dir(tb testing.TB) string {
	tb.Helper()
	if dir, ok := datasets.SharedDir(); ok {
		return dir
	}
	missing(tb, "the shared data folder")
	return ""
}

// File returns the path of rel (e.g. "datasets/gtfs/cairns_gtfs.zip") in the
// shared folder.
func File(tb testing.TB, rel string) string {
	tb.Helper()
	if p := datasets.SharedPath(rel); p != "" {
		return p
	}
	missing(tb, filepath.Join("shared", rel))
	return ""
}

// GzipLines returns the lines of the gzip file rel in the shared folder
// (without their "\n"s).
func GzipLines(tb testing.TB, rel string) [][]byte {
	tb.Helper()
	f, err := os.Open(File(tb, rel))
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		tb.Fatal(err)
	}
	sc := bufio.NewScanner(zr)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	var out [][]byte
	for sc.Scan() {
		out = append(out, append([]byte(nil), sc.Bytes()...))
	}
	if err := sc.Err(); err != nil {
		tb.Fatal(err)
	}
	return out
}

func missing(tb testing.TB, what string) {
	tb.Helper()
	if os.Getenv("CI") == "true" {
		tb.Fatalf("%s not found above the test directory; CI must have it", what)
	}
	tb.Skipf("%s not found; skipping the test that needs it", what)
}
