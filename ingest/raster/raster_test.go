package raster

import (
	"errors"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"citytwin/datasets/sharedtest"
	"citytwin/geo/raster"

	"github.com/paulmach/orb"
)

func near(a, b, tol float64) bool { return math.Abs(a-b) <= tol }

func TestMerewetherASCAndGeoTIFFAgree(t *testing.T) {
	asc, err := ReadASCFile(sharedtest.File(t, "datasets/dem/merewether_topography1.asc"))
	if err != nil {
		t.Fatal(err)
	}
	tif, err := ReadGeoTIFFFile(sharedtest.File(t, "datasets/dem/merewether_topography1.tif"))
	if err != nil {
		t.Fatal(err)
	}
	grids := map[string]*raster.Grid{"asc": asc, "tif": tif}
	for name, g := range grids {
		t.Run(name, func(t *testing.T) {
			if g.Width != 321 || g.Height != 416 {
				t.Errorf("size %d × %d, want 321 × 416", g.Width, g.Height)
			}
			if !near(g.CellX, 0.99993681, 1e-8) || !near(g.CellY, 0.99993681, 1e-8) {
				t.Errorf("cell %v × %v", g.CellX, g.CellY)
			}
			if !near(g.OriginX, 382249.791744630, 1e-6) || !near(g.OriginY, 6354681.405998760, 1e-6) {
				t.Errorf("origin %.9f, %.9f", g.OriginX, g.OriginY)
			}
			if g.CRS != "EPSG:32756" {
				t.Errorf("CRS %q, want EPSG:32756", g.CRS)
			}
			if !g.HasNoData || g.NoData != -9999 {
				t.Errorf("NoData %v (%v)", g.NoData, g.HasNoData)
			}
			s := g.Stats()
			if s.Valid+s.NoData != 133536 || s.NoData != 73 {
				t.Errorf("stats %+v, want 133536 cells, 73 nodata", s)
			}
			if !near(s.Min, 16.4731, 1e-4) || !near(s.Max, 51.9693, 1e-4) || !near(s.Mean, 28.1593, 1e-4) {
				t.Errorf("min %v max %v mean %v, want 16.4731 51.9693 28.1593", s.Min, s.Max, s.Mean)
			}
			b := g.Bounds()
			if !near(b.Min[1], 6354265.4322858, 1e-6) || !near(b.Max[0], 382570.77, 0.01) {
				t.Errorf("bounds %v", b)
			}
		})
	}
	for i := range asc.Values {
		if asc.Values[i] != tif.Values[i] {
			t.Fatalf("cell %d: asc %v, tif %v", i, asc.Values[i], tif.Values[i])
		}
	}
}

// The surveyed observation points of the benchmark lie in the DEM, within a metre
// of the observed peak flood stage (m AHD): shallow street flow. Cell values were
// checked against the .asc text with a separate reader.
func TestMerewetherObservationPoints(t *testing.T) {
	g, err := ReadASCFile(sharedtest.File(t, "datasets/dem/merewether_topography1.asc"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		id         int
		p          orb.Point
		stage      float64
		col, row   int
		cellGround float32
	}{
		{4, orb.Point{382373.514531995810103, 6354387.837079666554928}, 23.01, 123, 293, 22.566},
		{3, orb.Point{382354.610297574603464, 6354365.208338395692408}, 23.14, 104, 316, 23.077},
		{0, orb.Point{382424.399931652704254, 6354478.333491845987737}, 19.98, 174, 203, 19.492},
		{1, orb.Point{382509.713526756153442, 6354548.220816057175398}, 18.38, 259, 133, 17.691},
		{2, orb.Point{382339.416016335249878, 6354297.836651652120054}, 23.36, 89, 383, 23.578},
	} {
		z, ok := g.Value(tc.p)
		c, r, in := g.Cell(tc.p)
		cell, _ := g.At(c, r)
		t.Logf("point %d: ground %.3f (cell %d,%d = %.3f), stage %.2f", tc.id, z, c, r, cell, tc.stage)
		if !ok || !in {
			t.Errorf("point %d: no elevation", tc.id)
			continue
		}
		if math.Abs(z-tc.stage) > 1 {
			t.Errorf("point %d: ground %.3f, want within 1 m of stage %.2f", tc.id, z, tc.stage)
		}
		if c != tc.col || r != tc.row || !near(float64(cell), float64(tc.cellGround), 1e-3) {
			t.Errorf("point %d: cell %d,%d = %v, want %d,%d = %v", tc.id, c, r, cell, tc.col, tc.row, tc.cellGround)
		}
		if math.Abs(z-float64(cell)) > 1 {
			t.Errorf("point %d: interpolated %.3f far from its cell %.3f", tc.id, z, cell)
		}
	}
}

func TestReadASC(t *testing.T) {
	for _, tc := range []struct {
		name, text string
		want       []float32
		originY    float64
		cellX      float64
	}{
		{"corner", "ncols 2\nnrows 2\nxllcorner 0\nyllcorner 10\ncellsize 5\n1 2\n3 4\n", []float32{1, 2, 3, 4}, 20, 5},
		{"center and dx dy, upper case, BOM, CRLF", "\uFEFFNCOLS 3\r\nNROWS 1\r\nXLLCENTER 1\r\nYLLCENTER 1\r\nDX 2\r\nDY 2\r\nnodata_value -1\r\n-1 0.5 7e2\r\n", []float32{-1, 0.5, 700}, 2, 2},
		{"values on one line", "ncols 2\nnrows 2\nxllcorner 0\nyllcorner 0\ncellsize 1\n1 2 3 4", []float32{1, 2, 3, 4}, 2, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g, err := ReadASC(strings.NewReader(tc.text))
			if err != nil {
				t.Fatal(err)
			}
			if len(g.Values) != len(tc.want) {
				t.Fatalf("values %v, want %v", g.Values, tc.want)
			}
			for i := range tc.want {
				if g.Values[i] != tc.want[i] {
					t.Fatalf("values %v, want %v", g.Values, tc.want)
				}
			}
			if g.OriginY != tc.originY || g.CellX != tc.cellX {
				t.Errorf("origin y %v cell %v, want %v %v", g.OriginY, g.CellX, tc.originY, tc.cellX)
			}
		})
	}
}

func TestReadASCErrors(t *testing.T) {
	const hdr = "ncols 2\nnrows 2\nxllcorner 0\nyllcorner 0\ncellsize 1\n"
	for _, tc := range []struct {
		name, text string
		line       int
	}{
		{"too few values", hdr + "1 2 3\n", 7},
		{"too many values", hdr + "1 2\n3 4\n5\n", 8},
		{"bad value", hdr + "1 x\n3 4\n", 6},
		{"no cellsize", "ncols 2\nnrows 2\nxllcorner 0\nyllcorner 0\n1 2 3 4", 5},
		{"bad ncols", "ncols 2.5\nnrows 2\nxllcorner 0\nyllcorner 0\ncellsize 1\n1 2 3 4 5", 6},
		{"header without value", "ncols\nnrows 2\n", 1},
		{"duplicate header", "ncols 2\nncols 2\n", 2},
		{"negative cell", "ncols 1\nnrows 1\nxllcorner 0\nyllcorner 0\ncellsize -1\n1", 6},
		{"empty", "", 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ReadASC(strings.NewReader(tc.text))
			var se *SyntaxError
			if !errors.As(err, &se) || !errors.Is(err, ErrFormat) {
				t.Fatalf("err = %v, want a SyntaxError", err)
			}
			if se.Line != tc.line {
				t.Errorf("line %d, want %d (%v)", se.Line, tc.line, err)
			}
		})
	}
}

func TestCRSFromPRJ(t *testing.T) {
	for _, tc := range []struct{ name, prj, want string }{
		{"old esri south", "Projection    UTM\nZone          56\nDatum         WGS84\nYshift        10000000\n", "EPSG:32756"},
		{"old esri north", "Projection UTM\nZone 33\nDatum WGS84\nYshift 0\n", "EPSG:32633"},
		{"esri wkt", `PROJCS["WGS_1984_UTM_Zone_56S",GEOGCS["GCS_WGS_1984"]]`, "EPSG:32756"},
		{"mga", `PROJCS["GDA_1994_MGA_Zone_56",GEOGCS["GCS_GDA_1994"]]`, "EPSG:28356"},
		{"authority", `PROJCS["x",GEOGCS["y",AUTHORITY["EPSG","4326"]],AUTHORITY["EPSG","3857"]]`, "EPSG:3857"},
		{"unknown kept", `LOCAL_CS["site grid"]`, `LOCAL_CS["site grid"]`},
		{"empty", "  \n", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := CRSFromPRJ(tc.prj); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestReadFile(t *testing.T) {
	for _, name := range []string{"dem/merewether_topography1.asc", "dem/merewether_topography1.tif"} {
		g, err := ReadFile(sharedtest.File(t, "datasets/"+name))
		if err != nil || g.Width != 321 || g.CRS != "EPSG:32756" {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := ReadFile(sharedtest.File(t, "datasets/dem/merewether_houses.csv")); !errors.Is(err, ErrUnsupported) {
		t.Errorf("csv: %v", err)
	}
	if _, err := ReadFile(filepath.Join(t.TempDir(), "none.asc")); err == nil {
		t.Error("missing file read")
	}
}
