package alert_test

import (
	"errors"
	"testing"
	"time"

	"citytwin/twin"
	"citytwin/twin/alert"
	"citytwin/twin/series"

	"github.com/paulmach/orb"
)

func TestParse(t *testing.T) {
	base := func() map[string]any {
		return map[string]any{"rule.metric": "pm25", "rule.op": ">", "rule.threshold": 25}
	}
	with := func(kv ...any) map[string]any {
		m := base()
		for i := 0; i < len(kv); i += 2 {
			if kv[i+1] == nil {
				delete(m, kv[i].(string))
			} else {
				m[kv[i].(string)] = kv[i+1]
			}
		}
		return m
	}
	for _, tc := range []struct {
		name string
		m    map[string]any
		prop string // "" = valid
	}{
		{"minimal", base(), ""},
		{"full cell", with("rule.clear", 20, "rule.for", "60", "rule.kinds", "sensor,space", "rule.where", "indoor=true;floor>0",
			"rule.scope", "cell", "rule.res", 8, "rule.agg", "p95", "rule.stale", 600, "rule.severity", "critical", "name", "x"), ""},
		{"no metric", with("rule.metric", nil), alert.PropMetric},
		{"metric not a string", with("rule.metric", 3), alert.PropMetric},
		{"no op", with("rule.op", nil), alert.PropOp},
		{"bad op", with("rule.op", "=="), alert.PropOp},
		{"no threshold", with("rule.threshold", nil), alert.PropThreshold},
		{"threshold text", with("rule.threshold", "high"), alert.PropThreshold},
		{"clear on the wrong side", with("rule.clear", 30), alert.PropClear},
		{"clear on the wrong side low", with("rule.op", "<", "rule.clear", 20), alert.PropClear},
		{"negative for", with("rule.for", -1), alert.PropFor},
		{"for too long", with("rule.for", 1e9), alert.PropFor},
		{"bad kind", with("rule.kinds", "Sensor"), alert.PropKinds},
		{"bad where", with("rule.where", "=3"), alert.PropWhere},
		{"bad scope", with("rule.scope", "city"), alert.PropScope},
		{"cell without res", with("rule.scope", "cell"), alert.PropRes},
		{"res out of range", with("rule.scope", "cell", "rule.res", 16), alert.PropRes},
		{"res not whole", with("rule.scope", "cell", "rule.res", 7.5), alert.PropRes},
		{"bad agg", with("rule.scope", "cell", "rule.res", 7, "rule.agg", "median"), alert.PropAgg},
		{"bad stale", with("rule.scope", "cell", "rule.res", 7, "rule.stale", 0), alert.PropStale},
		{"res for entity scope", with("rule.res", 7), alert.PropRes},
		{"bad severity", with("rule.severity", "panic"), alert.PropSeverity},
		{"typo", with("rule.treshold", 3), "rule.treshold"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := alert.Parse(ruleEntity(t, "rule:1", tc.m))
			if tc.prop == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			var re *alert.RuleError
			if !errors.As(err, &re) || !errors.Is(err, alert.ErrBadRule) {
				t.Fatalf("got %v (%+v), want a RuleError about %s", err, r, tc.prop)
			}
			if re.Property != tc.prop || re.Rule != "rule:1" {
				t.Errorf("error names %s of %s, want %s: %v", re.Property, re.Rule, tc.prop, err)
			}
		})
	}
}

func TestParseValues(t *testing.T) {
	e := ruleEntity(t, "rule:1", map[string]any{"rule.metric": "no2", "rule.op": "<=", "rule.threshold": 5, "rule.clear": 8,
		"rule.for": 90.5, "rule.kinds": "sensor, sensor,space", "rule.scope": "cell", "rule.res": 9, "rule.agg": "MAX"})
	e.Geometry = orb.Polygon{{{0, 0}, {1, 0}, {1, 1}, {0, 0}}}
	r, err := alert.Parse(e)
	if err != nil {
		t.Fatal(err)
	}
	if r.Metric != "no2" || r.Op != alert.Le || r.Threshold != 5 || r.Clear != 8 || r.For != 90500*time.Millisecond ||
		len(r.Kinds) != 2 || r.Scope != alert.ScopeCell || r.Res != 9 || r.Agg != series.Max ||
		r.Stale != alert.DefaultStale || r.Severity != alert.Warning || r.Area == nil {
		t.Errorf("%+v", r)
	}
	if !r.Violates(5) || r.Violates(5.1) || !r.Holds(8) || r.Holds(8.1) || !r.Worse(1, 2) {
		t.Error("comparisons")
	}
	for _, tc := range []struct {
		name string
		mod  func(*twin.Entity)
		prop string
	}{
		{"kind", func(e *twin.Entity) { e.Kind = "rule" }, "kind"},
		{"point", func(e *twin.Entity) { e.Geometry = orb.Point{1, 1} }, "geometry"},
		{"open ring", func(e *twin.Entity) { e.Geometry = orb.Polygon{{{0, 0}, {1, 0}}} }, "geometry"},
	} {
		cp := *e
		tc.mod(&cp)
		var re *alert.RuleError
		if _, err := alert.Parse(&cp); !errors.As(err, &re) || re.Property != tc.prop {
			t.Errorf("%s: %v, want an error about %s", tc.name, err, tc.prop)
		}
	}
}

func TestID(t *testing.T) {
	if got := alert.ID("rule:pm", "sensor:aq-17"); got != "alert:rule:pm/sensor:aq-17" {
		t.Errorf("got %s", got)
	}
	long := string(make([]byte, twin.MaxIDLen))
	if got := alert.ID("r", long); len(got) > twin.MaxIDLen {
		t.Errorf("id of %d bytes", len(got))
	}
}

// FuzzParse makes sure no rule entity makes Parse panic, and that what it
// accepts is consistent.
func FuzzParse(f *testing.F) {
	f.Add("pm25", ">", 25.0, 20.0, 60.0, "sensor", "indoor=true", "cell", 8.0, "p95")
	f.Add("", "<", 0.0, 1.0, 0.0, "", "", "entity", 0.0, "")
	f.Fuzz(func(t *testing.T, metric, op string, th, cl, forS float64, kinds, where, scope string, res float64, agg string) {
		m := map[string]any{"rule.metric": metric, "rule.op": op, "rule.threshold": th, "rule.clear": cl,
			"rule.for": forS, "rule.kinds": kinds, "rule.where": where, "rule.scope": scope, "rule.res": res, "rule.agg": agg}
		ps, err := twin.PropertiesOf(m)
		if err != nil || ps.Validate() != nil {
			return
		}
		r, err := alert.Parse(&twin.Entity{ID: "r", Kind: alert.KindRule, Props: ps})
		if err != nil {
			if !errors.Is(err, alert.ErrBadRule) {
				t.Fatalf("error %v is not ErrBadRule", err)
			}
			return
		}
		if r.Violates(r.Threshold) != r.Holds(r.Clear) && r.Threshold == r.Clear {
			t.Fatal("inconsistent")
		}
		if r.Op.High() && r.Clear > r.Threshold || !r.Op.High() && r.Clear < r.Threshold {
			t.Fatalf("clear %v on the wrong side of %v", r.Clear, r.Threshold)
		}
	})
}
