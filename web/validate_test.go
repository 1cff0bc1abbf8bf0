package web

import (
	"errors"
	"log/slog"
	"strings"
	"testing"

	"citytwin/ingest"
	"citytwin/ingest/gateway"
	"citytwin/twin"
)

// A kind's validator guards every way an entity is written.
func TestValidatorGuardsEveryWrite(t *testing.T) {
	_, store := ingestServer(t, nil)
	b, err := ingest.NewBatcher(store, ingest.DefaultBatcherConfig())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	gw := gateway.New(gateway.Config{}, b, store, ingest.NewDeadLetters(10), nil)
	needsLimit := func(e *twin.Entity) error {
		if v, ok := e.Props.Get("limit"); !ok || v.Type() != twin.Number {
			return errors.New("property limit: a number is required")
		}
		return nil
	}
	s, err := New(DefaultConfig(), store, slog.New(slog.DiscardHandler), WithIngest(gw, b), WithValidator("speed_zone", needsLimit))
	if err != nil {
		t.Fatal(err)
	}
	h := s.Handler()
	zone := func(id, props string) string {
		return `{"type":"Feature","id":"` + id + `","geometry":{"type":"Point","coordinates":[13.4,52.5]},"properties":{"kind":"speed_zone"` + props + `}}`
	}
	r := post(t, h, "/api/v1/entities", ContentTypeGeoJSON, `{"type":"FeatureCollection","features":[`+zone("z:1", `,"limit":30`)+`,`+zone("z:2", "")+`]}`)
	if m := r.json(t); r.status != 200 || m["accepted"] != 1.0 || !strings.Contains(string(r.body), "limit: a number is required") {
		t.Fatalf("post: %d %s", r.status, r.body)
	}
	if _, err := store.Get("z:2"); err == nil {
		t.Fatal("the invalid zone reached the twin")
	}
	if r := send(t, h, "PUT", "/api/v1/entities/z:3", "", zone("z:3", `,"limit":"fast"`), "Content-Type", ContentTypeGeoJSON); r.status != 422 {
		t.Errorf("put: %d %s", r.status, r.body)
	}
	if r := send(t, h, "PATCH", "/api/v1/entities/z:1", "", `{"properties":{"limit":null}}`, "Content-Type", "application/merge-patch+json"); r.status != 422 {
		t.Errorf("patch removing the limit: %d %s", r.status, r.body)
	}
	if r := send(t, h, "PATCH", "/api/v1/entities/z:1", "", `{"properties":{"limit":50}}`, "Content-Type", "application/merge-patch+json"); r.status != 200 {
		t.Errorf("valid patch: %d %s", r.status, r.body)
	}
}
