package gtfs

import (
	"bytes"
	"context"
	"os"
	"testing"

	"citytwin/datasets/sharedtest"
)

// BenchmarkRead reads the whole Cairns feed (37790 stop_times) and reports
// stop_times rows per second.
func BenchmarkRead(b *testing.B) {
	data, err := os.ReadFile(sharedtest.File(b, "datasets/gtfs/cairns_gtfs.zip"))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	var rows int
	for b.Loop() {
		f, err := Read(context.Background(), bytes.NewReader(data), int64(len(data)))
		if err != nil {
			b.Fatal(err)
		}
		for _, tr := range f.Schedule.Trips {
			rows += len(tr.StopTimes)
		}
	}
	b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "stop_times/s")
}

// BenchmarkEntities turns the read Cairns feed into entities.
func BenchmarkEntities(b *testing.B) {
	f, err := ReadFile(context.Background(), sharedtest.File(b, "datasets/gtfs/cairns_gtfs.zip"))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	var n int
	for b.Loop() {
		es, _ := f.Entities(Options{})
		n += len(es)
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "entities/s")
}
