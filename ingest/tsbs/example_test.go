package tsbs_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"strings"

	"citytwin/ingest"
	"citytwin/ingest/tsbs"
	"citytwin/twin"
)

// Replay a TSBS file into a store: every batch goes straight to Apply, rejected
// rows to the dead letters.
func Example() {
	const data = "tags,name string,fleet string,driver string,model string,device_version string,load_capacity float32,fuel_capacity float32,nominal_fuel_consumption float32\n" +
		"diagnostics,fuel_state,current_load,status\n" +
		"readings,latitude,longitude,elevation,velocity,heading,grade,fuel_consumption\n" +
		"\n" +
		"tags,name=truck_0,fleet=South,driver=Trish,model=H-2,device_version=v2.3,load_capacity=1500,fuel_capacity=150,nominal_fuel_consumption=12\n" +
		"readings,1451606400000000000,52.31854,4.72037,124,0,221,0,25\n" +
		"tags,name=,fleet=South,driver=Trish,model=H-2,device_version=v2.3,load_capacity=1500,fuel_capacity=150,nominal_fuel_consumption=12\n" +
		"diagnostics,1451606400000000000,1,0,0\n" +
		"tags,name=truck_0,fleet=South,driver=Trish,model=H-2,device_version=v2.3,load_capacity=1500,fuel_capacity=150,nominal_fuel_consumption=12\n" +
		"readings,1451606410000000000,52.31901,,130,8,222,0,24.5\n"

	// tsbs.Open(path) reads a file, gzip or not, the same way.
	r, err := tsbs.NewReader(strings.NewReader(data), "iot.txt")
	if err != nil {
		log.Fatal(err)
	}
	defer r.Close()

	dead := ingest.NewDeadLetters(100)
	opts := tsbs.DefaultOptions()
	opts.DeadLetter = dead.Add
	feed, err := tsbs.NewFeed(r, opts)
	if err != nil {
		log.Fatal(err)
	}
	cfg := twin.DefaultConfig()
	cfg.Retention = 0 // keep every value
	store, err := twin.New(cfg)
	if err != nil {
		log.Fatal(err)
	}
	for {
		batch, err := feed.Next(context.Background())
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			log.Fatal(err)
		}
		if _, err := store.Apply(batch.Ops...); err != nil {
			log.Fatal(err)
		}
	}

	st := feed.Stats()
	fmt.Printf("%d rows: %d observations, %d positions, %d blanked fields, %d rejected\n",
		st.Rows, st.Observations, st.Positions, st.BlankFields, st.RejectedRows())
	for _, d := range dead.List(0) {
		fmt.Printf("dead letter at %s: %s\n", d.Where, d.Reason)
	}
	e, _ := store.Get("tsbs:truck/truck_0")
	fleet, _ := e.Props.Get("fleet")
	fmt.Println(e.ID, e.Kind, "fleet", fleet, "at", e.Geometry)
	pts, _ := store.Range("tsbs:truck/truck_0", "velocity", 0, 1<<62)
	fmt.Println("velocity", pts)
	// Output:
	// 3 rows: 13 observations, 1 positions, 1 blanked fields, 1 rejected
	// dead letter at iot.txt:7: no name: the row has no name tag and cannot be attributed
	// tsbs:truck/truck_0 vehicle fleet South at [4.72037 52.31854]
	// velocity [{1451606400000000000 0} {1451606410000000000 8}]
}

// Read the rows of a file as they are, without making ops.
func ExampleReader() {
	const data = "readings,name=truck_0,fleet=South latitude=52.31854,longitude=4.72037,velocity=12 1451606400000000000\n" +
		"diagnostics,name=truck_0,fleet=South fuel_state=0.9,status=2i 1451606400000000000\n" +
		"readings,name=truck_0,fleet=South latitude=52.3x 1451606410000000000\n"
	r, err := tsbs.NewReader(strings.NewReader(data), "iot.influx")
	if err != nil {
		log.Fatal(err)
	}
	defer r.Close()
	fmt.Println("format", r.Format())
	for {
		row, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		var se *tsbs.SyntaxError
		if errors.As(err, &se) {
			fmt.Printf("line %d: %s %q\n", se.Line, se.Reason, se.Field)
			continue
		}
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("line %d: %s at %d:", row.Line, row.Measurement, row.Time)
		for _, f := range row.Fields {
			fmt.Printf(" %s=%v", f.Key, f.Value)
		}
		fmt.Println()
	}
	// Output:
	// format influx
	// line 1: readings at 1451606400000000000: latitude=52.31854 longitude=4.72037 velocity=12
	// line 2: diagnostics at 1451606400000000000: fuel_state=0.9 status=2
	// line 3: bad number "latitude"
}
