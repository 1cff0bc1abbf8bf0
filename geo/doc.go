// Package geo holds the geometry of the twin: WGS84 lon/lat geometry on orb types,
// true distances in metres, a local metric frame for a city, H3 helpers, the R-tree
// wrapper, a point grid for moving things, and robust predicates.
//
// Coordinates are orb.Point{lon, lat} in degrees. Metres are on a sphere of
// EarthRadius. Functions never panic on input: NaN, empty and degenerate
// geometry give documented neutral answers instead.
package geo
