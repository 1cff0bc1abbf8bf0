package flood

import (
	"context"
	"testing"
)

// BenchmarkMerewether runs the full 1000 s Merewether event (321 × 416 cells
// of 1 m) per iteration.
func BenchmarkMerewether(b *testing.B) {
	cfg, _ := merewetherConfig(b)
	b.ReportAllocs()
	var steps int64
	for b.Loop() {
		m, err := New(cfg)
		if err != nil {
			b.Fatal(err)
		}
		if err := m.Run(context.Background(), mereDuration, nil); err != nil {
			b.Fatal(err)
		}
		steps += m.Steps()
	}
	w, h := cfg.DEM.Width, cfg.DEM.Height
	sec := b.Elapsed().Seconds()
	b.ReportMetric(float64(steps)*float64(w*h)/sec, "cell-updates/s")
	b.ReportMetric(sec/float64(b.N), "s/event")
	b.ReportMetric(float64(steps)/float64(b.N), "steps/event")
}
