package fleet

import (
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"sync"

	"citytwin/twin"
	"citytwin/twin/series"
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

// points reads one channel of a truck in a window; a truck without the
// channel has no points.
func points(s *twin.Store, id twin.ID, metric string, w Window) ([]series.Point, error) {
	pts, err := s.Range(id, metric, w.From, w.To)
	if errors.Is(err, twin.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("fleet: %s %s: %w", id, metric, err)
	}
	return pts, nil
}

// allPoints reads the whole of one channel of a truck. The twin's LastN sizes
// its answer once and decodes whole blocks in bulk, which costs a fraction of
// a Range over all time (a callback a point, and a slice grown by appending).
func allPoints(s *twin.Store, id twin.ID, metric string) ([]series.Point, error) {
	pts, err := s.LastN(id, metric, math.MaxInt, 0)
	if errors.Is(err, twin.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("fleet: %s %s: %w", id, metric, err)
	}
	return pts, nil
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

// buckets returns the ten-minute buckets of one channel of a truck in w,
// ascending, each with its mean (Value) and count. It is the twin's bucketed
// aggregate, which decodes each compressed block once and allocates per
// bucket, not per point: several times cheaper than reading the points.
func buckets(ctx context.Context, s *twin.Store, id twin.ID, metric string, w Window) ([]twin.BucketValue, error) {
	bs, err := s.AggregateBuckets(ctx, twin.Aggregate{
		Query:  twin.Query{IDs: []twin.ID{id}},
		Metric: metric,
		Agg:    series.Avg,
		From:   w.From, To: w.To,
		Step: TenMinutes,
	})
	if err != nil {
		return nil, fmt.Errorf("fleet: %s %s: %w", id, metric, err)
	}
	return bs, nil
}
