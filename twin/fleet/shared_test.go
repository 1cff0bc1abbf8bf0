package fleet_test

import (
	"compress/gzip"
	"context"
	"errors"
	"io"
	"os"
	"sync"
	"testing"

	"citytwin/datasets/sharedtest"
	"citytwin/ingest/tsbs"
	"citytwin/twin"
	"citytwin/twin/fleet"
)

// The shared TSBS files (see shared/tsbs/README.md).
const (
	iotDay     = "tsbs/iot-trucks100-seed123-1d.timescaledb.txt.gz"
	iotQueries = "tsbs/iot-queries-trucks100-seed123.jsonl.gz"
	iotAnswers = "tsbs/iot-answers-trucks100-seed123.postgres15.jsonl.gz"
)

// The day of IoT data is loaded once for every test and benchmark of the
// package: 1.55 M rows take seconds, more under -race.
var day struct {
	once  sync.Once
	store *twin.Store
	err   error
}

// loadDay returns a twin holding the whole 1-day IoT dataset, read through
// the ordinary ingest path (ingest/tsbs), every point kept.
func loadDay(tb testing.TB) *twin.Store {
	tb.Helper()
	path := sharedtest.File(tb, iotDay)
	day.once.Do(func() { day.store, day.err = load(path) })
	if day.err != nil {
		tb.Fatal(day.err)
	}
	return day.store
}

func load(path string) (*twin.Store, error) {
	cfg := twin.DefaultConfig()
	cfg.Retention = 0 // keep every point
	s, err := twin.New(cfg)
	if err != nil {
		return nil, err
	}
	r, err := tsbs.Open(path)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	f, err := tsbs.NewFeed(r, tsbs.DefaultOptions())
	if err != nil {
		return nil, err
	}
	for {
		b, err := f.Next(context.Background())
		if errors.Is(err, io.EOF) {
			return s, nil
		}
		if err != nil {
			return nil, err
		}
		if _, err := s.Apply(b.Ops...); err != nil {
			return nil, err
		}
	}
}

// queryFile parses every line of the shared query file.
func queryFile(tb testing.TB) []fleet.Line {
	tb.Helper()
	var out []fleet.Line
	for i, l := range sharedtest.GzipLines(tb, iotQueries) {
		line, err := fleet.ParseLine(l)
		if err != nil {
			tb.Fatalf("query line %d: %v", i+1, err)
		}
		out = append(out, line)
	}
	return out
}

// references reads the shared reference answers, by type and seq.
func references(tb testing.TB) map[fleet.Type]map[int]fleet.Reference {
	tb.Helper()
	f, err := os.Open(sharedtest.File(tb, iotAnswers))
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		tb.Fatal(err)
	}
	refs, err := fleet.ReadReferences(zr)
	if err != nil {
		tb.Fatal(err)
	}
	out := map[fleet.Type]map[int]fleet.Reference{}
	for _, r := range refs {
		if out[r.Type] == nil {
			out[r.Type] = map[int]fleet.Reference{}
		}
		out[r.Type][r.Seq] = r
	}
	return out
}
