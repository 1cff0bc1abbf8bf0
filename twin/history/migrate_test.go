package history

import (
	"context"
	"errors"
	"testing"

	"citytwin/twin"

	"github.com/jackc/pgx/v5"
)

// TestMigrate applies the schema twice: the second time changes nothing, and
// schema_migrations lists every step once.
func TestMigrate(t *testing.T) {
	dsn := testDSN(t)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	steps, err := migrations(LayoutNative)
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		layout, err := Migrate(ctx, conn, "")
		if err != nil {
			t.Fatal(err)
		}
		if layout != LayoutNative {
			t.Fatalf("layout %q on a server without timescaledb", layout)
		}
	}
	var n, last int
	if err := conn.QueryRow(ctx, "SELECT count(*), max(version) FROM schema_migrations").Scan(&n, &last); err != nil {
		t.Fatal(err)
	}
	if n != len(steps) || last != steps[len(steps)-1].version {
		t.Fatalf("schema_migrations has %d steps up to %d, want %d up to %d", n, last, len(steps), steps[len(steps)-1].version)
	}
	if _, err := Migrate(ctx, conn, LayoutTimescale); err == nil {
		t.Fatal("asking a native database for the timescale layout: no error")
	}
}

func TestMigrationsNumbered(t *testing.T) {
	for _, layout := range []string{LayoutNative, LayoutTimescale} {
		steps, err := migrations(layout)
		if err != nil {
			t.Fatal(err)
		}
		for i, m := range steps {
			if m.version != i+1 {
				t.Fatalf("%s: step %d is numbered %d", layout, i, m.version)
			}
		}
	}
}

// TestSinkBusy refuses a second sink of the same name on one database.
func TestSinkBusy(t *testing.T) {
	dsn := testDSN(t)
	store := openTwin(t, t.TempDir(), 64)
	defer store.Close()
	first := openSink(t, testSinkConfig(dsn), store)
	defer first.Close()
	_, err := Open(context.Background(), testSinkConfig(dsn), store, testLogger(t))
	if !errors.Is(err, ErrBusy) {
		t.Fatalf("second sink: %v, want ErrBusy", err)
	}
}

// TestPartitionsByDay writes readings over five days and checks that each
// day has its partition and that days two behind the newest are indexed.
func TestPartitionsByDay(t *testing.T) {
	dsn := testDSN(t)
	store := openTwin(t, t.TempDir(), 64)
	defer store.Close()
	sink := openSink(t, testSinkConfig(dsn), store)
	defer sink.Close()
	seq := apply(t, store, []twin.Op{{Type: twin.OpUpsert, T: t0, Entity: &twin.Entity{ID: "sensor:p", Kind: twin.KindSensor}}})
	for d := range int64(5) {
		seq = apply(t, store, []twin.Op{{Type: twin.OpObserve, Observations: []twin.Observation{{ID: "sensor:p", Metric: "m", T: t0 + d*dayNs, V: float64(d)}}}})
		waitSink(t, sink, seq)
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var parts, indexed int
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM pg_inherits i JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = 'observations'`).Scan(&parts); err != nil {
		t.Fatal(err)
	}
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM pg_indexes WHERE indexname LIKE 'observations\_%\_channel\_t'`).Scan(&indexed); err != nil {
		t.Fatal(err)
	}
	if parts != 5 || indexed != 3 {
		t.Fatalf("%d partitions, %d indexed; want 5 and 3", parts, indexed)
	}
}
