package senml_test

import (
	"fmt"
	"time"

	"citytwin/ingest/senml"
)

func ExampleDecode() {
	// From MQTT topic citytwin/aq/sensor:aq-17/senml.
	pack := []byte(`[
		{"bn":"sensor:aq-17:","bt":1795770000,"bu":"ug/m3","n":"pm25","v":12.5},
		{"n":"temperature","u":"degF","v":70},
		{"n":"lat","v":60.17},{"n":"lon","v":24.94},
		{"n":"status","vs":"ok"},
		{"n":"co2","u":"furlong","v":1}
	]`)
	r, err := senml.Decode(pack, senml.Options{
		Entity: "sensor:aq-17",
		Source: "mqtt:citytwin/aq",
		Now:    time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, op := range r.Ops {
		for _, p := range op.Positions {
			fmt.Printf("%s %s at %v\n", op.Type, p.ID, p.Point)
		}
		for _, o := range op.Observations {
			fmt.Printf("%s %s %s %.2f (sent in %s)\n", op.Type, o.ID, o.Metric, o.V, r.Units[o.Metric])
		}
	}
	fmt.Println("props:", r.Props["sensor:aq-17"].Map())
	for _, rj := range r.Rejects {
		fmt.Println("rejected:", rj)
	}
	// Output:
	// move sensor:aq-17 at [24.94 60.17]
	// observe sensor:aq-17 pm25 12.50 (sent in ug/m3)
	// observe sensor:aq-17 temperature 21.11 (sent in degF)
	// props: map[status:ok]
	// rejected: record 5 (sensor:aq-17:co2): unit: unknown unit "furlong"
}

func ExampleDecodePlain() {
	payload := []byte(`{"id":"sensor:aq-18","t":"2026-11-27T09:59:00Z","metrics":{"pm25":7.5,"noise":{"v":54,"u":"dB(A)"}}}
{"id":"sensor:aq-19","metrics":{"pm25":"n/a"}}`)
	r, err := senml.DecodePlain(payload, senml.Options{Source: "http", Now: time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, op := range r.Ops {
		for _, o := range op.Observations {
			fmt.Println(o.ID, o.Metric, o.V, time.Unix(0, o.T).UTC().Format(time.Kitchen))
		}
	}
	fmt.Println(r.Props)
	// Output:
	// sensor:aq-18 noise 54 9:59AM
	// sensor:aq-18 pm25 7.5 9:59AM
	// map[sensor:aq-19:[{pm25 n/a}]]
}
