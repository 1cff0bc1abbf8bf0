package render_test

import (
	"context"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"citytwin/datasets"
	"citytwin/render"
	"citytwin/twin"
)

// benchStore loads the synthetic city of n buildings (seed of datasets.Demo)
// into a twin.
func benchStore(tb testing.TB, n int) *twin.Store {
	tb.Helper()
	ctx := context.Background()
	cfg := datasets.Demo()
	cfg.Buildings, cfg.Sensors, cfg.Vehicles, cfg.Buses, cfg.Routes = n, 0, 0, 0, 0
	city, err := datasets.Generate(ctx, cfg, nil)
	if err != nil {
		tb.Fatal(err)
	}
	store, err := twin.New(twin.DefaultConfig())
	if err != nil {
		tb.Fatal(err)
	}
	if err := city.Load(ctx, store, nil); err != nil {
		tb.Fatal(err)
	}
	return store
}

// BenchmarkTileset200k: tileset.json and every content tile (LoD 1) of a
// synthetic city of 200,000 buildings, from the twin: serially, and with
// the content tiles on every core as a server under a client's load would.
//
//	go test -run '^$' -bench Tileset200k -benchtime 2x ./render
func BenchmarkTileset200k(b *testing.B) {
	store := benchStore(b, 200_000)
	for _, workers := range []int{1, runtime.GOMAXPROCS(0)} {
		name := "serial"
		if workers > 1 {
			name = "parallel"
		}
		b.Run(name, func(b *testing.B) {
			ctx := context.Background()
			b.ReportAllocs()
			var buildings, tiles int
			var bytes atomic.Int64
			var tilesetSecs float64
			for b.Loop() {
				start := time.Now()
				ts, err := render.NewTileset(ctx, store, nil, render.TilesetOptions{LoD: 1})
				if err != nil {
					b.Fatal(err)
				}
				js, err := ts.JSON("")
				if err != nil {
					b.Fatal(err)
				}
				tilesetSecs += time.Since(start).Seconds()
				buildings, tiles = ts.Buildings, 0
				bytes.Store(int64(len(js)))
				jobs := make(chan render.Tile3D)
				var wg sync.WaitGroup
				for range workers {
					wg.Go(func() {
						for t := range jobs {
							out, err := ts.Content(ctx, t.Level, t.X, t.Y)
							if err != nil {
								b.Error(err)
								return
							}
							bytes.Add(int64(len(out)))
						}
					})
				}
				for _, t := range ts.Tiles {
					if t.Content {
						jobs <- t
						tiles++
					}
				}
				close(jobs)
				wg.Wait()
			}
			per := b.Elapsed().Seconds() / float64(b.N)
			b.ReportMetric(float64(buildings)/per, "buildings/s")
			b.ReportMetric(per, "s/tileset")
			b.ReportMetric(tilesetSecs/float64(b.N), "s/tileset.json")
			b.ReportMetric(float64(tiles), "tiles")
			b.ReportMetric(float64(bytes.Load())/float64(buildings), "bytes/building")
		})
	}
}
