package fleet

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"sync"
)

// Window is a half-open interval of time, From <= t < To, in Unix
// nanoseconds.
type Window struct {
	From, To int64
}

// All is the window of all time.
var All = Window{From: math.MinInt64, To: math.MaxInt64}

func (w Window) validate() error {
	if w.From >= w.To {
		return fmt.Errorf("%w: window [%d, %d) is empty", ErrBadQuery, w.From, w.To)
	}
	return nil
}

// The bucket widths of the queries: TSBS's ten minutes and days, aligned to
// Unix time (date_bin's origin 2000-01-03 00:00 UTC is a multiple of both).
const (
	TenMinutes = int64(10 * 60 * 1e9)
	Day        = int64(24 * 60 * 60 * 1e9)
)

// bucketOf is the start of t's bucket of width step.
func bucketOf(t, step int64) int64 {
	r := t % step
	if r < 0 {
		r += step
	}
	return t - r
}

// eachTruck calls fn for every truck, on up to GOMAXPROCS goroutines, each
// truck once; fn writes only what belongs to truck i. It stops at the first
// error, or when ctx is done.
func eachTruck(ctx context.Context, n int, fn func(i int) error) error {
	workers := min(runtime.GOMAXPROCS(0), n)
	if workers <= 1 {
		for i := range n {
			if err := ctx.Err(); err != nil {
				return err
			}
			if err := fn(i); err != nil {
				return err
			}
		}
		return nil
	}
	var (
		mu    sync.Mutex
		next  int
		first error
		wg    sync.WaitGroup
	)
	take := func() (int, bool) {
		mu.Lock()
		defer mu.Unlock()
		if first != nil || next >= n {
			return 0, false
		}
		if err := ctx.Err(); err != nil {
			first = err
			return 0, false
		}
		next++
		return next - 1, true
	}
	for range workers {
		wg.Go(func() {
			for {
				i, ok := take()
				if !ok {
					return
				}
				if err := fn(i); err != nil {
					mu.Lock()
					if first == nil {
						first = err
					}
					mu.Unlock()
					return
				}
			}
		})
	}
	wg.Wait()
	return first
}
