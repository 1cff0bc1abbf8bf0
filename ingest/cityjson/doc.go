// Package cityjson reads CityJSON (1.0, 1.1, 2.0) documents and CityJSONSeq
// streams into twin upserts and a 3D Model for rendering.
//
// Decode (or Read) parses the file, applies "transform" to the integer
// vertices, resolves metadata.referenceSystem through geo/crs (an unknown
// system refuses the file: ErrUnknownCRS), builds every geometry type
// (MultiPoint, MultiLineString, MultiSurface, CompositeSurface, Solid,
// MultiSolid, CompositeSolid, GeometryInstance of a template) at every LoD with
// its semantic surfaces, and derives per object a WGS84 footprint and heights
// (rules in footprint.go and derive.go). The footprint rules, first match
// wins: GroundSurface semantics; the downward faces of a solid; the union of
// a solid's upward faces (roofs), if their projections tile; the bottom edges
// of a solid's walls, if they chain into simple rings; the non-vertical
// surfaces of a MultiSurface; the convex hull.
//
// Entities: id IDPrefix+object id ("cityjson:NL.IMBAG.Pand.0503100000028341"),
// kind KindOf(type) (building, building_part, road, water_body, land_use, ...),
// footprint geometry, Height/MinHeight, properties from the attributes (Props)
// plus cityjson_type, lod, ground_elevation, roof_height and height_source, a
// "part_of" link to every parent, and the metadata in the provenance note.
//
// Objects that cannot be used (bad vertex index, malformed boundaries or
// semantics, no geometry of their own or of their children) are Rejects with
// the object id and the reason; the others are kept. Input that is not CityJSON
// at all is an error.
//
// Not supported: materials, textures, appearance, semantic hierarchy
// (parent/children of semantic objects), CityJSON Extensions' extra root
// properties, and the "address" of 2.0 Buildings beyond its JSON text.
package cityjson
