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
	"path/filepath"
	"strings"
	"sync"
	"time"

	"citytwin/datasets"
	"citytwin/ingest"
	"citytwin/ingest/fusion"
	"citytwin/ingest/gateway"
	"citytwin/ingest/gtfsrt"
	"citytwin/ingest/mqtt"
	"citytwin/twin"
	"citytwin/web"
)

const serveHelp = `Usage: citytwin serve [--addr HOST:PORT] [--data DIR] [--demo] [--mqtt HOST:PORT] ...

Runs the twin in one process: the HTTP API (/api/v1/...), OGC API Features
(/, /conformance, /collections, /collections/{id}/items), and the stream inputs
you switch on: an embedded MQTT broker, a subscription to the city's own broker,
GTFS-realtime vehicle positions.

With --data DIR every change is written to a log in DIR before it is
acknowledged, and snapshots are taken in the background: a restart (or a crash)
comes back with everything that was acknowledged.

With --demo it first generates the synthetic demo district (roads, buildings,
sensors, vehicles, buses) and then feeds it live simulated streams: sensor readings
with daily cycles, noise and faults, and vehicles moving along the roads.

Access: without tokens the API is open, so it listens on loopback only. To serve
others, give bearer tokens (--token role:name:secret or --tokens FILE) with
roles: viewer reads; operator also writes live data, entities, geofences and
alert rules; planner also runs scenarios; admin does everything, imports too.
Clients send "Authorization: Bearer <secret>".

Feeding it:
  POST /api/v1/entities       GeoJSON features (id = entity id, properties.kind = its kind)
  POST /api/v1/observations   SenML (application/senml+json) or plain JSON / NDJSON readings
  MQTT citytwin/<source>/<entity id>/senml (or /json) on the --mqtt broker
  GET  /api/v1/deadletter     what was rejected, and why

Examples:
  citytwin serve --demo
  citytwin serve --data /var/lib/citytwin --mqtt 0.0.0.0:1883
  citytwin serve --data ./twin --mqtt-upstream mqtt://broker.city.example:1883 --mqtt-topic 'citytwin/#'
  citytwin serve --data ./twin --gtfs-rt https://transit.example/vehicle_positions.pb
  citytwin serve --addr 0.0.0.0:8080 --tokens /etc/citytwin/tokens --allow-origin https://ops.example.org
  curl 'http://127.0.0.1:8080/collections/buildings/items?bbox=24.93,60.16,24.95,60.17&limit=5'
`

// listFlag is a flag that may be given several times.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(s string) error { *l = append(*l, s); return nil }

func serveCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("serve", serveHelp, stderr)
	addr := fs.String("addr", "127.0.0.1:8080", "address of the HTTP API")
	sf := addStoreFlags(fs)
	hf := addHistoryFlags(fs)
	demo := fs.Bool("demo", false, "load the synthetic demo city and feed it live simulated streams")
	seed := fs.Uint64("seed", 1, "seed of the demo city and its streams")
	tick := fs.Duration("tick", time.Second, "interval between two rounds of the demo's live streams")
	mqttAddr := fs.String("mqtt", "", "run the embedded MQTT broker (3.1.1 and 5) on this address, e.g. 127.0.0.1:1883")
	mqttUser := fs.String("mqtt-user", "", "user name MQTT clients of the embedded broker must give (with --mqtt-password); none: anyone may connect")
	mqttPassword := fs.String("mqtt-password", "", "password for --mqtt-user")
	upstream := fs.String("mqtt-upstream", "", "subscribe to the city's existing broker at this URL (mqtt://[user:password@]host:port)")
	var topics listFlag
	fs.Var(&topics, "mqtt-topic", "topic filter to subscribe to on the upstream broker (repeatable; default citytwin/#)")
	var feeds listFlag
	fs.Var(&feeds, "gtfs-rt", "GTFS-realtime VehiclePositions feed to poll: a URL or a file (repeatable)")
	gtfsEvery := fs.Duration("gtfs-rt-every", 30*time.Second, "how often to poll the --gtfs-rt feeds")
	deadN := fs.Int("deadletters", 10_000, "how many rejected inputs GET /api/v1/deadletter keeps")
	logLevel := fs.String("log-level", "info", "log level: debug, info, warn or error")
	access := addAccessFlags(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	webCfg := web.DefaultConfig()
	if err := access.apply(&webCfg, *addr); err != nil {
		return err
	}
	log, err := newLogger(stderr, *logLevel)
	if err != nil {
		return err
	}
	cfg := twin.DefaultConfig()
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
	store, err := sf.open(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer func() {
		if err := store.Close(); err != nil {
			log.Error("close twin", "err", err)
		}
	}()
	// Started before the demo city loads, so that the history has it.
	historyOpts, stopHistory, err := hf.start(ctx, store, log)
	if err != nil {
		return err
	}
	defer stopHistory()
	if city != nil {
		start := time.Now()
		if err := city.Load(ctx, store, nil); err != nil {
			return fmt.Errorf("load demo city: %w", err)
		}
		if _, err := store.ApplyContext(ctx, demoWatchers(city.Config.Center)...); err != nil {
			return fmt.Errorf("demo geofence and alert rules: %w", err)
		}
		terrainDir := *sf.data
		if terrainDir == "" {
			if terrainDir, err = os.MkdirTemp("", "citytwin-demo-"); err != nil {
				return err
			}
			defer os.RemoveAll(terrainDir)
		}
		terrain, err := demoTerrain(city, terrainDir)
		if err != nil {
			return fmt.Errorf("demo terrain: %w", err)
		}
		if _, err := store.ApplyContext(ctx, terrain); err != nil {
			return fmt.Errorf("demo terrain: %w", err)
		}
		log.Info("demo city loaded", "entities", store.Len(), "took_ms", time.Since(start).Milliseconds())
	}

	dead := ingest.NewDeadLetters(*deadN)
	if *sf.data != "" {
		closeDead, err := keepDeadLetters(dead, filepath.Join(*sf.data, "deadletters.ndjson"), *deadN, log)
		if err != nil {
			return err
		}
		defer closeDead()
	}
	batcher, err := ingest.NewBatcher(store, ingest.DefaultBatcherConfig())
	if err != nil {
		return err
	}
	defer batcher.Close()
	gw := gateway.New(gateway.Config{ParseTopic: mqtt.ParseTopic}, batcher, store, dead, log)
	opts := []web.Option{web.WithIngest(gw, batcher)}
	opts = append(opts, historyOpts...)
	var broker *mqtt.Broker
	if *mqttAddr != "" {
		bc := mqtt.DefaultBrokerConfig()
		bc.Addr, bc.Username, bc.Password, bc.DeadLetters = *mqttAddr, *mqttUser, *mqttPassword, dead
		if broker, err = mqtt.NewBroker(bc, gw, log); err != nil {
			return err
		}
		opts = append(opts, web.WithCollectors(web.MQTTCollector(broker.Stats)))
	}
	alertOpts, runAlerts, err := alerts(ctx, store, log)
	if err != nil {
		return err
	}
	opts = append(opts, alertOpts...)
	fences, closeFences, err := geofences(store, *sf.data, broker, log)
	if err != nil {
		return err
	}
	defer func() {
		if err := closeFences(); err != nil {
			log.Error("close geofences", "err", err)
		}
	}()
	opts = append(opts, web.WithFences(fences))
	meshOpt, closeMeshes, err := openMeshes(*sf.data)
	if err != nil {
		return err
	}
	defer closeMeshes()
	opts = append(opts, meshOpt)
	scenarioOpt, scenarios, err := openScenarios(store, *sf.data, log)
	if err != nil {
		return err
	}
	defer scenarios.Close()
	opts = append(opts, scenarioOpt)
	srv, err := web.New(webCfg, store, log, opts...)
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
	errc := make(chan error, 8)
	wg.Go(func() {
		if err := hs.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			errc <- fmt.Errorf("http: %w", err)
		}
	})
	if broker != nil {
		if err := broker.Start(ctx); err != nil {
			return fmt.Errorf("mqtt: %w", err)
		}
		defer broker.Close()
		log.Info("mqtt broker listening", "addr", broker.Addr().String())
		fmt.Fprintf(stdout, "MQTT broker on %s: publish to citytwin/<source>/<entity id>/senml\n", broker.Addr())
	}
	if *upstream != "" {
		uc := mqtt.DefaultUpstreamConfig()
		uc.URL = *upstream
		if len(topics) > 0 {
			uc.Topics = topics
		}
		up, err := mqtt.NewUpstream(uc, gw, log)
		if err != nil {
			return err
		}
		wg.Go(func() {
			if err := up.Run(ctx); err != nil && !errors.Is(err, context.Canceled) {
				errc <- fmt.Errorf("mqtt upstream: %w", err)
			}
		})
	}
	for _, feed := range feeds {
		p, err := gtfsPoller(feed, *gtfsEvery, store, batcher, dead, log)
		if err != nil {
			return err
		}
		wg.Go(func() {
			if err := p.Run(ctx); err != nil && !errors.Is(err, context.Canceled) {
				errc <- fmt.Errorf("gtfs-rt %s: %w", feed, err)
			}
		})
	}
	if city != nil {
		sc := datasets.DefaultStreamConfig()
		sc.Seed, sc.Interval = *seed, *tick
		stream, err := datasets.NewStream(city, sc)
		if err != nil {
			return err
		}
		wg.Go(func() {
			apply := func(ops []twin.Op) error { _, err := store.ApplyContext(ctx, ops...); return err }
			// Run returns only when ctx ends or an apply fails.
			if err := stream.Run(ctx, apply, *tick, nil); !errors.Is(err, context.Canceled) {
				errc <- fmt.Errorf("demo stream: %w", err)
			}
		})
	}
	wg.Go(func() { trimLoop(ctx, store, log) })
	wg.Go(func() {
		if err := runAlerts(ctx); err != nil {
			errc <- fmt.Errorf("alerts: %w", err)
		}
	})
	wg.Go(func() {
		if err := fences.Run(ctx); err != nil && !errors.Is(err, context.Canceled) {
			errc <- fmt.Errorf("geofences: %w", err)
		}
	})
	wg.Go(func() {
		// Sensors stay linked to the building they are in or the road they are by,
		// as they move and as buildings and roads arrive.
		if err := fusion.FollowSensors(ctx, store, fusion.DefaultOptions(), 5*time.Second); err != nil {
			errc <- fmt.Errorf("sensor links: %w", err)
		}
	})
	log.Info("citytwin is serving", "url", "http://"+ln.Addr().String()+"/", "version", version, "data", *sf.data)
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
	return err
}

// gtfsPoller polls one GTFS-realtime feed into the twin, upserting vehicles it
// has not seen and patching those whose trip changed.
func gtfsPoller(feed string, every time.Duration, store *twin.Store, sink ingest.Sink, dead *ingest.DeadLetters, log *slog.Logger) (*gtfsrt.Poller, error) {
	pc := gtfsrt.DefaultPollerConfig(feed)
	pc.Interval, pc.Logger = every, log
	pc.Options.Known = func(id twin.ID) bool { _, err := store.Get(id); return err == nil }
	pc.Options.Previous = func(id twin.ID) (twin.Properties, bool) {
		e, err := store.Get(id)
		return e.Props, err == nil
	}
	return gtfsrt.NewPoller(pc, func(ctx context.Context, r gtfsrt.Result) error {
		for _, rj := range r.Rejects {
			dead.Add(ingest.DeadLetter{Source: "gtfs-rt", Where: feed, Reason: rj.String()})
		}
		if len(r.Ops) == 0 {
			return nil
		}
		errs, err := sink.Submit(ctx, r.Ops)
		if err != nil {
			return err
		}
		for i, e := range errs {
			if e != nil {
				dead.Add(ingest.DeadLetter{Source: "gtfs-rt", Where: feed, Reason: fmt.Sprintf("op %d: %v", i, e)})
			}
		}
		return nil
	})
}

// keepDeadLetters writes dead letters to path as well, after reading back the
// newest n of the last run. The returned func closes the file.
func keepDeadLetters(dead *ingest.DeadLetters, path string, n int, log *slog.Logger) (func(), error) {
	old, err := ingest.ReadDeadLetters(path, n)
	if err != nil {
		return nil, fmt.Errorf("dead letters: %w", err)
	}
	dead.Restore(old)
	f, err := ingest.OpenDeadLetterFile(path, 0)
	if err != nil {
		return nil, err
	}
	dead.SetFile(f)
	return func() {
		dead.SetFile(nil)
		if err := f.Close(); err != nil {
			log.Error("write dead letters", "path", path, "err", err)
		}
	}, nil
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
