// Package fusion decides when records from different sources are the same thing
// in the city, and merges them into one entity with the provenance of every
// attribute.
//
// # Buildings
//
// A building footprint that arrives from one source (osm:, cityjson:, ifc:, …)
// is the same building as one already in the twin from another source when
// their footprints overlap by an intersection over union of at least
// Options.MinIoU (0.5 by default; geo.IoU measures it in metres). The building
// already in the twin stays the canonical entity: it gets a new version with
//
//   - the footprint of the source ranked first in Options.Footprint (CityJSON,
//     then OSM, then IFC: surveyed 3D models outline a building best, and an IFC
//     model lands on the footprint of the building it describes);
//   - height, minimum height and levels from the first source in
//     Options.Height that has them (IFC, then CityJSON, then OSM: a building
//     model is measured, a 3D city model is measured from above, OSM is often
//     estimated from levels);
//   - names and addresses (name, name:*, addr:*) from the first source in
//     Options.Names (OSM first: that is where people keep them); every other
//     property from the first source in Options.Height that has it;
//   - the property source.<field> naming where footprint, height and each
//     property came from, and conflict.<key> listing the values the sources
//     disagree on (heights that differ by more than Options.HeightTolerance,
//     properties that differ at all), so that conflicts show through the API;
//   - a link same_as to the incoming entity's id, and both provenances.
//
// A footprint that matches nothing is a new building.
//
// # Sensors
//
// LinkSensors links each sensor to the building it stands in (rel "in") or,
// outside buildings, to the nearest road within Options.RoadDistance metres
// (rel "near"), replacing its earlier in/near link.
package fusion
