package alert_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	"citytwin/twin"
	"citytwin/twin/alert"

	"github.com/paulmach/orb"
)

const (
	benchSensors = 100_000
	benchRules   = 1_000
	benchBatch   = 1_000
)

var benchMetrics = []string{"pm25", "pm10", "no2", "o3", "noise"}

// BenchmarkEvaluate measures readings per second through the engine with 1,000
// rules over 100,000 sensors spread over a 20 × 20 km city:
//
//   - areas: the rules watch districts (an area of 1–4 % of the city), some
//     only indoor sensors, a fifth of them per H3 cell (res 8 or 9): a reading
//     meets a handful of rules;
//   - global: every rule watches every sensor, 200 rules per metric, a fifth of
//     them per cell: a reading meets 200 rules.
func BenchmarkEvaluate(b *testing.B) {
	for _, mode := range []string{"areas", "global"} {
		b.Run(mode, func(b *testing.B) { benchEvaluate(b, mode == "global") })
	}
}

func benchEvaluate(b *testing.B, global bool) {
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(1, 2))
	s := newStore(b)
	ops := make([]twin.Op, 0, benchSensors)
	ids := make([]twin.ID, benchSensors)
	for i := range benchSensors {
		ids[i] = twin.ID(fmt.Sprintf("sensor:%d", i))
		ps := mustProps(b, map[string]any{"indoor": rng.IntN(3) == 0})
		ops = append(ops, upsert(sensor(string(ids[i]), 24.8+rng.Float64()*0.36, 60.1+rng.Float64()*0.18, ps))...)
	}
	apply(b, s, ops...)
	ops = ops[:0]
	for i := range benchRules {
		m := map[string]any{
			"rule.metric":    benchMetrics[i%len(benchMetrics)],
			"rule.op":        ">",
			"rule.threshold": float64(40 + rng.IntN(30)),
			"rule.clear":     35.0,
			"rule.for":       float64(60 * rng.IntN(3)),
		}
		if i%5 == 0 {
			m["rule.scope"], m["rule.res"], m["rule.agg"] = "cell", float64(8+rng.IntN(2)), []string{"avg", "max", "p95"}[rng.IntN(3)]
		}
		re := ruleEntity(b, fmt.Sprintf("rule:%d", i), m)
		if !global {
			if i%3 == 0 {
				re.Props = re.Props.With(alert.PropWhere, twin.StringValue("indoor=true"))
			}
			x, y := 24.8+rng.Float64()*0.3, 60.1+rng.Float64()*0.15
			w, h := 0.036+rng.Float64()*0.036, 0.018+rng.Float64()*0.018
			re.Geometry = orb.Polygon{{{x, y}, {x + w, y}, {x + w, y + h}, {x, y + h}, {x, y}}}
		}
		ops = append(ops, upsert(re)...)
	}
	apply(b, s, ops...)
	e, err := alert.New(ctx, s, alert.DefaultConfig())
	if err != nil {
		b.Fatal(err)
	}

	vals := make([]float64, benchSensors*len(benchMetrics))
	for i := range vals {
		vals[i] = 20 + rng.Float64()*20
	}
	tt := t0
	batch := func(n int) []twin.Change {
		obs := make([]twin.Observation, benchBatch)
		for j := range obs {
			k := rng.IntN(len(vals))
			vals[k] = max(0, min(100, vals[k]+rng.NormFloat64()*4))
			tt += 10e6 // 100 readings a second
			obs[j] = twin.Observation{ID: ids[k/len(benchMetrics)], Metric: benchMetrics[k%len(benchMetrics)], T: tt, V: vals[k]}
		}
		return []twin.Change{{Op: observe(obs...)}}
	}
	run := func(ch []twin.Change) {
		out, err := e.Process(ctx, ch)
		if err != nil {
			b.Fatal(err)
		}
		if _, _, err := s.ApplyEach(ctx, out); err != nil {
			b.Fatal(err)
		}
	}
	// Warm up: every sensor read once; with areas, every sensor and metric seen
	// once (rules matched). Global rules need no matching.
	metrics := benchMetrics
	if global {
		metrics = metrics[:1]
	}
	for i := range benchSensors {
		obs := make([]twin.Observation, len(metrics))
		for j, m := range metrics {
			obs[j] = twin.Observation{ID: ids[i], Metric: m, T: tt, V: vals[i*len(benchMetrics)+j]}
		}
		run([]twin.Change{{Op: observe(obs...)}})
	}
	pool := make([][]twin.Change, 64)
	for i := range pool {
		pool[i] = batch(benchBatch)
	}
	before := e.Stats()
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		ch := pool[i%len(pool)]
		if i >= len(pool) { // later readings, so that none is late
			o := ch[0].Op.Observations
			for j := range o {
				o[j].T += int64(len(pool)) * benchBatch * 10e6
			}
		}
		run(ch)
	}
	b.StopTimer()
	after := e.Stats()
	obs := float64(b.N) * benchBatch
	b.ReportMetric(obs/b.Elapsed().Seconds(), "obs/s")
	b.ReportMetric(float64(after.Evaluations-before.Evaluations)/obs, "rules/obs")
	b.ReportMetric(float64(after.Raised-before.Raised)/obs*1e3, "raises/kobs")
	b.ReportMetric(0, "ns/op")
}
