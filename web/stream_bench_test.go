package web

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
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

	"github.com/paulmach/orb"
)

// envInt reads a benchmark size from the environment.
func envInt(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil && n > 0 {
		return n
	}
	return def
}

// The city of BenchmarkStreamCity: a 20 km square around sOrigin, vehicles
// moving at 1 Hz in cityBatches batches a second, viewports about 400 m square.
const (
	cityHalfLon, cityHalfLat = 0.147, 0.09
	cityViewLon, cityViewLat = 0.0059, 0.0036
	cityBatches              = 10
)

// raiseFiles lifts the soft open-files limit to the hard one and returns it.
func raiseFiles() uint64 {
	var lim syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim) != nil {
		return 1024
	}
	if lim.Cur < lim.Max {
		lim.Cur = lim.Max
		_ = syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim)
	}
	return lim.Cur
}

// BenchmarkStreamCity is the target: STREAM_CLIENTS websocket clients
// (default 10,000), each with its own small viewport (about 400 m square),
// while STREAM_VEHICLES vehicles (default 100,000) move at 1 Hz, in ten
// batches a second, for STREAM_SECONDS (default 10). STREAM_FLUSH_MS sets
// the stream's FlushInterval (default: DefaultStreamConfig's).
//
// The clients run in a child process (the test binary again, running
// TestStreamCityClientProcess), so that server and clients each have their
// own open-files limit; they share the machine's cores. Each client is a
// minimal websocket reader on a raw connection. Vehicle i has slot i (the
// benchmark numbers the slots before any client connects), so a client knows
// which batch moved each entity of a frame: it reports the latency of every
// position it receives, from just before the Apply of the batch that moved
// the vehicle there to the moment the client has read the frame. It also
// reports the server's peak heap, and frames and vehicle updates delivered
// per second. STREAM_CLIENT_CPUPROFILE names a CPU profile of the clients.
func BenchmarkStreamCity(b *testing.B) {
	clients := envInt("STREAM_CLIENTS", 10000)
	vehicles := envInt("STREAM_VEHICLES", 100000)
	seconds := envInt("STREAM_SECONDS", 10)
	if files := raiseFiles(); uint64(clients+200) > files {
		clients = int(files - 200)
	}
	for b.Loop() {
		runStreamCity(b, clients, vehicles, seconds)
	}
}

func runStreamCity(b *testing.B, clients, vehicles, seconds int) {
	vehicles -= vehicles % cityBatches
	tc := twin.DefaultConfig()
	tc.Retention = time.Minute
	store, err := twin.New(tc)
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 1))
	pos := make([]orb.Point, vehicles)
	ids := make([]twin.ID, vehicles)
	var ops []twin.Op
	for i := range pos {
		pos[i] = orb.Point{sOrigin[0] + (rng.Float64()*2-1)*cityHalfLon, sOrigin[1] + (rng.Float64()*2-1)*cityHalfLat}
		ids[i] = twin.ID(fmt.Sprintf("vehicle:%d", i))
		ops = append(ops, twin.Op{Type: twin.OpUpsert, Entity: &twin.Entity{ID: ids[i], Kind: twin.KindVehicle, Geometry: pos[i]}})
	}
	if _, err := store.Apply(ops...); err != nil {
		b.Fatal(err)
	}
	scfg := DefaultStreamConfig()
	scfg.Origin = sOrigin
	if ms := envInt("STREAM_FLUSH_MS", 0); ms > 0 {
		scfg.FlushInterval = time.Duration(ms) * time.Millisecond
	}
	srv, err := New(DefaultConfig(), store, slog.New(slog.DiscardHandler), WithStream(scfg))
	if err != nil {
		b.Fatal(err)
	}
	h, err := srv.streamHub()
	if err != nil {
		b.Fatal(err)
	}
	for i, id := range ids { // vehicle i is slot i
		if n, _ := h.slotOf(id, true); n != uint32(i) {
			b.Fatalf("vehicle %d got slot %d", i, n)
		}
	}
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()

	args := []string{"-test.run=^TestStreamCityClientProcess$"}
	if p := os.Getenv("STREAM_CLIENT_CPUPROFILE"); p != "" { // the clients' profile
		args = append(args, "-test.cpuprofile="+p)
	}
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "STREAM_CITY_URL=ws"+strings.TrimPrefix(ts.URL, "http")+streamPath,
		"STREAM_CLIENTS="+strconv.Itoa(clients), "GOGC=400")
	cmd.Stderr = os.Stderr
	toChild, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	fromChild, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	setup := time.Now()
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	}()
	lines := bufio.NewScanner(fromChild)
	lines.Buffer(nil, 1<<20)
	expect := func(prefix string) string {
		for lines.Scan() {
			if l := lines.Text(); strings.HasPrefix(l, prefix) {
				return strings.TrimPrefix(l, prefix)
			}
		}
		b.Fatalf("the client process ended without %q: %v", prefix, lines.Err())
		return ""
	}
	expect("ready")
	b.Logf("%d clients connected and subscribed in %v", clients, time.Since(setup).Round(time.Millisecond))
	time.Sleep(time.Second)

	// The vehicles move at 1 Hz in cityBatches batches a second; the server's
	// peak heap is sampled.
	stop := make(chan struct{})
	var peak atomic.Uint64
	var mwg sync.WaitGroup
	mwg.Go(func() {
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
	})
	per := vehicles / cityBatches
	tick := time.NewTicker(time.Second / cityBatches)
	defer tick.Stop()
	var seq0 uint64
	applied := make([]int64, 0, (seconds+1)*cityBatches)
	late := 0
	for k := 0; k < (seconds+1)*cityBatches; k++ {
		if k == cityBatches { // one second of warm-up
			if _, err := io.WriteString(toChild, "start\n"); err != nil {
				b.Fatal(err)
			}
		}
		<-tick.C
		now := time.Now()
		ps := make([]twin.Position, 0, per)
		for i := (k % cityBatches) * per; i < (k%cityBatches+1)*per; i++ {
			p := &pos[i]
			p[0] += (rng.Float64()*2 - 1) * 1e-4 // about 10 m a second
			p[1] += (rng.Float64()*2 - 1) * 1e-4
			ps = append(ps, twin.Position{ID: ids[i], T: now.UnixNano(), Point: *p})
		}
		t := time.Now().UnixNano()
		seq, err := store.Apply(twin.Op{Type: twin.OpMove, T: now.UnixNano(), Positions: ps})
		if err != nil {
			b.Fatal(err)
		}
		if k == 0 {
			seq0 = seq
		} else if seq != seq0+uint64(k) {
			b.Fatalf("batch %d has seq %d, want %d: another writer", k, seq, seq0+uint64(k))
		}
		applied = append(applied, t)
		if time.Since(now) > time.Second/cityBatches {
			late++
		}
	}
	time.Sleep(500 * time.Millisecond)
	close(stop)
	mwg.Wait()
	msg := fmt.Appendf(nil, "stop %d %d %d %d", seq0, per, cityBatches, cityBatches)
	for _, t := range applied {
		msg = append(msg, ' ')
		msg = strconv.AppendInt(msg, t, 10)
	}
	if _, err := toChild.Write(append(msg, '\n')); err != nil {
		b.Fatal(err)
	}
	var res cityResult
	if err := json.Unmarshal([]byte(expect("result ")), &res); err != nil {
		b.Fatal(err)
	}
	toChild.Close()
	_, _ = io.Copy(io.Discard, fromChild)
	if err := cmd.Wait(); err != nil { // it writes its profile, if asked, before it ends
		b.Fatal(err)
	}
	b.ReportMetric(res.P50, "p50-ms")
	b.ReportMetric(res.P99, "p99-ms")
	b.ReportMetric(float64(peak.Load())/(1<<20), "heap-MB")
	b.ReportMetric(res.Frames/res.Seconds, "frames/s")
	b.ReportMetric(res.Updates/res.Seconds, "vehicle-updates/s")
	b.ReportMetric(float64(clients), "clients")
	b.Logf("clients %d, vehicles %d, flush %v, %.1fs: p50 %.1f ms, p99 %.1f ms, max %.1f ms, peak heap %.0f MB, %.0f frames, %.0f updates (%.0f before the window), %d late batches",
		clients, vehicles, scfg.FlushInterval, res.Seconds, res.P50, res.P99, res.Max, float64(peak.Load())/(1<<20), res.Frames, res.Updates, res.Early, late)
}

// cityResult is what the client process reports.
type cityResult struct {
	P50, P99, Max   float64 // latency, ms
	Frames, Updates float64 // positions frames and entries read in the window
	Early           float64 // entries of batches before the window
	Seconds         float64 // the window
}

// TestStreamCityClientProcess is the client side of BenchmarkStreamCity, run
// in a child process; it does nothing otherwise. Protocol on stdin/stdout:
// it prints "ready" once every client has its snapshot; "start" opens the
// measuring window; "stop seq0 per batches warm t0 t1 …" (the apply time of
// each batch, batch k having seq seq0+k) closes it, and it prints
// "result {json}".
func TestStreamCityClientProcess(t *testing.T) {
	url := os.Getenv("STREAM_CITY_URL")
	if url == "" {
		t.Skip("the client side of BenchmarkStreamCity")
	}
	raiseFiles()
	n := envInt("STREAM_CLIENTS", 1)
	addr, path, ok := strings.Cut(strings.TrimPrefix(url, "ws://"), "/")
	if !ok {
		t.Fatalf("url %q", url)
	}
	var measuring atomic.Bool
	rng := rand.New(rand.NewPCG(2, 2))
	cs := make([]*rawClient, n)
	var ready, done sync.WaitGroup
	for i := range cs {
		lon := sOrigin[0] + (rng.Float64()*2-1)*cityHalfLon
		lat := sOrigin[1] + (rng.Float64()*2-1)*cityHalfLat
		c, err := dialRaw(addr, "/"+path, fmt.Sprintf(`{"type":"subscribe","bbox":[%f,%f,%f,%f],"kinds":["vehicle"]}`, lon, lat, lon+cityViewLon, lat+cityViewLat))
		if err != nil {
			t.Fatalf("client %d: %v", i, err)
		}
		cs[i] = c
		ready.Add(1)
		done.Go(func() { c.read(&measuring, ready.Done) })
	}
	ready.Wait()
	fmt.Println("ready")
	in := bufio.NewReader(os.Stdin)
	line, err := in.ReadString('\n')
	if err != nil || line != "start\n" {
		t.Fatalf("%q, %v", line, err)
	}
	measuring.Store(true)
	start := time.Now()
	if line, err = in.ReadString('\n'); err != nil {
		t.Fatal(err)
	}
	measuring.Store(false)
	window := time.Since(start)
	f := strings.Fields(line)
	var num []int64
	for _, s := range f[1:] {
		x, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		num = append(num, x)
	}
	seq0, per, batches, warm, applied := uint64(num[0]), int64(num[1]), int64(num[2]), int64(num[3]), num[4:]
	for _, c := range cs {
		c.conn.Close()
	}
	done.Wait()
	var lat []float64
	res := cityResult{Seconds: window.Seconds()}
	for _, c := range cs {
		off := 0
		for _, r := range c.recs {
			res.Frames++
			for _, slot := range c.slots[off : off+int(r.n)] {
				// The newest batch at or before the frame's seq that moved
				// the vehicle: the position the frame carries.
				kS := int64(r.seq - seq0)
				if r.seq < seq0 || int64(slot) >= per*batches {
					res.Early++
					continue
				}
				kb := int64(slot) / per
				k := kS - ((kS-kb)%batches+batches)%batches
				if k < warm || k >= int64(len(applied)) {
					res.Early++
					continue
				}
				res.Updates++
				lat = append(lat, float64(r.recv-applied[k])/1e6)
			}
			off += int(r.n)
		}
	}
	slices.Sort(lat)
	q := func(p float64) float64 {
		if len(lat) == 0 {
			return 0
		}
		return lat[min(len(lat)-1, int(p*float64(len(lat))))]
	}
	res.P50, res.P99, res.Max = q(0.5), q(0.99), q(1)
	js, _ := json.Marshal(res)
	fmt.Printf("result %s\n", js)
}

// rawClient is a minimal websocket client: a handshake, one subscribe, then
// it reads frames off a buffered raw connection, answers pings, and records
// the positions frames it reads while measuring.
type rawClient struct {
	conn  net.Conn
	br    *bufio.Reader
	msg   []byte
	recs  []frameRec
	slots []uint32
}

type frameRec struct {
	recv int64 // UnixNano when read
	seq  uint64
	n    uint32 // slots, in rawClient.slots
}

func dialRaw(addr, path, subscribe string) (*rawClient, error) {
	conn, err := net.DialTimeout("tcp", addr, 30*time.Second)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(conn, "GET %s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n", path, addr)
	c := &rawClient{conn: conn, br: bufio.NewReaderSize(conn, 8<<10)}
	resp, err := http.ReadResponse(c.br, nil)
	if err != nil {
		conn.Close()
		return nil, err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSwitchingProtocols {
		conn.Close()
		return nil, fmt.Errorf("handshake: %s", resp.Status)
	}
	if err := c.write(0x1, []byte(subscribe)); err != nil {
		conn.Close()
		return nil, err
	}
	return c, nil
}

// write sends one masked frame (the mask is zero: clients must mask, any key will do).
func (c *rawClient) write(op byte, p []byte) error {
	if len(p) > 125 && op >= 0x8 || len(p) > 0xFFFF {
		return errors.New("frame too long")
	}
	b := []byte{0x80 | op}
	if len(p) <= 125 {
		b = append(b, 0x80|byte(len(p)))
	} else {
		b = append(b, 0x80|126, byte(len(p)>>8), byte(len(p)))
	}
	b = append(b, 0, 0, 0, 0)
	_, err := c.conn.Write(append(b, p...))
	return err
}

// next reads one message (continuation frames joined) into c.msg.
func (c *rawClient) next() (byte, error) {
	var op byte
	c.msg = c.msg[:0]
	for {
		var h [2]byte
		if _, err := io.ReadFull(c.br, h[:]); err != nil {
			return 0, err
		}
		n := uint64(h[1] & 0x7F)
		switch n {
		case 126:
			var x [2]byte
			if _, err := io.ReadFull(c.br, x[:]); err != nil {
				return 0, err
			}
			n = uint64(binary.BigEndian.Uint16(x[:]))
		case 127:
			var x [8]byte
			if _, err := io.ReadFull(c.br, x[:]); err != nil {
				return 0, err
			}
			n = binary.BigEndian.Uint64(x[:])
		}
		if n > 64<<20 {
			return 0, errors.New("message too long")
		}
		if o := h[0] & 0xF; o >= 0x8 { // control frames come between fragments
			p := make([]byte, n)
			if _, err := io.ReadFull(c.br, p); err != nil {
				return 0, err
			}
			switch o {
			case 0x8:
				return 0, io.EOF
			case 0x9:
				if err := c.write(0xA, p); err != nil {
					return 0, err
				}
			}
			continue
		} else if o != 0 {
			op = o
		}
		start := len(c.msg)
		c.msg = slices.Grow(c.msg, int(n))[:start+int(n)]
		if _, err := io.ReadFull(c.br, c.msg[start:]); err != nil {
			return 0, err
		}
		if h[0]&0x80 != 0 {
			return op, nil
		}
	}
}

func (c *rawClient) read(measuring *atomic.Bool, ready func()) {
	var once sync.Once
	defer once.Do(ready)
	for {
		op, err := c.next()
		if err != nil {
			return
		}
		m := c.msg
		switch {
		case op == 0x1 && strings.HasPrefix(string(m[:min(len(m), 20)]), `{"type":"snapshot"`):
			once.Do(ready)
		case op == 0x2 && len(m) >= render.FrameHeaderSize && m[5] == byte(render.FramePositions) && measuring.Load():
			now := time.Now().UnixNano()
			n := binary.LittleEndian.Uint32(m[24:])
			if len(m) < render.FrameHeaderSize+4*int(n) {
				continue
			}
			c.recs = append(c.recs, frameRec{recv: now, seq: binary.LittleEndian.Uint64(m[8:]), n: n})
			for i := range int(n) {
				c.slots = append(c.slots, binary.LittleEndian.Uint32(m[render.FrameHeaderSize+4*i:]))
			}
		}
	}
}
