// Package senml decodes sensor readings sent as SenML JSON (RFC 8428) or as a
// plain JSON form into twin ops: OpObserve for numeric values, OpMove for
// positions.
//
// Decode reads one SenML pack, DecodeNDJSON newline-delimited packs or records,
// DecodePlain the plain form. Each returns a Result: the ops, the records it
// rejected and why, the unit each metric was sent in, and the string values as
// properties. One bad record is rejected on its own and the good ones are kept;
// only a payload that cannot be read as a whole is an error.
//
// # Where a payload comes from
//
// Options.Entity is the default entity, taken by the caller from the MQTT topic
// citytwin/<source>/<entity id>/senml or from the HTTP path; Options.Source goes
// into every op; Options.Now is "now" for relative times and for records without
// a time.
//
// # Names: entity and metric
//
// A record's name is its base name and name joined (bn + n, RFC 8428 section
// 4.6), and must use only the characters RFC 8428 allows: letters, digits and
// "-", ":", ".", "/", "_", starting with a letter or digit. The part after the
// LAST ':' is the metric, lower-cased; the part before it is the entity:
//
//	bn "urn:dev:ow:10e2073a01080063:", n "temp" → entity urn:dev:ow:10e2073a01080063, metric temp
//	n "sensor:aq-18:PM25"                       → entity sensor:aq-18, metric pm25
//	n "aq-18:pm25", IDPrefix "sensor:"          → entity sensor:aq-18, metric pm25
//	n "pm25"                                    → the default entity, metric pm25
//	n "3303/0/5700" (an LwM2M path)             → the default entity, metric 3303/0/5700
//
// ':' is the separator because it is how SenML producers end a base name (the
// device URN examples of RFC 8428) and how twin ids are qualified; a metric
// therefore never contains ':', while '/' may appear in both parts
// ("gtfs:vehicle/7:speed"). An entity part with a ':' is an id as it stands; one
// without gets Options.IDPrefix (by default the default entity's prefix up to its
// first ':', so that with the default "sensor:aq-17" the name "aq-18:pm25" is
// entity "sensor:aq-18"). With no entity part and no default entity the record
// is rejected.
//
// A name with nothing after its last ':' (a base name alone, as in RFC 8428
// section 5.1.5) takes its metric from the quantity of its unit: "Cel" gives
// temperature, "%RH" relative_humidity, "%EL" battery (see ingest/unit for the
// quantities); without a unit it is rejected. A record in unit "lat" or "lon" is
// the latitude or longitude of its entity whatever its metric. A name that is
// only a device id (the single-datapoint example of RFC 8428 section 5.1.1, n
// "urn:dev:ow:10e2073a01080063") reads as entity "urn:dev:ow" and metric
// "10e2073a01080063": such devices should end their base name with ':'.
//
// # Records
//
// Base fields (bn, bt, bu, bv, bs, bver) apply to their record and to the records
// after it in the same pack, until changed. Then, per record:
//
//   - t is added to bt. A resolved time of 2**28 s or more is seconds since
//     1970; below it, it is relative to now (0 or missing: now; negative: in the
//     past). Times before 1970 or more than Options.MaxFuture (24 h) ahead of
//     now reject the record.
//   - v (plus bv) is a number: its unit (u, else bu) is converted with package
//     ingest/unit to the canonical unit and the value becomes an observation of
//     the metric. An unknown unit, or a value that is not finite before or after
//     conversion, rejects the record. Result.Units keeps the unit as sent, per
//     metric, for provenance.
//   - vb becomes an observation of 0 or 1, without a unit.
//   - vs and vd (base64 data, kept as its text) are not observations: they are
//     returned in Result.Props (entity → metric → string value) for the caller
//     to patch onto the entity if it wants.
//   - s (plus bs) becomes an observation of metric + "_sum", converted by the
//     scale of the unit only (a sum is in unit × seconds).
//   - A record needs exactly one of v, vs, vb, vd, or else an s; a version (bver)
//     above 10 rejects the record.
//   - Metrics lat (or latitude) and lon (lng, longitude) are a position, not
//     observations: a lat and a lon of the same entity with the same resolved
//     time make one OpMove position. Their own unit (u; a base unit is for the
//     measurements and does not apply) must be empty, lat, lon or deg;
//     an unpaired lat or lon, or one out of range, is rejected. Other metrics,
//     alt included, are observations.
//   - A field whose label ends in '_' is a must-understand extension (RFC 8428
//     section 4.4); this package knows none, so the payload is an error
//     (ErrMustUnderstand). Other unknown fields, and ut, are ignored.
//
// # The plain JSON form
//
// For producers that do not speak SenML, one record is an object:
//
//	{
//	  "id": "sensor:aq-17",
//	  "t": "2026-11-27T10:00:00Z",
//	  "metrics": {
//	    "pm25": 12.5,
//	    "temperature": {"v": 21.3, "u": "Cel"},
//	    "door_open": true,
//	    "status": "ok"
//	  },
//	  "lat": 60.17,
//	  "lon": 24.94
//	}
//
// The fields, all optional but for at least one metric or a position:
//
//   - id is the entity (qualified with IDPrefix when it has no ':'); when absent,
//     Options.Entity. It must have no spaces or control characters.
//   - t is an RFC 3339 time or a number of seconds since 1970 (fractions
//     allowed, no relative times); when absent, now. The same limits as SenML
//     apply.
//   - metrics maps metric names (letters, digits and - . / _, lower-cased) to a
//     number (an observation without a unit), a bool (an observation of 0 or 1),
//     a string (a property), or an object {"v": number, "u": unit},
//     {"vb": bool} or {"vs": string}, converted like SenML. Metrics are taken
//     in byte order of their names.
//   - lat and lon, both or neither, are a position at t.
//
// A payload is one such object, an array of them, or NDJSON: one object (or array
// of objects) per line. A bad id or time rejects the record; a bad metric only
// itself, with Name "<id>:<metric>".
//
// # Limits and errors
//
// A payload larger than Options.MaxBytes (1 MiB) is ErrTooLarge; more records
// than Options.MaxRecords (10,000) is ErrTooManyRecords. Decode needs a JSON
// array (ErrNotJSON, ErrNotPack); DecodePlain an object, an array or NDJSON
// (ErrNotPlain); in NDJSON a line that is not JSON is a Reject with Index -1, and
// a payload with no JSON line at all is ErrNotJSON.
//
// # Ops
//
// Result.Ops holds, per entity in the order the entities first appear, one
// OpMove with its positions in time order, then one OpObserve with its
// observations in payload order. Every op passes twin.Op.Validate. The store
// refuses observations and moves for entities it does not know, so the caller
// upserts sensors it has not seen before, as it does for anything else.
package senml
