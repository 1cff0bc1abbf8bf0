package alert_test

import (
	"context"
	"slices"
	"testing"

	"citytwin/geo"
	"citytwin/twin"
	"citytwin/twin/alert"

	"github.com/paulmach/orb"
)

func openDurable(t *testing.T, dir string) *twin.Store {
	t.Helper()
	cfg := twin.DefaultConfig()
	cfg.Retention = 0
	s, _, err := twin.Open(context.Background(), cfg, twin.DefaultDurability(dir))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func activeIDs(e *alert.Engine) []twin.ID {
	var out []twin.ID
	for _, a := range e.Active() {
		out = append(out, a.ID)
	}
	return out
}

// TestRestart closes a durable twin with active and pending alerts, opens it
// again and checks that the new engine neither drops nor duplicates them, and
// clears them correctly later.
func TestRestart(t *testing.T) {
	dir := t.TempDir()
	pa, pb := orb.Point{24.9400, 60.1700}, orb.Point{24.9402, 60.1700}
	cell := geo.Cell(pa, 8)
	if geo.Cell(pb, 8) != cell {
		t.Fatal("test points are not in one cell")
	}
	cellAlert := alert.ID("rc", cell.String())
	entAlert := alert.ID("r", "sensor:a")

	s := openDurable(t, dir)
	apply(t, s, upsert(sensor("sensor:a", pa[0], pa[1], mustProps(t, map[string]any{"main": true})), sensor("sensor:b", pb[0], pb[1], nil),
		ruleEntity(t, "r", map[string]any{"rule.metric": "pm25", "rule.op": ">", "rule.threshold": 50, "rule.clear": 40, "rule.where": "main=true"}),
		ruleEntity(t, "rc", map[string]any{"rule.metric": "pm25", "rule.op": ">", "rule.threshold": 50,
			"rule.scope": "cell", "rule.res": 8, "rule.agg": "avg"}),
		ruleEntity(t, "rf", map[string]any{"rule.metric": "no2", "rule.op": ">", "rule.threshold": 10, "rule.for": 300}))...)
	e := newEngine(t, s)
	apply(t, s, observe(
		twin.Observation{ID: "sensor:a", Metric: "pm25", T: sec(0), V: 70},
		twin.Observation{ID: "sensor:b", Metric: "pm25", T: sec(0), V: 60},
		twin.Observation{ID: "sensor:b", Metric: "no2", T: sec(0), V: 20},
	))
	catchUp(t, e)
	if got, want := activeIDs(e), []twin.ID{entAlert, cellAlert}; !slices.Equal(got, want) {
		t.Fatalf("before restart: %v, want %v", got, want)
	}
	if st := e.Stats(); st.Pending != 1 {
		t.Fatalf("stats %+v, want the no2 rule pending", st)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s = openDurable(t, dir)
	e = newEngine(t, s)
	if got, want := activeIDs(e), []twin.ID{entAlert, cellAlert}; !slices.Equal(got, want) {
		t.Fatalf("after restart: %v, want %v", got, want)
	}
	// Still violating: no new version (no duplicate). The cell keeps b's 60
	// from before the restart, so a's 45 leaves the average at 52.5: active.
	// The no2 timer restarted at the restart: 300 s after sec(0) is not enough.
	apply(t, s, observe(
		twin.Observation{ID: "sensor:a", Metric: "pm25", T: sec(100), V: 45},
		twin.Observation{ID: "sensor:b", Metric: "no2", T: sec(200), V: 20},
		twin.Observation{ID: "sensor:b", Metric: "no2", T: sec(400), V: 20},
	))
	catchUp(t, e)
	if got, want := activeIDs(e), []twin.ID{entAlert, cellAlert}; !slices.Equal(got, want) {
		t.Fatalf("after restart and readings: %v, want %v", got, want)
	}
	for _, id := range []twin.ID{entAlert, cellAlert} {
		if h, _ := s.History(id); len(h) != 1 {
			t.Errorf("%s has %d versions, want 1", id, len(h))
		}
	}
	apply(t, s, observe(
		twin.Observation{ID: "sensor:a", Metric: "pm25", T: sec(600), V: 30},
		twin.Observation{ID: "sensor:b", Metric: "no2", T: sec(500), V: 20},
	))
	catchUp(t, e)
	fAlert := alert.ID("rf", "sensor:b")
	if got, want := activeIDs(e), []twin.ID{fAlert}; !slices.Equal(got, want) {
		t.Fatalf("after clearing readings: %v, want %v", got, want)
	}
	for id, want := range map[twin.ID][]string{entAlert: {"active", "cleared"}, cellAlert: {"active", "cleared"}, fAlert: {"active"}} {
		if got := states(t, s, id); !slices.Equal(got, want) {
			t.Errorf("%s history %v, want %v", id, got, want)
		}
	}
	h, _ := s.History(fAlert)
	if got := h[0].ValidFrom.UnixNano(); got != sec(500) {
		t.Errorf("no2 raised at %v, want 300 s after the first reading after the restart", twin.Time(got))
	}
	// As of 50 s, before the clear, the entity alert was active.
	if a, err := s.GetAt(entAlert, sec(50)); err != nil || prop(a, alert.PropAlertState) != "active" {
		t.Errorf("as of 50 s: %v %v", a.Props, err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	// A rule deleted while no engine ran: its alert clears at start.
	s = openDurable(t, dir)
	defer s.Close()
	apply(t, s, twin.Op{Type: twin.OpDelete, ID: "rf"})
	e = newEngine(t, s)
	if got := activeIDs(e); len(got) != 0 {
		t.Fatalf("active %v", got)
	}
	catchUp(t, e)
	a, err := s.Get(fAlert)
	if err != nil || prop(a, alert.PropAlertState) != "cleared" || prop(a, alert.PropAlertReason) != alert.ReasonRuleDeleted {
		t.Fatalf("%v %v", a.Props, err)
	}
}
