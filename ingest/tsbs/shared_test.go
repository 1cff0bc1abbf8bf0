package tsbs

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"testing"

	"citytwin/datasets/sharedtest"
	"citytwin/ingest"
	"citytwin/twin"

	"github.com/klauspost/compress/gzip"
)

// The shared TSBS files (see shared/tsbs/README.md).
const (
	iotDay       = "iot-trucks100-seed123-1d.timescaledb.txt.gz"
	iotHour      = "iot-trucks100-seed123-first1h.influx.txt.gz"
	cpuInflux    = "cpu-only-hosts10-seed123-6h.influx.txt.gz"
	cpuTimescale = "cpu-only-hosts10-seed123-6h.timescaledb.txt.gz"
)

// sharedFile returns the path of a shared TSBS file. Without it the test is
// skipped, except in CI (CI=true), where it fails.
func sharedFile(tb testing.TB, name string) string {
	tb.Helper()
	return sharedtest.File(tb, "tsbs/"+name)
}

// readLines returns the first n lines of a gzip file (all of it when n < 0),
// each with its "\n".
func readLines(tb testing.TB, path string, n int) []byte {
	tb.Helper()
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		tb.Fatal(err)
	}
	br := bufio.NewReaderSize(zr, 1<<20)
	var out bytes.Buffer
	for i := 0; n < 0 || i < n; i++ {
		line, err := br.ReadBytes('\n')
		out.Write(line)
		if err == io.EOF {
			break
		}
		if err != nil {
			tb.Fatal(err)
		}
	}
	return out.Bytes()
}

// result is everything a feed produced.
type result struct {
	ops   []twin.Op
	dead  []ingest.DeadLetter
	stats Stats
}

// feedAll runs a feed over r to the end, checking every op.
func feedAll(tb testing.TB, r *Reader, opts Options) result {
	tb.Helper()
	var res result
	opts.DeadLetter = func(dl ingest.DeadLetter) { res.dead = append(res.dead, dl) }
	f, err := NewFeed(r, opts)
	if err != nil {
		tb.Fatal(err)
	}
	for {
		b, err := f.Next(context.Background())
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			tb.Fatal(err)
		}
		for i := range b.Ops {
			if err := b.Ops[i].Validate(); err != nil {
				tb.Fatalf("op %d of a batch: %v", i, err)
			}
		}
		res.ops = append(res.ops, b.Ops...)
	}
	res.stats = f.Stats()
	return res
}

// feedBytes runs a feed over text (plain or gzip).
func feedBytes(tb testing.TB, text []byte, name string, opts Options) result {
	tb.Helper()
	r, err := NewReader(bytes.NewReader(text), name)
	if err != nil {
		tb.Fatal(err)
	}
	defer r.Close()
	return feedAll(tb, r, opts)
}

// feedFile runs a feed over a file.
func feedFile(tb testing.TB, path string, opts Options) result {
	tb.Helper()
	r, err := Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer r.Close()
	return feedAll(tb, r, opts)
}
