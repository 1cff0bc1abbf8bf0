package mqtt

import (
	"context"
	"math/rand/v2"
	"time"
)

// backoff is an exponential delay with jitter: attempt 0 waits about min, each
// further attempt doubles it, up to max.
type backoff struct {
	min, max time.Duration
}

func (b backoff) delay(attempt int) time.Duration {
	d := b.min
	for i := 0; i < attempt && d < b.max; i++ {
		d *= 2
	}
	d = min(d, b.max)
	// ±25 % jitter so that clients that met the same overload do not retry in step
	return d - d/4 + rand.N(d/2+1)
}

// sleep waits for d or until ctx ends or stop is closed, and says whether the
// whole time passed.
func sleep(ctx context.Context, stop <-chan struct{}, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	case <-stop:
		return false
	}
}
