package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync"
	"time"

	"citytwin/datasets"
	"citytwin/twin"
	"citytwin/web"
)

const serveHelp = `Usage: citytwin serve [--addr HOST:PORT] [--data DIR] [--demo]

Runs the twin in one process: the HTTP API (/api/v1/...) and OGC API Features
(/, /conformance, /collections, /collections/{id}/items).

With --demo it first generates the synthetic demo district (roads, buildings,
sensors, vehicles, buses) and then feeds it live simulated streams: sensor readings
with daily cycles, noise and faults, and vehicles moving along the roads.

Examples:
  citytwin serve --demo
  citytwin serve --addr 0.0.0.0:8080 --data /var/lib/citytwin
  curl 'http://127.0.0.1:8080/collections/buildings/items?bbox=24.93,60.16,24.95,60.17&limit=5'
`

func serveCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("serve", serveHelp, stderr)
	addr := fs.String("addr", "127.0.0.1:8080", "address to listen on")
	data := fs.String("data", "", "directory for the twin's data; created if missing (the write-ahead log and snapshots will live here)")
	demo := fs.Bool("demo", false, "load the synthetic demo city and feed it live simulated streams")
	seed := fs.Uint64("seed", 1, "seed of the demo city and its streams")
	tick := fs.Duration("tick", time.Second, "interval between two rounds of the demo's live streams")
	retention := fs.Duration("retention", 24*time.Hour, "how long observations and positions stay in memory (0 = forever)")
	logLevel := fs.String("log-level", "info", "log level: debug, info, warn or error")
	if err := parse(fs, args); err != nil {
		return err
	}
	log, err := newLogger(stderr, *logLevel)
	if err != nil {
		return err
	}
	if *data != "" {
		if err := os.MkdirAll(*data, 0o755); err != nil {
			return fmt.Errorf("--data: %w", err)
		}
	}
	cfg := twin.DefaultConfig()
	cfg.Retention = *retention
	var city *datasets.City
	if *demo {
		cc := datasets.Demo()
		cc.Seed = *seed
		cfg.RefLat = cc.Center[1]
		log.Info("generating demo city", "seed", cc.Seed, "buildings", cc.Buildings, "sensors", cc.Sensors, "vehicles", cc.Vehicles)
		if city, err = datasets.Generate(ctx, cc, nil); err != nil {
			return fmt.Errorf("demo city: %w", err)
		}
	}
	store, err := twin.New(cfg)
	if err != nil {
		return err
	}
	if city != nil {
		start := time.Now()
		if err := city.Load(ctx, store, nil); err != nil {
			return fmt.Errorf("load demo city: %w", err)
		}
		log.Info("demo city loaded", "entities", store.Len(), "took_ms", time.Since(start).Milliseconds())
	}
	srv, err := web.New(web.DefaultConfig(), store, log)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	hs := srv.HTTPServer(ln.Addr().String())

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	errc := make(chan error, 3)
	wg.Go(func() {
		if err := hs.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			errc <- fmt.Errorf("http: %w", err)
		}
	})
	if city != nil {
		sc := datasets.DefaultStreamConfig()
		sc.Seed, sc.Interval = *seed, *tick
		stream, err := datasets.NewStream(city, sc)
		if err != nil {
			return err
		}
		wg.Go(func() {
			apply := func(ops []twin.Op) error { _, err := store.Apply(ops...); return err }
			// Run returns only when ctx ends or an apply fails.
			if err := stream.Run(ctx, apply, *tick, nil); !errors.Is(err, context.Canceled) {
				errc <- fmt.Errorf("demo stream: %w", err)
			}
		})
	}
	wg.Go(func() { trimLoop(ctx, store, log) })
	log.Info("citytwin is serving", "url", "http://"+ln.Addr().String()+"/", "version", version)
	fmt.Fprintf(stdout, "citytwin is serving on http://%s/ — press Ctrl-C to stop\n", ln.Addr())

	select {
	case <-ctx.Done():
	case err = <-errc:
	}
	cancel()
	shutdown, done := context.WithTimeout(context.Background(), 10*time.Second)
	defer done()
	if serr := hs.Shutdown(shutdown); serr != nil {
		log.Warn("shutdown", "err", serr)
	}
	wg.Wait()
	log.Info("citytwin stopped")
	if err != nil {
		return err
	}
	return nil
}

// trimLoop applies the retention once a minute.
func trimLoop(ctx context.Context, store *twin.Store, log *slog.Logger) {
	t := time.NewTicker(time.Minute)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			n, err := store.Trim(ctx, now.UnixNano())
			if err != nil {
				return
			}
			if n > 0 {
				log.Debug("retention", "dropped", n)
			}
		}
	}
}
