package raster

import (
	"bytes"
	"encoding/binary"
	"os"
	"testing"

	"citytwin/datasets/sharedtest"
)

func FuzzReadASC(f *testing.F) {
	data, err := os.ReadFile(sharedtest.File(f, "datasets/dem/merewether_topography1.asc"))
	if err != nil {
		f.Fatal(err)
	}
	for _, n := range []int{200, 2000} {
		f.Add(data[:n])
	}
	f.Add([]byte("ncols 2\nnrows 1\nxllcenter 0\nyllcenter 0\ndx 1\ndy 2\nNODATA_value -1\n1 -1\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		g, err := ReadASC(bytes.NewReader(b))
		if err != nil {
			return
		}
		if err := g.Validate(); err != nil {
			t.Fatalf("accepted an invalid grid: %v", err)
		}
	})
}

func FuzzReadGeoTIFF(f *testing.F) {
	data, err := os.ReadFile(sharedtest.File(f, "datasets/dem/merewether_topography1.tif"))
	if err != nil {
		f.Fatal(err)
	}
	// Prefixes, not the whole file: a mutated header of a 400 KB deflated file may
	// legitimately claim hundreds of MB of pixels, which only slows the fuzzer.
	f.Add(data[:1024])
	f.Add(data[:8192])
	f.Add(writeTIFF(tiffSpec{bo: binary.BigEndian, format: 3, bits: 32, comp: 8, pred: 3, w: 3, h: 2, rps: 1,
		values: []float64{1, 2, 3, 4, 5, 6}, geoKeys: []uint16{keyProjectedCRS, 0, 1, 32756}}))
	f.Fuzz(func(t *testing.T, b []byte) {
		g, err := ReadGeoTIFF(b)
		if err != nil {
			return
		}
		if err := g.Validate(); err != nil {
			t.Fatalf("accepted an invalid grid: %v", err)
		}
	})
}
