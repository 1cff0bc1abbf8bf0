package pgload_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"

	"citytwin/datasets/sharedtest"
	"citytwin/ingest/tsbs"
	"citytwin/twin/fleet"
	"citytwin/twin/fleet/pgload"
)

const (
	iotDay     = "tsbs/iot-trucks100-seed123-1d.timescaledb.txt.gz"
	iotQueries = "tsbs/iot-queries-trucks100-seed123.jsonl.gz"
	iotAnswers = "tsbs/iot-answers-trucks100-seed123.postgres15.jsonl.gz"
)

// dsn is the server of the tests, from CITYTWIN_TEST_POSTGRES. Without it the
// test is skipped, except in CI (CI=true), where it fails.
func dsn(t *testing.T) string {
	t.Helper()
	if d := os.Getenv("CITYTWIN_TEST_POSTGRES"); d != "" {
		return d
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("CITYTWIN_TEST_POSTGRES is not set; CI must run the PostgreSQL tests")
	}
	t.Skip("CITYTWIN_TEST_POSTGRES is not set")
	return ""
}

// readFile hands every row of a TSBS file to the loader.
func readFile(tb testing.TB, path string, l *pgload.Loader) {
	tb.Helper()
	r, err := tsbs.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer r.Close()
	var row pgload.Row
	for {
		in, err := r.Next()
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			tb.Fatal(err)
		}
		row.Measurement, row.Time = in.Measurement, in.Time
		row.Tags, row.Fields = row.Tags[:0], row.Fields[:0]
		for _, tg := range in.Tags {
			row.Tags = append(row.Tags, pgload.Tag{Key: tg.Key, Value: tg.Value})
		}
		for _, f := range in.Fields {
			row.Fields = append(row.Fields, pgload.Field{Key: f.Key, Value: f.Value, Present: f.Present})
		}
		if err := l.Add(row); err != nil {
			tb.Fatal(err)
		}
	}
}

func references(tb testing.TB) map[string]fleet.Reference {
	tb.Helper()
	var text strings.Builder
	for _, l := range sharedtest.GzipLines(tb, iotAnswers) {
		text.Write(l)
		text.WriteByte('\n')
	}
	refs, err := fleet.ReadReferences(strings.NewReader(text.String()))
	if err != nil {
		tb.Fatal(err)
	}
	out := map[string]fleet.Reference{}
	for _, r := range refs {
		out[key(r.Type, r.Seq)] = r
	}
	return out
}

func key(t fleet.Type, seq int) string { return fmt.Sprintf("%s/%d", t, seq) }

// Rewrite turns each generated query into exactly the SQL the reference
// answers were computed with.
func TestRewriteMatchesReference(t *testing.T) {
	refs := references(t)
	n := 0
	for _, l := range sharedtest.GzipLines(t, iotQueries) {
		line, err := fleet.ParseLine(l)
		if err != nil {
			t.Fatal(err)
		}
		ref, ok := refs[key(line.Query.Type, line.Seq)]
		if !ok {
			t.Fatalf("%s %d: no reference", line.Query.Type, line.Seq)
		}
		if got := pgload.Rewrite(line.SQL); got != ref.SQL {
			t.Fatalf("%s %d: rewritten\n%s\nwant\n%s", line.Query.Type, line.Seq, got, ref.SQL)
		}
		n++
	}
	if n != 1300 {
		t.Errorf("%d queries, want 1300", n)
	}
}

// The day of IoT data loaded into PostgreSQL 15 answers the generated queries
// as the reference does: the first ten of each type (all 1,300 with
// CITYTWIN_TEST_POSTGRES_ALL=true).
func TestPostgresAnswers(t *testing.T) {
	server := dsn(t)
	path := sharedtest.File(t, iotDay)
	refs := references(t)
	l := pgload.NewLoader()
	readFile(t, path, l)
	if l.Rows() != 1_554_681 {
		t.Fatalf("%d rows, want 1,554,681", l.Rows())
	}
	ctx := context.Background()
	db, err := pgload.CreateDatabase(ctx, server, "citytwin_fleet")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := db.Drop(context.Background()); err != nil {
			t.Error(err)
		}
	})
	st, err := l.Load(ctx, db.Conn)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("loaded %d trucks, %d readings, %d diagnostics: copy %v, indexes %v", st.Trucks, st.Readings, st.Diagnostics, st.Copy, st.Index)
	if st.Trucks != 100 || st.Readings != 777_613 || st.Diagnostics != 777_068 {
		t.Fatalf("stats %+v", st)
	}
	var nameless int
	if err := db.Conn.QueryRow(ctx, `SELECT (SELECT count(*) FROM readings WHERE tags_id IS NULL) + (SELECT count(*) FROM diagnostics WHERE tags_id IS NULL)`).Scan(&nameless); err != nil {
		t.Fatal(err)
	}
	if nameless != 1702 {
		t.Errorf("%d rows without a truck, want 1,702", nameless)
	}
	all := os.Getenv("CITYTWIN_TEST_POSTGRES_ALL") == "true"
	for _, l := range sharedtest.GzipLines(t, iotQueries) {
		line, err := fleet.ParseLine(l)
		if err != nil {
			t.Fatal(err)
		}
		if !all && line.Seq >= 10 {
			continue
		}
		typ := line.Query.Type
		got, err := pgload.Query(ctx, db.Conn, line.SQL)
		if err != nil {
			t.Fatalf("%s %d: %v", typ, line.Seq, err)
		}
		if diff := fleet.Compare(typ, got, refs[key(typ, line.Seq)].Table); diff != "" {
			t.Errorf("%s %d: %s", typ, line.Seq, diff)
		}
	}
}
