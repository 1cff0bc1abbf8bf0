package datasets

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"citytwin/twin"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
)

func TestLoadIntoStoreAndTick(t *testing.T) {
	c := demo(t)
	cfg := twin.DefaultConfig()
	cfg.RefLat = c.Config.Center[1]
	cfg.Retention = 0
	store, err := twin.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	calls := 0
	if err := c.Load(context.Background(), store, func(done, total int) { calls++ }); err != nil {
		t.Fatal(err)
	}
	if calls == 0 {
		t.Error("no progress reported")
	}
	counts := store.Counts()
	want := map[twin.Kind]int{}
	for e := range c.Entities() {
		want[e.Kind]++
	}
	for k, n := range want {
		if counts[k] != n {
			t.Errorf("store has %d %s, want %d", counts[k], k, n)
		}
	}
	e, err := store.Get(c.Sensors[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if st, _ := e.Props.Get("sensor_type"); st.String() != string(c.Sensors[0].Type) {
		t.Errorf("sensor_type %v", st)
	}
	s, err := NewStream(c, DefaultStreamConfig())
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2025, 6, 2, 7, 0, 0, 0, time.UTC)
	for i := range 5 {
		ops := s.Tick(t0.Add(time.Duration(i) * time.Minute))
		if _, err := store.Apply(ops...); err != nil {
			t.Fatalf("tick %d: %v", i, err)
		}
	}
	var traffic twin.ID
	for _, sn := range c.Sensors {
		if sn.Type == Traffic {
			traffic = sn.ID
			break
		}
	}
	pts, err := store.Range(traffic, MetricSpeed, 0, t0.Add(time.Hour).UnixNano())
	if err != nil {
		t.Fatal(err)
	}
	if len(pts) < 3 {
		t.Errorf("%s %s: %d points after 5 ticks", traffic, MetricSpeed, len(pts))
	}
	if v, err := store.Get(c.Vehicles[0].ID); err != nil || !v.Moving {
		t.Errorf("vehicle %s: moving %v, err %v", c.Vehicles[0].ID, v.Moving, err)
	}
}

func TestGeoJSONRoundTrip(t *testing.T) {
	c := demo(t)
	var buf bytes.Buffer
	if err := WriteGeoJSON(context.Background(), &buf, c, nil); err != nil {
		t.Fatal(err)
	}
	if !json.Valid(buf.Bytes()) {
		t.Fatal("not valid JSON")
	}
	fc, err := geojson.UnmarshalFeatureCollection(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if len(fc.Features) != c.Len() {
		t.Fatalf("got %d features, want %d", len(fc.Features), c.Len())
	}
	i := 0
	for e := range c.Entities() {
		f := fc.Features[i]
		i++
		if f.ID != string(e.ID) {
			t.Fatalf("feature %d: id %v, want %s", i, f.ID, e.ID)
		}
		if !orb.Equal(f.Geometry, e.Geometry) {
			t.Fatalf("%s: geometry changed in the round trip", e.ID)
		}
		if f.Properties["kind"] != string(e.Kind) {
			t.Fatalf("%s: kind %v", e.ID, f.Properties["kind"])
		}
		for _, p := range e.Props {
			if got := f.Properties[p.Key]; got != p.Value.Any() {
				t.Fatalf("%s: property %s: got %v, want %v", e.ID, p.Key, got, p.Value.Any())
			}
		}
		if e.Kind == twin.KindBuilding {
			if f.Properties["height"] != e.Height || f.Properties["levels"] != float64(e.Levels) {
				t.Fatalf("%s: height %v levels %v", e.ID, f.Properties["height"], f.Properties["levels"])
			}
		}
		if len(e.Links) > 0 {
			links, _ := f.Properties["links"].([]any)
			if len(links) != len(e.Links) {
				t.Fatalf("%s: links %v", e.ID, f.Properties["links"])
			}
		}
	}
}

func TestGeoJSONCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var buf bytes.Buffer
	if err := WriteGeoJSON(ctx, &buf, demo(t), nil); err == nil {
		t.Error("no error from a cancelled write")
	}
}

func ExampleGenerate() {
	cfg := Demo()
	cfg.Buildings, cfg.Sensors, cfg.Vehicles, cfg.Buses, cfg.Routes = 100, 10, 5, 2, 1
	city, err := Generate(context.Background(), cfg, nil)
	if err != nil {
		panic(err)
	}
	store, _ := twin.New(twin.DefaultConfig())
	if err := city.Load(context.Background(), store, nil); err != nil {
		panic(err)
	}
	counts := store.Counts()
	fmt.Println(counts[twin.KindBuilding], counts[twin.KindSensor], counts[twin.KindVehicle])
	// Output: 100 10 7
}
