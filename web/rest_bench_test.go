package web

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"citytwin/datasets"
	"citytwin/geo"
	"citytwin/twin"

	"github.com/paulmach/orb"
)

// benchCity loads a generated city into a new twin.
func benchCity(b *testing.B, cfg datasets.CityConfig) (*twin.Store, *datasets.City) {
	b.Helper()
	city, err := datasets.Generate(context.Background(), cfg, nil)
	if err != nil {
		b.Fatal(err)
	}
	tc := twin.DefaultConfig()
	tc.Retention = 0
	tc.RefLat = cfg.Center[1]
	store, err := twin.New(tc)
	if err != nil {
		b.Fatal(err)
	}
	if err := city.Load(context.Background(), store, nil); err != nil {
		b.Fatal(err)
	}
	return store, city
}

// serveTCP serves s on a free port until the benchmark ends.
func serveTCP(b *testing.B, s *Server) string {
	b.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	srv := s.HTTPServer(ln.Addr().String())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	b.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
		if err := <-done; !errors.Is(err, http.ErrServerClosed) {
			b.Errorf("serve: %v", err)
		}
	})
	return ln.Addr().String()
}

// BenchmarkBBoxHTTP sends small bbox queries (about 300 m square, anywhere in
// the built-up area of the demo city: about 100 entities each) to a server over TCP from concurrent
// keep-alive connections in this process, and reports the throughput and the
// 99th percentile latency the clients saw.
//
//	go test -run '^$' -bench BBoxHTTP -benchtime 200000x ./web/
func BenchmarkBBoxHTTP(b *testing.B) {
	store, city := benchCity(b, datasets.Demo())
	for _, limit := range []int{10, 100} {
		b.Run(fmt.Sprintf("limit=%d", limit), func(b *testing.B) { benchmarkBBoxHTTP(b, store, city, limit) })
	}
}

func benchmarkBBoxHTTP(b *testing.B, store *twin.Store, city *datasets.City, limit int) {
	s, err := New(DefaultConfig(), store, slog.New(slog.DiscardHandler))
	if err != nil {
		b.Fatal(err)
	}
	addr := serveTCP(b, s)

	// Fixed-seed targets, built before the clock starts.
	const conns = 8
	r := rand.New(rand.NewPCG(1, 2))
	frame := geo.NewFrame(city.Config.Center)
	targets := make([][]byte, 4096)
	for i := range targets {
		x, y := (r.Float64()*2-1)*city.Radius*0.7, (r.Float64()*2-1)*city.Radius*0.7
		lo, hi := frame.ToLonLat(x-150, y-150), frame.ToLonLat(x+150, y+150)
		targets[i] = fmt.Appendf(nil, "GET /api/v1/entities?bbox=%.6f,%.6f,%.6f,%.6f&limit=%d HTTP/1.1\r\nHost: bench\r\n\r\n", lo[0], lo[1], hi[0], hi[1], limit)
	}

	lat := make([][]time.Duration, conns)
	var (
		wg    sync.WaitGroup
		errMu sync.Mutex
		first error
	)
	fail := func(err error) {
		errMu.Lock()
		if first == nil {
			first = err
		}
		errMu.Unlock()
	}
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for c := range conns {
		n := b.N / conns
		if c < b.N%conns {
			n++
		}
		wg.Go(func() {
			conn, err := net.Dial("tcp", addr)
			if err != nil {
				fail(err)
				return
			}
			defer conn.Close()
			br := bufio.NewReaderSize(conn, 64<<10)
			lat[c] = make([]time.Duration, 0, n)
			for i := range n {
				t0 := time.Now()
				if _, err := conn.Write(targets[(c*7919+i)%len(targets)]); err != nil {
					fail(err)
					return
				}
				resp, err := http.ReadResponse(br, nil)
				if err != nil {
					fail(err)
					return
				}
				_, err = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if err != nil || resp.StatusCode != 200 {
					fail(fmt.Errorf("status %d: %v", resp.StatusCode, err))
					return
				}
				lat[c] = append(lat[c], time.Since(t0))
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	if first != nil {
		b.Fatal(first)
	}
	all := slices.Concat(lat...)
	slices.Sort(all)
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "req/s")
	b.ReportMetric(float64(all[len(all)*99/100].Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(all[len(all)/2].Microseconds())/1000, "p50-ms")
}

// discard is a ResponseWriter that keeps nothing but the status and size.
type discard struct {
	h      http.Header
	status int
	n      int
}

func (d *discard) Header() http.Header         { return d.h }
func (d *discard) WriteHeader(code int)        { d.status = code }
func (d *discard) Write(p []byte) (int, error) { d.n += len(p); return len(p), nil }

// BenchmarkLatestCityWide asks for the latest pm25 of every sensor of a city
// with 100,000 sensors, in a bbox around the whole city.
//
//	go test -run '^$' -bench LatestCityWide ./web/
func BenchmarkLatestCityWide(b *testing.B) {
	cfg := datasets.Demo()
	cfg.Buildings, cfg.Sensors, cfg.Vehicles, cfg.Buses, cfg.Routes = 20_000, 100_000, 0, 0, 0
	store, city := benchCity(b, cfg)
	at := cfg.Epoch.Add(time.Hour).UnixNano()
	obs := make([]twin.Observation, 0, 2*len(city.Sensors))
	for i, sn := range city.Sensors {
		for k := range 2 {
			obs = append(obs, twin.Observation{ID: sn.ID, Metric: "pm25", T: at + int64(k)*int64(time.Minute), V: float64(i%500) / 10})
		}
	}
	if _, err := store.Apply(twin.Op{Type: twin.OpObserve, Observations: obs}); err != nil {
		b.Fatal(err)
	}
	s, err := New(DefaultConfig(), store, slog.New(slog.DiscardHandler))
	if err != nil {
		b.Fatal(err)
	}
	h := s.Handler()
	bound := orb.Bound{Min: city.Config.Center, Max: city.Config.Center}
	for _, sn := range city.Sensors {
		bound = bound.Extend(sn.Point)
	}
	target := fmt.Sprintf("/api/v1/latest?metric=pm25&kind=sensor&bbox=%f,%f,%f,%f",
		bound.Min[0]-0.001, bound.Min[1]-0.001, bound.Max[0]+0.001, bound.Max[1]+0.001)
	req, _ := http.NewRequest(http.MethodGet, target, nil)
	w := &discard{h: http.Header{}}
	h.ServeHTTP(w, req)
	if w.status != 200 || w.n < 100_000*40 {
		b.Fatalf("status %d, %d bytes", w.status, w.n)
	}
	b.ReportAllocs()
	for b.Loop() {
		w.n = 0
		h.ServeHTTP(w, req)
	}
	b.ReportMetric(b.Elapsed().Seconds()*1000/float64(b.N), "ms/op")
	b.ReportMetric(float64(len(city.Sensors)), "sensors")
}
