package datasets

import (
	"context"
	"runtime"
	"sync"
	"sync/atomic"
)

// workers returns how many goroutines to use.
func workers(n int) int {
	if n > 0 {
		return n
	}
	return runtime.GOMAXPROCS(0)
}

// parallel calls fn(i) for every i in [0, n) on up to w goroutines and waits for
// them. fn must only write state that belongs to i, so that the result does not
// depend on scheduling. It stops handing out work when ctx is done and then
// returns ctx.Err().
func parallel(ctx context.Context, w, n int, fn func(i int)) error {
	if w > n {
		w = n
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range w {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				fn(i)
			}
		}()
	}
	wg.Wait()
	return ctx.Err()
}
