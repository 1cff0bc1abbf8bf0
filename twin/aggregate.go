package twin

import (
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"slices"
	"sync"

	"citytwin/geo"
	"citytwin/twin/series"

	"github.com/uber/h3-go/v4"
)

// Aggregate asks for a summary of one metric over the entities that match Query.
//
// The value an entity contributes is, when any entity has a channel of Metric, its
// newest observation as of Query.At (for cells) or its observations in [From, To)
// (for buckets and per entity); otherwise the numeric property named Metric.
// Query selects entities as of an instant: an interval (Query.Until) is
// ErrBadQuery.
type Aggregate struct {
	Query  Query
	Metric string
	Agg    series.Agg
	// Res is the H3 resolution of AggregateCells.
	Res int
	// From, To and Step bound the time window of AggregateBuckets and
	// AggregateEntities (Unix nanoseconds; To = 0 is now). Step is the bucket width.
	From, To, Step int64
}

// CellValue is the aggregate of one H3 cell.
type CellValue struct {
	Cell  h3.Cell
	Value float64
	Count int // entities that contributed
}

// EntityValue is the aggregate of one entity's observations.
type EntityValue struct {
	ID    ID
	Value float64
	Count int // observations
}

// BucketValue is the aggregate of one time bucket over all matching entities.
type BucketValue struct {
	Start int64
	Value float64
	Count int // observations
}

func (a *Aggregate) validate() error {
	if a.Metric == "" {
		return fmt.Errorf("%w: aggregate needs a metric", ErrBadQuery)
	}
	if a.Agg < series.Count || a.Agg > series.P95 {
		return fmt.Errorf("%w: unknown aggregate %d", ErrBadQuery, a.Agg)
	}
	if a.Query.interval() {
		return fmt.Errorf("%w: aggregates are not supported for intervals", ErrBadQuery)
	}
	return a.Query.validate()
}

// each calls fn for every live slot that matches q, without building the list
// when the query has no conditions. The work is split over workers goroutines
// (fn gets the worker's number); they run under the caller's read lock. Must hold
// s.mu.
func (s *Store) each(ctx context.Context, q *Query, workers int, fn func(worker int, slot uint32, st *state)) error {
	var slots []uint32
	n := len(s.cur)
	filtered := q.spatial() || len(q.IDs) > 0 || len(q.Kinds) > 0 || len(q.Where) > 0 || q.Match != nil
	if filtered {
		var err error
		if slots, err = s.match(ctx, q); err != nil {
			return err
		}
		n = len(slots)
	}
	if n < 50_000 {
		workers = 1
	}
	var wg sync.WaitGroup
	errs := make([]error, workers)
	for w := range workers {
		lo, hi := n*w/workers, n*(w+1)/workers
		wg.Go(func() {
			for i := lo; i < hi; i++ {
				if (i-lo)%checkEvery == 0 && ctx.Err() != nil {
					errs[w] = ctx.Err()
					return
				}
				slot := uint32(i)
				if filtered {
					slot = slots[i]
				}
				if st := s.stateAt(slot, q.At); st != nil {
					fn(w, slot, st)
				}
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// value is what slot contributes to a cell aggregate.
type valueSource struct {
	channels map[uint32]*series.Series // nil: use the property
	prop     uint32
	known    bool
}

func (s *Store) source(metric string) valueSource {
	m, ok := s.sym.lookup(metric)
	if !ok {
		return valueSource{}
	}
	if ch := s.metrics[m]; len(ch) > 0 {
		return valueSource{channels: ch, known: true}
	}
	return valueSource{prop: m, known: true}
}

func (s *Store) valueOf(src valueSource, slot uint32, st *state, at int64) (float64, bool) {
	if src.channels != nil {
		ch := src.channels[slot]
		if ch == nil {
			return 0, false
		}
		p, ok := latestAt(ch, at)
		return p.V, ok
	}
	p, ok := st.prop(src.prop)
	if !ok || p.typ != Number {
		return 0, false
	}
	return math.Float64frombits(p.bits), true
}

// AggregateCells summarises a metric per H3 cell at a.Res, cells sorted.
//
// An entity belongs to the cell at a.Res that is the ancestor of its point's
// resolution-15 cell (H3's hierarchy), which is also how Query.Cells selects.
// Near a cell's edge this can differ from the cell that geo.Cell(p, a.Res)
// computes directly, since a coarse H3 cell does not exactly cover its
// children; the hierarchy keeps every level consistent (the children's sums
// add up to the parent's), which the direct cells would not.
func (s *Store) AggregateCells(ctx context.Context, a Aggregate) ([]CellValue, error) {
	if err := a.validate(); err != nil {
		return nil, err
	}
	if err := geo.ValidRes(a.Res); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadQuery, err)
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	src := s.source(a.Metric)
	if !src.known {
		return nil, nil
	}
	keep := a.Agg.NeedsValues()
	workers := runtime.GOMAXPROCS(0)
	parts := make([]map[h3.Cell]*series.Summary, workers)
	for i := range parts {
		parts[i] = make(map[h3.Cell]*series.Summary)
	}
	err := s.each(ctx, &a.Query, workers, func(w int, slot uint32, st *state) {
		v, ok := s.valueOf(src, slot, st, a.Query.At)
		if !ok {
			return
		}
		var base uint64
		if !s.moves(slot) && (a.Query.At == 0 || st == s.cur[slot]) {
			base = s.cells[slot] // static: always indexed
		} else {
			p, ok := s.anchorAt(slot, st, a.Query.At)
			if !ok {
				return
			}
			base = s.cellAt(slot, st, p, a.Query.At)
		}
		if base == 0 {
			return
		}
		c := geo.Parent(h3.Cell(base), a.Res)
		sum := parts[w][c]
		if sum == nil {
			sum = series.NewSummary(keep)
			parts[w][c] = sum
		}
		sum.Add(v)
	})
	if err != nil {
		return nil, err
	}
	cells := parts[0]
	for _, part := range parts[1:] {
		for c, sum := range part {
			if into := cells[c]; into != nil {
				into.Merge(sum)
			} else {
				cells[c] = sum
			}
		}
	}
	out := make([]CellValue, 0, len(cells))
	for c, sum := range cells {
		out = append(out, CellValue{Cell: c, Value: sum.Value(a.Agg), Count: sum.Count})
	}
	slices.SortFunc(out, func(x, y CellValue) int { return cmpInt64(int64(x.Cell), int64(y.Cell)) })
	return out, nil
}

// AggregateEntities summarises each matching entity's observations in [From, To).
func (s *Store) AggregateEntities(ctx context.Context, a Aggregate) ([]EntityValue, error) {
	if err := a.validate(); err != nil {
		return nil, err
	}
	to := a.window()
	s.mu.RLock()
	defer s.mu.RUnlock()
	src := s.source(a.Metric)
	if src.channels == nil {
		return nil, nil
	}
	keep := a.Agg.NeedsValues()
	var out []EntityValue
	err := s.each(ctx, &a.Query, 1, func(_ int, slot uint32, _ *state) {
		ch := src.channels[slot]
		if ch == nil {
			return
		}
		if sum := ch.Summarize(a.From, to, keep); sum.Count > 0 {
			out = append(out, EntityValue{ID: s.ids.id(slot), Value: sum.Value(a.Agg), Count: sum.Count})
		}
	})
	return out, err
}

// AggregateBuckets summarises the observations of all matching entities in
// buckets of Step aligned to multiples of Step, in [From, To), ascending.
func (s *Store) AggregateBuckets(ctx context.Context, a Aggregate) ([]BucketValue, error) {
	if err := a.validate(); err != nil {
		return nil, err
	}
	if a.Step <= 0 {
		return nil, fmt.Errorf("%w: bucket step must be > 0", ErrBadQuery)
	}
	to := a.window()
	s.mu.RLock()
	defer s.mu.RUnlock()
	src := s.source(a.Metric)
	if src.channels == nil {
		return nil, nil
	}
	keep := a.Agg.NeedsValues()
	buckets := make(map[int64]*series.Summary)
	err := s.each(ctx, &a.Query, 1, func(_ int, slot uint32, _ *state) {
		ch := src.channels[slot]
		if ch == nil {
			return
		}
		for _, b := range ch.Aggregate(a.From, to, a.Step, keep) {
			sum := buckets[b.Start]
			if sum == nil {
				sum = series.NewSummary(keep)
				buckets[b.Start] = sum
			}
			sum.MergeBucket(b)
		}
	})
	if err != nil {
		return nil, err
	}
	out := make([]BucketValue, 0, len(buckets))
	for start, sum := range buckets {
		out = append(out, BucketValue{Start: start, Value: sum.Value(a.Agg), Count: sum.Count})
	}
	slices.SortFunc(out, func(x, y BucketValue) int { return cmpInt64(x.Start, y.Start) })
	return out, nil
}

func (a *Aggregate) window() int64 {
	if a.To == 0 {
		return math.MaxInt64
	}
	return a.To
}

func cmpInt64(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
