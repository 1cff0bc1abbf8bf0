// Package render holds the pure outputs of the twin: functions that read a
// twin.Store and return bytes (Mapbox Vector Tiles here; meshes and frames in
// their own files), with no HTTP, no caching and no state of their own. The web
// package serves them and caches what it serves.
//
// # Vector tiles
//
// Tile renders one layer of one web-mercator tile as a Mapbox Vector Tile
// (specification 2.1, layer version 2), optionally gzipped. TileLayers lists the
// layers with their zoom ranges and attributes; docs/tiles.md documents them.
// A tile holds the entities whose geometry meets the tile grown by its buffer,
// as the twin was at TileOptions.At: geometry is clipped to the buffered tile,
// simplified with Douglas-Peucker at a quarter of a pixel (a pixel is 1/256 of
// the tile), quantised to the extent, and dropped when smaller than a pixel.
//
// The tiles are encoded with google.golang.org/protobuf's wire helpers rather
// than orb's encoding/mvt, whose encoder needs gogo/protobuf, which this module
// does not depend on; orb's clip, simplify and maptile do the geometry.
//
// # Meshes
//
// BuildingsGLB draws buildings, their parts and storeys as a glTF 2.0 binary
// (glb*.go): footprints extruded (LoD 1) or the 3D surfaces that imports kept
// in a geo/mesh store (LoD 2), triangulated by ear clipping (glb_earcut.go),
// in a local metric frame with y up, one primitive per material.
//
// # 3D Tiles and H3 layers
//
// NewTileset builds an OGC 3D Tiles 1.1 quadtree of the buildings
// (tiles3d.go): tileset.json from Tileset.JSON, each leaf's content a GLB
// from Tileset.Content, drawn by BuildingsGLB in the leaf's WGS84
// east-north-up frame and placed on the globe by the leaf's transform.
// AppendH3Layer writes a metric per H3 cell as little-endian columns
// (h3layer.go).
package render
