// Package gtfs reads static GTFS feeds (zip archives of CSV files) into twin
// entities for stops and routes, and a Schedule of trips, stop times and
// service calendars for streams and simulations.
//
// # Reading
//
// Read (or ReadFile) takes a zip whose .txt files sit at the root or in one
// folder. It reads agency, stops, routes, calendar, calendar_dates, shapes,
// trips, stop_times and frequencies with encoding/csv: a UTF-8 BOM is dropped,
// quoted fields may hold commas, quotes and newlines, header names are trimmed
// and matched without case, unknown columns are ignored, absent optional
// columns and short rows read as empty. agency.txt, stops.txt, routes.txt,
// trips.txt, stop_times.txt and one of calendar.txt or calendar_dates.txt are
// required: a missing one is ErrMissingFile and the error names it. A file
// without a header or without a required column is ErrFormat.
//
// A bad row — a required field empty, a number or date or time that does not
// parse, a coordinate out of range, a duplicate id, a reference to an unknown
// route, service, trip or stop — is left out and recorded as a Reject with its
// file, line, column and reason; the rest of the feed is kept. References
// checked after reading (a parent_station that is not a stop, a shape_id that is
// not a shape) drop only the reference.
//
// Times are seconds since the service day's midnight (strictly, noon minus
// 12 h) and may pass 24:00:00 for trips after midnight. When only one of
// arrival_time and departure_time is given, the other is set equal to it; when
// both are empty (non-timepoints), both are -1. Stop times are ordered by
// stop_sequence; a repeated stop_sequence in a trip keeps the first row. Shape
// points are ordered by shape_pt_sequence.
//
// # Entities
//
// Feed.Entities (or Feed.Ops, one OpUpsert each) makes:
//
//   - one KindStop entity "gtfs:stop/<stop_id>" per stop, a Point (no geometry
//     for generic nodes and boarding areas without a position), with properties
//     name, code, desc, zone_id, platform_code (strings, when given),
//     location_type and wheelchair_boarding (numbers); a Link{"parent",
//     gtfs:stop/<parent_station>}; and a Link{"served_by", gtfs:route/<id>} for
//     each route whose trips call there, sorted by route id (a station is served
//     by the routes of the stops inside it).
//   - one KindRoute entity "gtfs:route/<route_id>" per route with properties
//     short_name, long_name, desc, color, text_color, url, agency (the agency's
//     name), type (route_type, a number) and mode (see ModeOf). Its geometry is
//     the union of the distinct shapes its trips follow, a MultiLineString in
//     shape_id order; when none of its trips has a shape (no shapes.txt), a
//     LineString through the stops of its longest trip.
//
// Trips are schedule data, not entities; TripID gives "gtfs:trip/<trip_id>" for
// callers that make them entities. These ids meet those of ingest/gtfsrt, whose
// vehicles "gtfs:vehicle/<id>" carry trip_id and route_id properties.
//
// # Schedule
//
// Schedule.Trips holds each trip's route, service, headsign, direction, shape,
// stop times and frequencies; Schedule.Services each service's weekly days and
// date range from calendar.txt and the dates added and removed by
// calendar_dates.txt. Service.Active combines them (an exception wins over the
// weekly pattern). Schedule.Departures lists the departures from a stop on a
// service day in a window of seconds since its midnight, with frequency-based
// trips (frequencies.txt) expanded.
//
// # Not read
//
// fare_*, transfers, pathways, levels, feed_info, translations, attributions
// and GTFS-Flex files are ignored. The whole feed is held in memory; there is
// no limit on its size beyond what the zip holds.
package gtfs
