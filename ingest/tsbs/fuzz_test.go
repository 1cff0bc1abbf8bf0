package tsbs

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"citytwin/datasets"
	"citytwin/twin"
)

// fuzzSeeds returns the first lines of the shared files (inline rows when they
// are absent) and damaged variants of them.
func fuzzSeeds(f *testing.F, files []string, fallback string) [][]byte {
	var seeds [][]byte
	if dir, ok := datasets.SharedDir(); ok {
		for _, name := range files {
			if _, err := os.Stat(filepath.Join(dir, "tsbs", name)); err == nil {
				seeds = append(seeds, readLines(f, filepath.Join(dir, "tsbs", name), 50))
			}
		}
	}
	if len(seeds) == 0 {
		seeds = append(seeds, []byte(fallback))
	}
	var out [][]byte
	for _, s := range seeds {
		text := string(s)
		out = append(out, s,
			[]byte(strings.Replace(text, "name=truck_1", "name=", 1)),                    // a nameless row
			[]byte(strings.Replace(text, "hostname=host_1", "hostname=", 1)),             // a nameless host
			[]byte(strings.Replace(text, ",0,", ",,", 3)),                                // blanked fields
			[]byte(strings.Replace(text, "=", "", 5)),                                    // broken pairs
			[]byte(strings.Replace(text, "1451606400000000000", "14516064x0", 2)),        // bad times
			[]byte(strings.Replace(text, "fleet=South", "fleet=", 2)),                    // blanked tags
			[]byte(strings.Replace(text, "load_capacity=1500", "load_capacity=lots", 1)), // bad attribute
			[]byte(strings.Replace(text, "\n", "\r\n", -1)),                              // CRLF
			s[:len(s)/2],                           // cut mid-line
			gzipped(f, s),                          // compressed
			append(bytes.Clone(s), "\x00\"\t#"...), // junk
		)
	}
	return out
}

// fuzzFeed reads data through a Reader and a Feed: it must not panic, every op
// must pass Validate, and every batch must apply to a store (entities come
// before their values).
func fuzzFeed(t *testing.T, data []byte) {
	r, err := NewReader(bytes.NewReader(data), "fuzz")
	if err != nil {
		return // a bad header or gzip header: refused as a whole
	}
	defer r.Close()
	opts := DefaultOptions()
	opts.BatchRows = 7
	f, err := NewFeed(r, opts)
	if err != nil {
		if !errors.Is(err, ErrUnsupported) {
			t.Fatalf("NewFeed: %v", err)
		}
		return
	}
	cfg := twin.DefaultConfig()
	cfg.Retention, cfg.FeedSize = 0, 16
	s, err := twin.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for {
		b, err := f.Next(context.Background())
		if err == io.EOF {
			break
		}
		if errors.Is(err, errLostLine) {
			t.Fatal(err)
		}
		if err != nil {
			return // a broken gzip stream ends the input
		}
		for i := range b.Ops {
			if err := b.Ops[i].Validate(); err != nil {
				t.Fatalf("op %d %+v: %v", i, b.Ops[i], err)
			}
		}
		if _, err := s.Apply(b.Ops...); err != nil {
			t.Fatalf("apply: %v", err)
		}
	}
	st := f.Stats()
	if st.Rows < st.RejectedRows() {
		t.Fatalf("stats %+v", st)
	}
}

func FuzzTimescaleDB(f *testing.F) {
	for _, s := range fuzzSeeds(f, []string{iotDay, cpuTimescale}, iotHeader+tags0+"\n"+read0+"\n") {
		f.Add(s)
	}
	f.Fuzz(fuzzFeed)
}

func FuzzInflux(f *testing.F) {
	for _, s := range fuzzSeeds(f, []string{iotHour, cpuInflux}, lp0+"\n") {
		f.Add(s)
	}
	f.Fuzz(fuzzFeed)
}
