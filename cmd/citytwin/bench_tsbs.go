package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"citytwin/datasets"
	"citytwin/ingest/tsbs"
	"citytwin/twin"
	"citytwin/twin/fleet"
	"citytwin/twin/fleet/pgload"

	"github.com/klauspost/compress/gzip"
)

const benchTSBSHelp = `Usage: citytwin bench tsbs [--postgres DSN] [--runs N] [--only TYPES] [--json]

Runs the TSBS IoT queries against citytwin and against PostgreSQL on the same
data, the way docs/benchmarks.md reports them. It loads the 100-truck day
(../shared/tsbs, looked up from here upwards) into a twin through the ordinary
TSBS ingest, and into a new PostgreSQL database (citytwin_bench_<random>,
dropped afterwards) in TSBS's schema with COPY; then runs every query of the
query file on both (TimescaleDB's time_bucket rewritten to date_bin for plain
PostgreSQL), checks that the answers agree (and equal the reference answers,
when the answer file is there), and prints per query type the median latency
of each side, the speed-up and how many answers agree.

Each query is run once untimed on each side, then --runs times; its latency is
the median of its runs, and a type's figure is the median over its queries.
Run it on an idle machine: other work on the cores shows up in every figure.
`

// tsbsFigure is one query type's line of the report.
type tsbsFigure struct {
	Type       string  `json:"type"`
	Queries    int     `json:"queries"`
	TwinMS     float64 `json:"citytwin_median_ms"`
	PostgresMS float64 `json:"postgres_median_ms"`
	SpeedUp    float64 `json:"speed_up"`
	// CPU time a query, mean over the timed runs: the twin's process
	// (every goroutine, GC included) and the PostgreSQL backend serving the
	// connection (from /proc; 0 when the server is not on this machine).
	// Unlike latency, it does not grow when other work shares the cores.
	TwinCPUMS     float64 `json:"citytwin_cpu_ms"`
	PostgresCPUMS float64 `json:"postgres_cpu_ms"`
	Agree         int     `json:"answers_agree"`
	Reference     int     `json:"reference_agree"` // -1 without a reference file
}

func benchTSBSCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("bench tsbs", benchTSBSHelp, stderr)
	dsn := fs.String("postgres", defaultPostgres(), "the PostgreSQL server (default: $CITYTWIN_POSTGRES, else $CITYTWIN_TEST_POSTGRES)")
	data := fs.String("data", "", "the TSBS IoT data file (default: shared tsbs/iot-trucks100-seed123-1d.timescaledb.txt.gz)")
	queries := fs.String("queries", "", "the query file (default: shared tsbs/iot-queries-trucks100-seed123.jsonl.gz)")
	answers := fs.String("answers", "", "the reference answers (default: shared tsbs/iot-answers-trucks100-seed123.postgres15.jsonl.gz, if there)")
	runs := fs.Int("runs", 3, "timed runs of each query on each side")
	only := fs.String("only", "", "run only these query types, comma-separated")
	firstN := fs.Int("per-type", 0, "run only the first N queries of each type (0 = all; a quick look, not the figures of record)")
	asJSON := fs.Bool("json", false, "print the figures as JSON")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *dsn == "" {
		return errors.New("no PostgreSQL server: give --postgres DSN or set CITYTWIN_POSTGRES")
	}
	if *runs < 1 {
		return fmt.Errorf("--runs %d: want at least 1", *runs)
	}
	shared := func(flag *string, rel string, must bool) (string, error) {
		if *flag != "" {
			return *flag, nil
		}
		p := datasets.SharedPath(rel)
		if p == "" && must {
			return "", fmt.Errorf("%s not found: give its path", rel)
		}
		return p, nil
	}
	dataPath, err := shared(data, "tsbs/iot-trucks100-seed123-1d.timescaledb.txt.gz", true)
	if err != nil {
		return err
	}
	queryPath, err := shared(queries, "tsbs/iot-queries-trucks100-seed123.jsonl.gz", true)
	if err != nil {
		return err
	}
	answerPath, _ := shared(answers, "tsbs/iot-answers-trucks100-seed123.postgres15.jsonl.gz", false)

	lines, err := readQueryFile(queryPath)
	if err != nil {
		return err
	}
	if *only != "" {
		var keep []fleet.Line
		for _, name := range strings.Split(*only, ",") {
			typ, err := fleet.ParseType(strings.TrimSpace(name))
			if err != nil {
				return err
			}
			for _, l := range lines {
				if l.Query.Type == typ {
					keep = append(keep, l)
				}
			}
		}
		lines = keep
	}
	if *firstN > 0 {
		var keep []fleet.Line
		for _, l := range lines {
			if l.Seq < *firstN {
				keep = append(keep, l)
			}
		}
		lines = keep
	}
	refs := map[string]fleet.Reference{}
	if answerPath != "" {
		rs, err := readAnswerFile(answerPath)
		if err != nil {
			return err
		}
		for _, r := range rs {
			refs[fmt.Sprintf("%s/%d", r.Type, r.Seq)] = r
		}
	}

	// Load both sides.
	start := time.Now()
	store, rows, err := loadTSBSTwin(ctx, dataPath)
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "citytwin: %d rows loaded in %v\n", rows, time.Since(start).Round(time.Millisecond))
	start = time.Now()
	l := pgload.NewLoader()
	if err := readTSBSRows(dataPath, l); err != nil {
		return err
	}
	db, err := pgload.CreateDatabase(ctx, *dsn, "citytwin_bench")
	if err != nil {
		return err
	}
	defer func() {
		if err := db.Drop(context.WithoutCancel(ctx)); err != nil {
			fmt.Fprintf(stderr, "postgres: %v\n", err)
		}
	}()
	st, err := l.Load(ctx, db.Conn)
	if err != nil {
		return err
	}
	l = nil
	fmt.Fprintf(stderr, "postgres: %d rows loaded in %v (read %v, copy %v, indexes and analyse %v) into %s\n",
		st.Readings+st.Diagnostics, time.Since(start).Round(time.Millisecond), (time.Since(start) - st.Copy - st.Index).Round(time.Millisecond),
		st.Copy.Round(time.Millisecond), st.Index.Round(time.Millisecond), db.Name)

	// Run the queries.
	type perType struct {
		twin, pg       []time.Duration
		twinCPU, pgCPU time.Duration
		runs           int
		agree, ok      int
		checked        bool
	}
	var backend int
	if err := db.Conn.QueryRow(ctx, "SELECT pg_backend_pid()").Scan(&backend); err != nil {
		return err
	}
	results := map[fleet.Type]*perType{}
	var order []fleet.Type
	var mismatches []string
	b := newBar(stderr, *asJSON, "queries")
	for i, line := range lines {
		if err := ctx.Err(); err != nil {
			return err
		}
		b.update(i, len(lines))
		typ := line.Query.Type
		r := results[typ]
		if r == nil {
			r = &perType{}
			results[typ] = r
			order = append(order, typ)
		}
		// The untimed runs: warm caches, and the answers.
		ans, err := fleet.Exec(ctx, store, line.Query)
		if err != nil {
			return fmt.Errorf("citytwin %s %d: %w", typ, line.Seq, err)
		}
		pgAns, err := pgload.Query(ctx, db.Conn, line.SQL)
		if err != nil {
			return fmt.Errorf("postgres %s %d: %w", typ, line.Seq, err)
		}
		got := ans.Table()
		if diff := fleet.Compare(typ, got, pgAns); diff == "" {
			r.agree++
		} else {
			mismatches = append(mismatches, fmt.Sprintf("%s %d: citytwin and postgres differ: %s", typ, line.Seq, diff))
		}
		if ref, ok := refs[fmt.Sprintf("%s/%d", typ, line.Seq)]; ok {
			r.checked = true
			if diff := fleet.Compare(typ, got, ref.Table); diff == "" {
				r.ok++
			} else {
				mismatches = append(mismatches, fmt.Sprintf("%s %d: citytwin and the reference differ: %s", typ, line.Seq, diff))
			}
		}
		tw := make([]time.Duration, *runs)
		pg := make([]time.Duration, *runs)
		for k := range *runs {
			c0 := processCPU()
			t0 := time.Now()
			if _, err := fleet.Exec(ctx, store, line.Query); err != nil {
				return err
			}
			tw[k] = time.Since(t0)
			r.twinCPU += processCPU() - c0
			c0 = backendCPU(backend)
			t0 = time.Now()
			if _, err := pgload.Query(ctx, db.Conn, line.SQL); err != nil {
				return err
			}
			pg[k] = time.Since(t0)
			r.pgCPU += backendCPU(backend) - c0
			r.runs++
		}
		r.twin = append(r.twin, median(tw))
		r.pg = append(r.pg, median(pg))
	}
	b.finish()

	var figs []tsbsFigure
	for _, typ := range order {
		r := results[typ]
		f := tsbsFigure{Type: typ.String(), Queries: len(r.twin), Agree: r.agree, Reference: -1,
			TwinMS: ms(median(r.twin)), PostgresMS: ms(median(r.pg))}
		if r.checked {
			f.Reference = r.ok
		}
		if r.runs > 0 {
			f.TwinCPUMS = ms(r.twinCPU) / float64(r.runs)
			f.PostgresCPUMS = ms(r.pgCPU) / float64(r.runs)
		}
		if f.TwinMS > 0 {
			f.SpeedUp = f.PostgresMS / f.TwinMS
		}
		figs = append(figs, f)
	}
	for _, m := range mismatches {
		fmt.Fprintln(stderr, m)
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(figs); err != nil {
			return err
		}
	} else {
		tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "query type\tqueries\tcitytwin ms\tpostgres ms\tspeed-up\tcitytwin cpu ms\tpostgres cpu ms\tcpu ratio\tanswers agree\treference\t")
		for _, f := range figs {
			ref := "-"
			if f.Reference >= 0 {
				ref = fmt.Sprintf("%d/%d", f.Reference, f.Queries)
			}
			ratio := "-"
			if f.TwinCPUMS > 0 && f.PostgresCPUMS > 0 {
				ratio = fmt.Sprintf("%.0f×", f.PostgresCPUMS/f.TwinCPUMS)
			}
			fmt.Fprintf(tw, "%s\t%d\t%.3f\t%.3f\t%.0f×\t%.3f\t%.3f\t%s\t%d/%d\t%s\t\n", f.Type, f.Queries, f.TwinMS, f.PostgresMS, f.SpeedUp,
				f.TwinCPUMS, f.PostgresCPUMS, ratio, f.Agree, f.Queries, ref)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	if len(mismatches) > 0 {
		return fmt.Errorf("%d answers differ", len(mismatches))
	}
	return nil
}

// processCPU is the CPU time this process has used, user and system.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// backendCPU is the CPU time a local PostgreSQL backend has used, from
// /proc/<pid>/stat (in clock ticks of 10 ms: meaningful summed over many
// queries); 0 when it cannot be read.
func backendCPU(pid int) time.Duration {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// The fields after the command (which may hold spaces) in parentheses.
	i := strings.LastIndexByte(string(data), ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(string(data[i+1:]))
	if len(f) < 13 {
		return 0
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0
	}
	return time.Duration(utime+stime) * 10 * time.Millisecond
}

func defaultPostgres() string {
	if d := os.Getenv("CITYTWIN_POSTGRES"); d != "" {
		return d
	}
	return os.Getenv("CITYTWIN_TEST_POSTGRES")
}

func median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func ms(d time.Duration) float64 { return float64(d) / 1e6 }

// loadTSBSTwin reads a TSBS file into a new twin, every point kept.
func loadTSBSTwin(ctx context.Context, path string) (*twin.Store, int64, error) {
	cfg := twin.DefaultConfig()
	cfg.Retention = 0
	s, err := twin.New(cfg)
	if err != nil {
		return nil, 0, err
	}
	r, err := tsbs.Open(path)
	if err != nil {
		return nil, 0, err
	}
	defer r.Close()
	f, err := tsbs.NewFeed(r, tsbs.DefaultOptions())
	if err != nil {
		return nil, 0, err
	}
	var rows int64
	for {
		b, err := f.Next(ctx)
		if errors.Is(err, io.EOF) {
			return s, rows, nil
		}
		if err != nil {
			return nil, 0, err
		}
		rows += int64(b.Rows)
		if _, err := s.ApplyContext(ctx, b.Ops...); err != nil {
			return nil, 0, err
		}
	}
}

// readTSBSRows hands every row of a TSBS file to a PostgreSQL loader,
// nameless ones included (they load with a NULL truck).
func readTSBSRows(path string, l *pgload.Loader) error {
	r, err := tsbs.Open(path)
	if err != nil {
		return err
	}
	defer r.Close()
	var row pgload.Row
	for {
		in, err := r.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
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
			return err
		}
	}
}

// gzipScanner opens a gzip JSON-lines file.
func gzipScanner(path string) (*bufio.Scanner, func() error, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	zr, err := gzip.NewReader(f)
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	sc := bufio.NewScanner(zr)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	return sc, f.Close, nil
}

func readQueryFile(path string) ([]fleet.Line, error) {
	sc, closeFn, err := gzipScanner(path)
	if err != nil {
		return nil, err
	}
	defer closeFn()
	var out []fleet.Line
	for n := 1; sc.Scan(); n++ {
		l, err := fleet.ParseLine(sc.Bytes())
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %w", path, n, err)
		}
		out = append(out, l)
	}
	return out, sc.Err()
}

func readAnswerFile(path string) ([]fleet.Reference, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return nil, err
	}
	return fleet.ReadReferences(zr)
}
