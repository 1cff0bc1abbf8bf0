package importer

import (
	"archive/zip"
	"bytes"
	"compress/gzip"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestDetect(t *testing.T) {
	dir := t.TempDir()
	gz := func(s string) []byte {
		var b bytes.Buffer
		w := gzip.NewWriter(&b)
		w.Write([]byte(s))
		w.Close()
		return b.Bytes()
	}
	zipWith := func(names ...string) []byte {
		var b bytes.Buffer
		w := zip.NewWriter(&b)
		for _, n := range names {
			f, _ := w.Create(n)
			f.Write([]byte("x\n"))
		}
		w.Close()
		return b.Bytes()
	}
	tests := []struct {
		name, file string
		data       []byte
		want       string
	}{
		{"osm xml", "a.osm", []byte("<?xml version='1.0'?>\n<osm version=\"0.6\">"), formatOSM},
		{"osm pbf", "a.pbf", append([]byte{0, 0, 0, 14, 0x0a, 9}, []byte("OSMHeader and more bytes")...), formatOSM},
		{"cityjson", "a.json", []byte(`{"type":"CityJSON","version":"2.0","CityObjects":{}}`), formatCityJSON},
		{"cityjson, objects first", "a.json", []byte(`{"CityObjects":{"b1":{}},"type":"CityJSON"}`), formatCityJSON},
		{"ifc", "a.ifc", []byte("ISO-10303-21;\nHEADER;"), formatIFC},
		{"geojson", "a.txt", []byte(`{"type":"FeatureCollection","features":[]}`), formatGeoJSON},
		{"tsbs timescaledb, gzip", "a.gz", gz("tags,name string,fleet string\nreadings,latitude\n\n"), formatTSBS},
		{"tsbs line protocol", "a.txt", []byte("readings,name=truck_0 latitude=52.1 1451606400000000000\n"), formatTSBS},
		{"gtfs", "feed.zip", zipWith("agency.txt", "stops.txt"), formatGTFS},
		{"esri ascii grid", "dem.asc", []byte("ncols 3\nnrows 2\n"), formatRaster},
		{"geotiff", "dem.bin", []byte("II*\x00\x08\x00\x00\x00"), formatRaster},
		{"gtfs-rt by extension", "feed.pb", []byte{0x0a, 0x0d}, formatGTFSRT},
		{"csv by extension", "s.csv", []byte("id,lat,lon\n"), formatCSV},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(dir, tt.file)
			if err := os.WriteFile(path, tt.data, 0o644); err != nil {
				t.Fatal(err)
			}
			got, err := Detect(path)
			if err != nil || got != tt.want {
				t.Errorf("Detect = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
	for _, bad := range []struct{ file, data string }{{"x.bin", "\x00\x01 nothing"}, {"x.zip", ""}} {
		path := filepath.Join(dir, bad.file)
		data := []byte(bad.data)
		if bad.file == "x.zip" {
			data = zipWith("readme.txt")
		}
		os.WriteFile(path, data, 0o644)
		if _, err := Detect(path); err == nil {
			t.Errorf("%s: no error", bad.file)
		} else if bad.file == "x.bin" && !errors.Is(err, ErrUnknownFormat) {
			t.Errorf("%s: %v", bad.file, err)
		}
	}
}
