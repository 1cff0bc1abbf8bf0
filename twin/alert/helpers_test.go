package alert_test

import (
	"context"
	"testing"
	"time"

	"citytwin/twin"
	"citytwin/twin/alert"

	"github.com/paulmach/orb"
)

// t0 is the start of every test's observation time.
var t0 = time.Date(2026, 5, 1, 8, 0, 0, 0, time.UTC).UnixNano()

func sec(s float64) int64 { return t0 + int64(s*1e9) }

func newStore(tb testing.TB) *twin.Store {
	tb.Helper()
	cfg := twin.DefaultConfig()
	cfg.Retention = 0
	s, err := twin.New(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

func mustProps(tb testing.TB, m map[string]any) twin.Properties {
	tb.Helper()
	ps, err := twin.PropertiesOf(m)
	if err != nil {
		tb.Fatal(err)
	}
	return ps
}

func ruleEntity(tb testing.TB, id string, m map[string]any) *twin.Entity {
	return &twin.Entity{ID: twin.ID(id), Kind: alert.KindRule, Props: mustProps(tb, m)}
}

func sensor(id string, lon, lat float64, props twin.Properties) *twin.Entity {
	return &twin.Entity{ID: twin.ID(id), Kind: twin.KindSensor, Geometry: orb.Point{lon, lat}, Props: props}
}

func apply(tb testing.TB, s *twin.Store, ops ...twin.Op) {
	tb.Helper()
	if _, err := s.Apply(ops...); err != nil {
		tb.Fatal(err)
	}
}

func upsert(es ...*twin.Entity) []twin.Op {
	out := make([]twin.Op, len(es))
	for i, e := range es {
		out[i] = twin.Op{Type: twin.OpUpsert, T: t0 - int64(time.Hour), Entity: e}
	}
	return out
}

func observe(obs ...twin.Observation) twin.Op {
	return twin.Op{Type: twin.OpObserve, Observations: obs}
}

func newEngine(tb testing.TB, s *twin.Store) *alert.Engine {
	tb.Helper()
	e, err := alert.New(context.Background(), s, alert.DefaultConfig())
	if err != nil {
		tb.Fatal(err)
	}
	return e
}

func catchUp(tb testing.TB, e *alert.Engine) {
	tb.Helper()
	if err := e.Sync(context.Background()); err != nil {
		tb.Fatal(err)
	}
}

func prop(e twin.Entity, k string) any {
	v, ok := e.Props.Get(k)
	if !ok {
		return nil
	}
	return v.Any()
}

// states lists alert.state of every version of an alert.
func states(tb testing.TB, s *twin.Store, id twin.ID) []string {
	tb.Helper()
	h, err := s.History(id)
	if err != nil {
		tb.Fatal(err)
	}
	out := make([]string, len(h))
	for i, v := range h {
		out[i], _ = prop(v, alert.PropAlertState).(string)
	}
	return out
}
