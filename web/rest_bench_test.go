package web

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"citytwin/datasets"
	"citytwin/datasets/datasetstest"
	"citytwin/geo"
	"citytwin/twin"

	"github.com/paulmach/orb"
)

// benchCity loads a generated city into a new twin.
func benchCity(b *testing.B, cfg datasets.CityConfig) (*twin.Store, *datasets.City) {
	b.Helper()
	store, city := datasetstest.Twin(b, cfg)
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
// 99th percentile latency the clients saw. The server logs each request as
// `citytwin serve` does (log=json: slog's JSON handler, into io.Discard) or
// not at all (log=off: a discarding handler, what the log costs when its
// level is off).
//
// req/s is every request over the wall-clock time of all of them; p99-ms and
// p50-ms come from every latency; cpu-µs/req is the CPU time of the whole
// process (server and load generator) per request, which says more than req/s
// on a machine shared with other work; load1 is the machine's load average
// when the run ended.
//
//	go test -run '^$' -bench BBoxHTTP -benchtime 5000x -count 3 ./web/
func BenchmarkBBoxHTTP(b *testing.B) {
	store, city := benchCity(b, datasets.Demo())
	for _, limit := range []int{10, 100} {
		for _, logs := range []string{"off", "json"} {
			b.Run(fmt.Sprintf("limit=%d/log=%s", limit, logs), func(b *testing.B) {
				log := slog.New(slog.DiscardHandler)
				if logs == "json" {
					log = slog.New(slog.NewJSONHandler(io.Discard, nil))
				}
				benchmarkBBoxHTTP(b, store, city, limit, log)
			})
		}
	}
}

func benchmarkBBoxHTTP(b *testing.B, store *twin.Store, city *datasets.City, limit int, log *slog.Logger) {
	s, err := New(DefaultConfig(), store, log)
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
	checkBBoxAnswer(b, addr, targets[0], limit)

	lat := make([][]time.Duration, conns)
	size := make([]int64, conns)
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
	cpu0 := processCPU()
	start := time.Now()
	for c := range conns {
		n := b.N / conns
		if c < b.N%conns {
			n++
		}
		lat[c] = make([]time.Duration, 0, n)
		wg.Go(func() {
			conn, err := net.Dial("tcp", addr)
			if err != nil {
				fail(err)
				return
			}
			defer conn.Close()
			br := bufio.NewReaderSize(conn, 64<<10)
			for i := range n {
				t0 := time.Now()
				if _, err := conn.Write(targets[(c*7919+i)%len(targets)]); err != nil {
					fail(err)
					return
				}
				status, body, err := discardResponse(br)
				if err != nil || status != 200 {
					fail(fmt.Errorf("status %d: %v", status, err))
					return
				}
				lat[c] = append(lat[c], time.Since(t0))
				size[c] += body
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	cpu := processCPU() - cpu0
	b.StopTimer()
	if first != nil {
		b.Fatal(first)
	}
	all := slices.Concat(lat...)
	if len(all) != b.N {
		b.Fatalf("%d latencies for %d requests", len(all), b.N)
	}
	slices.Sort(all)
	var bytes int64
	for _, n := range size {
		bytes += n
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "req/s")
	b.ReportMetric(float64(all[len(all)*99/100].Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(all[len(all)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(bytes)/float64(b.N), "body-B/req")
	if cpu > 0 {
		b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-µs/req")
	}
	if load, ok := loadAverage(); ok {
		b.ReportMetric(load, "load1")
	}
}

// checkBBoxAnswer asks once with net/http's client and checks that the answer
// is a page of up to limit features, so that the load generator's shortcuts measure
// real answers.
func checkBBoxAnswer(b *testing.B, addr string, request []byte, limit int) {
	b.Helper()
	req, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(request)))
	if err != nil {
		b.Fatal(err)
	}
	resp, err := http.Get("http://" + addr + req.URL.String())
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	var page struct {
		Features       []json.RawMessage `json:"features"`
		NumberMatched  int               `json:"numberMatched"`
		NumberReturned int               `json:"numberReturned"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&page); err != nil || resp.StatusCode != 200 {
		b.Fatalf("status %d: %v", resp.StatusCode, err)
	}
	if page.NumberMatched == 0 || len(page.Features) != min(limit, page.NumberMatched) || page.NumberReturned != len(page.Features) {
		b.Fatalf("%d features, %d returned, %d matched; want a page of up to %d", len(page.Features), page.NumberReturned, page.NumberMatched, limit)
	}
}

// discardResponse reads one HTTP/1.1 response from br and throws its body
// away, without the allocations of http.ReadResponse: the load generator
// shares the machine with the server and should take as little of it as it
// can. It knows Content-Length and chunked bodies.
func discardResponse(br *bufio.Reader) (status int, body int64, err error) {
	line, err := br.ReadSlice('\n')
	if err != nil {
		return 0, 0, err
	}
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.1 ")) {
		return 0, 0, fmt.Errorf("bad status line %q", line)
	}
	status, err = strconv.Atoi(string(line[9:12]))
	if err != nil {
		return 0, 0, err
	}
	length, chunked := int64(-1), false
	for {
		line, err := br.ReadSlice('\n')
		if err != nil {
			return status, 0, err
		}
		line = bytes.TrimRight(line, "\r\n")
		if len(line) == 0 {
			break
		}
		k, v, _ := bytes.Cut(line, []byte(":"))
		v = bytes.TrimSpace(v)
		switch {
		case bytes.EqualFold(k, []byte("Content-Length")):
			if length, err = strconv.ParseInt(string(v), 10, 64); err != nil {
				return status, 0, err
			}
		case bytes.EqualFold(k, []byte("Transfer-Encoding")):
			chunked = bytes.EqualFold(v, []byte("chunked"))
		}
	}
	switch {
	case chunked:
		for {
			line, err := br.ReadSlice('\n')
			if err != nil {
				return status, body, err
			}
			n, err := strconv.ParseInt(string(bytes.TrimRight(line, "\r\n")), 16, 64)
			if err != nil {
				return status, body, err
			}
			if _, err := br.Discard(int(n) + 2); err != nil { // the chunk and its CRLF
				return status, body, err
			}
			body += n
			if n == 0 { // no trailers: the CRLF discarded ends the body
				return status, body, nil
			}
		}
	case length >= 0:
		_, err = br.Discard(int(length))
		return status, length, err
	}
	return status, 0, errors.New("response without a length")
}

// BenchmarkMiddleware is the cost of what every request goes through, around
// a handler that does nothing, with the request log off and as `citytwin
// serve` writes it (JSON).
//
//	go test -run '^$' -bench Middleware ./web/
func BenchmarkMiddleware(b *testing.B) {
	store, err := twin.New(twin.DefaultConfig())
	if err != nil {
		b.Fatal(err)
	}
	for _, logs := range []string{"off", "json"} {
		b.Run("log="+logs, func(b *testing.B) {
			log := slog.New(slog.DiscardHandler)
			if logs == "json" {
				log = slog.New(slog.NewJSONHandler(io.Discard, nil))
			}
			s, err := New(DefaultConfig(), store, log)
			if err != nil {
				b.Fatal(err)
			}
			mux := http.NewServeMux()
			mux.HandleFunc("GET /api/v1/entities", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) })
			h := s.middleware(mux)
			// As net/http makes them: a cancellable context, no body.
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			req := httptestRequest(b, "/api/v1/entities?bbox=1,2,3,4&limit=10").WithContext(ctx)
			w := &discard{h: http.Header{}}
			b.ReportAllocs()
			for b.Loop() {
				clear(w.h)
				h.ServeHTTP(w, req)
			}
			if w.status != http.StatusOK {
				b.Fatalf("status %d", w.status)
			}
		})
	}
}

func httptestRequest(b *testing.B, target string) *http.Request {
	req, err := http.NewRequest(http.MethodGet, target, http.NoBody)
	if err != nil {
		b.Fatal(err)
	}
	req.RemoteAddr = "127.0.0.1:50000"
	return req
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
