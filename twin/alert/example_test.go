package alert_test

import (
	"context"
	"fmt"
	"time"

	"citytwin/twin"
	"citytwin/twin/alert"

	"github.com/paulmach/orb"
)

func Example() {
	ctx := context.Background()
	store, _ := twin.New(twin.DefaultConfig())
	at := func(m int) int64 { return time.Date(2026, 5, 1, 8, m, 0, 0, time.UTC).UnixNano() }
	rule, _ := twin.PropertiesOf(map[string]any{
		"rule.metric": "pm25", "rule.op": ">", "rule.threshold": 25, "rule.clear": 20, "rule.for": 300,
	})
	store.Apply(
		twin.Op{Type: twin.OpUpsert, T: at(0), Entity: &twin.Entity{ID: "sensor:aq-1", Kind: twin.KindSensor, Geometry: orb.Point{24.94, 60.17}}},
		twin.Op{Type: twin.OpUpsert, T: at(0), Entity: &twin.Entity{ID: "rule:pm25", Kind: alert.KindRule, Props: rule}},
	)
	engine, _ := alert.New(ctx, store, alert.DefaultConfig())
	for m, v := range []float64{12, 30, 31, 33, 35, 40, 36, 22, 18} {
		store.Apply(twin.Op{Type: twin.OpObserve, Observations: []twin.Observation{{ID: "sensor:aq-1", Metric: "pm25", T: at(m * 2), V: v}}})
	}
	engine.Sync(ctx) // or go engine.Run(ctx)

	history, _ := store.History(alert.ID("rule:pm25", "sensor:aq-1"))
	for _, a := range history {
		st, _ := a.Props.Get(alert.PropAlertState)
		peak, _ := a.Props.Get(alert.PropAlertPeak)
		fmt.Println(a.ValidFrom.Format("15:04"), st, "peak", peak)
	}
	// Output:
	// 08:08 active peak 35
	// 08:10 active peak 40
	// 08:16 cleared peak 40
}
