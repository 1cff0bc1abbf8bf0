package datasets

import (
	"context"
	"sync"
	"testing"

	"citytwin/twin"
)

var (
	demoOnce sync.Once
	demoCity *City
	demoErr  error
)

// demo generates the demo city once for all tests.
func demo(t testing.TB) *City {
	t.Helper()
	demoOnce.Do(func() { demoCity, demoErr = Generate(context.Background(), Demo(), nil) })
	if demoErr != nil {
		t.Fatal(demoErr)
	}
	return demoCity
}

func TestGenerateCounts(t *testing.T) {
	c := demo(t)
	cfg := c.Config
	counts := map[twin.Kind]int{}
	for e := range c.Entities() {
		counts[e.Kind]++
	}
	want := map[twin.Kind]int{
		twin.KindBuilding: cfg.Buildings,
		twin.KindSensor:   cfg.Sensors,
		twin.KindVehicle:  cfg.Vehicles + cfg.Buses,
		twin.KindRoute:    cfg.routes(),
	}
	for k, n := range want {
		if counts[k] != n {
			t.Errorf("%s: got %d, want %d", k, counts[k], n)
		}
	}
	if counts[twin.KindRoad] < 100 || counts[twin.KindStop] < cfg.routes() {
		t.Errorf("roads %d, stops %d: too few", counts[twin.KindRoad], counts[twin.KindStop])
	}
	buses := 0
	for _, v := range c.Vehicles {
		if v.Type == "bus" {
			buses++
		}
	}
	if buses != cfg.Buses {
		t.Errorf("buses: got %d, want %d", buses, cfg.Buses)
	}
	perType := map[SensorType]int{}
	for _, s := range c.Sensors {
		perType[s.Type]++
	}
	for _, st := range SensorTypes {
		if perType[st] == 0 {
			t.Errorf("no %s sensors", st)
		}
	}
	t.Logf("counts %v, radius %.0f m, nodes %d, per sensor type %v", counts, c.Radius, len(c.Nodes), perType)
}
