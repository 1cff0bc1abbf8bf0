// Package series holds the in-memory time series of one channel (one entity ×
// one metric): int64 Unix-nanosecond timestamps and float64 values.
//
// Appends go to an open raw head block, a few nanoseconds each; when the head
// fills it is sealed into an immutable block compressed with Gorilla-style
// delta-of-delta timestamps and either exact decimal integers or XOR-coded
// floats (see block.go), about 1–3 bytes a point for sensor data. Every
// block keeps its time span, count, and the sum, min and max of its values,
// so aggregates over whole blocks need no decoding and retention drops whole
// blocks without touching them.
//
// Semantics:
//   - Out-of-order appends are accepted and put in their place; they cost a
//     rewrite of one sealed block when older than the head.
//   - Duplicate timestamps: the later write replaces the earlier value.
//   - Values are stored bit for bit, NaN, -0 and ±Inf included, and returned
//     as stored by First, Last, At, Range and LastN. Aggregates (Aggregate,
//     Summarize, Summary) skip NaN values as if absent; ±Inf take part.
//   - Percentiles use the nearest-rank method (see Agg).
//
// Concurrency: a Series is not safe for concurrent writes. Its owner (the
// twin) guards it with a read-write lock: writes (Append, Trim) hold the
// write lock, reads hold the read lock. Reads never modify the Series (no
// lazy caches, decoding goes into the reader's own memory), so any number of
// reads may run together. Sealed blocks are immutable, which is what lets
// Clone share them.
package series
