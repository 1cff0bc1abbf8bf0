// Package mesh keeps the 3D surfaces of city objects — the roofs, walls and
// grounds of a CityJSON building, the floors and walls of an IFC storey — for
// the 3D view, after the importers have derived footprints and heights from
// them.
//
// A Mesh is a list of planar polygons with a semantic type (RoofSurface,
// WallSurface, GroundSurface, …, as CityJSON names them). Its points are
// Point3{lon, lat, z}: WGS84 degrees and metres above the ground of the
// entity the mesh belongs to, the same ground that the entity's Height and
// MinHeight are measured from. Mesh.Ground says where that ground is in the
// source's vertical system (e.g. NAP metres) when it is known.
//
// A Store keeps meshes by entity id in a directory (see store.go for the file
// format): Put buffers, Flush or Close write one immutable segment file
// atomically, and Get reads one mesh with one positioned read. Several
// Stores may share a directory (a server reading, an import writing): each
// sees the others' segments once they are renamed into place.
package mesh
