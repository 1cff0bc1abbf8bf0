package csv

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"citytwin/twin"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkt"
)

// geometry reads the row's geometry. It is nil, with no error, when the
// geometry cells are empty; col names the column at fault.
func (s *schema) geometry(rec []string) (g orb.Geometry, col string, err error) {
	if s.wkt >= 0 {
		col = s.header[s.wkt]
		text := cell(rec, s.wkt)
		if text == "" {
			return nil, col, nil
		}
		g, err := parseWKT(text)
		if err != nil {
			return nil, col, err
		}
		if err := twin.ValidGeometry(g); err != nil {
			return nil, col, err
		}
		return g, col, nil
	}
	latText, lonText := cell(rec, s.lat), cell(rec, s.lon)
	switch {
	case latText == "" && lonText == "":
		return nil, s.header[s.lat] + "/" + s.header[s.lon], nil
	case latText == "":
		return nil, s.header[s.lat], errors.New("empty, but the lon is not")
	case lonText == "":
		return nil, s.header[s.lon], errors.New("empty, but the lat is not")
	}
	lat, err := degrees(latText, 90)
	if err != nil {
		return nil, s.header[s.lat], fmt.Errorf("latitude %w", err)
	}
	lon, err := degrees(lonText, 180)
	if err != nil {
		return nil, s.header[s.lon], fmt.Errorf("longitude %w", err)
	}
	return orb.Point{lon, lat}, "", nil
}

// degrees parses a finite angle within ±limit.
func degrees(s string, limit float64) (float64, error) {
	f, err := strconv.ParseFloat(s, 64)
	switch {
	case err != nil || math.IsNaN(f) || math.IsInf(f, 0):
		return 0, fmt.Errorf("%q is not a finite number", s)
	case f < -limit || f > limit:
		return 0, fmt.Errorf("%v is outside ±%v (projected coordinates? only WGS84 degrees are read)", f, limit)
	}
	return f, nil
}

// parseWKT reads WKT, or EWKT with SRID=4326.
func parseWKT(text string) (g orb.Geometry, err error) {
	if head, rest, ok := strings.Cut(text, ";"); ok && len(head) > 5 && strings.EqualFold(head[:5], "SRID=") {
		if srid := strings.TrimSpace(head[5:]); srid != "4326" {
			return nil, fmt.Errorf("SRID=%s: only 4326 (WGS84 lon/lat) is read", srid)
		}
		text = rest
	}
	// orb's WKT parser is not fuzzed for hostile text; a panic in it is a bad
	// cell here, never a crash of the import.
	defer func() {
		if p := recover(); p != nil {
			g, err = nil, fmt.Errorf("not WKT (parser failed: %v)", p)
		}
	}()
	g, err = wkt.Unmarshal(text)
	if err != nil {
		return nil, fmt.Errorf("not WKT: %w", err)
	}
	return g, nil
}
