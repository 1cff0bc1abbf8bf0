// Package twin is the in-memory model of a city: entities with geometry, typed
// properties, provenance, links and versions; time-series channels per entity and
// metric; moving entities; the spatial (R-tree, point grid) and H3 indexes; the query
// engine with "as of" answers; aggregates; and the change feed.
//
// Every change is an Op. A Store applies batches of ops atomically under its write
// lock; queries run under its read lock, so a reader never sees half a batch.
// Entity states are immutable once applied: a reader may keep one after the lock is
// released.
//
// Lock order: Store.mu, then feed.mu. Nothing else is held while taking Store.mu.
package twin
