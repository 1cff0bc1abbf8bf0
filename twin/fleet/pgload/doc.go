// Package pgload puts the TSBS IoT dataset into PostgreSQL in TSBS's
// relational schema and runs TSBS's generated SQL there, so that the twin's
// answers (package fleet) can be checked and timed against the database's.
//
// The schema is the one TSBS's TimescaleDB loader creates, on plain
// PostgreSQL: tags(id, name, fleet, driver, model, device_version,
// load_capacity, fuel_capacity, nominal_fuel_consumption), one row per truck;
// readings(time, tags_id, latitude, longitude, elevation, velocity, heading,
// grade, fuel_consumption) and diagnostics(time, tags_id, fuel_state,
// current_load, status), every field double precision, each with the indexes
// (tags_id, time DESC) and (time DESC). The data goes in with COPY (pgx's
// binary protocol) into unindexed tables; the indexes are built after, then
// the tables are analysed.
//
// The rows follow the reference answers' loading rules (shared/tsbs README):
// a blanked field is NULL; a row without a name is kept with tags_id NULL, so
// that it joins nothing; a truck's tags row has, for each attribute, the first
// value any of its rows gave (attributes are constant per truck, so a blanked
// tag in one row changes nothing).
//
// The package reads no files: a caller hands it rows (ingest/tsbs reads them,
// see the tests and cmd/citytwin), which keeps twin's packages free of
// ingest's.
package pgload
