// Package fleet answers fleet-operations questions over the vehicles of a twin:
// the thirteen IoT queries of the Time Series Benchmark Suite (TSBS) — where
// each truck is, which run low on fuel or carry a high load, which stand still
// or drive long sessions, fuel use against the nominal, daily driving, loads,
// activity and breakdowns — with the semantics of TSBS's SQL on PostgreSQL, as
// ordinary queries over a *twin.Store.
//
// # The data model
//
// A truck is an entity of kind vehicle with a "name" property (ingest/tsbs
// upserts "tsbs:truck/<name>"), its attributes as properties (fleet, driver,
// model, device_version, load_capacity, fuel_capacity,
// nominal_fuel_consumption) and its TSBS fields as channels named after them
// (latitude … fuel_consumption of readings, fuel_state, current_load and
// status of diagnostics). The twin keeps no rows, only channels, so a row of
// TSBS's tables is rebuilt from them:
//
//   - A readings (diagnostics) row exists at time T when any channel of that
//     measurement has a point at T. TSBS blanks at most one field a row, so a
//     readings row always has latitude or velocity, and a diagnostics row
//     fuel_state or status: the union of those two channels' times is the
//     table's rows, exactly.
//   - A blanked field is a missing point: SQL's NULL. A truck's newest row is
//     the newest time over the measurement's channels; a field with no point at
//     that time is NULL there (last-loc then answers NULL coordinates, low-fuel
//     and high-load exclude the truck).
//   - A row without a name (TSBS's nameless rows, kept in PostgreSQL with a
//     NULL tags_id that joins nothing) never reaches the twin: ingest rejects
//     it. Both sides therefore count exactly the named rows.
//
// # The reference's rules, followed as written
//
// Where TSBS's SQL means something other than its label, this package answers
// what the SQL computes, because the reference answers (PostgreSQL 15) do:
//
//   - Ten-minute and day buckets are aligned to Unix time (date_bin with origin
//     2000-01-03 00:00 UTC), not to the query window; a window's first and last
//     buckets may be partial.
//   - An aggregate over no non-NULL value is NULL, and a NULL comparison is
//     false: a bucket whose velocities are all blanked is neither moving nor
//     still, a truck with no velocity in a window is not stationary.
//   - avg-daily-driving-duration averages, per truck, only the days with at
//     least one moving bucket, each as whole hours (integer division by 6).
//   - avg-daily-driving-session: a bucket whose mean velocity is NULL still
//     exists and breaks the chain of lag(): neither it nor the next bucket is
//     a change. The last change of a truck has no end, a NULL duration, which
//     avg ignores; a day whose changes all lack an end reports NULL.
//   - daily-activity adds up the rows (count(*), NULL status included) of the
//     ten-minute cells whose mean status is below 1, and divides by 144.
//   - breakdown-frequency's flag, count(status = 0) / count(*) >= 0.5 in
//     integer arithmetic, is true exactly when no status of the bucket is
//     NULL; it counts a bucket with a blanked status followed by one without.
//   - avg-vs-projected-fuel-consumption weights the nominal consumption by the
//     rows with velocity > 1, fuel_consumption NULL or not, and averages
//     fuel_consumption over those of them that have it.
//
// # Cost
//
// Each query reads what it needs and no more, through the twin's public reads:
//
//   - The newest-row queries (last-loc, low-fuel, high-load) ask the twin's
//     per-metric latest index (Store.Latest) for two channels whose union is
//     every row of the measurement: no point is decoded.
//   - The trucks and their attributes come from a roster kept per store and
//     followed through the store's change feed (roster.go): it is rebuilt
//     only when a vehicle is upserted, patched or deleted, not per query.
//   - The queries that scan channels (stationary-trucks, the long-*-sessions
//     and the whole-day queries) read a copy of the five channels they use
//     (velocity, fuel_consumption, latitude, fuel_state, status) that the
//     package keeps per store, decoded, and follows through the change feed
//     (columns.go): read from the twin once, then kept current by inserting
//     the feed's observations in time order, and checked against the twin's
//     point counts before each scan so that a retention trim, which the feed
//     does not carry, is noticed. It costs 16 bytes a point (61 MB for a day
//     of TSBS's 100 trucks: 3.8 M points) and is let go beyond 16 M points, when the
//     queries decode what they read instead. Answers are computed from the
//     points on every query; none is kept.
//   - Windowed queries find their window in the copy by binary search. The
//     whole-day queries scan each truck's points once, trucks in parallel on
//     GOMAXPROCS goroutines: velocity as ten-minute means, or, where rows of
//     two channels must be joined, merged in place, at a few nanoseconds a
//     point.
//
// docs/benchmarks.md compares the queries with PostgreSQL.
package fleet
