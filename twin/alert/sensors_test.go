package alert_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"citytwin/datasets/sharedtest"
	"citytwin/twin"
	"citytwin/twin/alert"
)

// TestAberdeenSensors runs a week of real PM2.5 readings (23 sensor.community
// sensors, Aberdeen, 90818 rows with real outliers) through the engine and the
// oracle.
func TestAberdeenSensors(t *testing.T) {
	path := sharedtest.File(t, "datasets/sensors/aberdeen_sds011_2019-05-13_2019-05-19.csv")
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var (
		ents  []*twin.Entity
		seen  = map[string]bool{}
		obs   []twin.Observation
		sc    = bufio.NewScanner(f)
		first = true
	)
	for sc.Scan() {
		if first {
			first = false
			continue
		}
		c := strings.Split(sc.Text(), ";")
		lat, err1 := strconv.ParseFloat(c[3], 64)
		lon, err2 := strconv.ParseFloat(c[4], 64)
		ts, err3 := time.Parse("2006-01-02T15:04:05", c[5])
		p2, err4 := strconv.ParseFloat(c[9], 64)
		if err := firstErr(err1, err2, err3, err4); err != nil {
			t.Fatalf("row %q: %v", sc.Text(), err)
		}
		id := "sensor:sds011-" + c[0]
		if !seen[id] { // a sensor that moved keeps its first place
			seen[id] = true
			ents = append(ents, sensor(id, lon, lat, nil))
		}
		obs = append(obs, twin.Observation{ID: twin.ID(id), Metric: "pm25", T: ts.UnixNano(), V: p2})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(ents) != 23 || len(obs) != 90818 {
		t.Fatalf("%d sensors, %d rows; SOURCES.md says 23 and 90818", len(ents), len(obs))
	}

	ctx := context.Background()
	s := newStore(t)
	apply(t, s, upsert(ents...)...)
	defs := map[string]map[string]any{
		"rule:pm25-high":  {"rule.metric": "pm25", "rule.op": ">", "rule.threshold": 25, "rule.clear": 20, "rule.for": 600},
		"rule:pm25-spike": {"rule.metric": "pm25", "rule.op": ">=", "rule.threshold": 100, "rule.severity": "critical"},
		"rule:pm25-area": {"rule.metric": "pm25", "rule.op": ">", "rule.threshold": 30, "rule.clear": 25,
			"rule.scope": "cell", "rule.res": 6, "rule.agg": "max", "rule.stale": 900},
		"rule:pm25-count": {"rule.metric": "pm25", "rule.op": "<", "rule.threshold": 2,
			"rule.scope": "cell", "rule.res": 5, "rule.agg": "count", "rule.stale": 600, "rule.for": 1800},
	}
	var rules []alert.Rule
	for id, m := range defs {
		re := ruleEntity(t, id, m)
		r, err := alert.Parse(re)
		if err != nil {
			t.Fatal(err)
		}
		rules = append(rules, r)
		apply(t, s, upsert(re)...)
	}
	e := newEngine(t, s)
	sub := s.Subscribe(s.Seq())
	orc := newOracle(rules, ents)
	got := map[twin.ID][]event{}
	for i := 0; i < len(obs); i += 500 {
		batch := obs[i:min(i+500, len(obs))]
		for _, o := range batch {
			orc.observe(o)
		}
		apply(t, s, observe(batch...))
		changes, _, err := sub.Next(ctx, 1<<20)
		if err != nil {
			t.Fatal(err)
		}
		ops, err := e.Process(ctx, changes)
		if err != nil {
			t.Fatal(err)
		}
		eventsOf(ops, got)
		apply(t, s, ops...)
	}
	raised := 0
	for id, want := range orc.events {
		if fmt.Sprint(got[id]) != fmt.Sprint(want) {
			t.Errorf("%s:\n engine %v\n oracle %v", id, got[id], want)
		}
		for _, ev := range want {
			if ev.Kind == "raise" {
				raised++
			}
		}
	}
	if len(got) != len(orc.events) || raised == 0 {
		t.Errorf("engine has %d alerts, oracle %d (%d raises)", len(got), len(orc.events), raised)
	}
	st := e.Stats()
	if st.Raised != uint64(raised) {
		t.Errorf("stats %+v, oracle raised %d", st, raised)
	}
	t.Logf("%d alerts, %d raises; stats %+v", len(got), raised, st)
}

func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
