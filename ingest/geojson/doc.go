// Package geojson turns GeoJSON features into twin entities: a FeatureCollection,
// a single Feature, or newline-delimited features (one Feature per line).
//
// A feature becomes one entity:
//   - the feature's "id" (string or number) is the entity id, prefixed with
//     Options.IDPrefix when set; a feature without one is rejected;
//   - "properties.kind" is its kind (Options.DefaultKind when absent);
//   - "properties.height", "min_height" (metres) and "levels" fill the entity's
//     fields of the same meaning;
//   - "properties.links", an array of {"rel": …, "to": …}, become its links;
//   - "properties.valid_from" (RFC 3339) is when the version takes effect, else
//     the time of the request;
//   - every other property is kept: numbers, strings and booleans as they are,
//     nested objects and arrays as their JSON text, nulls dropped;
//   - the geometry (WGS84 lon/lat, any GeoJSON type; null for an entity with no
//     place) is kept as it is.
//
// Each feature stands alone: a bad one is rejected with its index, id and the
// reason, and the others go on.
package geojson
