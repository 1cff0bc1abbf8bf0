// Package history keeps the twin's past in PostgreSQL/PostGIS: a sink follows
// the twin's ops in order and writes entity versions, moves and observations
// into time-partitioned tables, and a Reader answers time-series, as-of and
// aggregate queries from the database, merged with the in-memory twin where
// memory no longer holds the start of a range.
//
// The sink is resumable: it stores the seq of the last op it applied in the
// same transaction as each batch, so that after a restart of either citytwin or
// PostgreSQL it goes on exactly where it stopped, losing and duplicating
// nothing. See docs/history.md.
package history
