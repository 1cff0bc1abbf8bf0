package traffic

import (
	"context"
	"testing"
	"time"
)

// BenchmarkCity100k projects one hour of a 159×159 grid city (100,488 links,
// 25,281 nodes, streets of 180–220 m) with 64 zones (4,032 OD pairs of 12
// veh/h, 48,384 trips an hour times a profile of 0.6, 1, 1.3, 1 by quarter
// hour) on the default configuration (Δt = 2 s,
// routes every 5 minutes, whole vehicles, two workers). It reports the wall
// and CPU time per simulated hour and the link and cell updates per second.
func BenchmarkCity100k(b *testing.B) {
	net := Grid(159, 159, 200, 1)
	dem := gridDemand(159, 159, 20, 12)
	cfg := DefaultConfig()
	cfg.Workers = 2
	b.ReportAllocs()
	var k KPIs
	var cells int
	var elapsed, cpu time.Duration
	for b.Loop() {
		m, err := New(net, dem, cfg)
		if err != nil {
			b.Fatal(err)
		}
		cells = len(m.n)
		start, cpu0 := time.Now(), cpuTime()
		if err := m.Run(context.Background(), 3600); err != nil {
			b.Fatal(err)
		}
		elapsed += time.Since(start)
		cpu += cpuTime() - cpu0
		k = m.KPIs()
	}
	sec := elapsed.Seconds() / float64(b.N)
	steps := 3600 / cfg.Step
	b.ReportMetric(sec, "s/sim-hour")
	// CPU seconds of both workers: on a machine shared with other work the
	// wall time says more about the neighbours than about the model.
	b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/sim-hour")
	b.ReportMetric(float64(len(net.Links))*steps/sec, "link-updates/s")
	b.ReportMetric(float64(cells)*steps/sec, "cell-updates/s")
	b.Logf("%d links, %d cells, %d ODs: %.0f departed, %.0f delivered, %.0f on the network, %.0f waiting, %.0f veh·km, %.0f veh·h delay",
		len(net.Links), cells, len(dem.ODs), k.Departed, k.Delivered, k.OnNetwork, k.Waiting, k.VehKm, k.DelayHours)
}
