package ifc

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"testing"

	"citytwin/datasets"
)

func BenchmarkParse(b *testing.B) {
	p := datasets.SharedPath("datasets/ifc/AC20-FZK-Haus.ifc")
	if p == "" {
		b.Skip("shared dataset not found")
	}
	data, err := os.ReadFile(p)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		d := NewDecoder(bytes.NewReader(data))
		for {
			_, err := d.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			n++
		}
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "entities/s")
}

func BenchmarkDecode(b *testing.B) {
	p := datasets.SharedPath("datasets/ifc/AC20-FZK-Haus.ifc")
	if p == "" {
		b.Skip("shared dataset not found")
	}
	data, err := os.ReadFile(p)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		res, err := Decode(context.Background(), bytes.NewReader(data), Options{Name: "haus.ifc"})
		if err != nil {
			b.Fatal(err)
		}
		n += res.Entities
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "entities/s")
}
