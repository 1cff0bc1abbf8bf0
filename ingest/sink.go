package ingest

import (
	"context"
	"errors"

	"citytwin/twin"
)

// Sink takes ops for the twin. Submit returns once every accepted op is in the log
// (durable as the log's fsync policy says) and applied; errs[i] is nil for an
// accepted op and says why ops[i] was rejected otherwise. One bad op never rejects
// the others. err is set, and errs nil, when nothing was taken: ErrOverloaded when
// the log cannot keep up (retry later), or the context's or the log's error.
type Sink interface {
	Submit(ctx context.Context, ops []twin.Op) (errs []error, err error)
}

// ErrOverloaded says that the twin cannot take more input right now; the producer
// should retry after a short pause (HTTP 429 with Retry-After, MQTT 5 "quota
// exceeded"). Nothing of the refused input was applied.
var ErrOverloaded = errors.New("ingest: overloaded, retry later")
