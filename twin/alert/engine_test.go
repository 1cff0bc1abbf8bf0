package alert_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"citytwin/twin"
	"citytwin/twin/alert"

	"github.com/paulmach/orb"
)

// activeAfter feeds values (one a second) to one sensor under one rule and
// reports after each whether the alert is active.
func activeAfter(t *testing.T, rule map[string]any, values []float64) []bool {
	t.Helper()
	s := newStore(t)
	apply(t, s, upsert(sensor("sensor:a", 24.94, 60.17, nil), ruleEntity(t, "r", rule))...)
	e := newEngine(t, s)
	var out []bool
	for i, v := range values {
		apply(t, s, observe(twin.Observation{ID: "sensor:a", Metric: "pm25", T: sec(float64(i)), V: v}))
		catchUp(t, e)
		out = append(out, len(e.Active()) == 1)
	}
	return out
}

func TestOperators(t *testing.T) {
	vals := []float64{40, 50, 60, 50, 40}
	for _, tc := range []struct {
		op   string
		want []bool
	}{
		{">", []bool{false, false, true, false, false}},
		{">=", []bool{false, true, true, true, false}},
		{"<", []bool{true, false, false, false, true}},
		{"<=", []bool{true, true, false, true, true}},
	} {
		t.Run(tc.op, func(t *testing.T) {
			got := activeAfter(t, map[string]any{"rule.metric": "pm25", "rule.op": tc.op, "rule.threshold": 50}, vals)
			if !slices.Equal(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestHysteresis(t *testing.T) {
	for _, tc := range []struct {
		name string
		rule map[string]any
		vals []float64
		want []bool
	}{
		{"high", map[string]any{"rule.op": ">", "rule.threshold": 50, "rule.clear": 40},
			[]float64{55, 45, 41, 40, 45, 50, 51}, []bool{true, true, true, false, false, false, true}},
		{"high inclusive", map[string]any{"rule.op": ">=", "rule.threshold": 50, "rule.clear": 40},
			[]float64{50, 40, 39.9, 45}, []bool{true, true, false, false}},
		{"low", map[string]any{"rule.op": "<", "rule.threshold": 10, "rule.clear": 15},
			[]float64{9, 14, 15, 12, 9.5}, []bool{true, true, false, false, true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.rule["rule.metric"] = "pm25"
			if got := activeAfter(t, tc.rule, tc.vals); !slices.Equal(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestFor(t *testing.T) {
	s := newStore(t)
	apply(t, s, upsert(sensor("sensor:a", 24.94, 60.17, nil),
		ruleEntity(t, "r", map[string]any{"rule.metric": "pm25", "rule.op": ">", "rule.threshold": 50, "rule.for": 300}))...)
	e := newEngine(t, s)
	steps := []struct {
		at     float64
		v      float64
		active bool
	}{
		{0, 60, false},
		{200, 70, false},
		{250, 40, false}, // resets the timer
		{260, 60, false},
		{559, 60, false},
		{560, 65, true}, // 300 s after 260
		{600, 80, true},
		{700, 50, false},
	}
	for _, st := range steps {
		apply(t, s, observe(twin.Observation{ID: "sensor:a", Metric: "pm25", T: sec(st.at), V: st.v}))
		catchUp(t, e)
		if got := len(e.Active()) == 1; got != st.active {
			t.Fatalf("at %vs: active %v, want %v", st.at, got, st.active)
		}
	}
	id := alert.ID("r", "sensor:a")
	h, err := s.History(id)
	if err != nil {
		t.Fatal(err)
	}
	// raised, peak 80, cleared
	if got, want := states(t, s, id), []string{"active", "active", "cleared"}; !slices.Equal(got, want) {
		t.Fatalf("history %v, want %v", got, want)
	}
	if got := h[0].ValidFrom.UnixNano(); got != sec(560) {
		t.Errorf("raised at %v, want %v", twin.Time(got), twin.Time(sec(560)))
	}
	for k, want := range map[string]any{alert.PropAlertValue: 65.0, alert.PropAlertPeak: 65.0, alert.PropAlertRaisedAt: alert.FormatTime(sec(560))} {
		if got := prop(h[0], k); got != want {
			t.Errorf("raise %s = %v, want %v", k, got, want)
		}
	}
	if got := prop(h[1], alert.PropAlertPeak); got != 80.0 {
		t.Errorf("peak %v, want 80", got)
	}
	for k, want := range map[string]any{alert.PropAlertPeak: 80.0, alert.PropAlertReason: alert.ReasonValue,
		alert.PropAlertClearValue: 50.0, alert.PropAlertClearedAt: alert.FormatTime(sec(700)), alert.PropAlertValue: 65.0} {
		if got := prop(h[2], k); got != want {
			t.Errorf("clear %s = %v, want %v", k, got, want)
		}
	}
	// As of 10 minutes in, the alert was active.
	then, err := s.GetAt(id, sec(600))
	if err != nil || prop(then, alert.PropAlertState) != "active" {
		t.Errorf("as of 600 s: %v, %v", prop(then, alert.PropAlertState), err)
	}
	st := e.Stats()
	if st.Raised != 1 || st.Cleared != 1 || st.Rules != 1 || st.Active != 0 || st.Evaluations != uint64(len(steps)) {
		t.Errorf("stats %+v", st)
	}
}

func TestAlertEntity(t *testing.T) {
	s := newStore(t)
	apply(t, s, upsert(sensor("sensor:a", 24.94, 60.17, nil),
		ruleEntity(t, "rule:pm", map[string]any{"rule.metric": "pm25", "rule.op": ">", "rule.threshold": 50, "rule.severity": "critical"}))...)
	e := newEngine(t, s)
	apply(t, s, observe(twin.Observation{ID: "sensor:a", Metric: "pm25", T: sec(1), V: 70}))
	catchUp(t, e)
	a, err := s.Get("alert:rule:pm/sensor:a")
	if err != nil {
		t.Fatal(err)
	}
	if a.Kind != alert.KindAlert || a.Geometry != (orb.Point{24.94, 60.17}) {
		t.Errorf("kind %s geometry %v", a.Kind, a.Geometry)
	}
	want := map[string]any{
		"alert.rule": "rule:pm", "alert.subject": "sensor:a", "alert.state": "active", "alert.severity": "critical",
		"alert.metric": "pm25", "alert.op": ">", "alert.threshold": 50.0, "alert.scope": "entity",
		"alert.value": 70.0, "alert.peak": 70.0, "alert.raised_at": "2026-05-01T08:00:01.000Z",
	}
	if got := a.Props.Map(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("props\n got %v\nwant %v", got, want)
	}
	if want := []twin.Link{{Rel: "rule", To: "rule:pm"}, {Rel: "subject", To: "sensor:a"}}; !slices.Equal(a.Links, want) {
		t.Errorf("links %v, want %v", a.Links, want)
	}
	if len(a.Provenance) == 0 || a.Provenance[0].Source != "alert" {
		t.Errorf("provenance %v", a.Provenance)
	}
	if got := e.Active(); len(got) != 1 || got[0].ID != a.ID {
		t.Errorf("Active() = %v", got)
	}
	// The OGC collection of rules is alert_rules.
	if got := alert.KindRule.Plural(); got != "alert_rules" {
		t.Errorf("collection %s", got)
	}
}

func TestLateReadingsIgnored(t *testing.T) {
	s := newStore(t)
	apply(t, s, upsert(sensor("sensor:a", 24.94, 60.17, nil),
		ruleEntity(t, "r", map[string]any{"rule.metric": "pm25", "rule.op": ">", "rule.threshold": 50}))...)
	e := newEngine(t, s)
	apply(t, s, observe(
		twin.Observation{ID: "sensor:a", Metric: "pm25", T: sec(10), V: 10},
		twin.Observation{ID: "sensor:a", Metric: "pm25", T: sec(5), V: 90}, // late
	))
	catchUp(t, e)
	if len(e.Active()) != 0 || e.Stats().Late != 1 {
		t.Fatalf("active %v, stats %+v", e.Active(), e.Stats())
	}
}

func TestMatching(t *testing.T) {
	area := orb.Polygon{{{24.93, 60.16}, {24.95, 60.16}, {24.95, 60.18}, {24.93, 60.18}, {24.93, 60.16}}}
	s := newStore(t)
	indoor := mustProps(t, map[string]any{"indoor": true, "floor": 2})
	rule := ruleEntity(t, "r", map[string]any{"rule.metric": "co2", "rule.op": ">", "rule.threshold": 1000,
		"rule.kinds": "sensor, space", "rule.where": "indoor=true; floor>=1"})
	rule.Geometry = area
	apply(t, s, upsert(
		sensor("sensor:in", 24.94, 60.17, indoor),
		sensor("sensor:out", 24.99, 60.17, indoor), // outside the area
		sensor("sensor:ground", 24.94, 60.17, mustProps(t, map[string]any{"indoor": true, "floor": 0})),
		&twin.Entity{ID: "vehicle:1", Kind: twin.KindVehicle, Geometry: orb.Point{24.94, 60.17}, Props: indoor},
		rule)...)
	e := newEngine(t, s)
	var obs []twin.Observation
	for _, id := range []twin.ID{"sensor:in", "sensor:out", "sensor:ground", "vehicle:1"} {
		obs = append(obs, twin.Observation{ID: id, Metric: "co2", T: sec(1), V: 1500})
	}
	apply(t, s, observe(obs...))
	catchUp(t, e)
	got := e.Active()
	if len(got) != 1 || got[0].ID != alert.ID("r", "sensor:in") {
		t.Fatalf("active %v", got)
	}
	// The sensor moves out of the rule's where: its alert clears at its next reading.
	apply(t, s, twin.Op{Type: twin.OpPatch, T: sec(2), ID: "sensor:in", Patch: mustProps(t, map[string]any{"indoor": false})})
	apply(t, s, observe(twin.Observation{ID: "sensor:in", Metric: "co2", T: sec(3), V: 1600}))
	catchUp(t, e)
	a, _ := s.Get(alert.ID("r", "sensor:in"))
	if len(e.Active()) != 0 || prop(a, alert.PropAlertReason) != alert.ReasonSubjectGone {
		t.Fatalf("active %v, alert %v", e.Active(), a.Props)
	}
}

func TestRuleLifecycle(t *testing.T) {
	s := newStore(t)
	def := map[string]any{"rule.metric": "pm25", "rule.op": ">", "rule.threshold": 50, "name": "PM2.5 high"}
	apply(t, s, upsert(sensor("sensor:a", 24.94, 60.17, nil), sensor("sensor:b", 24.95, 60.17, nil))...)
	e := newEngine(t, s)
	raise := func(at float64) {
		obs := []twin.Observation{{ID: "sensor:a", Metric: "pm25", T: sec(at), V: 80}}
		if _, err := s.Get("sensor:b"); err == nil {
			obs = append(obs, twin.Observation{ID: "sensor:b", Metric: "pm25", T: sec(at), V: 90})
		}
		apply(t, s, observe(obs...))
		catchUp(t, e)
	}
	apply(t, s, twin.Op{Type: twin.OpUpsert, T: sec(0), Entity: ruleEntity(t, "r", def)})
	raise(1)
	if n := len(e.Active()); n != 2 {
		t.Fatalf("%d active, want 2", n)
	}
	// The same definition again (a new name is not behaviour): nothing changes.
	def["name"] = "renamed"
	apply(t, s, twin.Op{Type: twin.OpUpsert, T: sec(2), Entity: ruleEntity(t, "r", def)})
	catchUp(t, e)
	if n := len(e.Active()); n != 2 {
		t.Fatalf("%d active after an identical upsert, want 2", n)
	}
	// A new threshold clears, and the next readings raise again under the new rule.
	def["rule.threshold"] = 85
	apply(t, s, twin.Op{Type: twin.OpUpsert, T: sec(3), Entity: ruleEntity(t, "r", def)})
	catchUp(t, e)
	if n := len(e.Active()); n != 0 {
		t.Fatalf("%d active after a change, want 0", n)
	}
	raise(4)
	if got := e.Active(); len(got) != 1 || got[0].ID != alert.ID("r", "sensor:b") {
		t.Fatalf("active %v", got)
	}
	if got, want := states(t, s, alert.ID("r", "sensor:b")), []string{"active", "cleared", "active"}; !slices.Equal(got, want) {
		t.Errorf("history %v, want %v", got, want)
	}
	// Dismissing (deleting) an alert makes it raise again.
	apply(t, s, twin.Op{Type: twin.OpDelete, T: sec(5), ID: alert.ID("r", "sensor:b")})
	raise(6)
	if n := len(e.Active()); n != 1 {
		t.Fatalf("%d active after dismiss and reading, want 1", n)
	}
	// Deleting the subject clears its alert.
	apply(t, s, twin.Op{Type: twin.OpDelete, T: sec(7), ID: "sensor:b"})
	catchUp(t, e)
	a, _ := s.Get(alert.ID("r", "sensor:b"))
	if n := len(e.Active()); n != 0 || prop(a, alert.PropAlertReason) != alert.ReasonSubjectGone {
		t.Fatalf("%d active, alert %v", n, a.Props)
	}
	// An invalid rule version counts as no rule.
	bad := map[string]any{"rule.metric": "pm25", "rule.op": "~", "rule.threshold": 50}
	apply(t, s, twin.Op{Type: twin.OpUpsert, T: sec(10), Entity: ruleEntity(t, "r", bad)})
	catchUp(t, e)
	if st := e.Stats(); st.Rules != 0 || st.InvalidRules != 1 || st.Active != 0 {
		t.Fatalf("stats %+v", st)
	}
	def["rule.threshold"] = 50
	apply(t, s, twin.Op{Type: twin.OpUpsert, T: sec(11), Entity: ruleEntity(t, "r", def)})
	raise(12)
	// Deleting the rule clears its alerts.
	apply(t, s, twin.Op{Type: twin.OpDelete, T: sec(13), ID: "r"})
	catchUp(t, e)
	a, _ = s.Get(alert.ID("r", "sensor:a"))
	if st := e.Stats(); st.Rules != 0 || st.Active != 0 || prop(a, alert.PropAlertReason) != alert.ReasonRuleDeleted {
		t.Fatalf("stats %+v, alert %v", st, a.Props)
	}
}

func TestRun(t *testing.T) {
	s := newStore(t)
	apply(t, s, upsert(sensor("sensor:a", 24.94, 60.17, nil),
		ruleEntity(t, "r", map[string]any{"rule.metric": "pm25", "rule.op": ">", "rule.threshold": 50}))...)
	e := newEngine(t, s)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.Run(ctx) }()
	apply(t, s, observe(twin.Observation{ID: "sensor:a", Metric: "pm25", T: sec(1), V: 70}))
	deadline := time.Now().Add(5 * time.Second)
	for {
		if _, err := s.Get(alert.ID("r", "sensor:a")); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no alert after 5 s")
		}
		time.Sleep(time.Millisecond)
	}
	if err := e.Sync(ctx); !errors.Is(err, alert.ErrRunning) {
		t.Errorf("Sync while running: %v", err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestResyncAfterMissedFeed(t *testing.T) {
	cfg := twin.DefaultConfig()
	cfg.FeedSize = 16
	s, err := twin.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	apply(t, s, upsert(sensor("sensor:a", 24.94, 60.17, nil), sensor("sensor:b", 24.95, 60.17, nil),
		ruleEntity(t, "r", map[string]any{"rule.metric": "pm25", "rule.op": ">", "rule.threshold": 50}))...)
	e := newEngine(t, s)
	apply(t, s, observe(twin.Observation{ID: "sensor:a", Metric: "pm25", T: sec(0), V: 70}))
	catchUp(t, e)
	// 40 changes while the engine is not reading: a clears, b rises, and a second
	// rule is added: the engine must notice all of it.
	for i := range 40 {
		va, vb := 70.0, 10.0
		if i == 39 {
			va, vb = 20, 95
		}
		apply(t, s, observe(twin.Observation{ID: "sensor:a", Metric: "pm25", T: sec(float64(i + 1)), V: va},
			twin.Observation{ID: "sensor:b", Metric: "pm25", T: sec(float64(i + 1)), V: vb}))
		if i == 3 {
			apply(t, s, twin.Op{Type: twin.OpUpsert, T: sec(4), Entity: ruleEntity(t, "r2",
				map[string]any{"rule.metric": "pm25", "rule.op": "<", "rule.threshold": 30})})
		}
	}
	catchUp(t, e)
	var got []twin.ID
	for _, a := range e.Active() {
		got = append(got, a.ID)
	}
	want := []twin.ID{alert.ID("r", "sensor:b"), alert.ID("r2", "sensor:a")}
	if !slices.Equal(got, want) {
		t.Fatalf("active %v, want %v", got, want)
	}
	if st := e.Stats(); st.Resyncs != 1 || st.Rules != 2 {
		t.Errorf("stats %+v", st)
	}
}

func TestProcessSkipsSeen(t *testing.T) {
	s := newStore(t)
	apply(t, s, upsert(sensor("sensor:a", 24.94, 60.17, nil),
		ruleEntity(t, "r", map[string]any{"rule.metric": "pm25", "rule.op": ">", "rule.threshold": 50}))...)
	e := newEngine(t, s)
	ch := []twin.Change{{Op: observe(twin.Observation{ID: "sensor:a", Metric: "pm25", T: sec(1), V: 70})}}
	ops, err := e.Process(context.Background(), ch)
	if err != nil || len(ops) != 1 || ops[0].Type != twin.OpUpsert {
		t.Fatalf("ops %v, err %v", ops, err)
	}
	old := []twin.Change{{Seq: 1, Op: ch[0].Op}} // before the engine started
	if ops, _ := e.Process(context.Background(), old); len(ops) != 0 {
		t.Fatalf("processed a change from before New: %v", ops)
	}
}
