// Package ingest turns outside input into twin ops and hands them to the twin.
//
// The decoders live in subpackages, one format each (ingest/senml, ingest/tsbs,
// ingest/gtfsrt, ...), and the stream adapters that carry them (ingest/mqtt). This
// package holds what they share: the Sink that takes ops and says, per op, whether
// the twin accepted and logged it; the dead-letter record of rejected input; unit
// normalisation and validation rules. Subpackages import this one, never the other
// way round.
package ingest
