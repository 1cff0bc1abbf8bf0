package ingest_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"testing"

	"citytwin/ingest"
	"citytwin/twin"

	"github.com/paulmach/orb"
)

// Concurrent submitters each get their own per-op answers, whatever batches
// their ops were applied in.
func TestBatcherPerOpResults(t *testing.T) {
	store, err := twin.New(twin.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	b, err := ingest.NewBatcher(store, ingest.BatcherConfig{Workers: 3, MaxBatchOps: 50, QueueLen: 64})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	const submitters, rounds = 8, 50
	var wg sync.WaitGroup
	for s := range submitters {
		wg.Go(func() {
			id := twin.ID(fmt.Sprintf("s:%d", s))
			ops := []twin.Op{{Type: twin.OpUpsert, Entity: &twin.Entity{ID: id, Kind: twin.KindSensor, Geometry: orb.Point{1, 2}}}}
			if errs, err := b.Submit(context.Background(), ops); err != nil || errs[0] != nil {
				t.Errorf("upsert: %v %v", err, errs)
				return
			}
			for r := range rounds {
				ops := []twin.Op{
					{Type: twin.OpObserve, Observations: []twin.Observation{{ID: id, Metric: "m", T: int64(r + 1), V: float64(r)}}},
					{Type: twin.OpObserve, Observations: []twin.Observation{{ID: "s:missing", Metric: "m", T: 1, V: 1}}},
					{Type: twin.OpObserve, Observations: []twin.Observation{{ID: id, Metric: "m", T: 1, V: math.Inf(1)}}},
				}
				for {
					errs, err := b.Submit(context.Background(), ops)
					if errors.Is(err, ingest.ErrOverloaded) {
						continue // the queue is small on purpose
					}
					if err != nil {
						t.Errorf("submit: %v", err)
						return
					}
					if errs[0] != nil || !errors.Is(errs[1], twin.ErrNotFound) || !errors.Is(errs[2], twin.ErrBadOp) {
						t.Errorf("round %d: errs %v", r, errs)
					}
					break
				}
			}
		})
	}
	wg.Wait()
	for s := range submitters {
		pts, err := store.Range(twin.ID(fmt.Sprintf("s:%d", s)), "m", math.MinInt64, math.MaxInt64)
		if err != nil || len(pts) != rounds {
			t.Fatalf("sensor %d: %d points, %v", s, len(pts), err)
		}
	}
	b.Close()
	if _, err := b.Submit(context.Background(), []twin.Op{{Type: twin.OpDelete, ID: "s:0"}}); !errors.Is(err, ingest.ErrClosed) {
		t.Fatalf("submit after close: %v", err)
	}
}
