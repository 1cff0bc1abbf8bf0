package twin_test

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"testing"
	"time"

	"citytwin/datasets"
	"citytwin/twin"

	"github.com/paulmach/orb"
)

// sensorCity is a city of 100,000 sensors with two pm25 readings each and
// 20,000 buildings, as web's BenchmarkLatestCityWide serves it, and the bound
// of its sensors.
var sensorCity = sync.OnceValues(func() (*twin.Store, orb.Bound) {
	cfg := datasets.Demo()
	cfg.Buildings, cfg.Sensors, cfg.Vehicles, cfg.Buses, cfg.Routes = 20_000, 100_000, 0, 0, 0
	ctx := context.Background()
	city, err := datasets.Generate(ctx, cfg, nil)
	if err != nil {
		panic(err)
	}
	tc := twin.DefaultConfig()
	tc.Retention = 0
	tc.RefLat = cfg.Center[1]
	s, err := twin.New(tc)
	if err != nil {
		panic(err)
	}
	if err := city.Load(ctx, s, nil); err != nil {
		panic(err)
	}
	at := cfg.Epoch.Add(time.Hour).UnixNano()
	obs := make([]twin.Observation, 0, 2*len(city.Sensors))
	for i, sn := range city.Sensors {
		for k := range 2 {
			obs = append(obs, twin.Observation{ID: sn.ID, Metric: "pm25", T: at + int64(k)*int64(time.Minute), V: float64(i%500) / 10})
		}
	}
	if _, err := s.Apply(twin.Op{Type: twin.OpObserve, Observations: obs}); err != nil {
		panic(err)
	}
	bound := orb.Bound{Min: cfg.Center, Max: cfg.Center}
	for _, sn := range city.Sensors {
		bound = bound.Extend(sn.Point)
	}
	runtime.GC() // start without the garbage of generating the city
	return s, bound
})

// BenchmarkLatestCityWide asks the twin for the latest pm25 of every sensor of
// sensorCity in a bbox around the whole city: the twin's share of web's
// BenchmarkLatestCityWide.
//
//	go test -run '^$' -bench LatestCityWide ./twin/
func BenchmarkLatestCityWide(b *testing.B) {
	s, bound := sensorCity()
	ctx := context.Background()
	q := twin.Query{Kinds: []twin.Kind{twin.KindSensor}, BBox: []orb.Bound{bound.Pad(0.001)}}
	ls, err := s.Latest(ctx, q, "pm25")
	if err != nil || len(ls) != 100_000 {
		b.Fatalf("%d latest values (%v), want 100000", len(ls), err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Latest(ctx, q, "pm25"); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(b.Elapsed().Seconds()*1000/float64(b.N), "ms/op")
	b.ReportMetric(float64(len(ls))*float64(b.N)/b.Elapsed().Seconds(), "entities/s")
}

// BenchmarkLatestBox asks BenchmarkLatestCityWide's question of boxes around
// the centre of the city, a fraction of its width and height: Latest walks
// the channels of pm25 or goes through the spatial indexes.
func BenchmarkLatestBox(b *testing.B) {
	s, bound := sensorCity()
	ctx := context.Background()
	for _, frac := range []float64{0.01, 0.1, 0.3, 0.6} {
		c := bound.Center()
		w, h := (bound.Max[0]-bound.Min[0])*frac/2, (bound.Max[1]-bound.Min[1])*frac/2
		q := twin.Query{Kinds: []twin.Kind{twin.KindSensor}, BBox: []orb.Bound{{Min: orb.Point{c[0] - w, c[1] - h}, Max: orb.Point{c[0] + w, c[1] + h}}}}
		b.Run(fmt.Sprint(frac), func(b *testing.B) {
			n := 0
			b.ReportAllocs()
			for b.Loop() {
				ls, err := s.Latest(ctx, q, "pm25")
				if err != nil {
					b.Fatal(err)
				}
				n = len(ls)
			}
			b.ReportMetric(float64(n), "entities/query")
		})
	}
}
