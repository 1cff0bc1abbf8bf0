package raster

import (
	"bytes"
	"path/filepath"
	"testing"

	"citytwin/datasets/sharedtest"
	"citytwin/geo/raster"
)

// Writing a grid and reading it back gives the same grid: the real
// Merewether DEM, and a small one with unequal cells and a CRS.
func TestWriteASCRoundTrip(t *testing.T) {
	dem, err := ReadASCFile(sharedtest.File(t, "datasets/dem/merewether_topography1.asc"))
	if err != nil {
		t.Fatal(err)
	}
	small, err := raster.New(3, 2, 2, 0.5, 100, 50)
	if err != nil {
		t.Fatal(err)
	}
	copy(small.Values, []float32{1.5, -2, 3.25, 0, 1e-7, 12345.678})
	small.CRS = "EPSG:32635"
	for _, g := range []*raster.Grid{dem, small} {
		path := filepath.Join(t.TempDir(), "dem.asc")
		if err := WriteASCFile(path, g); err != nil {
			t.Fatal(err)
		}
		back, err := ReadASCFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if back.Width != g.Width || back.Height != g.Height || back.CellX != g.CellX || back.CellY != g.CellY ||
			back.OriginX != g.OriginX || back.OriginY != g.OriginY || back.HasNoData != g.HasNoData || back.NoData != g.NoData {
			t.Fatalf("header %+v, wrote %+v", back, g)
		}
		if g.CRS == "EPSG:32635" && back.CRS != g.CRS {
			t.Fatalf("CRS %q, wrote %q", back.CRS, g.CRS)
		}
		for i := range g.Values {
			if back.Values[i] != g.Values[i] {
				t.Fatalf("value %d: %v, wrote %v", i, back.Values[i], g.Values[i])
			}
		}
	}
	var b bytes.Buffer
	if err := WriteASC(&b, &raster.Grid{}); err == nil {
		t.Fatal("an empty grid was written")
	}
}
