// Package raster reads elevation models and other single-band rasters into
// geo/raster Grids: ESRI ASCII grids (.asc) and GeoTIFFs.
//
// ReadFile picks the reader by extension.
//
// # ESRI ASCII grid
//
// ReadASC takes the header keys ncols, nrows, xllcorner|xllcenter,
// yllcorner|yllcenter, cellsize (or dx and dy) and NODATA_value in any case and
// order, then exactly nrows × ncols whitespace-separated values, north row
// first. A "center" origin is moved half a cell to the corner. ReadASCFile also
// reads a sibling .prj into Grid.CRS via CRSFromPRJ, which names EPSG codes it
// can recognise (WKT AUTHORITY, WGS 84 UTM and GDA MGA zone names, old ArcInfo
// "Projection UTM" files) and otherwise keeps the .prj text. Errors are
// *SyntaxError with the line, and match ErrFormat.
//
// # GeoTIFF
//
// ReadGeoTIFF parses the TIFF directory itself (golang.org/x/image/tiff cannot
// decode float samples) and reads band 1 of the first image: strips or tiles,
// chunky or planar, compression none, Deflate (8, 32946) or LZW (5), predictor
// none, horizontal (2) or floating point (3), samples of 8/16/32-bit signed or
// unsigned integers or 32/64-bit floats, either byte order. The georeference
// is ModelPixelScale (33550) + ModelTiepoint (33922), or a ModelTransformation
// (34264) without rotation; PixelIsPoint rasters are shifted half a cell. The
// CRS is "EPSG:<code>" from ProjectedCSTypeGeoKey (3072), else
// GeographicTypeGeoKey (2048); user-defined CRSs are left "". NoData comes from
// GDAL_NODATA (42113). ReadGeoTIFFFile falls back to a sibling .prj when the
// GeoKeys name no EPSG code. Only the first image is read (no overviews, no
// other bands). BigTIFF, JPEG and other codecs, bit depths below 8 and
// complex samples are ErrUnsupported; malformed files are ErrFormat. Before it
// allocates, the reader checks that the stored bytes could hold the pixels the
// header claims, so a corrupt header cannot make it allocate without bound.
package raster
