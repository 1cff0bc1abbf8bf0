// Package crs converts coordinates between the reference systems found in city
// data (Dutch RD, Swiss LV95/LV03, ETRS89 and WGS84 UTM, LAEA Europe, Web
// Mercator, US state planes, Japanese plane rectangular, ... anything PROJ knows)
// and the twin's WGS84 lon/lat.
//
// Parse canonicalises the many spellings of a system ("EPSG:28992",
// "urn:ogc:def:crs:EPSG::7415", "https://www.opengis.net/def/crs/EPSG/0/7415").
// New and For make a Transformer; For caches one per system. An unknown or
// unparsable system is ErrUnknownCRS naming it, never a silent misplacement.
//
// Rules:
//   - axis order is normalised: x is easting/longitude, y northing/latitude, for
//     every system, whatever its EPSG axis order;
//   - heights are not transformed: for a compound system (EPSG:7415 = RD New + NAP)
//     the horizontal part goes to lon/lat and z stays in the vertical system's
//     units;
//   - PROJ picks the transformation (no area of interest, no network grids); for
//     RD it is the EPSG Helmert (about 1 m) unless the rdtrans grids are installed.
//
// Grid (Transformer.NewGrid) interpolates a transformation over a city's extent
// for speed, checked against PROJ to a given tolerance (1 mm in ingest).
//
// The package wraps PROJ through cgo (github.com/twpayne/go-proj): building needs
// the PROJ headers (Debian: libproj-dev, pkg-config) and running needs its
// database (Debian: proj-data, pulled in by libproj25).
package crs
