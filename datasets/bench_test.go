package datasets

import (
	"context"
	"runtime"
	"testing"
	"time"
)

func benchmarkGenerate(b *testing.B, cfg CityConfig) {
	b.ReportAllocs()
	var c *City
	for b.Loop() {
		var err error
		c, err = Generate(context.Background(), cfg, nil)
		if err != nil {
			b.Fatal(err)
		}
	}
	per := b.Elapsed().Seconds() / float64(b.N)
	b.ReportMetric(float64(cfg.Buildings)/per, "buildings/s")
	b.ReportMetric(float64(c.Len())/per, "entities/s")
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	b.ReportMetric(float64(ms.HeapAlloc)/float64(c.Len()), "heap-bytes/entity")
	runtime.KeepAlive(c)
}

func BenchmarkGenerateDemo(b *testing.B) { benchmarkGenerate(b, Demo()) }

// BenchmarkGenerateMetropolis: go test -run '^$' -bench GenerateMetropolis -benchtime 1x ./datasets/
func BenchmarkGenerateMetropolis(b *testing.B) { benchmarkGenerate(b, Metropolis()) }

func benchmarkTick(b *testing.B, c *City) {
	s, err := NewStream(c, DefaultStreamConfig())
	if err != nil {
		b.Fatal(err)
	}
	t := time.Date(2025, 3, 4, 8, 0, 0, 0, time.UTC)
	b.ReportAllocs()
	obs, pos := 0, 0
	for b.Loop() {
		for _, op := range s.Tick(t) {
			obs += len(op.Observations)
			pos += len(op.Positions)
		}
		t = t.Add(time.Minute)
	}
	b.ReportMetric(float64(obs)/b.Elapsed().Seconds(), "obs/s")
	b.ReportMetric(float64(pos)/b.Elapsed().Seconds(), "vehicle-updates/s")
}

func BenchmarkStreamTickDemo(b *testing.B) { benchmarkTick(b, demo(b)) }

// BenchmarkStreamTickMetropolis: go test -run '^$' -bench StreamTickMetropolis ./datasets/
func BenchmarkStreamTickMetropolis(b *testing.B) {
	c, err := Generate(context.Background(), Metropolis(), nil)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	benchmarkTick(b, c)
}
