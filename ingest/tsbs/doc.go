// Package tsbs reads the data files of the Time Series Benchmark Suite (TSBS) as a
// replayable stream of twin ops: the IoT use case (a fleet of trucks) and the
// devops cpu-only use case (a rack of hosts), in TSBS's "timescaledb" pseudo-CSV
// or in InfluxDB line protocol, plain or gzip-compressed.
//
// # Reading
//
// Open or NewReader tells gzip from its magic bytes and decompresses in a
// goroutine of its own, a few blocks ahead of the parser, so that the two run on
// two cores; Close stops that goroutine and waits for it. The format is told
// from the first line: a timescaledb header starts "tags," and has no "=".
// Reader.Next returns one Row at a time (measurement, tags, fields with a present
// flag, time in nanoseconds, line number, raw text), reusing it, without
// allocating per row. Line protocol is decoded by lineprotocol.Decoder.
//
// A Feed turns rows into batches of ops for twin.Store.Apply (or a log in front
// of it). Feed.Next returns a Batch of about Options.BatchRows rows; its slices
// are fresh and belong to the caller. In a batch, the upserts and patches come
// first, in row order; then, for each entity of the batch, one move op with its
// positions and one observe op with its observations, grouped by metric, each
// channel's points in row order. An entity is always upserted before its first
// value, in the same batch or an earlier one.
//
// # Entities and metrics
//
// A truck (measurements readings and diagnostics) is the entity
// "tsbs:truck/<name>" of kind vehicle, moving. A host (measurement cpu) is
// "tsbs:host/<hostname>" of kind host, not moving. Neither has a geometry when
// upserted: a truck is placed by its positions, a host has no place (the twin
// allows an entity without geometry).
//
// The tags are the entity's attributes, upserted as properties with its
// provenance (source "tsbs", the row's time, note "<file>:<line>" of the tags
// that created it). The truck's name, fleet, driver, model and device_version
// are strings; load_capacity, fuel_capacity and nominal_fuel_consumption are
// numbers. Line protocol writes those three as fields: they are attributes all
// the same, never channels. A host's ten tags are strings. A tag outside the
// TSBS schema becomes a string attribute too (a number if a timescaledb header
// declares it so).
//
// Every other numeric field becomes an observation on the channel named exactly
// as the field: latitude, longitude, elevation, velocity, heading, grade and
// fuel_consumption of readings; fuel_state, current_load and status of
// diagnostics; usage_user … usage_guest_nice of cpu. Values are passed as
// written: TSBS declares no units, so none are converted. When a readings row
// has both latitude and longitude, the truck also moves there. Coordinates are
// kept as they are: TSBS places its trucks all over the northern and eastern
// hemispheres, not in one city, and this package maps nothing.
//
// # Damaged data
//
// TSBS damages its IoT stream on purpose (dropped, delayed and reordered rows,
// blanked fields and tags). The rules, as for any real feed:
//
//   - A row without its entity tag (name for a truck, hostname for a host;
//     absent or empty) cannot be attributed. It is rejected: nothing of it is
//     applied, and it goes to Options.DeadLetter as an ingest.DeadLetter with
//     Source "tsbs", Where "<file>:<line>" (the line of its tags), a Reason
//     and Raw, the row's input (timescaledb: its tags line, a newline, its data
//     line). Reading goes on.
//   - A blanked field (an empty column in timescaledb; in line protocol, a TSBS
//     field of the measurement that is missing) is absent: no observation for
//     it, and no position unless both latitude and longitude are present. The
//     rest of the row is kept.
//   - A blanked tag other than the entity tag (an empty value; in line
//     protocol, a missing tag or missing numeric attribute field) keeps the
//     row. An entity is upserted from its first row with the attributes that row
//     has; when a later row brings an attribute the entity lacks, an OpPatch
//     fills it, once.
//   - Attributes are constant per entity: a later row that disagrees with an
//     attribute the entity has never changes it, and is counted
//     (Stats.Disagreements).
//   - Late and out-of-order rows are passed on with their own timestamps; the
//     twin's channels and tracks insert late points in time order. Nothing is
//     reordered, dropped or deduplicated here.
//   - A field or numeric attribute that is not a finite decimal number (in line
//     protocol also a boolean field, or a value of no type such as "x=lots")
//     rejects the whole row, as a dead letter naming the line and the field.
//   - A missing, unparsable or non-positive timestamp rejects the row.
//   - A malformed line rejects its row, as a dead letter naming the line:
//     timescaledb data without a tags line before it, a tags line without data
//     after it, a tag without "=", too few or too many field columns; any line
//     the line-protocol decoder refuses, or with control characters or double
//     quotes (a string field; TSBS writes none); a line longer than MaxLineBytes; a field name longer than 128
//     bytes, a tag key longer than 256, an id longer than twin.MaxIDLen.
//     Reading goes on at the next line.
//   - A measurement other than readings, diagnostics and cpu (or, in
//     timescaledb, not declared in the header) rejects the row.
//   - Latitude or longitude outside WGS84 keeps both observations but places
//     nothing (Stats.BadPositions).
//   - A malformed timescaledb header is an error of NewReader (ErrHeader); a
//     header of another TSBS use case is an error of NewFeed (ErrUnsupported).
//     Nothing is read.
//   - A read error, a corrupt or truncated gzip stream ends the feed: Next
//     returns the batch of the rows before it, then the error.
//
// Blank lines are skipped in both formats, and "#" comments in line protocol.
// Every rejected row is counted by reason in Stats.Rejected (the Reject…
// constants), whether or not Options.DeadLetter is set. Stats also counts rows
// (in all and per measurement), observations and positions emitted, entities,
// patches, and the blanked fields and tags of the rows kept.
package tsbs
