// Package gtfsrt turns GTFS-realtime VehiclePositions feeds (protobuf
// FeedMessages, decoded with the MobilityData bindings) into twin ops, and polls
// such feeds.
//
// # Vehicles
//
// Every FeedEntity with a VehiclePosition is one vehicle; entities without one
// (trip updates, alerts) and deleted ones are counted in Result.Skipped.
//
//   - Entity id: Options.IDPrefix ("gtfs:vehicle/") + vehicle.id; when the
//     vehicle descriptor has no id, its label; when it has neither, the
//     FeedEntity's id. A vehicle seen twice in one feed keeps its first entity;
//     the second is rejected.
//   - Time: VehiclePosition.timestamp, else the header's timestamp, else
//     Options.Now. A timestamp more than Options.MaxFuture (1 h) ahead of now
//     rejects the vehicle (a feed in milliseconds, say).
//   - Position: an OpMove of (longitude, latitude). Coordinates are float32 in
//     the feed; they are widened to the float64 of their shortest decimal form
//     (28.06622, not 28.066219329833984). A vehicle without a position, with a
//     latitude or longitude missing or out of range, or at exactly 0, 0 (which
//     feeds use for "unknown") is rejected; the other vehicles are kept.
//   - Observations, in one OpObserve at the same time, when present: speed
//     (m/s, as GTFS-realtime sends it), bearing (degrees, 0..360), odometer (m),
//     occupancy_status and congestion_level (the enum numbers of the spec),
//     occupancy_percentage (%). A reading out of range is rejected on its own
//     and the vehicle kept.
//   - Properties, returned in Result.Props for the caller to upsert or patch
//     with: trip_id, route_id, direction_id (a number), start_date, start_time,
//     label, license_plate, current_status (the enum name, e.g. STOPPED_AT) and
//     stop_id, each only when the feed gives it.
//
// # New and known vehicles
//
// The store refuses moves for entities it does not know. When Options.Known is
// nil or says a vehicle is unknown, an OpUpsert comes before its OpMove: Kind
// "vehicle", Moving, the position as geometry, the properties above and
// provenance {Source: Options.Source ("gtfs-rt"), Time: the position time, Note:
// Options.Feed}. For a known vehicle there is no upsert; if Options.Previous
// gives its properties and its trip changed (trip_id, route_id, direction_id,
// start_date or start_time differ), an OpPatch after the move sets every
// property that differs and removes (with a Null) the ones the feed no longer
// gives. Without Previous, or when only the stop or status changed, nothing is
// patched: keeping stops and statuses current is the caller's choice, from
// Result.Props, as they change at every stop and would make a version each.
//
// Ops per vehicle, in feed order: [OpUpsert] OpMove [OpObserve] [OpPatch]. All
// pass twin.Op.Validate.
//
// # Polling
//
// A Poller fetches a feed over HTTP (or re-reads a file) every interval, sends
// If-None-Match and If-Modified-Since from the last good response, skips a 304,
// an unchanged file, or a feed whose header timestamp did not advance, and calls
// its callback with each new Result. Errors are logged and counted
// (PollerStats), and polling goes on.
//
// # Errors
//
// A feed larger than Options.MaxBytes (16 MiB) is ErrTooLarge; bytes that are not
// a FeedMessage are ErrNotFeed. Required fields missing in the protobuf are not
// an error: they reject the vehicle that lacks them.
package gtfsrt
