// Package raster holds regular grids of float32 values — elevation models,
// rainfall, depth, land use codes — for the simulations that read them.
//
// A Grid is north-up: row 0 is the northern edge, column 0 the western edge, and
// Origin is the outer top-left corner of cell (0, 0) in the grid's own CRS (for
// example "EPSG:32756" or the WKT of a .prj); CellX and CellY are the positive
// cell sizes in CRS units. Values are row-major. A value equal to NoData (when
// HasNoData), or NaN, is "no value": At, Value, Slope and Stats skip it.
//
// Value interpolates bilinearly between cell centres; near NoData cells it uses
// the remaining neighbours with their weights renormalised, and outside the
// outermost cell centres (but inside Bounds) it clamps to the edge cells.
package raster
