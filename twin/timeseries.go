package twin

import (
	"context"
	"fmt"
	"math"
	"slices"

	"citytwin/twin/series"
)

// ErrNoChannel reports an entity without the asked metric.
var ErrNoChannel = fmt.Errorf("%w: no such channel", ErrNotFound)

// series returns the channel of id and metric. Must hold s.mu.
func (s *Store) series(id ID, metric string) (*series.Series, error) {
	slot, ok := s.slotOf(id)
	if !ok {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	if m, ok := s.sym.lookup(metric); ok {
		if ch := s.metrics[m][slot]; ch != nil {
			return ch, nil
		}
	}
	return nil, fmt.Errorf("%w: %s %s", ErrNoChannel, id, metric)
}

// Range returns the observations of one channel with from <= T < to.
func (s *Store) Range(id ID, metric string, from, to int64) ([]series.Point, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	ch, err := s.series(id, metric)
	if err != nil {
		return nil, err
	}
	var out []series.Point
	ch.Range(from, to, func(p series.Point) bool { out = append(out, p); return true })
	return out, nil
}

// LastN returns the n newest observations of one channel before the instant
// before (0 = now), oldest first.
func (s *Store) LastN(id ID, metric string, n int, before int64) ([]series.Point, error) {
	if n <= 0 {
		return nil, fmt.Errorf("%w: n=%d must be > 0", ErrBadQuery, n)
	}
	if before == 0 {
		before = math.MaxInt64
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	ch, err := s.series(id, metric)
	if err != nil {
		return nil, err
	}
	return ch.LastN(n, before), nil
}

// Metrics lists the channels of an entity, sorted.
func (s *Store) Metrics(id ID) []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	slot, ok := s.slotOf(id)
	if !ok {
		return nil
	}
	var out []string
	for m, bySlot := range s.metrics {
		if bySlot[slot] != nil {
			out = append(out, s.sym.name(m))
		}
	}
	slices.Sort(out)
	return out
}

// Latest is an entity's newest observation of a metric.
type Latest struct {
	ID    ID
	Point series.Point
}

// Latest returns, for every entity matching q that has the metric, its newest
// observation as of q.At (or now), in the order of Query. An interval (q.Until)
// is ErrBadQuery.
func (s *Store) Latest(ctx context.Context, q Query, metric string) ([]Latest, error) {
	q.Limit, q.After = 0, ""
	if err := q.validate(); err != nil {
		return nil, err
	}
	if q.interval() {
		return nil, fmt.Errorf("%w: latest is not supported for intervals", ErrBadQuery)
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	m, ok := s.sym.lookup(metric)
	if !ok || s.metrics[m] == nil {
		return nil, nil
	}
	slots, chans := s.byMetric[m].sorted()
	if walk, expect := s.walkChannels(&q, slots); walk {
		return s.latestOf(ctx, &q, slots, chans, expect)
	}
	return s.latestMatched(ctx, &q, s.metrics[m])
}

// latestMatched is Latest through the indexes: the entities that match q, then
// their channel of the metric (bySlot), if they have one. Must hold s.mu.
func (s *Store) latestMatched(ctx context.Context, q *Query, bySlot map[uint32]*series.Series) ([]Latest, error) {
	matched, err := s.match(ctx, q)
	if err != nil {
		return nil, err
	}
	var out []Latest
	for _, slot := range matched {
		ch := bySlot[slot]
		if ch == nil {
			continue
		}
		if p, ok := latestAt(ch, q.At); ok {
			out = append(out, Latest{ID: s.ids.id(slot), Point: p})
		}
	}
	return out, nil
}

func latestAt(ch *series.Series, at int64) (series.Point, bool) {
	if at == 0 {
		return ch.Last()
	}
	return ch.At(at)
}
