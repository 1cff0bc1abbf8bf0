package history

import (
	"context"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"citytwin/twin"

	"github.com/jackc/pgx/v5"
)

// countRows returns the rows of the history's tables, to check that nothing
// was written twice.
func countRows(t *testing.T, dsn string) (obs, moves, versions int64) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if err := conn.QueryRow(ctx, "SELECT (SELECT count(*) FROM observations), (SELECT count(*) FROM moves), (SELECT count(*) FROM entity_versions)").Scan(&obs, &moves, &versions); err != nil {
		t.Fatal(err)
	}
	return obs, moves, versions
}

// tally counts what ops carry.
type tally struct{ obs, positions int64 }

func (c *tally) add(ops []twin.Op) {
	for _, op := range ops {
		c.obs += int64(len(op.Observations))
		c.positions += int64(len(op.Positions))
	}
}

// TestSinkReadsTheLogWhenBehind gives the twin a feed of 16 changes, so that
// the sink falls behind it all the time and reads the log: the database must
// hold the same as memory.
func TestSinkReadsTheLogWhenBehind(t *testing.T) {
	dsn := testDSN(t)
	store := openTwin(t, t.TempDir(), 16)
	defer store.Close()
	cfg := testSinkConfig(dsn)
	cfg.BatchRows = 300
	sink := openSink(t, cfg, store)
	defer sink.Close()
	w := newWorkload(2)
	var c tally
	ops := w.setup(30, 20, 8)
	c.add(ops)
	seq := apply(t, store, ops)
	for range 80 {
		ops := w.step()
		c.add(ops)
		for _, op := range ops { // one op at a time: many feed entries
			seq = apply(t, store, []twin.Op{op})
		}
	}
	waitSink(t, sink, seq)
	st := sink.Stats()
	if st.FromLog == 0 || st.CatchUps == 0 {
		t.Errorf("stats %+v: the sink never read the log", st)
	}
	r, err := OpenReader(ReaderConfig{DSN: dsn, Conns: 1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	checkSame(t, store, r, w)
	if obs, _, _ := countRows(t, dsn); obs != c.obs {
		t.Errorf("database has %d observations, %d were applied", obs, c.obs)
	}
}

// TestSinkResumesAfterRestart stops the sink part-way, goes on applying, closes
// and reopens the twin from its data directory, starts a new sink, and checks
// that the database ends with exactly what the twin holds: nothing lost,
// nothing twice.
func TestSinkResumesAfterRestart(t *testing.T) {
	dsn := testDSN(t)
	dir := t.TempDir()
	store := openTwin(t, dir, 64)
	cfg := testSinkConfig(dsn)
	cfg.BatchRows = 200
	sink := openSink(t, cfg, store)
	w := newWorkload(3)
	var c tally
	ops := w.setup(20, 10, 5)
	c.add(ops)
	seq := apply(t, store, ops)
	for range 20 {
		ops := w.step()
		c.add(ops)
		seq = apply(t, store, ops)
	}
	waitSink(t, sink, seq)
	// Stop the sink in the middle of a stream of changes.
	for i := range 40 {
		ops := w.step()
		c.add(ops)
		seq = apply(t, store, ops)
		if i == 5 {
			sink.Close()
		}
	}
	stopped := sink.Position()
	if _, err := store.Snapshot(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := store.Close(); err != nil { // a snapshot on close: the log is held
		t.Fatal(err)
	}
	store = openTwin(t, dir, 64)
	defer store.Close()
	if store.Seq() != seq {
		t.Fatalf("twin reopened at %d, want %d", store.Seq(), seq)
	}
	sink = openSink(t, cfg, store)
	defer sink.Close()
	for range 10 {
		ops := w.step()
		c.add(ops)
		seq = apply(t, store, ops)
	}
	waitSink(t, sink, seq)
	if stopped >= seq {
		t.Fatalf("the first sink reached %d: nothing was left to resume", stopped)
	}
	t.Logf("first sink stopped at %d of %d; stats after restart %+v", stopped, seq, sink.Stats())
	r, err := OpenReader(ReaderConfig{DSN: dsn, Conns: 1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	checkSame(t, store, r, w)
	if obs, _, _ := countRows(t, dsn); obs != c.obs {
		t.Errorf("database has %d observations, %d were applied", obs, c.obs)
	}
}

// terminate ends the sink's connections to the test database, as a database
// restart does.
func terminate(t *testing.T, dsn string) int {
	t.Helper()
	u, _ := url.Parse(dsn)
	db := strings.TrimPrefix(u.Path, "/")
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, os.Getenv("CITYTWIN_TEST_POSTGRES"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var n int
	if err := conn.QueryRow(ctx, "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()", db).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestSinkSurvivesDatabaseRestart kills the sink's database connections again
// and again while ops stream in; the sink reconnects and resumes from the
// position committed with the last batch.
func TestSinkSurvivesDatabaseRestart(t *testing.T) {
	dsn := testDSN(t)
	store := openTwin(t, t.TempDir(), 256)
	defer store.Close()
	cfg := testSinkConfig(dsn)
	cfg.BatchRows = 500
	sink := openSink(t, cfg, store)
	defer sink.Close()
	w := newWorkload(4)
	var c tally
	ops := w.setup(30, 10, 8)
	c.add(ops)
	seq := apply(t, store, ops)
	var killed int
	for i := range 60 {
		ops := w.step()
		c.add(ops)
		seq = apply(t, store, ops)
		if i%7 == 3 {
			killed += terminate(t, dsn)
		}
		time.Sleep(15 * time.Millisecond)
	}
	waitSink(t, sink, seq)
	st := sink.Stats()
	t.Logf("terminated %d backends; stats %+v", killed, st)
	if st.Errors == 0 || st.Batches < 3 {
		t.Errorf("the sink saw no failure, or wrote too few batches: the test did not test")
	}
	r, err := OpenReader(ReaderConfig{DSN: dsn, Conns: 1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	checkSame(t, store, r, w)
	if obs, _, _ := countRows(t, dsn); obs != c.obs {
		t.Errorf("database has %d observations, %d were applied", obs, c.obs)
	}
}

// TestSinkSurvivesClusterRestart restarts the PostgreSQL cluster itself
// (pg_ctlcluster 15 main restart) while ops stream in. It disturbs every other
// user of the server, so it runs only with CITYTWIN_TEST_PG_RESTART=1.
func TestSinkSurvivesClusterRestart(t *testing.T) {
	if os.Getenv("CITYTWIN_TEST_PG_RESTART") != "1" {
		t.Skip("set CITYTWIN_TEST_PG_RESTART=1 to restart the PostgreSQL cluster")
	}
	dsn := testDSN(t)
	store := openTwin(t, t.TempDir(), 256)
	defer store.Close()
	sink := openSink(t, testSinkConfig(dsn), store)
	defer sink.Close()
	w := newWorkload(5)
	var c tally
	ops := w.setup(30, 10, 8)
	c.add(ops)
	seq := apply(t, store, ops)
	restarted := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		defer close(restarted)
		time.Sleep(50 * time.Millisecond)
		out, err := exec.Command("pg_ctlcluster", "15", "main", "restart").CombinedOutput()
		if err != nil {
			t.Errorf("pg_ctlcluster: %v: %s", err, out)
		}
	})
	// Ops stream in before, during and after the restart.
	for after := 0; after < 50; {
		select {
		case <-restarted:
			after++
		default:
		}
		ops := w.step()
		c.add(ops)
		seq = apply(t, store, ops)
		time.Sleep(10 * time.Millisecond)
	}
	wg.Wait()
	waitSink(t, sink, seq)
	t.Logf("stats %+v", sink.Stats())
	if sink.Stats().Errors == 0 {
		t.Error("the sink saw no failure: the restart came at a quiet moment")
	}
	r, err := OpenReader(ReaderConfig{DSN: dsn, Conns: 1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	checkSame(t, store, r, w)
	if obs, _, _ := countRows(t, dsn); obs != c.obs {
		t.Errorf("database has %d observations, %d were applied", obs, c.obs)
	}
}

// TestSinkOfTwinWithoutLog follows a twin in memory only that applied more
// than its feed holds before the sink started: the sink counts the ops it
// could not read, skips those on entities it never saw, and goes on.
func TestSinkOfTwinWithoutLog(t *testing.T) {
	dsn := testDSN(t)
	cfg := twin.DefaultConfig()
	cfg.Retention, cfg.FeedSize = 0, 16
	store, err := twin.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	w := newWorkload(7)
	apply(t, store, w.setup(10, 5, 3))
	for range 30 {
		for _, op := range w.step() {
			apply(t, store, []twin.Op{op})
		}
	}
	sink := openSink(t, testSinkConfig(dsn), store)
	defer sink.Close()
	var seq uint64
	for range 5 {
		seq = apply(t, store, w.step())
	}
	seq = apply(t, store, w.setup(2, 0, 0)) // new entities: written whole
	waitSink(t, sink, seq)
	st := sink.Stats()
	if st.Lost == 0 || st.Skipped == 0 || st.Position != seq {
		t.Fatalf("stats %+v: want lost and skipped ops and the position at %d", st, seq)
	}
}
