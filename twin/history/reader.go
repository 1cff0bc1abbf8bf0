package history

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"citytwin/twin"
	"citytwin/twin/series"

	"github.com/jackc/pgx/v5"
)

// ReaderConfig sets up a Reader.
type ReaderConfig struct {
	DSN string
	// Conns bounds the connections the reader opens.
	Conns int
	// Retention is the twin's in-memory retention (twin.Config.Retention): what
	// is older than now minus it is read from the database. 0: memory holds
	// everything.
	Retention time.Duration
	// Now is the clock the twin trims by; nil means time.Now.
	Now func() time.Time
}

// DefaultReaderConfig returns the defaults for dsn.
func DefaultReaderConfig(dsn string) ReaderConfig {
	return ReaderConfig{DSN: dsn, Conns: 4, Retention: twin.DefaultConfig().Retention}
}

// Validate reports the first setting that is wrong.
func (c ReaderConfig) Validate() error {
	switch {
	case c.DSN == "":
		return errors.New("history: no database (DSN)")
	case c.Conns < 1:
		return errors.New("history: the reader needs at least one connection")
	case c.Retention < 0:
		return errors.New("history: retention must be >= 0")
	}
	return nil
}

// ErrUnsupported says that a query asks for something the database path does
// not answer (a condition other than kinds, ids and boxes; percentiles across
// the retention boundary).
var ErrUnsupported = errors.New("history: not supported by the history in PostgreSQL")

var (
	errUnsupported = ErrUnsupported
	errNoChannel   = twin.ErrNoChannel
)

// Reader answers time-series, as-of and aggregate queries from the history in
// PostgreSQL (the *DB methods, pushed down as SQL) and, merged with the twin
// in memory, over any range (the others): the part of a range older than the
// twin's retention comes from the database, the rest from memory.
type Reader struct {
	cfg   ReaderConfig
	store *twin.Store
	db    *pool
}

// OpenReader makes a reader of the history at cfg.DSN merged with store (which
// may be nil for the *DB methods only). It connects lazily.
func OpenReader(cfg ReaderConfig, store *twin.Store) (*Reader, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Reader{cfg: cfg, store: store, db: newPool(cfg.DSN, cfg.Conns)}, nil
}

// Close closes the reader's connections.
func (r *Reader) Close() { r.db.close() }

// Cut is the instant (Unix ns) from which memory holds everything:
// math.MinInt64 when the twin keeps everything.
func (r *Reader) Cut() int64 {
	if r.cfg.Retention == 0 {
		return math.MinInt64
	}
	return r.cfg.Now().UnixNano() - int64(r.cfg.Retention)
}

// RangeDB returns the observations of one channel with from <= T < to from
// the database, oldest first; of two at one instant the later op's.
func (r *Reader) RangeDB(ctx context.Context, id twin.ID, metric string, from, to int64) ([]series.Point, error) {
	var out []series.Point
	err := r.db.with(ctx, func(conn *pgx.Conn) error {
		ch, err := channelOf(ctx, conn, id, metric)
		if err != nil {
			return err
		}
		rows, err := conn.Query(ctx, `SELECT DISTINCT ON (t) t, v FROM observations
			WHERE channel = $1 AND t >= $2 AND t < $3 ORDER BY t, ord DESC`, ch, from, to)
		if err != nil {
			return err
		}
		var p series.Point
		_, err = pgx.ForEachRow(rows, []any{&p.T, &p.V}, func() error { out = append(out, p); return nil })
		return err
	})
	return out, err
}

func channelOf(ctx context.Context, conn *pgx.Conn, id twin.ID, metric string) (int32, error) {
	var ch int32
	err := conn.QueryRow(ctx, "SELECT id FROM channels WHERE entity_id = $1 AND metric = $2", string(id), metric).Scan(&ch)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, fmt.Errorf("%w: %s %s", errNoChannel, id, metric)
	}
	return ch, err
}

// Range is the twin's Range over any range: the part before Cut from the
// database, the rest from memory.
func (r *Reader) Range(ctx context.Context, id twin.ID, metric string, from, to int64) ([]series.Point, error) {
	cut := r.Cut()
	if from >= cut || r.store == nil {
		if r.store == nil {
			return r.RangeDB(ctx, id, metric, from, to)
		}
		return r.store.Range(id, metric, from, to)
	}
	old, err := r.RangeDB(ctx, id, metric, from, min(to, cut))
	if err != nil && !(errors.Is(err, twin.ErrNotFound) && to > cut) {
		return nil, err
	}
	if to <= cut {
		return old, nil
	}
	recent, merr := r.store.Range(id, metric, cut, to)
	if merr != nil {
		if err != nil {
			return nil, merr // neither side knows the channel
		}
		if errors.Is(merr, twin.ErrNotFound) {
			return old, nil
		}
		return nil, merr
	}
	return append(old, recent...), nil
}

// TrackDB returns the positions of a moving entity with from <= T < to from
// the database, oldest first.
func (r *Reader) TrackDB(ctx context.Context, id twin.ID, from, to int64) ([]twin.Position, error) {
	var out []twin.Position
	err := r.db.with(ctx, func(conn *pgx.Conn) error {
		rows, err := conn.Query(ctx, `SELECT DISTINCT ON (t) t, ST_X(geom), ST_Y(geom) FROM moves
			WHERE entity_id = $1 AND t >= $2 AND t < $3 ORDER BY t, ord DESC`, string(id), from, to)
		if err != nil {
			return err
		}
		p := twin.Position{ID: id}
		_, err = pgx.ForEachRow(rows, []any{&p.T, &p.Point[0], &p.Point[1]}, func() error { out = append(out, p); return nil })
		return err
	})
	return out, err
}

// Track is the twin's Track over any range, merged as Range is.
func (r *Reader) Track(ctx context.Context, id twin.ID, from, to int64) ([]twin.Position, error) {
	cut := r.Cut()
	if r.store == nil {
		return r.TrackDB(ctx, id, from, to)
	}
	if from >= cut {
		return r.store.Track(id, from, to)
	}
	old, err := r.TrackDB(ctx, id, from, min(to, cut))
	if err != nil || to <= cut {
		return old, err
	}
	recent, err := r.store.Track(id, cut, to)
	if err != nil {
		return nil, err
	}
	return append(old, recent...), nil
}
