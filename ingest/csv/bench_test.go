package csv

import (
	"bytes"
	"context"
	"os"
	"testing"

	"citytwin/datasets/sharedtest"
	"citytwin/twin"
)

// BenchmarkRead reads the whole Aberdeen file (90,818 readings of 23 sensors).
func BenchmarkRead(b *testing.B) {
	data, err := os.ReadFile(sharedtest.File(b, aberdeenFile))
	if err != nil {
		b.Fatal(err)
	}
	opts := Options{Source: "bench", IDColumn: "sensor_id", DefaultKind: twin.KindSensor, Now: testNow}
	ctx := context.Background()
	var rows int
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		res, err := Read(ctx, bytes.NewReader(data), opts)
		if err != nil {
			b.Fatal(err)
		}
		rows += res.Total
	}
	b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
}
