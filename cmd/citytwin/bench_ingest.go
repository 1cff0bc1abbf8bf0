package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"citytwin/datasets"
	"citytwin/ingest/importer"
	"citytwin/ingest/tsbs"
	"citytwin/twin"
	"citytwin/twin/wal"

	"github.com/paulmach/orb"
)

const benchIngestHelp = `Usage: citytwin bench ingest [--quick] [--json] [--only STEPS] [--tsbs FILE]

Measures durable ingest, the way docs/benchmarks.md reports it. Every step writes
a real write-ahead log and snapshots in a temporary directory (--dir to choose
where; it is removed afterwards):

  api       observations through the Go API (Store.Apply), batches of 10,000
            readings of 1,000 sensors, fsync policy batch, then always (two
            producers, so that group commit has something to group)
  tsbs      the TSBS IoT 100-truck day, from the gzip file to the twin with the
            log on: decompress, parse, convert, log, apply
  mqtt      the embedded broker, gateway and log: 1,000 MQTT 3.1.1 clients publish
            SenML readings at QoS 0 as fast as they can (the rate at which the
            readings are in the twin) — once with lean clients that write many
            packets a syscall, once with paho clients — then 100 paho clients
            publish at QoS 1 at a fixed 20,000 msgs/s (the time to each PUBACK,
            sent after the log has it); clients, broker and twin share the machine
  restart   a twin of 1,000,000 entities and 50,000,000 observations is closed
            (snapshot) and opened again: the time from Open to serving

--quick makes the api, mqtt and restart steps ten times smaller.
`

func benchIngestCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("bench ingest", benchIngestHelp, stderr)
	quick := fs.Bool("quick", false, "ten times smaller (not the figures of record)")
	asJSON := fs.Bool("json", false, "print the figures as JSON")
	only := fs.String("only", "", "measure only these steps, comma-separated (api, tsbs, mqtt, restart)")
	dir := fs.String("dir", "", "where to put the logs and snapshots (default: a temporary directory)")
	tsbsFile := fs.String("tsbs", "", "the TSBS IoT file (default: ../shared/tsbs/iot-trucks100-seed123-1d.timescaledb.txt.gz, looked up from here upwards)")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the measurements to this file")
	memProfile := fs.String("memprofile", "", "write an allocation profile of the measurements to this file")
	if err := parse(fs, args); err != nil {
		return err
	}
	stop, err := startCPUProfile(*cpuProfile)
	if err != nil {
		return err
	}
	defer stop()
	if *memProfile != "" {
		runtime.MemProfileRate = 64 << 10
		defer func() {
			if f, err := os.Create(*memProfile); err == nil {
				pprof.Lookup("allocs").WriteTo(f, 0)
				f.Close()
			}
		}()
	}
	root := *dir
	if root == "" {
		var err error
		if root, err = os.MkdirTemp("", "citytwin-bench-"); err != nil {
			return err
		}
		defer os.RemoveAll(root)
	}
	scale := 1
	if *quick {
		scale = 10
	}
	b := &ingestBench{ctx: ctx, log: stderr, root: root, scale: scale, tsbs: *tsbsFile}
	steps := []struct {
		name string
		run  func() error
	}{{"api", b.api}, {"tsbs", b.tsbsDay}, {"mqtt", b.mqttRaw}, {"mqtt", b.mqttIngest}, {"restart", b.restart}}
	for _, s := range steps {
		if *only != "" && !slices.Contains(strings.Split(*only, ","), s.name) {
			continue
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		runtime.GC()
		if err := s.run(); err != nil {
			return fmt.Errorf("%s: %w", s.name, err)
		}
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(b.figures)
	}
	printFigures(stdout, b.figures)
	return nil
}

type ingestBench struct {
	ctx     context.Context
	log     io.Writer
	root    string
	scale   int
	tsbs    string
	figures []benchFigure
	n       int
}

func (b *ingestBench) add(f benchFigure) {
	b.figures = append(b.figures, f)
	fmt.Fprintf(b.log, "bench: %-52s %12s %s\n", f.Name, human(f.Value), f.Unit)
}

// open opens a fresh durable twin in its own directory.
func (b *ingestBench) open(policy wal.SyncPolicy) (*twin.Store, string, error) {
	b.n++
	dir := filepath.Join(b.root, "twin-"+strconv.Itoa(b.n))
	d := twin.DefaultDurability(dir)
	d.Log.Sync = policy
	d.SnapshotEvery = 0
	cfg := twin.DefaultConfig()
	cfg.Retention = 0
	s, _, err := twin.Open(b.ctx, cfg, d)
	return s, dir, err
}

// sensors upserts n sensors on a grid and returns their ids.
func sensors(s *twin.Store, n int) ([]twin.ID, error) {
	ids := make([]twin.ID, n)
	ops := make([]twin.Op, 0, 10000)
	for i := range ids {
		ids[i] = twin.ID("bench:sensor/" + strconv.Itoa(i))
		p := orb.Point{24.8 + float64(i%1000)*1e-4, 60.1 + float64(i/1000)*1e-4}
		ops = append(ops, twin.Op{Type: twin.OpUpsert, T: 1, Entity: &twin.Entity{ID: ids[i], Kind: twin.KindSensor, Geometry: p}})
		if len(ops) == cap(ops) || i == n-1 {
			if _, err := s.Apply(ops...); err != nil {
				return nil, err
			}
			ops = ops[:0]
		}
	}
	return ids, nil
}

// observe sends total readings in batches of 10,000 (1,000 sensors × 10
// metrics) from producers goroutines and returns the rate.
func observe(ctx context.Context, s *twin.Store, ids []twin.ID, total, producers int) (float64, error) {
	metrics := []string{"pm25", "pm10", "no2", "o3", "temperature", "humidity", "pressure", "noise", "co2", "wind"}
	const batch = 10_000
	per := total / batch / producers
	var wg sync.WaitGroup
	errs := make([]error, producers)
	start := time.Now()
	for p := range producers {
		wg.Go(func() {
			obs := make([]twin.Observation, batch)
			t := int64(1_700_000_000_000_000_000) + int64(p)
			for round := range per {
				t += 1e9 * int64(producers)
				base := (round*producers + p) * 1000 % len(ids)
				for i := range obs {
					obs[i] = twin.Observation{ID: ids[(base+i/10)%len(ids)], Metric: metrics[i%10], T: t, V: float64(round%97) + float64(i%13)*0.1}
				}
				if _, err := s.ApplyContext(ctx, twin.Op{Type: twin.OpObserve, T: t, Observations: obs}); err != nil {
					errs[p] = err
					return
				}
			}
		})
	}
	wg.Wait()
	return float64(per*batch*producers) / time.Since(start).Seconds(), errors.Join(errs...)
}

func (b *ingestBench) api() error {
	for _, c := range []struct {
		policy    wal.SyncPolicy
		total     int
		producers int
		target    float64
	}{{wal.SyncBatch, 20_000_000, 1, 1e6}, {wal.SyncAlways, 5_000_000, 2, 0}} {
		s, _, err := b.open(c.policy)
		if err != nil {
			return err
		}
		ids, err := sensors(s, 10_000)
		if err != nil {
			return err
		}
		rate, err := observe(b.ctx, s, ids, c.total/b.scale, c.producers)
		st := s.LogStats()
		if cerr := s.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
		f := benchFigure{Name: "durable observations through the Go API, fsync " + c.policy.String(), Value: rate, Unit: "obs/s", Target: c.target, Higher: true,
			Note: fmt.Sprintf("%d producer(s), batches of 10k, %d fsyncs", c.producers, st.Fsyncs)}
		b.add(f)
	}
	return nil
}

func (b *ingestBench) tsbsDay() error {
	path := b.tsbs
	if path == "" {
		if path = datasets.SharedPath("tsbs/iot-trucks100-seed123-1d.timescaledb.txt.gz"); path == "" {
			return errors.New("no TSBS file: give --tsbs FILE")
		}
	}
	s, _, err := b.open(wal.SyncBatch)
	if err != nil {
		return err
	}
	defer s.Close()
	r, err := tsbs.Open(path)
	if err != nil {
		return err
	}
	defer r.Close()
	feed, err := tsbs.NewFeed(r, tsbs.DefaultOptions())
	if err != nil {
		return err
	}
	start := time.Now()
	if err := importer.PipeTSBS(b.ctx, feed, s, nil); err != nil {
		return err
	}
	took := time.Since(start)
	st := feed.Stats()
	b.add(benchFigure{Name: "TSBS IoT 100-truck day from the file, log on (fsync batch)", Value: float64(st.Values()) / took.Seconds(), Unit: "values/s", Target: 3e6, Higher: true,
		Note: fmt.Sprintf("%d rows, %d values in %.2f s", st.Rows, st.Values(), took.Seconds())})
	return nil
}

func (b *ingestBench) restart() error {
	s, dir, err := b.open(wal.SyncOff)
	if err != nil {
		return err
	}
	n := 1_000_000 / b.scale
	ops := make([]twin.Op, 0, 10000)
	for i := range n {
		p := orb.Point{24.5 + float64(i%1000)*5e-4, 60 + float64(i/1000)*5e-4}
		e := &twin.Entity{ID: twin.ID("bench:building/" + strconv.Itoa(i)), Kind: twin.KindBuilding, Geometry: p,
			Props: twin.Properties{{Key: "floor_area", Value: twin.NumberValue(float64(100 + i%900))}, {Key: "use", Value: twin.StringValue([]string{"home", "office", "shop"}[i%3])}}}
		ops = append(ops, twin.Op{Type: twin.OpUpsert, T: 1, Entity: e})
		if len(ops) == cap(ops) || i == n-1 {
			if _, err := s.Apply(ops...); err != nil {
				return err
			}
			ops = ops[:0]
		}
	}
	ids, err := sensors(s, 100_000/b.scale)
	if err != nil {
		return err
	}
	if _, err := observe(b.ctx, s, ids, 50_000_000/b.scale, 1); err != nil {
		return err
	}
	entities := s.Len()
	start := time.Now()
	if err := s.Close(); err != nil { // takes the snapshot
		return err
	}
	took := time.Since(start)
	ds, _ := s.Durability()
	b.add(benchFigure{Name: "snapshot of the same twin, written at close", Value: took.Seconds(), Unit: "s",
		Note: fmt.Sprintf("written while ingest can go on: writers waited %.0f ms while its view was taken", ds.SnapshotPauseMS)})
	s = nil
	runtime.GC()
	cfg := twin.DefaultConfig()
	cfg.Retention = 0
	d := twin.DefaultDurability(dir)
	d.SnapshotOnClose = false // the next start must replay the log
	start = time.Now()
	s2, rec, err := twin.Open(b.ctx, cfg, d)
	if err != nil {
		return err
	}
	took = time.Since(start)
	if s2.Len() != entities {
		return fmt.Errorf("reopened with %d entities, had %d", s2.Len(), entities)
	}
	b.add(benchFigure{Name: "restart to serving: 1M entities, 50M observations", Value: took.Seconds(), Unit: "s", Target: 5, Higher: false,
		Note: fmt.Sprintf("%d entities; snapshot %s, %d log records replayed", entities, filepath.Base(rec.Snapshot), rec.Records)})

	// Then 5M more readings only in the log, as after a crash: start-up replays them.
	if _, err := observe(b.ctx, s2, ids, 5_000_000/b.scale, 1); err != nil {
		return err
	}
	logBytes := s2.LogStats().BytesWritten
	if err := s2.Close(); err != nil {
		return err
	}
	s2 = nil
	runtime.GC()
	start = time.Now()
	s3, rec, err := twin.Open(b.ctx, cfg, d)
	if err != nil {
		return err
	}
	took = time.Since(start)
	b.add(benchFigure{Name: "restart replaying 5M observations from the log", Value: took.Seconds(), Unit: "s",
		Note: fmt.Sprintf("%d records, %d ops, %.0f MB of log after the snapshot", rec.Records, rec.Ops, float64(logBytes)/1e6)})
	return s3.Close()
}

// printFigures writes figures as a Markdown table.
func printFigures(w io.Writer, figures []benchFigure) {
	fmt.Fprintf(w, "| figure | measured | target | |\n|---|---:|---:|---|\n")
	for _, f := range figures {
		mark, target := "met", ""
		if !f.met() {
			mark = "**missed**"
		}
		cmp := "≤"
		if f.Higher {
			cmp = "≥"
		}
		if f.Target > 0 {
			target = cmp + " " + human(f.Target) + " " + f.Unit
		} else {
			mark, target = "reported", "—"
		}
		note := ""
		if f.Note != "" {
			note = " (" + f.Note + ")"
		}
		fmt.Fprintf(w, "| %s%s | %s %s | %s | %s |\n", f.Name, note, human(f.Value), f.Unit, target, mark)
	}
	fmt.Fprintf(w, "\n%s, %d cores, %s, %s\n", runtime.Version(), runtime.NumCPU(), runtime.GOOS+"/"+runtime.GOARCH, time.Now().UTC().Format(time.DateOnly))
}
