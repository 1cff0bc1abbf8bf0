package tsbs

import (
	"bytes"
	"context"
	"io"
	"testing"
	"time"

	"citytwin/twin"
)

// BenchmarkImportIoTDay reads the whole 1-day IoT file (gzip, timescaledb) into
// batches of ops, without a store: decompression on one core, parsing and
// conversion on the other.
func BenchmarkImportIoTDay(b *testing.B) {
	path := sharedFile(b, iotDay)
	b.ReportAllocs()
	var st Stats
	for b.Loop() {
		r, err := Open(path)
		if err != nil {
			b.Fatal(err)
		}
		f, err := NewFeed(r, DefaultOptions())
		if err != nil {
			b.Fatal(err)
		}
		for {
			_, err := f.Next(context.Background())
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
		}
		r.Close()
		st = f.Stats()
	}
	reportRates(b, st)
}

// BenchmarkApplyIoTDay reads the 1-day IoT file into a twin.Store that keeps
// everything.
func BenchmarkApplyIoTDay(b *testing.B) {
	path := sharedFile(b, iotDay)
	b.ReportAllocs()
	var st Stats
	for b.Loop() {
		cfg := twin.DefaultConfig()
		cfg.Retention = 0
		s, err := twin.New(cfg)
		if err != nil {
			b.Fatal(err)
		}
		r, err := Open(path)
		if err != nil {
			b.Fatal(err)
		}
		f, err := NewFeed(r, DefaultOptions())
		if err != nil {
			b.Fatal(err)
		}
		for {
			batch, err := f.Next(context.Background())
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			if _, err := s.Apply(batch.Ops...); err != nil {
				b.Fatal(err)
			}
		}
		r.Close()
		st = f.Stats()
	}
	reportRates(b, st)
}

func reportRates(b *testing.B, st Stats) {
	per := b.Elapsed() / time.Duration(b.N)
	if per <= 0 {
		return
	}
	b.ReportMetric(float64(st.Values())/per.Seconds(), "values/s")
	b.ReportMetric(float64(st.Rows)/per.Seconds(), "rows/s")
}

// BenchmarkFeedIoTText is the parser and the conversion alone on one core: the
// first 1,000,001 lines of the 1-day file (the header and 499,998 rows),
// uncompressed, in memory.
func BenchmarkFeedIoTText(b *testing.B) {
	text := readLines(b, sharedFile(b, iotDay), 1_000_001)
	benchFeedText(b, text)
}

// BenchmarkFeedIoTInflux is the same for line protocol: the first-hour file,
// uncompressed, in memory.
func BenchmarkFeedIoTInflux(b *testing.B) {
	text := readLines(b, sharedFile(b, iotHour), -1)
	benchFeedText(b, text)
}

func benchFeedText(b *testing.B, text []byte) {
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	var st Stats
	for b.Loop() {
		r, err := NewReader(bytes.NewReader(text), "bench")
		if err != nil {
			b.Fatal(err)
		}
		f, err := NewFeed(r, DefaultOptions())
		if err != nil {
			b.Fatal(err)
		}
		for {
			_, err := f.Next(context.Background())
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
		}
		r.Close()
		st = f.Stats()
	}
	reportRates(b, st)
}
