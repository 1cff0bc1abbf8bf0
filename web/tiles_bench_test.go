package web

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"citytwin/datasets"
	"citytwin/twin"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"
)

// tileBenchCity is a 200,000-building synthetic city (seed 1), loaded once.
var tileBenchCity struct {
	once  sync.Once
	store *twin.Store
	city  *datasets.City
	err   error
}

func loadTileBenchCity(b *testing.B) (*twin.Store, *datasets.City) {
	b.Helper()
	tileBenchCity.once.Do(func() {
		ctx := context.Background()
		cfg := datasets.Demo()
		cfg.Buildings, cfg.Sensors, cfg.Vehicles, cfg.Buses, cfg.Routes = 200_000, 5_000, 2_000, 100, 10
		city, err := datasets.Generate(ctx, cfg, nil)
		if err != nil {
			tileBenchCity.err = err
			return
		}
		store, err := twin.New(twin.DefaultConfig())
		if err != nil {
			tileBenchCity.err = err
			return
		}
		tileBenchCity.err = city.Load(ctx, store, nil)
		tileBenchCity.store, tileBenchCity.city = store, city
	})
	if tileBenchCity.err != nil {
		b.Fatal(tileBenchCity.err)
	}
	return tileBenchCity.store, tileBenchCity.city
}

// benchTargets are the z15 buildings tiles of the built-up area.
func benchTargets(city *datasets.City) []string {
	box := datasets.BoxAround(city.Config.Center, city.Radius*0.7/111_195)
	lo, hi := maptile.At(orb.Point{box.Min[0], box.Max[1]}, 15), maptile.At(orb.Point{box.Max[0], box.Min[1]}, 15)
	var out []string
	for x := lo.X; x <= hi.X; x++ {
		for y := lo.Y; y <= hi.Y; y++ {
			out = append(out, fmt.Sprintf("/tiles/buildings/15/%d/%d.mvt", x, y))
		}
	}
	return out
}

// nullWriter is a ResponseWriter that keeps nothing, so that the benchmark
// measures the server.
type nullWriter struct {
	h    http.Header
	code int
}

func (w *nullWriter) Header() http.Header         { return w.h }
func (w *nullWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w *nullWriter) WriteHeader(code int)        { w.code = code }

func benchTiles(b *testing.B, opts ...Option) {
	store, city := loadTileBenchCity(b)
	s, err := New(DefaultConfig(), store, slog.New(slog.DiscardHandler), opts...)
	if err != nil {
		b.Fatal(err)
	}
	targets := benchTargets(city)
	reqs := make([]*http.Request, len(targets))
	for i, t := range targets {
		reqs[i] = httptest.NewRequest(http.MethodGet, t, nil)
	}
	h := s.Handler()
	for _, r := range reqs { // warm the cache, when there is one
		h.ServeHTTP(&nullWriter{h: http.Header{}}, r)
	}
	var n atomic.Int64
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		w := &nullWriter{h: http.Header{}}
		i := 0
		for pb.Next() {
			clear(w.h)
			h.ServeHTTP(w, reqs[i%len(reqs)])
			if w.code != http.StatusOK {
				b.Errorf("%s: %d", reqs[i%len(reqs)].URL, w.code)
				return
			}
			i++
			n.Add(1)
		}
	})
	b.ReportMetric(float64(n.Load())/time.Since(start).Seconds(), "tiles/s")
}

// BenchmarkTileHandlerCached serves cached z15 buildings tiles of a
// 200k-building city through the whole handler (issue target: 50,000 tiles/s).
func BenchmarkTileHandlerCached(b *testing.B) { benchTiles(b) }

// BenchmarkTileHandlerCold serves the same tiles without a cache.
func BenchmarkTileHandlerCold(b *testing.B) { benchTiles(b, WithTileCache(0)) }
