package render

import (
	"context"
	"sync"
	"testing"
	"time"

	"citytwin/datasets"
	"citytwin/twin"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"
)

// benchCity is the synthetic city of the tile benchmarks: 200,000 buildings
// (seed 1), loaded once per test binary.
var benchCity struct {
	once  sync.Once
	store *twin.Store
	city  *datasets.City
	err   error
}

// loadBenchCity returns the store of the 200k-building city.
func loadBenchCity(tb testing.TB) (*twin.Store, *datasets.City) {
	tb.Helper()
	benchCity.once.Do(func() {
		ctx := context.Background()
		cfg := datasets.Demo()
		cfg.Buildings, cfg.Sensors, cfg.Vehicles, cfg.Buses, cfg.Routes = 200_000, 5_000, 2_000, 100, 10
		city, err := datasets.Generate(ctx, cfg, nil)
		if err != nil {
			benchCity.err = err
			return
		}
		store, err := twin.New(twin.DefaultConfig())
		if err != nil {
			benchCity.err = err
			return
		}
		benchCity.err = city.Load(ctx, store, nil)
		benchCity.store, benchCity.city = store, city
	})
	if benchCity.err != nil {
		tb.Fatal(benchCity.err)
	}
	return benchCity.store, benchCity.city
}

// builtTiles lists the tiles at zoom z within radius metres of the city's
// centre: the built-up area a client pans over.
func builtTiles(city *datasets.City, z maptile.Zoom, radius float64) []maptile.Tile {
	c := city.Config.Center
	b := datasets.BoxAround(c, radius/111_195)
	lo, hi := maptile.At(orb.Point{b.Min[0], b.Max[1]}, z), maptile.At(orb.Point{b.Max[0], b.Min[1]}, z)
	var out []maptile.Tile
	for x := lo.X; x <= hi.X; x++ {
		for y := lo.Y; y <= hi.Y; y++ {
			out = append(out, maptile.New(x, y, z))
		}
	}
	return out
}

// BenchmarkTileBuildingsZ15 renders buildings tiles at z15 over the built-up
// area of a 200k-building city, without a cache (issue target: 2,000 tiles/s).
func BenchmarkTileBuildingsZ15(b *testing.B) {
	store, city := loadBenchCity(b)
	tiles := builtTiles(city, 15, city.Radius*0.7)
	benchTiles(b, store, LayerBuildings, tiles)
}

// benchTiles renders tiles of layer round and round, without a cache, and
// reports tiles/s and bytes/tile.
func benchTiles(b *testing.B, store *twin.Store, layer string, tiles []maptile.Tile) {
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	var n, bytes int
	for i := 0; b.Loop(); i++ {
		t := tiles[i%len(tiles)]
		out, err := Tile(ctx, store, layer, int(t.Z), int(t.X), int(t.Y), TileOptions{})
		if err != nil {
			b.Fatal(err)
		}
		n++
		bytes += len(out)
	}
	b.ReportMetric(float64(n)/time.Since(start).Seconds(), "tiles/s")
	b.ReportMetric(float64(bytes)/float64(n), "bytes/tile")
}

// BenchmarkTileBuildingsZ15Parallel is the same on every core.
func BenchmarkTileBuildingsZ15Parallel(b *testing.B) {
	store, city := loadBenchCity(b)
	tiles := builtTiles(city, 15, city.Radius*0.7)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	var mu sync.Mutex
	total := 0
	b.RunParallel(func(pb *testing.PB) {
		i, n := 0, 0
		for pb.Next() {
			t := tiles[i%len(tiles)]
			i += 7
			if _, err := Tile(ctx, store, LayerBuildings, int(t.Z), int(t.X), int(t.Y), TileOptions{}); err != nil {
				b.Error(err)
				return
			}
			n++
		}
		mu.Lock()
		total += n
		mu.Unlock()
	})
	b.ReportMetric(float64(total)/time.Since(start).Seconds(), "tiles/s")
}

// BenchmarkTileLabelsZ15 renders labels tiles at z15 over the built-up area of
// the 200k-building city, without a cache.
func BenchmarkTileLabelsZ15(b *testing.B) {
	store, city := loadBenchCity(b)
	tiles := builtTiles(city, 15, city.Radius*0.7)
	ctx := context.Background()
	labels := 0
	for _, t := range tiles {
		out, err := Tile(ctx, store, LayerLabels, int(t.Z), int(t.X), int(t.Y), TileOptions{})
		if err != nil {
			b.Fatal(err)
		}
		ls, err := decodeTile(out)
		if err != nil {
			b.Fatal(err)
		}
		if l := ls[LayerLabels]; l != nil {
			labels += len(l.Features)
		}
	}
	b.ReportMetric(float64(labels)/float64(len(tiles)), "labels/tile")
	benchTiles(b, store, LayerLabels, tiles)
}
