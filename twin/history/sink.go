package history

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"citytwin/twin"

	"github.com/jackc/pgx/v5"
)

// Sink follows the twin's ops in order and writes them into PostgreSQL. Open
// starts it; Close stops it and waits.
type Sink struct {
	cfg   Config
	store *twin.Store
	log   *slog.Logger

	pos    atomic.Uint64 // the last op written (committed)
	layout atomic.Value  // string
	stats  counters

	cancel context.CancelFunc
	done   chan struct{}

	// Owned by the run goroutine.
	states map[twin.ID]*entState
	chans  map[chanKey]int32
	parts  map[int64]bool // days whose partitions exist
	// indexed holds the days whose partitions are indexed; newest is the
	// newest day written (partitions two days older get their indexes).
	indexed map[int64]bool
	newest  int64
	b       *batch
	carry   []twin.Change // read from the feed, for the next batch
	vbuf    copyBuf
	ready   chan struct{} // closed once the first connection has migrated
	once    sync.Once
	first   error // why the first start failed, if it did
}

// Errors of the sink.
var (
	// ErrBusy says another sink with the same name writes into the database.
	ErrBusy = errors.New("history: another sink with this name is writing into the database")
	// ErrMoved says the position in the database is not the one the sink left:
	// something else wrote it.
	ErrMoved = errors.New("history: the position in the database moved under the sink")
)

// Open connects to the database, brings its schema up to date and starts
// following store from the position the database holds (0 for a new one). It
// returns an error when the first connection or migration fails; later
// failures (the database restarting) are retried until Close.
func Open(ctx context.Context, cfg Config, store *twin.Store, log *slog.Logger) (*Sink, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Sink{
		cfg: cfg, store: store, log: log.With("component", "history"),
		done: make(chan struct{}), ready: make(chan struct{}),
		states: make(map[twin.ID]*entState), chans: make(map[chanKey]int32), parts: make(map[int64]bool),
		indexed: make(map[int64]bool), newest: math.MinInt64,
		b: newBatch(),
	}
	s.stats.init()
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	s.cancel = cancel
	go s.run(runCtx)
	select {
	case <-s.ready:
	case <-ctx.Done():
		s.Close()
		return nil, ctx.Err()
	}
	if s.first != nil {
		s.Close()
		return nil, s.first
	}
	return s, nil
}

// Close stops the sink and waits for it. A batch being written is rolled
// back; nothing is lost, as the next start resumes from the position in the
// database. The twin's log stays held at that position (so that a snapshot
// taken when the twin closes keeps what the next start needs) until
// Store.HoldLog(nil).
func (s *Sink) Close() error {
	s.cancel()
	<-s.done
	return nil
}

// Position is the seq of the last op the database holds.
func (s *Sink) Position() uint64 { return s.pos.Load() }

// Layout is the database's layout of the series tables (native or timescale).
func (s *Sink) Layout() string {
	l, _ := s.layout.Load().(string)
	return l
}

// WaitFor waits until the database holds every op up to seq.
func (s *Sink) WaitFor(ctx context.Context, seq uint64) error {
	t := time.NewTicker(5 * time.Millisecond)
	defer t.Stop()
	for s.pos.Load() < seq {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-s.done:
			return errors.New("history: sink closed")
		case <-t.C:
		}
	}
	return nil
}

func (s *Sink) run(ctx context.Context) {
	defer close(s.done)
	defer s.once.Do(func() { close(s.ready) })
	wait := s.cfg.RetryMin
	for {
		start := time.Now()
		err := s.follow(ctx)
		if ctx.Err() != nil {
			return
		}
		select {
		case <-s.ready:
		default:
			s.first = err
			s.once.Do(func() { close(s.ready) })
			return
		}
		s.stats.errors.Add(1)
		// Whatever the cache says may be ahead of the database now.
		clear(s.states)
		clear(s.chans)
		if time.Since(start) > 10*s.cfg.RetryMax {
			wait = s.cfg.RetryMin
		}
		s.log.Error("history sink failed; retrying", "err", err, "position", s.pos.Load(), "retry_in", wait)
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		wait = min(2*wait, s.cfg.RetryMax)
	}
}

// follow connects and writes batches until something fails or ctx ends.
func (s *Sink) follow(ctx context.Context) error {
	conn, err := pgx.Connect(ctx, s.cfg.DSN)
	if err != nil {
		return fmt.Errorf("history: connect: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	layout, err := Migrate(ctx, conn, s.cfg.Layout)
	if err != nil {
		return err
	}
	s.layout.Store(layout)
	var locked bool
	if err := conn.QueryRow(ctx, "SELECT pg_try_advisory_lock($1, hashtext($2))", int32(sinkLock), s.cfg.Name).Scan(&locked); err != nil {
		return fmt.Errorf("history: lock: %w", err)
	}
	if !locked {
		return ErrBusy
	}
	if _, err := conn.Exec(ctx, "INSERT INTO sink_position (name, seq) VALUES ($1, 0) ON CONFLICT (name) DO NOTHING", s.cfg.Name); err != nil {
		return fmt.Errorf("history: position: %w", err)
	}
	var pos int64
	if err := conn.QueryRow(ctx, "SELECT seq FROM sink_position WHERE name = $1", s.cfg.Name).Scan(&pos); err != nil {
		return fmt.Errorf("history: position: %w", err)
	}
	if _, err := conn.Exec(ctx, "SET synchronous_commit = off"); err != nil {
		// A commit lost in a database crash takes its position with it: the sink
		// writes the batch again from the twin's log. So it need not wait for
		// the flush of the database's WAL.
		return fmt.Errorf("history: %w", err)
	}
	if err := s.loadPartitions(ctx, conn); err != nil {
		return err
	}
	s.pos.Store(uint64(pos))
	s.store.HoldLog(s.pos.Load)
	s.log.Info("history sink following the twin", "position", pos, "layout", layout, "twin_seq", s.store.Seq())
	s.once.Do(func() { close(s.ready) })

	for ctx.Err() == nil {
		if err := s.followFeed(ctx, conn); err != nil {
			return err
		}
	}
	return nil
}

// sinkLock is the first key of the advisory lock a sink holds while it runs.
const sinkLock = 0x68697374 // "hist"

// errBehind says the feed's ring no longer holds the next change.
var errBehind = errors.New("history: behind the change feed")

// followFeed reads the change feed from the position, writing batches. When
// the feed no longer holds the next change it catches up from the log and
// returns, to be called again.
func (s *Sink) followFeed(ctx context.Context, conn *pgx.Conn) error {
	s.carry = nil
	sub := s.store.Subscribe(s.pos.Load())
	for {
		err := s.fillFromFeed(ctx, sub)
		if errors.Is(err, errBehind) {
			s.b.reset()
			s.carry = nil
			s.stats.catchups.Add(1)
			return s.catchUp(ctx, conn)
		}
		if err != nil {
			return err
		}
		if err := s.flush(ctx, conn); err != nil {
			return err
		}
	}
}

// fillFromFeed fills the batch from the feed: it waits for a first change,
// then takes more until the batch is full or BatchWait has passed.
func (s *Sink) fillFromFeed(ctx context.Context, sub *twin.Subscription) error {
	s.b.reset()
	take := func(rctx context.Context) error {
		changes := s.carry
		s.carry = nil
		if len(changes) == 0 {
			var missed uint64
			var err error
			if changes, missed, err = sub.Next(rctx, s.cfg.ReadMax); err != nil {
				return err
			}
			if missed > 0 {
				return errBehind
			}
		}
		for i, c := range changes {
			if s.b.rows >= s.cfg.BatchRows {
				s.carry = changes[i:]
				break
			}
			s.b.add(c, true, s.chans)
		}
		return nil
	}
	if err := take(ctx); err != nil {
		return err
	}
	dctx, cancel := context.WithTimeout(ctx, s.cfg.BatchWait)
	defer cancel()
	for s.b.rows < s.cfg.BatchRows {
		if err := take(dctx); err != nil {
			if errors.Is(err, errBehind) || ctx.Err() != nil {
				return err
			}
			return nil // the batch's time is up
		}
	}
	return nil
}

// catchUp writes what the log holds after the position, in batches.
func (s *Sink) catchUp(ctx context.Context, conn *pgx.Conn) error {
	from := s.pos.Load()
	s.log.Info("history sink behind the change feed: reading the log", "position", from, "twin_seq", s.store.Seq())
	err := s.store.ReadLog(ctx, from, func(c twin.Change) error {
		s.b.add(c, false, s.chans)
		s.stats.fromLog.Add(1)
		if s.b.rows >= s.cfg.BatchRows {
			return s.flush(ctx, conn)
		}
		return nil
	})
	if errors.Is(err, twin.ErrNotDurable) {
		// A store in memory only has nothing to read the missed changes from.
		sub := s.store.Subscribe(from)
		_, missed, nerr := sub.Next(ctx, 1)
		if nerr != nil {
			return nerr
		}
		return s.lose(ctx, conn, from, from+missed, "the twin keeps no log and its change feed dropped them")
	}
	if errors.Is(err, twin.ErrLogCompacted) && s.b.empty() {
		// The log was compacted past the position (the history database is
		// newer than the log, or the sink was off while snapshots were taken).
		if start, ok := s.store.LogStart(); ok && start > from+1 {
			return s.lose(ctx, conn, from, start-1, "the twin's log no longer holds them")
		}
	}
	if err != nil {
		return fmt.Errorf("history: read the log after %d: %w", from, err)
	}
	if err := s.flush(ctx, conn); err != nil {
		return err
	}
	if s.pos.Load() == from {
		// Nothing written yet: the log lags the feed. Give it a moment.
		select {
		case <-ctx.Done():
		case <-time.After(10 * time.Millisecond):
		}
	}
	return nil
}

// lose moves the position past changes that cannot be read, counting them.
func (s *Sink) lose(ctx context.Context, conn *pgx.Conn, from, to uint64, why string) error {
	if to <= from {
		return nil
	}
	s.log.Error("history sink lost changes", "from", from+1, "to", to, "why", why)
	s.b.reset()
	if err := s.writePosition(ctx, conn, from, to); err != nil {
		return err
	}
	s.stats.lost.Add(to - from)
	return nil
}

// flush writes the batch in one transaction with the new position.
func (s *Sink) flush(ctx context.Context, conn *pgx.Conn) error {
	b := s.b
	if b.empty() {
		return nil
	}
	start := time.Now()
	if err := s.ensurePartitions(ctx, conn); err != nil {
		return err
	}
	if len(s.states) > s.cfg.CacheEntities {
		clear(s.states)
	}
	var w entityWrites
	var newIDs []int32
	err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		if len(b.ents) > 0 {
			if err := loadStates(ctx, tx, entityIDs(b.ents, s.states), s.states); err != nil {
				return err
			}
			if err := applyEntityOps(b.ents, s.states, &w, s.versionOf); err != nil {
				return err
			}
			if err := w.write(ctx, tx, &s.vbuf); err != nil {
				return err
			}
		}
		if len(b.newChans) > 0 {
			var err error
			if newIDs, err = channelIDs(ctx, tx, b.newChans); err != nil {
				return err
			}
			b.resolve(newIDs)
		}
		if b.obsN > 0 {
			if _, err := b.obs.send(ctx, tx, "observations (channel, t, v, ord)"); err != nil {
				return err
			}
		}
		return s.positionIn(ctx, tx, b.first-1, b.last)
	})
	if err != nil {
		return err
	}
	for i, k := range b.newChans {
		s.chans[k] = newIDs[i]
	}
	if len(s.chans) > 4*s.cfg.CacheEntities+1_000_000 {
		clear(s.chans)
	}
	for i := range w.versions {
		if st := s.states[w.versions[i].id]; st != nil {
			st.row = -1
		}
	}
	s.pos.Store(b.last)
	s.stats.batch(time.Since(start), b, &w)
	b.reset()
	return nil
}

// versionOf finds a version in the store's history (which keeps every version).
func (s *Sink) versionOf(id twin.ID, version uint64) *twin.Entity {
	h, err := s.store.History(id)
	if err != nil {
		return nil
	}
	for i := range h {
		if h[i].Version == version {
			return &h[i]
		}
	}
	return nil
}

// positionIn moves the position from to to in tx, checking that it was from.
func (s *Sink) positionIn(ctx context.Context, tx pgx.Tx, from, to uint64) error {
	tag, err := tx.Exec(ctx, "UPDATE sink_position SET seq = $2, updated_at = now() WHERE name = $1 AND seq = $3",
		s.cfg.Name, int64(to), int64(from))
	if err != nil {
		return fmt.Errorf("history: position: %w", err)
	}
	if tag.RowsAffected() != 1 {
		return fmt.Errorf("%w: want %d", ErrMoved, from)
	}
	return nil
}

func (s *Sink) writePosition(ctx context.Context, conn *pgx.Conn, from, to uint64) error {
	err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error { return s.positionIn(ctx, tx, from, to) })
	if err == nil {
		s.pos.Store(to)
	}
	return err
}

// channelIDs inserts the channels the database may not have and returns the
// ids of all of keys, in order.
func channelIDs(ctx context.Context, tx pgx.Tx, keys []chanKey) ([]int32, error) {
	ids := make([]string, len(keys))
	metrics := make([]string, len(keys))
	for i, k := range keys {
		ids[i], metrics[i] = string(k.id), k.metric
	}
	rows, err := tx.Query(ctx, `WITH k AS (SELECT * FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS k(entity_id, metric, n)),
		ins AS (INSERT INTO channels (entity_id, metric) SELECT entity_id, metric FROM k
			ON CONFLICT (entity_id, metric) DO NOTHING RETURNING id, entity_id, metric)
		SELECT k.n, coalesce(ins.id, c.id) FROM k
		LEFT JOIN ins ON ins.entity_id = k.entity_id AND ins.metric = k.metric
		LEFT JOIN channels c ON c.entity_id = k.entity_id AND c.metric = k.metric`, ids, metrics)
	if err != nil {
		return nil, fmt.Errorf("history: channels: %w", err)
	}
	out := make([]int32, len(keys))
	for rows.Next() {
		var n int64
		var id *int32
		if err := rows.Scan(&n, &id); err != nil {
			return nil, fmt.Errorf("history: channels: %w", err)
		}
		if id == nil || n < 1 || int(n) > len(out) {
			return nil, fmt.Errorf("history: channel %d has no id", n)
		}
		out[n-1] = *id
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("history: channels: %w", err)
	}
	for i, id := range out {
		if id == 0 {
			return nil, fmt.Errorf("history: channel %s %s has no id", keys[i].id, keys[i].metric)
		}
	}
	return out, nil
}

// partitionDay reads the day of a partition named table_YYYYMMDD.
func partitionDay(name string) (int64, bool) {
	i := strings.LastIndexByte(name, '_')
	if i < 0 {
		return 0, false
	}
	day, err := time.Parse("20060102", name[i+1:])
	if err != nil {
		return 0, false
	}
	return dayOf(day.UnixNano()), true
}

// loadPartitions reads which day partitions exist.
func (s *Sink) loadPartitions(ctx context.Context, conn *pgx.Conn) error {
	if s.Layout() != LayoutNative {
		return nil
	}
	rows, err := conn.Query(ctx, `SELECT c.relname FROM pg_inherits i
		JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent
		WHERE p.relname = 'observations' AND p.relnamespace = c.relnamespace
			AND p.relnamespace = 'public'::regnamespace`)
	if err != nil {
		return fmt.Errorf("history: list partitions: %w", err)
	}
	var name string
	_, err = pgx.ForEachRow(rows, []any{&name}, func() error {
		if d, ok := partitionDay(name); ok {
			s.parts[d] = true
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("history: list partitions: %w", err)
	}
	return nil
}

// ensurePartitions creates the day partitions the batch writes into, each in
// its own transaction (a partition that exists is harmless if the batch
// fails), and indexes the partitions the data has moved two days past.
func (s *Sink) ensurePartitions(ctx context.Context, conn *pgx.Conn) error {
	if s.Layout() != LayoutNative {
		return nil
	}
	for d := range s.b.days {
		d = clampDay(d)
		s.newest = max(s.newest, d)
		if s.parts[d] {
			continue
		}
		lo, hi := partitionBounds(d)
		name := partitionSuffix(d)
		for _, table := range []string{"observations", "moves"} {
			sql := fmt.Sprintf("CREATE TABLE IF NOT EXISTS %s_%s PARTITION OF %s FOR VALUES FROM (%s) TO (%s)", table, name, table, lo, hi)
			if _, err := conn.Exec(ctx, sql); err != nil {
				return fmt.Errorf("history: partition %s_%s: %w", table, name, err)
			}
		}
		s.parts[d] = true
	}
	for d := range s.parts {
		if d > s.newest-2 || s.indexed[d] {
			continue
		}
		name := partitionSuffix(d)
		for _, sql := range []string{
			fmt.Sprintf("CREATE INDEX IF NOT EXISTS observations_%s_channel_t ON observations_%s (channel, t)", name, name),
			fmt.Sprintf("CREATE INDEX IF NOT EXISTS moves_%s_entity_t ON moves_%s (entity_id, t)", name, name),
		} {
			if _, err := conn.Exec(ctx, sql); err != nil {
				return fmt.Errorf("history: index partitions of %s: %w", name, err)
			}
		}
		s.indexed[d] = true
		s.log.Info("history partitions indexed", "day", name)
	}
	return nil
}

// maxDay is the last day whose end Unix nanoseconds can say.
const maxDay = math.MaxInt64/dayNs - 1

// clampDay puts the days at the ends of time into the partitions that take
// them (from MINVALUE, to MAXVALUE).
func clampDay(d int64) int64 { return min(max(d, -maxDay-1), maxDay) }

// partitionBounds are the bounds of day d's partition, MINVALUE and MAXVALUE
// where nanoseconds overflow.
func partitionBounds(d int64) (lo, hi string) {
	switch {
	case d >= maxDay:
		return strconv.FormatInt(maxDay*dayNs, 10), "MAXVALUE"
	case d < -maxDay:
		return "MINVALUE", strconv.FormatInt((-maxDay)*dayNs, 10)
	}
	return strconv.FormatInt(d*dayNs, 10), strconv.FormatInt((d+1)*dayNs, 10)
}

func partitionSuffix(d int64) string {
	if d < 0 {
		return "m" + strconv.FormatInt(-d, 10)
	}
	return time.Unix(d*86400, 0).UTC().Format("20060102")
}
