package gateway_test

import (
	"context"
	"errors"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"

	"citytwin/ingest"
	"citytwin/ingest/gateway"
	"citytwin/twin"

	"github.com/paulmach/orb"
)

// newTwin opens a durable twin with two sensors and a gateway in front of it.
func newTwin(t *testing.T) (*twin.Store, *gateway.Gateway) {
	t.Helper()
	d := twin.DefaultDurability(t.TempDir())
	d.SnapshotEvery, d.SnapshotLogBytes = 0, 0
	store, _, err := twin.Open(context.Background(), twin.DefaultConfig(), d)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	for _, id := range []twin.ID{"sensor:aq-1", "sensor:aq-2"} {
		if _, err := store.Apply(twin.Op{Type: twin.OpUpsert, Entity: &twin.Entity{ID: id, Kind: twin.KindSensor, Geometry: orb.Point{24.94, 60.17}}}); err != nil {
			t.Fatal(err)
		}
	}
	b, err := ingest.NewBatcher(store, ingest.DefaultBatcherConfig())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	parse := func(topic string) (string, string, string, error) {
		parts := strings.Split(topic, "/")
		if len(parts) != 4 {
			return "", "", "", errors.New("bad topic")
		}
		return parts[1], parts[2], parts[3], nil
	}
	return store, gateway.New(gateway.Config{ParseTopic: parse}, b, store, ingest.NewDeadLetters(100), nil)
}

func TestIngestSenMLPerRecord(t *testing.T) {
	store, g := newTwin(t)
	now := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	base := float64(now.Unix())
	payload := `[{"bn":"sensor:aq-1:","bt":` + ftoa(base) + `,"n":"temperature","u":"degF","v":50},
		{"n":"pm25","u":"ug/m3","v":12.5,"t":-10},
		{"n":"pm25","u":"furlong","v":3},
		{"n":"pm25","v":4,"t":100000},
		{"bn":"sensor:nope:","n":"pm25","v":1},
		{"bn":"sensor:aq-2:","n":"humidity","u":"%RH","v":40}]`
	rep, err := g.Ingest(context.Background(), gateway.Input{Source: "http", Where: "/api/v1/observations", Format: gateway.FormatSenML, Payload: []byte(payload), Received: now})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Records != 6 || rep.Accepted != 3 || rep.Rejected != 3 || len(rep.Errors) != 3 {
		t.Fatalf("report %+v", rep)
	}
	pts, err := store.Range("sensor:aq-1", "temperature", math.MinInt64, math.MaxInt64)
	if err != nil || len(pts) != 1 || math.Abs(pts[0].V-10) > 1e-9 {
		t.Fatalf("temperature stored as %v (%v), want 10 Cel", pts, err)
	}
	e, _ := store.Get("sensor:aq-1")
	if v, _ := e.Props.Get("unit_sent.temperature"); v.String() != "degF" {
		t.Errorf("unit provenance = %q", v.String())
	}
	dl := g.DeadLetters().List(0)
	if len(dl) != 1 || dl[0].Source != "http" || !strings.Contains(dl[0].Reason, "3 of 6") || !strings.Contains(dl[0].Raw, "furlong") {
		t.Fatalf("dead letters = %+v", dl)
	}
	// The same unit again makes no new version.
	v0 := e.Version
	if _, err := g.Ingest(context.Background(), gateway.Input{Source: "http", Format: gateway.FormatSenML, Payload: []byte(`[{"bn":"sensor:aq-1:","n":"temperature","u":"degF","v":60}]`), Received: now}); err != nil {
		t.Fatal(err)
	}
	if e, _ := store.Get("sensor:aq-1"); e.Version != v0 {
		t.Errorf("version went from %d to %d for an unchanged unit", v0, e.Version)
	}
}

func TestHandleMessage(t *testing.T) {
	store, g := newTwin(t)
	ctx := context.Background()
	now := time.Now()
	if err := g.HandleMessage(ctx, ingest.Message{Source: "mqtt", Topic: "citytwin/aq/sensor:aq-2/json", Payload: []byte(`{"metrics":{"pm25":7}}`), Received: now}); err != nil {
		t.Fatal(err)
	}
	if p, err := store.LastN("sensor:aq-2", "pm25", 1, math.MaxInt64); err != nil || len(p) != 1 || p[0].V != 7 {
		t.Fatalf("pm25 = %v, %v", p, err)
	}
	if err := g.HandleMessage(ctx, ingest.Message{Source: "mqtt", Topic: "bad", Payload: []byte(`{}`), Received: now}); err == nil {
		t.Fatal("bad topic accepted")
	}
	if err := g.HandleMessage(ctx, ingest.Message{Source: "mqtt", Topic: "citytwin/aq/sensor:aq-2/senml", Payload: []byte(`not json`), Received: now}); !errors.Is(err, gateway.ErrPayload) {
		t.Fatalf("garbage payload: %v", err)
	}
	if total, by := g.DeadLetters().Total(); total != 2 || by["mqtt"] != 2 {
		t.Fatalf("dead letters %d %v", total, by)
	}
}

func ftoa(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }
