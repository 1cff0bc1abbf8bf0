package raster

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"citytwin/geo/raster"
)

// WriteASC writes g as an ESRI ASCII grid (corner origin, square cells; a
// grid with CellX ≠ CellY is written with dx and dy), values in the shortest
// form that reads back as the same float32.
func WriteASC(w io.Writer, g *raster.Grid) error {
	if err := g.Validate(); err != nil {
		return err
	}
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "ncols %d\nnrows %d\nxllcorner %s\nyllcorner %s\n", g.Width, g.Height,
		strconv.FormatFloat(g.OriginX, 'f', -1, 64), strconv.FormatFloat(g.OriginY-float64(g.Height)*g.CellY, 'f', -1, 64))
	if g.CellX == g.CellY {
		fmt.Fprintf(bw, "cellsize %s\n", strconv.FormatFloat(g.CellX, 'f', -1, 64))
	} else {
		fmt.Fprintf(bw, "dx %s\ndy %s\n", strconv.FormatFloat(g.CellX, 'f', -1, 64), strconv.FormatFloat(g.CellY, 'f', -1, 64))
	}
	if g.HasNoData {
		fmt.Fprintf(bw, "NODATA_value %s\n", strconv.FormatFloat(float64(g.NoData), 'g', -1, 32))
	}
	buf := make([]byte, 0, 16)
	for r := range g.Height {
		for c := range g.Width {
			if c > 0 {
				_ = bw.WriteByte(' ')
			}
			buf = strconv.AppendFloat(buf[:0], float64(g.Values[r*g.Width+c]), 'g', -1, 32)
			_, _ = bw.Write(buf)
		}
		_ = bw.WriteByte('\n')
	}
	return bw.Flush()
}

// WriteASCFile writes g to path and, when its CRS is an EPSG code, a .prj
// beside it that ReadASCFile reads back.
func WriteASCFile(path string, g *raster.Grid) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := WriteASC(f, g); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if code, ok := strings.CutPrefix(g.CRS, "EPSG:"); ok {
		prj := fmt.Sprintf(`PROJCS[%q,AUTHORITY["EPSG","%s"]]`, g.CRS, code)
		return os.WriteFile(strings.TrimSuffix(path, ext(path))+".prj", []byte(prj), 0o644)
	}
	return nil
}
