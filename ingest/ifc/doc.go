// Package ifc reads IFC (BIM) files in the STEP physical file format
// (ISO 10303-21) and turns their buildings, storeys and spaces into twin
// entities.
//
// # Reading
//
// Decoder is a streaming STEP reader: it holds one statement at a time
// (read through a 1 MiB bufio.Reader, no regular expressions) and decodes
// the HEADER (FILE_DESCRIPTION, FILE_NAME, FILE_SCHEMA: IFC2X3, IFC4,
// IFC4X3, …) and every DATA instance #id=TYPE(args); with strings (a
// doubled quote and the \X\hh, \X2\…\X0\, \X4\…\X0\, \S\c and \\ escapes
// decoded to UTF-8), enumerations, $, *, integers and reals with exponents,
// binaries, nested lists, references and typed parameters such as
// IFCLABEL('x'). Comments /* … */ may stand anywhere between tokens and
// instances may span lines.
//
// Parse keeps every instance by id for the model.
//
// # The model
//
// BuildModel reads:
//   - IfcProject: name, the length and area units (IfcSIUnit with prefix, or
//     IfcConversionBasedUnit, e.g. millimetres or feet) and the TrueNorth of
//     its IfcGeometricRepresentationContext;
//   - IfcSite: RefLatitude and RefLongitude (compound degrees, minutes,
//     seconds, millionths), RefElevation; (0,0) counts as not set;
//   - IFC4 IfcMapConversion with the IfcProjectedCRS name, when present;
//   - IfcBuilding (address from IfcPostalAddress), its IfcBuildingStorey
//     parts (through IfcRelAggregates; storeys of no building go to the
//     first), the storeys' IfcSpace parts, and the elements each storey
//     holds (IfcRelContainedInSpatialStructure), counted per type;
//   - space areas from NetFloorArea, else GrossFloorArea, quantities.
//
// # Coordinates
//
// Every IfcLocalPlacement chain is composed (IfcAxis2Placement3D Location,
// Axis, RefDirection; cycles and chains over 64 links are rejected) to the
// project's world coordinates in metres. The geometry of an element is its
// "Body" representation, else "FootPrint", else the "Box": extruded area
// solids (rectangle, circle as a 32-gon, arbitrary closed polyline or
// indexed poly-curve profiles, derived profiles), boolean clipping results
// (their first operand), faceted B-reps, mapped items (without their
// scale), curve sets and bounding boxes all give points.
//
// Footprints are outlines in plan (plan.go, union.go). Every solid of an
// element gives a plan polygon: an extrusion along world z of a flat profile
// (walls, slabs, spaces) its profile, exactly; a faceted B-rep the union of
// its faces seen from above; anything else (tilted extrusions, boxes, …) the
// convex hull of its points, which is exact for convex profiles; a boolean
// result its first operand. A storey's footprint is the outer ring of the
// union (Outline) of the plans of its walls, slabs (roof slabs excepted, as
// they overhang) and columns; failing those, of all its elements and spaces.
// A building's footprint is the outline of its storeys'; a space's the
// outline of its own geometry, else its storey's. Holes of the union (rooms
// enclosed by walls, courtyards) are filled, as a footprint is one ring. The
// convex hull of the same points is the last resort, taken when the union
// falls apart into several pieces or cannot be chained. For AC20-FZK-Haus the
// storeys and the building are the 12 m × 10 m rectangle of the outer wall
// faces, and the L-shaped hall (a B-rep) is no longer its hull.
//
// World metres become WGS84 in one of two ways. With an IfcMapConversion,
// x and y are rotated by XAxisAbscissa/XAxisOrdinate, scaled and shifted by
// Eastings/Northings, and Options.ToWGS84 converts them from the named CRS
// (a nil ToWGS84 is ErrNoToWGS84). Otherwise the site's reference point is
// taken to be the origin of the site's placement: world offsets from it are
// turned by TrueNorth to east/north metres and mapped with a geo.Frame
// anchored at RefLongitude/RefLatitude. With neither, Decode returns the
// Model and ErrNoGeoreference, and no ops.
//
// Heights are metres above the lowest storey: a storey's MinHeight is its
// elevation, its Height the next storey's elevation (the top of its own
// elements for the highest), and the building's Height the top of its
// highest element, roof included.
//
// # Entities
//
// A building becomes KindBuilding "ifc:<GlobalId>" (footprint, Height,
// Levels = storeys, name, description, long_name, address, project, site,
// ifc_schema, count_<ifctype> per contained element type); each storey
// KindStorey (footprint, MinHeight, elevation_m, name) part_of the
// building; each space KindSpace (footprint, name, long_name, area_m2)
// part_of its storey and the building. Provenance is {Source "ifc",
// Note "<file> #<id>"}. Walls, doors and other elements are not entities.
//
// # Rejects
//
// A statement that cannot be read (bad syntax, unknown escape, a number
// out of float64 range, nesting deeper than MaxDepth, a duplicate id, a
// complex instance, a statement over MaxStatementBytes) is skipped and
// reported as a Reject with its line and id; the rest of the file is kept.
// A placement cycle, an out-of-range site reference and a file cut short
// are rejects too. Dangling references read as absent values. Geometry
// walks have a budget (items, points) so that shared or cyclic items cannot
// blow up. Only input that is not STEP at all, a read error, a missing
// IfcProject or a missing georeference fail the whole decode.
package ifc
