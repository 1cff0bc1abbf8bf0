package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"citytwin/ingest/mqtt"
	"citytwin/twin"
	"citytwin/twin/alert"
	"citytwin/twin/fence"
	"citytwin/web"
)

// alerts starts the alert engine on store: the web options that validate
// rules and export its metrics, and the loop to run until ctx ends.
func alerts(ctx context.Context, store *twin.Store, log *slog.Logger) ([]web.Option, func(context.Context) error, error) {
	cfg := alert.DefaultConfig()
	cfg.Logger = log.With("component", "alerts")
	eng, err := alert.New(ctx, store, cfg)
	if err != nil {
		return nil, nil, fmt.Errorf("alerts: %w", err)
	}
	opts := []web.Option{
		web.WithValidator(alert.KindRule, func(e *twin.Entity) error { _, err := alert.Parse(e); return err }),
		web.WithCollectors(web.AlertCollector(eng.Stats)),
	}
	return opts, eng.Run, nil
}

// geofences starts the geofence engine on store, its outbox in dataDir/fences
// (or a temporary directory for a twin in memory). With a broker, endpoints of
// kind "mqtt" publish each event to <url or citytwin/events/geofence>/<fence id>.
func geofences(store *twin.Store, dataDir string, broker *mqtt.Broker, log *slog.Logger) (*fence.Engine, func() error, error) {
	dir, cleanup := filepath.Join(dataDir, "fences"), func() error { return nil }
	if dataDir == "" {
		tmp, err := os.MkdirTemp("", "citytwin-fences-")
		if err != nil {
			return nil, nil, err
		}
		dir, cleanup = tmp, func() error { return os.RemoveAll(tmp) }
	}
	cfg := fence.DefaultConfig(dir)
	cfg.Logger = log.With("component", "geofences")
	if broker != nil {
		cfg.Sinks = map[string]func(fence.Endpoint) (fence.Sink, error){
			"mqtt": func(ep fence.Endpoint) (fence.Sink, error) { return newMQTTSink(broker, ep.URL) },
		}
	}
	eng, err := fence.New(store, cfg)
	if err != nil {
		cleanup()
		return nil, nil, fmt.Errorf("geofences: %w", err)
	}
	return eng, func() error { err := eng.Close(); return errors.Join(err, cleanup()) }, nil
}

// mqttSink publishes geofence events on the embedded broker, one message per
// event at QoS 1, on <prefix>/<fence id>.
type mqttSink struct {
	broker *mqtt.Broker
	prefix string
}

// defaultEventTopic is where events go when an mqtt endpoint names no topic.
const defaultEventTopic = "citytwin/events/geofence"

func newMQTTSink(b *mqtt.Broker, prefix string) (*mqttSink, error) {
	if prefix == "" {
		prefix = defaultEventTopic
	}
	if strings.ContainsAny(prefix, "#+\x00") || strings.HasSuffix(prefix, "/") {
		return nil, fmt.Errorf("mqtt endpoint topic %q: want topic levels without wildcards or a trailing /", prefix)
	}
	return &mqttSink{broker: b, prefix: prefix}, nil
}

func (m *mqttSink) Deliver(_ context.Context, events []fence.Event) error {
	for _, e := range events {
		payload, err := json.Marshal(e)
		if err != nil {
			return fence.Permanent(err)
		}
		if err := m.broker.Publish(m.prefix+"/"+string(e.Fence), payload, false, 1); err != nil {
			return err
		}
	}
	return nil
}
