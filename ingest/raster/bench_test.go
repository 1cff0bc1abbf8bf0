package raster

import (
	"bytes"
	"os"
	"testing"

	"citytwin/datasets/sharedtest"
)

func BenchmarkReadASC(b *testing.B) {
	data, err := os.ReadFile(sharedtest.File(b, "datasets/dem/merewether_topography1.asc"))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	var cells int
	for b.Loop() {
		g, err := ReadASC(bytes.NewReader(data))
		if err != nil {
			b.Fatal(err)
		}
		cells += len(g.Values)
	}
	b.ReportMetric(float64(cells)/b.Elapsed().Seconds(), "cells/s")
}

func BenchmarkReadGeoTIFF(b *testing.B) {
	data, err := os.ReadFile(sharedtest.File(b, "datasets/dem/merewether_topography1.tif"))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	var cells int
	for b.Loop() {
		g, err := ReadGeoTIFF(data)
		if err != nil {
			b.Fatal(err)
		}
		cells += len(g.Values)
	}
	b.ReportMetric(float64(cells)/b.Elapsed().Seconds(), "cells/s")
}
