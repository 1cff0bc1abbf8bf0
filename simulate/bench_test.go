package simulate_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"citytwin/datasets"
	"citytwin/datasets/datasetstest"
	"citytwin/simulate"
	"citytwin/twin"
)

var (
	metroOnce  sync.Once
	metroStore *twin.Store
	metroCity  *datasets.City
)

// metropolis is the synthetic metropolis of citytwin bench: a million
// buildings, 100,000 sensors and 52,000 vehicles, 1.4 million entities.
func metropolis(b *testing.B) (*twin.Store, *datasets.City) {
	b.Helper()
	metroOnce.Do(func() {
		metroStore, metroCity = datasetstest.Twin(b, datasets.Metropolis())
	})
	if metroStore == nil {
		b.Fatal("no metropolis")
	}
	return metroStore, metroCity
}

// BenchmarkFork forks the metropolis: the pin alone, then a traffic scenario
// of a 3 km × 3 km district (the pin and the inputs read as of it: roads,
// buildings, counters), then of the whole city.
func BenchmarkFork(b *testing.B) {
	store, city := metropolis(b)
	b.ReportMetric(float64(store.Len()), "entities")
	b.Run("pin", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = simulate.Fork(store, time.Now())
		}
	})
	c := city.Config.Center
	district := []float64{c[0] - 0.027, c[1] - 0.0135, c[0] + 0.027, c[1] + 0.0135}
	for _, bc := range []struct {
		name string
		bbox []float64
	}{{"district", district}, {"city", nil}} {
		b.Run("create-traffic-"+bc.name, func(b *testing.B) {
			cfg := simulate.DefaultConfig()
			cfg.MaxScenarios = 1 << 20
			m, err := simulate.NewManager(store, cfg)
			if err != nil {
				b.Fatal(err)
			}
			defer m.Close()
			spec := simulate.DefaultSpec()
			spec.BBox = bc.bbox
			var info simulate.Info
			for b.Loop() {
				if info, err = m.Create(context.Background(), spec); err != nil {
					b.Fatal(err)
				}
				if err := m.Delete(info.ID); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/fork")
		})
	}
}
