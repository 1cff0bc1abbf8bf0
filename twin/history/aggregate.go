package history

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"

	"citytwin/twin"
	"citytwin/twin/series"

	"github.com/jackc/pgx/v5"
)

func errorsIsUnsupported(err error) bool { return errors.Is(err, errUnsupported) }

// bucketRow is one bucket's summary from the database.
type bucketRow struct {
	start              int64
	count              int
	sum, lo, hi, value float64
}

// BucketsDB answers AggregateBuckets from the database: the observations of
// a.Metric in [From, To) of the entities a.Query matches (as of a.Query.At),
// in buckets of Step aligned to multiples of Step, computed in PostgreSQL.
func (r *Reader) BucketsDB(ctx context.Context, a twin.Aggregate) ([]twin.BucketValue, error) {
	rows, err := r.bucketsDB(ctx, a)
	if err != nil {
		return nil, err
	}
	out := make([]twin.BucketValue, len(rows))
	for i, b := range rows {
		out[i] = twin.BucketValue{Start: b.start, Value: b.value, Count: b.count}
	}
	return out, nil
}

func (r *Reader) bucketsDB(ctx context.Context, a twin.Aggregate) ([]bucketRow, error) {
	if a.Step <= 0 {
		return nil, fmt.Errorf("%w: bucket step must be > 0", twin.ErrBadQuery)
	}
	if a.Metric == "" || a.Agg < series.Count || a.Agg > series.P95 {
		return nil, fmt.Errorf("%w: aggregate needs a metric and a known aggregate", twin.ErrBadQuery)
	}
	to := a.To
	if to == 0 {
		to = math.MaxInt64
	}
	ents, args, err := entitiesAt(&a.Query, "x.id")
	if err != nil {
		return nil, err
	}
	n := len(args)
	arg := func(v any) string {
		args = append(args, v)
		n++
		return fmt.Sprintf("$%d", n)
	}
	metric, from, till, step := arg(a.Metric), arg(a.From), arg(to), arg(a.Step)
	value := aggValueSQL(a.Agg)
	sql := `WITH ents AS (` + ents + `),
		ch AS (SELECT c.id FROM channels c JOIN ents ON ents.id = c.entity_id WHERE c.metric = ` + metric + `),
		o AS (SELECT DISTINCT ON (o.channel, o.t) o.t, o.v FROM observations o JOIN ch ON ch.id = o.channel
			WHERE o.t >= ` + from + ` AND o.t < ` + till + ` ORDER BY o.channel, o.t, o.ord DESC)
		SELECT t - ((t % ` + step + `) + ` + step + `) % ` + step + ` AS b, count(*), sum(v), min(v), max(v), ` + value + `
		FROM o GROUP BY b ORDER BY b`
	var out []bucketRow
	err = r.db.with(ctx, func(conn *pgx.Conn) error {
		rows, err := conn.Query(ctx, sql, args...)
		if err != nil {
			return err
		}
		var b bucketRow
		var count int64
		_, err = pgx.ForEachRow(rows, []any{&b.start, &count, &b.sum, &b.lo, &b.hi, &b.value}, func() error {
			b.count = int(count)
			b.value = b.of(a.Agg)
			out = append(out, b)
			return nil
		})
		return err
	})
	return out, err
}

// EntitiesDB answers AggregateEntities from the database: per entity that
// a.Query matches (as of a.Query.At) and has readings of a.Metric in [From,
// To), their aggregate, in the twin's order, computed in PostgreSQL.
func (r *Reader) EntitiesDB(ctx context.Context, a twin.Aggregate) ([]twin.EntityValue, error) {
	if a.Metric == "" || a.Agg < series.Count || a.Agg > series.P95 {
		return nil, fmt.Errorf("%w: aggregate needs a metric and a known aggregate", twin.ErrBadQuery)
	}
	to := a.To
	if to == 0 {
		to = math.MaxInt64
	}
	ents, args, err := entitiesAt(&a.Query, "x.id, x.first_seq")
	if err != nil {
		return nil, err
	}
	n := len(args)
	arg := func(v any) string {
		args = append(args, v)
		n++
		return fmt.Sprintf("$%d", n)
	}
	metric, from, till := arg(a.Metric), arg(a.From), arg(to)
	sql := `WITH ents AS (` + ents + `),
		ch AS (SELECT c.id, ents.id AS entity_id, ents.first_seq FROM channels c JOIN ents ON ents.id = c.entity_id WHERE c.metric = ` + metric + `),
		o AS (SELECT DISTINCT ON (o.channel, o.t) o.channel, o.v FROM observations o JOIN ch ON ch.id = o.channel
			WHERE o.t >= ` + from + ` AND o.t < ` + till + ` ORDER BY o.channel, o.t, o.ord DESC)
		SELECT ch.entity_id, count(*), sum(v), min(v), max(v), ` + aggValueSQL(a.Agg) + `
		FROM o JOIN ch ON ch.id = o.channel GROUP BY ch.entity_id, ch.first_seq ORDER BY ch.first_seq`
	var out []twin.EntityValue
	err = r.db.with(ctx, func(conn *pgx.Conn) error {
		rows, err := conn.Query(ctx, sql, args...)
		if err != nil {
			return err
		}
		var (
			id    string
			count int64
			b     bucketRow
		)
		_, err = pgx.ForEachRow(rows, []any{&id, &count, &b.sum, &b.lo, &b.hi, &b.value}, func() error {
			b.count = int(count)
			out = append(out, twin.EntityValue{ID: twin.ID(id), Value: b.of(a.Agg), Count: b.count})
			return nil
		})
		return err
	})
	return out, err
}

// aggValueSQL is the SQL of the aggregate that count, sum, min and max do not
// give: the nearest-rank percentiles, ceil(pct/100 × n) in integers as the twin
// counts.
func aggValueSQL(agg series.Agg) string {
	switch agg {
	case series.P50, series.P95:
		pct := 50
		if agg == series.P95 {
			pct = 95
		}
		return fmt.Sprintf("(array_agg(v ORDER BY v))[greatest(1, least(count(*), (%d * count(*) + 99) / 100))]", pct)
	}
	return "0::float8"
}

// of is the bucket's value of agg (value holds a percentile's).
func (b bucketRow) of(agg series.Agg) float64 {
	switch agg {
	case series.Count:
		return float64(b.count)
	case series.Sum:
		return b.sum
	case series.Avg:
		return b.sum / float64(b.count)
	case series.Min:
		return b.lo
	case series.Max:
		return b.hi
	}
	return b.value
}

// AggregateBuckets is the twin's AggregateBuckets over any window: buckets
// before Cut from the database, the rest from memory, a bucket across Cut
// merged from both. Percentiles across Cut are ErrUnsupported.
func (r *Reader) AggregateBuckets(ctx context.Context, a twin.Aggregate) ([]twin.BucketValue, error) {
	cut := r.Cut()
	if r.store == nil {
		return r.BucketsDB(ctx, a)
	}
	if a.From >= cut {
		return r.store.AggregateBuckets(ctx, a)
	}
	to := a.To
	if to == 0 {
		to = math.MaxInt64
	}
	if to <= cut {
		return r.BucketsDB(ctx, a)
	}
	if a.Agg.NeedsValues() {
		return nil, fmt.Errorf("%w: percentiles across the retention boundary", errUnsupported)
	}
	old := a
	old.To = cut
	dbRows, err := r.bucketsDB(ctx, old)
	if err != nil {
		return nil, err
	}
	recent := a
	recent.From = cut
	// Memory answers one aggregate at a time: sum, min and max make any of
	// count, sum, avg, min and max of the merged bucket.
	sums := map[int64]*series.Summary{}
	for _, b := range dbRows {
		sums[b.start] = &series.Summary{Count: b.count, Sum: b.sum, Min: b.lo, Max: b.hi}
	}
	parts := map[series.Agg][]twin.BucketValue{}
	for _, agg := range []series.Agg{series.Sum, series.Min, series.Max} {
		recent.Agg = agg
		if parts[agg], err = r.store.AggregateBuckets(ctx, recent); err != nil {
			return nil, err
		}
	}
	lo, hi := map[int64]float64{}, map[int64]float64{}
	for _, b := range parts[series.Min] {
		lo[b.Start] = b.Value
	}
	for _, b := range parts[series.Max] {
		hi[b.Start] = b.Value
	}
	for _, b := range parts[series.Sum] {
		l, okl := lo[b.Start]
		h, okh := hi[b.Start]
		if !okl || !okh {
			return nil, fmt.Errorf("history: the twin changed while it was read; try again")
		}
		mem := &series.Summary{Count: b.Count, Sum: b.Value, Min: l, Max: h}
		if s := sums[b.Start]; s != nil {
			s.Merge(mem)
		} else {
			sums[b.Start] = mem
		}
	}
	out := make([]twin.BucketValue, 0, len(sums))
	for start, s := range sums {
		out = append(out, twin.BucketValue{Start: start, Value: s.Value(a.Agg), Count: s.Count})
	}
	slices.SortFunc(out, func(x, y twin.BucketValue) int {
		switch {
		case x.Start < y.Start:
			return -1
		case x.Start > y.Start:
			return 1
		}
		return 0
	})
	return out, nil
}
