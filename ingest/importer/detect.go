package importer

import (
	"archive/zip"
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// The formats File reads.
const (
	formatTSBS     = "tsbs"
	formatGeoJSON  = "geojson"
	formatGTFSRT   = "gtfs-rt"
	formatGTFS     = "gtfs"
	formatOSM      = "osm"
	formatCityJSON = "cityjson"
	formatIFC      = "ifc"
	formatCSV      = "csv"
	formatRaster   = "raster"
)

// Formats lists the formats File reads, by the names Options.Format takes.
var Formats = []string{formatCityJSON, formatCSV, formatGeoJSON, formatGTFS, formatGTFSRT, formatIFC, formatOSM, formatRaster, formatTSBS}

// Detect tells a file's format from its content (the first bytes, and for zips
// the names inside), falling back on the extension.
func Detect(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	head := make([]byte, 4096)
	n, err := io.ReadFull(f, head)
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		return "", err
	}
	head = head[:n]
	if bytes.HasPrefix(head, []byte{0x1f, 0x8b}) { // gzip: look inside
		zr, err := gzip.NewReader(bytes.NewReader(head))
		if err == nil {
			inner := make([]byte, 2048)
			k, _ := io.ReadFull(zr, inner)
			head = inner[:k]
		}
	}
	trimmed := bytes.TrimLeft(head, " \t\r\n\ufeff")
	switch {
	case len(head) > 16 && bytes.Contains(head[:min(len(head), 64)], []byte("OSMHeader")):
		return formatOSM, nil // PBF: a BlobHeader of type OSMHeader first
	case bytes.HasPrefix(trimmed, []byte("<")) && bytes.Contains(head, []byte("<osm")):
		return formatOSM, nil
	case bytes.HasPrefix(head, []byte("II*\x00")) || bytes.HasPrefix(head, []byte("MM\x00*")):
		return formatRaster, nil // TIFF: a GeoTIFF grid
	case bytes.HasPrefix(bytes.ToLower(trimmed), []byte("ncols")):
		return formatRaster, nil // an ESRI ASCII grid
	case bytes.HasPrefix(trimmed, []byte("ISO-10303-21;")):
		return formatIFC, nil
	case bytes.HasPrefix(trimmed, []byte("{")) && isCityJSON(head):
		return formatCityJSON, nil
	case bytes.HasPrefix(head, []byte("PK\x03\x04")):
		return detectZip(path)
	case bytes.HasPrefix(trimmed, []byte("tags,")) || isLineProtocol(trimmed):
		return formatTSBS, nil
	case bytes.HasPrefix(trimmed, []byte("{")) && bytes.Contains(head, []byte(`"Feature`)):
		return formatGeoJSON, nil
	}
	switch strings.ToLower(filepath.Ext(strings.TrimSuffix(path, ".gz"))) {
	case ".geojson", ".json", ".ndjson", ".geojsonl":
		return formatGeoJSON, nil
	case ".pb":
		return formatGTFSRT, nil
	case ".csv", ".tsv":
		return formatCSV, nil
	}
	return "", fmt.Errorf("%w: %s: name it (%s)", ErrUnknownFormat, path, strings.Join(Formats, ", "))
}

// isLineProtocol says whether the first line reads as InfluxDB line protocol:
// measurement[,tags] fields timestamp.
func isLineProtocol(b []byte) bool {
	line, _, _ := bytes.Cut(b, []byte("\n"))
	parts := bytes.Fields(line)
	return len(parts) == 3 && bytes.Contains(parts[1], []byte("=")) && len(bytes.Trim(parts[2], "0123456789")) == 0
}

// detectZip tells a zip by the files in it.
func detectZip(path string) (string, error) {
	zr, err := zip.OpenReader(path)
	if err != nil {
		return "", fmt.Errorf("%s: %w", path, err)
	}
	defer zr.Close()
	for _, f := range zr.File {
		if name := filepath.Base(f.Name); name == "stops.txt" || name == "agency.txt" {
			return formatGTFS, nil
		}
	}
	return "", fmt.Errorf("%s: a zip without stops.txt or agency.txt is no GTFS feed, and no other zipped format is read", path)
}

// isCityJSON looks for what only CityJSON has near its start: the type
// CityJSON or CityJSONFeature, or its CityObjects (a CityJSONSeq file starts
// with a CityJSON header object).
func isCityJSON(head []byte) bool {
	return bytes.Contains(head, []byte(`"CityJSON`)) || bytes.Contains(head, []byte(`"CityObjects"`))
}
