package web

import (
	"encoding/binary"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http/httptest"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"citytwin/render"
	"citytwin/twin"

	"github.com/gorilla/websocket"
	"github.com/paulmach/orb"
)

// envInt reads a benchmark size from the environment.
func envInt(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil && n > 0 {
		return n
	}
	return def
}

// BenchmarkStreamCity is the target: STREAM_CLIENTS websocket clients
// (default 10,000, fewer when the open-files limit does not allow two
// descriptors each), each with its own small viewport (about 400 m square),
// while STREAM_VEHICLES vehicles (default 100,000) move at 1 Hz, in ten
// batches a second, for STREAM_SECONDS (default 10). It reports the p99
// latency from the twin update (before Apply) to the client's frame, the
// peak heap, and frames and vehicle updates delivered per second. The clients
// run in the same process, so their reading competes with the server for the
// same cores.
func BenchmarkStreamCity(b *testing.B) {
	clients := envInt("STREAM_CLIENTS", 10000)
	vehicles := envInt("STREAM_VEHICLES", 100000)
	seconds := envInt("STREAM_SECONDS", 10)
	var lim syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim) == nil && uint64(2*clients+200) > lim.Cur {
		clients = int(lim.Cur-200) / 2
	}
	for b.Loop() {
		runStreamCity(b, clients, vehicles, seconds)
	}
}

func runStreamCity(b *testing.B, clients, vehicles, seconds int) {
	tc := twin.DefaultConfig()
	tc.Retention = time.Minute
	store, err := twin.New(tc)
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 1))
	// A 20 km square city around sOrigin.
	const halfLon, halfLat = 0.147, 0.09
	pos := make([]orb.Point, vehicles)
	ids := make([]twin.ID, vehicles)
	var ops []twin.Op
	for i := range pos {
		pos[i] = orb.Point{sOrigin[0] + (rng.Float64()*2-1)*halfLon, sOrigin[1] + (rng.Float64()*2-1)*halfLat}
		ids[i] = twin.ID(fmt.Sprintf("vehicle:%d", i))
		ops = append(ops, twin.Op{Type: twin.OpUpsert, Entity: &twin.Entity{ID: ids[i], Kind: twin.KindVehicle, Geometry: pos[i]}})
	}
	if _, err := store.Apply(ops...); err != nil {
		b.Fatal(err)
	}
	scfg := DefaultStreamConfig()
	scfg.Origin = sOrigin
	srv, err := New(DefaultConfig(), store, slog.New(slog.DiscardHandler), WithStream(scfg))
	if err != nil {
		b.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()
	url := "ws" + strings.TrimPrefix(ts.URL, "http") + streamPath

	// When each seq was applied, for the latency of the frames that carry it.
	var applied sync.Map // uint64 -> int64 (UnixNano before Apply)
	var frames, updates atomic.Int64
	var measuring atomic.Bool
	type lat struct {
		mu sync.Mutex
		ms []float64
	}
	var lats lat
	dialer := websocket.Dialer{ReadBufferSize: 2048, WriteBufferSize: 512, HandshakeTimeout: 30 * time.Second}
	var wg sync.WaitGroup
	conns := make([]*websocket.Conn, 0, clients)
	setup := time.Now()
	for i := range clients {
		c, _, err := dialer.Dial(url, nil)
		if err != nil {
			b.Fatalf("client %d: %v", i, err)
		}
		conns = append(conns, c)
		lon := sOrigin[0] + (rng.Float64()*2-1)*halfLon
		lat0 := sOrigin[1] + (rng.Float64()*2-1)*halfLat
		if err := c.WriteJSON(map[string]any{"type": "subscribe", "bbox": []float64{lon, lat0, lon + 0.0059, lat0 + 0.0036}, "kinds": []string{"vehicle"}}); err != nil {
			b.Fatal(err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []float64
			defer func() {
				lats.mu.Lock()
				lats.ms = append(lats.ms, mine...)
				lats.mu.Unlock()
			}()
			for {
				typ, r, err := c.NextReader()
				if err != nil {
					return
				}
				if typ != websocket.BinaryMessage {
					continue
				}
				var hdr [render.FrameHeaderSize]byte
				if _, err := r.Read(hdr[:]); err != nil {
					continue
				}
				if !measuring.Load() {
					continue
				}
				seq := binary.LittleEndian.Uint64(hdr[8:])
				if t, ok := applied.Load(seq); ok {
					mine = append(mine, float64(time.Now().UnixNano()-t.(int64))/1e6)
				}
				frames.Add(1)
				updates.Add(int64(binary.LittleEndian.Uint32(hdr[24:])))
			}
		}()
	}
	b.Logf("%d clients connected in %v", clients, time.Since(setup).Round(time.Millisecond))
	time.Sleep(2 * time.Second) // snapshots

	// The vehicles move at 1 Hz in 10 batches a second; peak heap sampled.
	stop := make(chan struct{})
	var peak atomic.Uint64
	var mwg sync.WaitGroup
	mwg.Add(1)
	go func() {
		defer mwg.Done()
		var ms runtime.MemStats
		for {
			select {
			case <-stop:
				return
			case <-time.After(500 * time.Millisecond):
			}
			runtime.ReadMemStats(&ms)
			if ms.HeapAlloc > peak.Load() {
				peak.Store(ms.HeapAlloc)
			}
		}
	}()
	const batches = 10
	per := vehicles / batches
	tick := time.NewTicker(time.Second / batches)
	defer tick.Stop()
	start := time.Now()
	late := 0
	for k := 0; k < seconds*batches+batches; k++ {
		if k == batches { // one second of warm-up
			measuring.Store(true)
			start = time.Now()
		}
		<-tick.C
		now := time.Now()
		ps := make([]twin.Position, 0, per)
		for i := (k % batches) * per; i < (k%batches+1)*per; i++ {
			p := &pos[i]
			p[0] += (rng.Float64()*2 - 1) * 1e-4 // about 10 m a second
			p[1] += (rng.Float64()*2 - 1) * 1e-4
			ps = append(ps, twin.Position{ID: ids[i], T: now.UnixNano(), Point: *p})
		}
		seq, err := store.Apply(twin.Op{Type: twin.OpMove, T: now.UnixNano(), Positions: ps})
		if err != nil {
			b.Fatal(err)
		}
		applied.Store(seq, now.UnixNano())
		if time.Since(now) > time.Second/batches {
			late++
		}
	}
	elapsed := time.Since(start)
	measuring.Store(false)
	time.Sleep(500 * time.Millisecond)
	close(stop)
	mwg.Wait()
	for _, c := range conns {
		c.Close()
	}
	wg.Wait()
	slices.Sort(lats.ms)
	p := func(q float64) float64 {
		if len(lats.ms) == 0 {
			return 0
		}
		return lats.ms[min(len(lats.ms)-1, int(q*float64(len(lats.ms))))]
	}
	b.ReportMetric(p(0.5), "p50-ms")
	b.ReportMetric(p(0.99), "p99-ms")
	b.ReportMetric(float64(peak.Load())/(1<<20), "heap-MB")
	b.ReportMetric(float64(frames.Load())/elapsed.Seconds(), "frames/s")
	b.ReportMetric(float64(updates.Load())/elapsed.Seconds(), "vehicle-updates/s")
	b.ReportMetric(float64(clients), "clients")
	b.Logf("clients %d, vehicles %d, %v: p50 %.1f ms, p99 %.1f ms, max %.1f ms, peak heap %.0f MB, %d frames, %d late batches",
		clients, vehicles, elapsed.Round(time.Millisecond), p(0.5), p(0.99), p(1), float64(peak.Load())/(1<<20), frames.Load(), late)
}
