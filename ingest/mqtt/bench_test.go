package mqtt

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	mqtt3 "github.com/eclipse/paho.mqtt.golang"

	"citytwin/ingest"
)

// counter is the cheapest handler: it counts.
type counter struct{ n atomic.Int64 }

func (c *counter) HandleMessage(context.Context, ingest.Message) error {
	c.n.Add(1)
	return nil
}

// connectMany connects n paho.mqtt.golang clients, 32 at a time.
func connectMany(b *testing.B, addr net.Addr, n int) []mqtt3.Client {
	b.Helper()
	clients := make([]mqtt3.Client, n)
	sem := make(chan struct{}, 32)
	var wg sync.WaitGroup
	var failed atomic.Value
	for i := range clients {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			opts := v3Options(addr, fmt.Sprintf("bench-%d", i)).SetOrderMatters(false).SetKeepAlive(time.Minute)
			c := mqtt3.NewClient(opts)
			tok := c.Connect()
			if !tok.WaitTimeout(30*time.Second) || tok.Error() != nil {
				failed.Store(fmt.Sprintf("client %d: %v", i, tok.Error()))
				return
			}
			clients[i] = c
		}()
	}
	wg.Wait()
	b.Cleanup(func() {
		for _, c := range clients {
			if c != nil {
				c.Disconnect(0)
			}
		}
	})
	if f := failed.Load(); f != nil {
		b.Fatal(f)
	}
	return clients
}

// share splits total over n parts as evenly as possible.
func share(total, n, i int) int {
	s := total / n
	if i < total%n {
		s++
	}
	return s
}

// BenchmarkBrokerQoS0 publishes b.N QoS 0 messages from 1,000 concurrent
// paho.mqtt.golang clients and reports the rate at which the handler took them.
// Publishers, broker and handler share the machine.
func BenchmarkBrokerQoS0(b *testing.B) {
	const clients = 1000
	h := &counter{}
	br := startBroker(b, BrokerConfig{}, h)
	cs := connectMany(b, br.Addr(), clients)
	payload := []byte(`[{"bn":"urn:dev:aq-17:","n":"pm25","u":"ug/m3","v":12.5}]`)
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	start := time.Now()
	var wg sync.WaitGroup
	for i, c := range cs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			topic := fmt.Sprintf("citytwin/aqnet/sensor:aq-%d/senml", i)
			var tok mqtt3.Token
			for range share(b.N, clients, i) {
				tok = c.Publish(topic, 0, false, payload)
			}
			if tok != nil {
				tok.Wait()
			}
		}()
	}
	wg.Wait()
	for h.n.Load() < int64(b.N) {
		time.Sleep(100 * time.Microsecond)
	}
	elapsed := time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "msgs/s")
	reportCPU(b, cpu0, b.N)
}

// BenchmarkBrokerQoS0Raw is BenchmarkBrokerQoS0 with the cheapest possible
// publishers: 1,000 raw TCP connections, each writing pre-encoded MQTT 3.1.1
// PUBLISH packets 64 at a time. It measures what the broker (mochi and the
// hook) can take when the clients cost next to nothing.
func BenchmarkBrokerQoS0Raw(b *testing.B) {
	const clients, batch = 1000, 64
	h := &counter{}
	br := startBroker(b, BrokerConfig{}, h)
	conns := make([]net.Conn, clients)
	for i := range conns {
		c, err := net.Dial("tcp", br.Addr().String())
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { c.Close() })
		if _, err := c.Write(connectPacket(fmt.Sprintf("raw-%d", i))); err != nil {
			b.Fatal(err)
		}
		ack := make([]byte, 4) // CONNACK
		if _, err := io.ReadFull(bufio.NewReader(c), ack); err != nil || ack[0] != 0x20 || ack[3] != 0 {
			b.Fatalf("connack %x: %v", ack, err)
		}
		conns[i] = c
	}
	payload := []byte(`[{"bn":"urn:dev:aq-17:","n":"pm25","u":"ug/m3","v":12.5}]`)
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	start := time.Now()
	var wg sync.WaitGroup
	for i, c := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			pk := publishPacket(fmt.Sprintf("citytwin/aqnet/sensor:aq-%d/senml", i), payload)
			buf := slices.Repeat(pk, batch)
			for left := share(b.N, clients, i); left > 0; left -= batch {
				n := min(left, batch)
				if _, err := c.Write(buf[:n*len(pk)]); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	for h.n.Load() < int64(b.N) {
		time.Sleep(100 * time.Microsecond)
	}
	elapsed := time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "msgs/s")
	reportCPU(b, cpu0, b.N)
}

// BenchmarkBrokerQoS1Latency publishes QoS 1 messages from 100 paho.mqtt.golang
// clients at a fixed aggregate rate of 20,000 msg/s (each client one message
// every 5 ms, the clients staggered) and reports the PUBACK latency: p50/p99 from
// each message's scheduled send time to its token's completion (so a publisher
// that falls behind counts its lag), and send-p99 from the Publish call.
func BenchmarkBrokerQoS1Latency(b *testing.B) {
	const clients, rate = 100, 20_000
	h := &counter{}
	br := startBroker(b, BrokerConfig{}, h)
	cs := connectMany(b, br.Addr(), clients)
	payload := []byte(`[{"bn":"urn:dev:aq-17:","n":"pm25","u":"ug/m3","v":12.5}]`)
	period := time.Second * clients / rate // per client
	type sent struct {
		at, call time.Time
		tok      mqtt3.Token
	}
	lat := make([][]time.Duration, clients)
	fromCall := make([][]time.Duration, clients)
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	t0 := time.Now().Add(10 * time.Millisecond)
	var wg sync.WaitGroup
	for i, c := range cs {
		n := share(b.N, clients, i)
		pending := make(chan sent, 1024)
		wg.Add(2)
		go func() { // publisher
			defer wg.Done()
			defer close(pending)
			topic := fmt.Sprintf("citytwin/aqnet/sensor:aq-%d/senml", i)
			offset := time.Duration(i) * period / clients
			for k := range n {
				at := t0.Add(offset + time.Duration(k)*period)
				if d := time.Until(at); d > 0 {
					time.Sleep(d)
				}
				pending <- sent{at, time.Now(), c.Publish(topic, 1, false, payload)}
			}
		}()
		go func() { // acknowledgements arrive in order
			defer wg.Done()
			l := make([]time.Duration, 0, n)
			lc := make([]time.Duration, 0, n)
			for s := range pending {
				<-s.tok.Done()
				now := time.Now()
				l = append(l, now.Sub(s.at))
				lc = append(lc, now.Sub(s.call))
				if err := s.tok.Error(); err != nil {
					b.Error(err)
				}
			}
			lat[i], fromCall[i] = l, lc
		}()
	}
	wg.Wait()
	elapsed := time.Since(t0)
	b.StopTimer()
	all, calls := slices.Concat(lat...), slices.Concat(fromCall...)
	if len(all) == 0 {
		return
	}
	slices.Sort(all)
	slices.Sort(calls)
	ms := func(d []time.Duration, q float64) float64 {
		return float64(d[min(len(d)-1, int(q*float64(len(d))))]) / float64(time.Millisecond)
	}
	b.ReportMetric(ms(all, 0.50), "p50-ms")
	b.ReportMetric(ms(all, 0.99), "p99-ms")
	b.ReportMetric(ms(all, 1), "max-ms")
	b.ReportMetric(ms(calls, 0.99), "send-p99-ms")
	b.ReportMetric(float64(len(all))/elapsed.Seconds(), "msgs/s")
	reportCPU(b, cpu0, len(all))
}

// reportCPU reports the process's CPU time per message since cpu0: what one
// message costs publishers, broker and handler together, whatever else the
// machine runs meanwhile.
func reportCPU(b *testing.B, cpu0 time.Duration, msgs int) {
	if d := cpuTime() - cpu0; d > 0 && msgs > 0 {
		b.ReportMetric(float64(d)/float64(time.Microsecond)/float64(msgs), "cpu-us/msg")
	}
}

// connectPacket is an MQTT 3.1.1 CONNECT with a clean session and a 60 s keep-alive.
func connectPacket(id string) []byte {
	vh := []byte{0, 4, 'M', 'Q', 'T', 'T', 4, 0x02, 0, 60}
	body := append(vh, byte(len(id)>>8), byte(len(id)))
	body = append(body, id...)
	return append(append([]byte{0x10}, remainingLength(len(body))...), body...)
}

// publishPacket is an MQTT QoS 0 PUBLISH.
func publishPacket(topic string, payload []byte) []byte {
	body := append([]byte{byte(len(topic) >> 8), byte(len(topic))}, topic...)
	body = append(body, payload...)
	return append(append([]byte{0x30}, remainingLength(len(body))...), body...)
}

func remainingLength(n int) []byte {
	var out []byte
	for {
		b := byte(n % 128)
		n /= 128
		if n > 0 {
			b |= 0x80
		}
		out = append(out, b)
		if n == 0 {
			return out
		}
	}
}
