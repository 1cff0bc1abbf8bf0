// Package csv turns CSV files whose rows carry a point (lat/lon columns) or a
// WKT geometry into twin entities, one upsert per row.
//
// The file:
//   - the first row is the header; a UTF-8 byte order mark before it is
//     skipped. Names are trimmed, and a column with an empty name (a trailing
//     delimiter) is ignored;
//   - the delimiter is Options.Comma, or else sniffed from the header line:
//     whichever of ',', ';' and tab occurs most often outside double quotes,
//     ',' on a tie or when none occurs;
//   - fields follow RFC 4180 as encoding/csv reads them: double-quoted fields may
//     hold the delimiter, newlines and doubled quotes; a bare quote in an
//     unquoted field is an error of that row; blank lines are skipped.
//
// The columns, matched case-insensitively against the header (overrides too):
//   - geometry: Options.WKTColumn, or Options.LatColumn/LonColumn (the other
//     one of the pair found by name); else a WKT column named wkt, geometry,
//     geom or the_geom; else a latitude column (latitude, lat, y) with a
//     longitude column (longitude, lon, lng, long, x), names tried in that
//     order. A WKT column wins over lat/lon columns, which are then ordinary
//     properties. A file with no geometry columns is an error (ErrNoGeometry),
//     as is an override naming no column (ErrNoColumn);
//   - id: Options.IDColumn, else id, identifier or fid; a file without one is
//     an error (ErrNoIDColumn). The entity id is Options.IDPrefix + the cell;
//   - kind: the "kind" cell, Options.DefaultKind when empty or absent;
//   - height, min_height (metres) and levels (a whole number) fill the entity's
//     fields of the same meaning, as in the GeoJSON importer; empty is 0,
//     unknown;
//   - every other column is a property keyed by its header name: a plain
//     decimal ([+-]digits[.digits][e±digits], no leading zeros as in "007",
//     finite) is a number, "true"/"false" in any case is a bool, an empty cell
//     is no property, anything else is the trimmed string. Two property columns
//     of the same name are an error (ErrHeader).
//
// Every cell is trimmed of surrounding white space before it is read.
//
// Geometry: lat and lon are decimal degrees (a decimal comma is not read),
// finite, within ±90 and ±180; projected coordinates (metres) therefore fail
// the range check rather than being taken as degrees. A lat/lon swap is not
// guessed: lat 51.5 lon -0.1 and lat -0.1 lon 51.5 are both valid points, and
// the file's column names are taken at their word. WKT is any type
// orb/encoding/wkt reads, 2D only, optionally as EWKT with SRID=4326 (any other
// SRID is rejected); every coordinate must be a WGS84 lon/lat.
//
// Each row stands alone: a row with the wrong number of fields, a quoting error,
// no id, no kind, an empty or bad geometry, or a bad height is rejected with its
// data-row index, its line in the file (the header is line 1; a quoted field
// spanning lines counts them all), the column at fault and the reason, and the
// other rows go on. With Options.AllowNoGeometry a row whose geometry cells are
// all empty becomes an entity without a place; a malformed geometry is still
// rejected. Rows beyond Options.MaxFeatures make the whole read fail
// (ErrTooMany).
//
// Every op is an upsert valid from Options.Now, with provenance naming the
// source and the line. Rows are not merged: several rows with one id give
// several upserts, and applied in order the last one wins.
package csv
