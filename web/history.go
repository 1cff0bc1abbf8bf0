package web

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"slices"

	"citytwin/twin"
	"citytwin/twin/series"
)

// The long-term history: with WithHistory, the reads whose range or instant
// reaches before what the twin keeps in memory are answered from the history
// database (merged with memory where they span both), in the same shape as
// memory's answers. Citytwin-Source tells where an answer came from.

// HistoryReader answers the reads of the long-term history: the part of a
// range older than Cut from the database, the rest from the twin in memory.
// *history.Reader (citytwin/twin/history) is one.
type HistoryReader interface {
	// Cut is the instant (Unix ns) from which memory holds everything;
	// math.MinInt64 when it holds everything.
	Cut() int64
	Range(ctx context.Context, id twin.ID, metric string, from, to int64) ([]series.Point, error)
	Track(ctx context.Context, id twin.ID, from, to int64) ([]twin.Position, error)
	AggregateBuckets(ctx context.Context, a twin.Aggregate) ([]twin.BucketValue, error)
	// EntitiesDB answers AggregateEntities from the database alone.
	EntitiesDB(ctx context.Context, a twin.Aggregate) ([]twin.EntityValue, error)
	// Query answers an instant query before Cut from the database. It is only
	// asked queries of kinds, ids and boxes (see historyAnswers).
	Query(ctx context.Context, q twin.Query) (twin.Result, error)
	// QueryDB answers an instant query from the database alone.
	QueryDB(ctx context.Context, q twin.Query) (twin.Result, error)
	// HistoryDB returns every version of an entity the database holds, oldest
	// first, tombstones included (Geometry nil).
	HistoryDB(ctx context.Context, id twin.ID) ([]twin.Entity, error)
}

// WithHistory answers the reads that reach before r.Cut() from r: series
// ranges and last values, time-bucketed aggregates, entities as of an instant,
// version histories and the tracks of moving features.
func WithHistory(r HistoryReader) Option {
	return func(s *Server) { s.hist = r }
}

// HeaderSource names where an answer came from: SourceMemory,
// SourceHistory or SourceMerged.
const HeaderSource = "Citytwin-Source"

// The values of HeaderSource.
const (
	SourceMemory  = "memory"  // the twin in memory
	SourceHistory = "history" // the history database
	SourceMerged  = "merged"  // the database before the cut, memory after it
)

func setSource(w http.ResponseWriter, src string) { w.Header().Set(HeaderSource, src) }

// spanSource is where [from, to) is read from, given the cut.
func spanSource(cut, from, to int64) string {
	switch {
	case from >= cut:
		return SourceMemory
	case to <= cut:
		return SourceHistory
	}
	return SourceMerged
}

// cut is the history's cut; math.MinInt64 (memory holds everything) without one.
func (s *Server) cut() int64 {
	if s.hist == nil {
		return math.MinInt64
	}
	return s.hist.Cut()
}

// seriesRange is the observations of a channel with from <= T < to.
func (s *Server) seriesRange(w http.ResponseWriter, r *http.Request, id twin.ID, metric string, from, to int64) ([]series.Point, error) {
	cut := s.cut()
	if from >= cut {
		setSource(w, SourceMemory)
		return s.store.Range(id, metric, from, to)
	}
	pts, err := s.hist.Range(r.Context(), id, metric, from, to)
	if err == nil {
		setSource(w, spanSource(cut, from, to))
	}
	return pts, err
}

// lastWindows are the widths (before the oldest point memory has) in which
// seriesLast looks for older points in the database, widest last.
var lastWindows = []int64{3600e9, 24 * 3600e9, 30 * 24 * 3600e9, math.MaxInt64} // the last: all

// seriesLast is the n newest observations of a channel before before (0: now),
// oldest first: memory's and, when memory has fewer, older ones from the
// database.
func (s *Server) seriesLast(w http.ResponseWriter, r *http.Request, id twin.ID, metric string, n int, before int64) ([]series.Point, error) {
	pts, err := s.store.LastN(id, metric, n, before)
	if s.hist == nil || s.cut() == math.MinInt64 || len(pts) >= n || err != nil && !errors.Is(err, twin.ErrNoChannel) {
		setSource(w, SourceMemory)
		return pts, err
	}
	// Memory holds every point from the cut on: what it lacks is older than
	// the oldest it has (or than the cut).
	end := before
	if end == 0 {
		end = math.MaxInt64
	}
	if len(pts) > 0 {
		end = pts[0].T
	} else {
		end = min(end, s.cut())
	}
	var old []series.Point
	for i, width := range lastWindows {
		from := int64(math.MinInt64)
		if i < len(lastWindows)-1 && end > math.MinInt64+width {
			from = end - width
		}
		var herr error
		old, herr = s.hist.Range(r.Context(), id, metric, from, end)
		switch {
		case errors.Is(herr, twin.ErrNoChannel):
			if err != nil {
				return nil, err // neither knows the channel
			}
			old = nil
		case herr != nil:
			return nil, herr
		}
		if len(old) >= n-len(pts) {
			break
		}
	}
	switch {
	case len(old) == 0:
		setSource(w, SourceMemory)
		return pts, err
	case len(pts) == 0:
		setSource(w, SourceHistory)
	default:
		setSource(w, SourceMerged)
	}
	old = old[max(0, len(old)-(n-len(pts))):]
	return append(old, pts...), nil
}

// timeBuckets is the bucketed aggregate a: from the history when its window
// starts before the cut and the history answers its selection.
func (s *Server) timeBuckets(w http.ResponseWriter, r *http.Request, a twin.Aggregate) ([]twin.BucketValue, error) {
	cut := s.cut()
	to := a.To
	if to == 0 {
		to = math.MaxInt64
	}
	if a.From >= cut || !historyAnswers(&a.Query) ||
		to > cut && a.Agg.NeedsValues() { // percentiles do not merge
		setSource(w, SourceMemory)
		return s.store.AggregateBuckets(r.Context(), a)
	}
	bs, err := s.hist.AggregateBuckets(r.Context(), a)
	if err == nil {
		setSource(w, spanSource(cut, a.From, to))
	}
	return bs, err
}

// entityValues is the per-entity aggregate a: from the history when its
// window starts before the cut and the history answers its selection, an
// entity's readings on both sides of the cut merged.
func (s *Server) entityValues(w http.ResponseWriter, r *http.Request, a twin.Aggregate) ([]twin.EntityValue, error) {
	cut := s.cut()
	to := a.To
	if to == 0 {
		to = math.MaxInt64
	}
	if a.From >= cut || !historyAnswers(&a.Query) || to > cut && a.Agg.NeedsValues() {
		setSource(w, SourceMemory)
		return s.store.AggregateEntities(r.Context(), a)
	}
	if to <= cut {
		vs, err := s.hist.EntitiesDB(r.Context(), a)
		if err == nil {
			setSource(w, SourceHistory)
		}
		return vs, err
	}
	// Each side answers one aggregate at a time: sum, min and max make any of
	// count, sum, avg, min and max of the merged readings.
	old, recent := a, a
	old.To, recent.From = cut, cut
	sides := []struct {
		a     twin.Aggregate
		query func(context.Context, twin.Aggregate) ([]twin.EntityValue, error)
	}{{old, s.hist.EntitiesDB}, {recent, s.store.AggregateEntities}}
	merged := map[twin.ID]*series.Summary{}
	var ids []twin.ID
	for _, side := range sides {
		part := map[twin.ID]*series.Summary{}
		for _, agg := range []series.Agg{series.Sum, series.Min, series.Max} {
			side.a.Agg = agg
			vs, err := side.query(r.Context(), side.a)
			if err != nil {
				return nil, err
			}
			for _, v := range vs {
				sum := part[v.ID]
				if sum == nil {
					sum = &series.Summary{Count: v.Count}
					part[v.ID] = sum
					if merged[v.ID] == nil {
						ids = append(ids, v.ID) // the database's order, then memory's
					}
				}
				switch agg {
				case series.Sum:
					sum.Sum = v.Value
				case series.Min:
					sum.Min = v.Value
				case series.Max:
					sum.Max = v.Value
				}
			}
		}
		for id, sum := range part {
			if m := merged[id]; m != nil {
				m.Merge(sum)
			} else {
				merged[id] = sum
			}
		}
	}
	out := make([]twin.EntityValue, 0, len(ids))
	if len(ids) > 0 {
		// In the twin's order: every entity that ever existed matches over all time.
		order, err := s.store.Query(r.Context(), twin.Query{IDs: ids, At: math.MinInt64, Until: math.MaxInt64})
		if err != nil {
			return nil, err
		}
		for _, e := range order.Entities {
			if sum := merged[e.ID]; sum != nil {
				out = append(out, twin.EntityValue{ID: e.ID, Value: sum.Value(a.Agg), Count: sum.Count})
				delete(merged, e.ID)
			}
		}
		for _, id := range ids { // those memory does not know, last
			if sum := merged[id]; sum != nil {
				out = append(out, twin.EntityValue{ID: id, Value: sum.Value(a.Agg), Count: sum.Count})
			}
		}
	}
	setSource(w, SourceMerged)
	return out, nil
}

// historyAnswers reports whether the history database answers the selection
// of q: kinds, ids and boxes at an instant.
func historyAnswers(q *twin.Query) bool {
	return q.Within == nil && q.Intersects == nil && q.Near == nil && len(q.Cells) == 0 &&
		len(q.Where) == 0 && q.Match == nil && q.Until == 0
}

// asOfHistory reports whether an instant query at at is answered from the
// history: at is before the cut, where memory no longer holds the tracks that
// place moving entities.
func (s *Server) asOfHistory(at int64) bool {
	return s.hist != nil && at != 0 && at < s.cut()
}

// queryEntities runs an entity query: as of an instant before the cut from the
// history when it answers the selection, otherwise from memory. Pages and
// cursors are memory's, so that a client pages through either alike.
func (s *Server) queryEntities(w http.ResponseWriter, r *http.Request, q twin.Query) (twin.Result, error) {
	if !s.asOfHistory(q.At) || !historyAnswers(&q) {
		setSource(w, SourceMemory)
		return s.store.Query(r.Context(), q)
	}
	if err := twin.CheckCursor(q.After); err != nil {
		return twin.Result{}, err
	}
	all := q
	all.Limit, all.After = 0, ""
	res, err := s.hist.Query(r.Context(), all)
	if err != nil {
		return twin.Result{}, err
	}
	if res, err = s.page(r.Context(), res, q); err != nil {
		return twin.Result{}, err
	}
	setSource(w, SourceHistory)
	return res, nil
}

// page cuts the page q asks for out of all the entities the history matched
// (in the twin's order). Cursors name slots of the twin, so memory pages the
// ids: every entity that ever existed matches the query over all time.
func (s *Server) page(ctx context.Context, all twin.Result, q twin.Query) (twin.Result, error) {
	if q.Limit == 0 && q.After == "" || len(all.Entities) == 0 {
		return all, nil
	}
	ids := make([]twin.ID, len(all.Entities))
	for i := range all.Entities {
		ids[i] = all.Entities[i].ID
	}
	mem, err := s.store.Query(ctx, twin.Query{IDs: ids, At: math.MinInt64, Until: math.MaxInt64, Limit: q.Limit, After: q.After})
	if err != nil {
		return twin.Result{}, err
	}
	on := make(map[twin.ID]bool, len(mem.Entities))
	for i := range mem.Entities {
		on[mem.Entities[i].ID] = true
	}
	res := twin.Result{Matched: all.Matched, Next: mem.Next}
	for _, e := range all.Entities {
		if on[e.ID] {
			res.Entities = append(res.Entities, e)
		}
	}
	return res, nil
}

// entityAsOf is an entity as of at (0: now); before the cut from the history.
func (s *Server) entityAsOf(w http.ResponseWriter, r *http.Request, id twin.ID, at int64) (twin.Entity, error) {
	if !s.asOfHistory(at) {
		setSource(w, SourceMemory)
		return s.store.GetAt(id, at)
	}
	res, err := s.hist.Query(r.Context(), twin.Query{IDs: []twin.ID{id}, At: at, Limit: 1})
	if err != nil {
		return twin.Entity{}, err
	}
	if len(res.Entities) == 0 {
		return twin.Entity{}, fmt.Errorf("%w: %s", twin.ErrNotFound, id)
	}
	setSource(w, SourceHistory)
	return res.Entities[0], nil
}

// versions is every version of an entity, oldest first. Memory keeps them all
// for the entities it knows; the history adds those memory does not hold (an
// entity it never saw, versions before the first it has).
func (s *Server) versions(w http.ResponseWriter, r *http.Request, id twin.ID) ([]twin.Entity, error) {
	mem, err := s.store.History(id)
	if s.hist == nil || err != nil && !errors.Is(err, twin.ErrNotFound) || err == nil && mem[0].Version <= 1 {
		setSource(w, SourceMemory)
		return mem, err
	}
	old, herr := s.hist.HistoryDB(r.Context(), id)
	switch {
	case errors.Is(herr, twin.ErrNotFound):
		setSource(w, SourceMemory)
		return mem, err
	case herr != nil:
		return nil, herr
	case err != nil:
		setSource(w, SourceHistory)
		return old, nil
	}
	old = slices.DeleteFunc(old, func(e twin.Entity) bool { return e.Version >= mem[0].Version })
	if len(old) == 0 {
		setSource(w, SourceMemory)
		return mem, nil
	}
	setSource(w, SourceMerged)
	return append(old, mem...), nil
}

// tombstone reports whether e, a version of a history, is a deletion: the
// version from which the entity is not found.
func (s *Server) tombstone(r *http.Request, e *twin.Entity) bool {
	if e.Geometry != nil {
		return false
	}
	from := e.ValidFrom.UnixNano()
	if _, err := s.store.History(e.ID); err == nil || s.hist == nil {
		_, err := s.store.GetAt(e.ID, from)
		return errors.Is(err, twin.ErrNotFound)
	}
	res, err := s.hist.QueryDB(r.Context(), twin.Query{IDs: []twin.ID{e.ID}, At: from, Limit: 1})
	return err == nil && res.Matched == 0
}

// track is the positions of a moving entity with from <= T < to.
func (s *Server) track(w http.ResponseWriter, r *http.Request, id twin.ID, from, to int64) ([]twin.Position, error) {
	cut := s.cut()
	if from >= cut {
		setSource(w, SourceMemory)
		return s.store.Track(id, from, to)
	}
	if _, err := s.store.Track(id, 0, 0); err != nil { // it never moved
		return nil, err
	}
	ps, err := s.hist.Track(r.Context(), id, from, to)
	if err == nil {
		setSource(w, spanSource(cut, from, to))
	}
	return ps, err
}
