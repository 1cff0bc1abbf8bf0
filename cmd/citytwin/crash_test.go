package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"citytwin/twin"

	paho "github.com/eclipse/paho.mqtt.golang"
)

// TestMain lets a test start this binary as the citytwin command in a child
// process (CITYTWIN_CHILD=1), so that the crash test can kill -9 a real server.
func TestMain(m *testing.M) {
	if os.Getenv("CITYTWIN_CHILD") == "1" {
		ctx, stop := signalContext()
		code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
		stop()
		os.Exit(code)
	}
	os.Exit(m.Run())
}

// child is a citytwin serve process.
type child struct {
	cmd            *exec.Cmd
	httpAddr, mqtt string
	stderr         *bytes.Buffer
}

func startChild(t *testing.T, args ...string) *child {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, append([]string{"serve"}, args...)...)
	cmd.Env = append(os.Environ(), "CITYTWIN_CHILD=1")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	c := &child{cmd: cmd, stderr: &bytes.Buffer{}}
	cmd.Stderr = c.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := bufio.NewScanner(out)
	deadline := time.After(60 * time.Second)
	found := make(chan struct{})
	go func() {
		for lines.Scan() {
			line := lines.Text()
			if a, ok := strings.CutPrefix(line, "MQTT broker on "); ok {
				c.mqtt = strings.Fields(a)[0]
				c.mqtt = strings.TrimSuffix(c.mqtt, ":")
			}
			if a, ok := strings.CutPrefix(line, "citytwin is serving on http://"); ok {
				c.httpAddr = strings.TrimSuffix(strings.Fields(a)[0], "/")
				close(found)
			}
		}
		io.Copy(io.Discard, out)
	}()
	select {
	case <-found:
	case <-deadline:
		cmd.Process.Kill()
		t.Fatalf("child did not start: %s", c.stderr)
	}
	return c
}

// crashProducer records what it sent and what the server acknowledged.
type crashProducer struct {
	id    twin.ID
	sent  map[int64]float64 // every reading sent (acknowledged or not)
	acked map[int64]float64 // readings acknowledged
}

// TestCrashLosesNothingAcknowledged kills the server with SIGKILL in the middle
// of heavy MQTT (QoS 1) and HTTP ingest, starts it again on the same data and
// checks that every acknowledged reading is there, exactly once, and nothing
// that was never sent.
func TestCrashLosesNothingAcknowledged(t *testing.T) {
	if testing.Short() {
		t.Skip("starts and kills server processes")
	}
	for _, policy := range []string{"batch", "always"} {
		t.Run(policy, func(t *testing.T) { crashAndRecover(t, policy) })
	}
}

func crashAndRecover(t *testing.T, fsync string) {
	dir := t.TempDir()
	c := startChild(t, "--data", dir, "--addr", "127.0.0.1:0", "--mqtt", "127.0.0.1:0", "--log-level", "warn", "--fsync", fsync)
	const mqttProducers, httpProducers = 8, 4
	base := time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)

	// The sensors the producers feed.
	var features []string
	var producers []*crashProducer
	for i := range mqttProducers + httpProducers {
		kind := "mqtt"
		if i >= mqttProducers {
			kind = "http"
		}
		id := twin.ID(fmt.Sprintf("crash:sensor/%s-%d", kind, i))
		producers = append(producers, &crashProducer{id: id, sent: map[int64]float64{}, acked: map[int64]float64{}})
		features = append(features, fmt.Sprintf(`{"type":"Feature","id":%q,"geometry":{"type":"Point","coordinates":[24.9,60.1]},"properties":{"kind":"sensor"}}`, id))
	}
	resp, err := http.Post("http://"+c.httpAddr+"/api/v1/entities", "application/geo+json",
		strings.NewReader(`{"type":"FeatureCollection","features":[`+strings.Join(features, ",")+`]}`))
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("entities: %d %s", resp.StatusCode, b)
	}
	resp.Body.Close()

	// A reading for an entity the twin does not know: a dead letter, which must
	// still be there after the crash.
	resp, err = http.Post("http://"+c.httpAddr+"/api/v1/observations", "application/json", strings.NewReader(`{"id":"crash:sensor/nobody","metrics":{"pm25":1}}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()

	stop := make(chan struct{})
	var wg sync.WaitGroup
	for i, p := range producers[:mqttProducers] {
		wg.Go(func() { mqttProduce(t, c.mqtt, i, p, base, stop) })
	}
	for _, p := range producers[mqttProducers:] {
		wg.Go(func() { httpProduce(c.httpAddr, p, base, stop) })
	}
	time.Sleep(2 * time.Second)
	if err := c.cmd.Process.Kill(); err != nil { // SIGKILL: no shutdown, no snapshot
		t.Fatal(err)
	}
	c.cmd.Wait()
	close(stop)
	wg.Wait()

	acked := 0
	for _, p := range producers {
		acked += len(p.acked)
	}
	if acked < 1000 {
		t.Fatalf("only %d readings acknowledged before the kill: the test did not load the server", acked)
	}

	// Start again on the same data: it must come up and serve.
	c2 := startChild(t, "--data", dir, "--addr", "127.0.0.1:0", "--log-level", "warn")
	if r, err := http.Get("http://" + c2.httpAddr + "/api/v1/health"); err != nil || r.StatusCode != 200 {
		t.Fatalf("restarted server not healthy: %v %v", r, err)
	}
	r, err := http.Get("http://" + c2.httpAddr + "/api/v1/deadletter")
	if err != nil {
		t.Fatal(err)
	}
	letters, _ := io.ReadAll(r.Body)
	r.Body.Close()
	if !strings.Contains(string(letters), "crash:sensor/nobody") {
		t.Errorf("the dead letter of before the crash is gone: %s", letters)
	}
	c2.cmd.Process.Kill() // and once more without a clean stop
	c2.cmd.Wait()

	store, rec, err := twin.Open(context.Background(), twin.Config{GridMetres: 250, RefLat: 60, FeedSize: 64}, twin.DefaultDurability(dir))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	t.Logf("recovered: %d acknowledged readings; snapshot %q, %d records replayed, log %+v", acked, rec.Snapshot, rec.Records, rec.Log)
	for _, p := range producers {
		pts, err := store.Range(p.id, "seq", math.MinInt64, math.MaxInt64)
		if err != nil && len(p.acked) > 0 {
			t.Fatalf("%s: %v", p.id, err)
		}
		got := map[int64]float64{}
		for _, pt := range pts {
			if _, dup := got[pt.T]; dup {
				t.Fatalf("%s: reading at %d twice", p.id, pt.T)
			}
			got[pt.T] = pt.V
			if v, ok := p.sent[pt.T]; !ok || v != pt.V {
				t.Fatalf("%s: reading %d=%v was never sent", p.id, pt.T, pt.V)
			}
		}
		for ts, v := range p.acked {
			if g, ok := got[ts]; !ok || g != v {
				t.Fatalf("%s: acknowledged reading at %v (%v) lost after kill -9", p.id, time.Unix(0, ts).UTC(), v)
			}
		}
	}
}

// mqttProduce publishes one SenML reading a message at QoS 1 until stopped or
// the connection dies, recording each reading once its PUBACK arrived.
func mqttProduce(t *testing.T, addr string, n int, p *crashProducer, base time.Time, stop chan struct{}) {
	opts := paho.NewClientOptions().AddBroker("tcp://" + addr).SetClientID(fmt.Sprintf("crash-%d", n)).
		SetAutoReconnect(false).SetConnectRetry(false).SetCleanSession(true).SetWriteTimeout(5 * time.Second)
	cl := paho.NewClient(opts)
	if tok := cl.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Errorf("mqtt connect: %v", tok.Error())
		return
	}
	defer cl.Disconnect(0)
	topic := "citytwin/crash/" + string(p.id) + "/senml"
	// A window of publishes in flight, as a real device with QoS 1 has.
	type pending struct {
		tok paho.Token
		ts  int64
		v   float64
	}
	var window []pending
	for seq := 0; ; seq++ {
		select {
		case <-stop:
			return
		default:
		}
		ts := base.Add(time.Duration(seq) * time.Second)
		v := float64(seq)
		payload := fmt.Sprintf(`[{"bn":"%s:","n":"seq","t":%d,"v":%d}]`, p.id, ts.Unix(), seq)
		p.sent[ts.UnixNano()] = v
		window = append(window, pending{cl.Publish(topic, 1, false, payload), ts.UnixNano(), v})
		if len(window) < 16 {
			continue
		}
		w := window[0]
		window = window[1:]
		if !w.tok.WaitTimeout(10*time.Second) || w.tok.Error() != nil {
			return // the server died
		}
		p.acked[w.ts] = w.v
	}
}

// httpProduce posts batches of 50 readings as NDJSON until stopped or the
// server dies, recording the readings of every batch answered 200.
func httpProduce(addr string, p *crashProducer, base time.Time, stop chan struct{}) {
	client := &http.Client{Timeout: 10 * time.Second}
	seq := 0
	for {
		select {
		case <-stop:
			return
		default:
		}
		var body bytes.Buffer
		batch := map[int64]float64{}
		for range 50 {
			ts := base.Add(time.Duration(seq) * time.Second)
			fmt.Fprintf(&body, `{"id":%q,"t":%q,"metrics":{"seq":%d}}`+"\n", p.id, ts.Format(time.RFC3339Nano), seq)
			batch[ts.UnixNano()] = float64(seq)
			p.sent[ts.UnixNano()] = float64(seq)
			seq++
		}
		resp, err := client.Post("http://"+addr+"/api/v1/observations", "application/x-ndjson", &body)
		if err != nil {
			return
		}
		var rep struct{ Records, Accepted int }
		err = json.NewDecoder(resp.Body).Decode(&rep)
		resp.Body.Close()
		if err != nil || resp.StatusCode != 200 || rep.Accepted != 50 {
			if resp.StatusCode == http.StatusTooManyRequests {
				time.Sleep(100 * time.Millisecond)
				continue
			}
			return
		}
		for ts, v := range batch {
			p.acked[ts] = v
		}
	}
}
