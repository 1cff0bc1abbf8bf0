package importer

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"citytwin/geo/crs"
	georaster "citytwin/geo/raster"
	"citytwin/ingest/raster"
	"citytwin/twin"

	"github.com/paulmach/orb"
)

// KindElevation is the kind of an imported elevation grid.
const KindElevation twin.Kind = "elevation_model"

// raster reads an elevation grid (ESRI ASCII or GeoTIFF). The twin gets an
// entity for it — its outline in WGS84, its size, cell, CRS and value range —
// and the file is copied to Options.DataDir/rasters, where the simulations read
// it (the entity's file property says where).
func (r *run) raster() error {
	g, err := raster.ReadFile(r.path)
	if err != nil {
		return err
	}
	if g.CRS == "" {
		return fmt.Errorf("the grid names no coordinate reference system (no GeoKeys, no .prj): it cannot be placed")
	}
	if _, err := crs.For(g.CRS); err != nil {
		return err // before the grid is copied
	}
	file := r.path
	if r.o.DataDir != "" {
		if file, err = copyRaster(r.path, filepath.Join(r.o.DataDir, "rasters")); err != nil {
			return err
		}
	}
	name := strings.TrimSuffix(filepath.Base(r.path), filepath.Ext(r.path))
	e, err := ElevationModel(g, name, file)
	if err != nil {
		return err
	}
	e.Provenance = []twin.Provenance{{Source: "raster", Note: filepath.Base(r.path)}}
	st := g.Stats()
	r.sum.Records = g.Width * g.Height
	r.sum.Detail = fmt.Sprintf("%d × %d cells of %g × %g in %s, %.1f to %.1f", g.Width, g.Height, g.CellX, g.CellY, g.CRS, st.Min, st.Max)
	return r.apply([]twin.Op{{Type: twin.OpUpsert, Source: "raster", Entity: e}}, "raster", false)
}

// ElevationModel is the entity of an elevation grid kept in file: id
// "raster:<name>", its outline in WGS84, its size, cell, CRS and value range,
// and the file (where the simulations read it). The grid must name its CRS.
func ElevationModel(g *georaster.Grid, name, file string) (*twin.Entity, error) {
	t, err := crs.For(g.CRS)
	if err != nil {
		return nil, err
	}
	b := g.Bounds()
	var ring orb.Ring
	for _, p := range []orb.Point{b.Min, {b.Max[0], b.Min[1]}, b.Max, {b.Min[0], b.Max[1]}, b.Min} {
		q, err := t.ToLonLat(p)
		if err != nil {
			return nil, fmt.Errorf("corner %v: %w", p, err)
		}
		ring = append(ring, q)
	}
	st := g.Stats()
	return &twin.Entity{ID: twin.ID("raster:" + name), Kind: KindElevation, Geometry: orb.Polygon{ring},
		Props: twin.Properties{
			{Key: "cell_x", Value: twin.NumberValue(g.CellX)},
			{Key: "cell_y", Value: twin.NumberValue(g.CellY)},
			{Key: "crs", Value: twin.StringValue(g.CRS)},
			{Key: "file", Value: twin.StringValue(file)},
			{Key: "height_cells", Value: twin.NumberValue(float64(g.Height))},
			{Key: "max", Value: twin.NumberValue(st.Max)},
			{Key: "mean", Value: twin.NumberValue(st.Mean)},
			{Key: "min", Value: twin.NumberValue(st.Min)},
			{Key: "nodata_cells", Value: twin.NumberValue(float64(st.NoData))},
			{Key: "width_cells", Value: twin.NumberValue(float64(g.Width))},
		}}, nil
}

// copyRaster copies a grid file, and its .prj beside it, into dir; it returns
// the copy's path.
func copyRaster(path, dir string) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	dst := filepath.Join(dir, filepath.Base(path))
	if err := copyFile(path, dst); err != nil {
		return "", err
	}
	prj := strings.TrimSuffix(path, filepath.Ext(path)) + ".prj"
	if _, err := os.Stat(prj); err == nil {
		if err := copyFile(prj, filepath.Join(dir, filepath.Base(prj))); err != nil {
			return "", err
		}
	}
	return dst, nil
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
