package main

import (
	"errors"
	"fmt"
	"io"
	"net"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"time"

	"citytwin/ingest"
	"citytwin/ingest/gateway"
	"citytwin/ingest/mqtt"
	"citytwin/twin"
	"citytwin/twin/wal"

	paho "github.com/eclipse/paho.mqtt.golang"
)

// mqttRig is the whole ingest path of a server: a durable twin, the batcher,
// the gateway and the embedded broker on a loopback port.
type mqttRig struct {
	store   *twin.Store
	batcher *ingest.Batcher
	gw      *gateway.Gateway
	broker  *mqtt.Broker
	ids     []twin.ID
}

func (b *ingestBench) newMQTTRig(n int) (*mqttRig, error) {
	s, _, err := b.open(wal.SyncBatch)
	if err != nil {
		return nil, err
	}
	r := &mqttRig{store: s}
	if r.ids, err = sensors(s, n); err != nil {
		r.close()
		return nil, err
	}
	if r.batcher, err = ingest.NewBatcher(s, ingest.DefaultBatcherConfig()); err != nil {
		r.close()
		return nil, err
	}
	r.gw = gateway.New(gateway.Config{ParseTopic: mqtt.ParseTopic}, r.batcher, s, ingest.NewDeadLetters(100), nil)
	bc := mqtt.DefaultBrokerConfig()
	bc.Addr = "127.0.0.1:0"
	bc.MaxClients = 10_000
	if r.broker, err = mqtt.NewBroker(bc, r.gw, nil); err != nil {
		r.close()
		return nil, err
	}
	if err := r.broker.Start(b.ctx); err != nil {
		r.close()
		return nil, err
	}
	return r, nil
}

func (r *mqttRig) close() {
	if r.broker != nil {
		r.broker.Close()
	}
	if r.batcher != nil {
		r.batcher.Close()
	}
	r.store.Close()
}

// connect connects n MQTT 3.1.1 clients, 32 at a time.
func (r *mqttRig) connect(n int) ([]paho.Client, error) {
	clients := make([]paho.Client, n)
	errs := make([]error, n)
	sem := make(chan struct{}, 32)
	var wg sync.WaitGroup
	for i := range clients {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			opts := paho.NewClientOptions().AddBroker("tcp://" + r.broker.Addr().String()).
				SetClientID("bench-" + strconv.Itoa(i)).SetAutoReconnect(false).SetOrderMatters(false).SetKeepAlive(time.Minute)
			c := paho.NewClient(opts)
			if tok := c.Connect(); !tok.WaitTimeout(30*time.Second) || tok.Error() != nil {
				errs[i] = fmt.Errorf("client %d: %v", i, tok.Error())
				return
			}
			clients[i] = c
		})
	}
	wg.Wait()
	return clients, errors.Join(errs...)
}

func disconnect(clients []paho.Client) {
	for _, c := range clients {
		if c != nil {
			c.Disconnect(0)
		}
	}
}

// senmlReading is one reading as a small SenML pack.
func senmlReading(t time.Time, v int) string {
	return `[{"n":"pm25","u":"ug/m3","t":` + strconv.FormatInt(t.Unix(), 10) + `.` + fmt.Sprintf("%03d", t.Nanosecond()/1e6) + `,"v":` + strconv.Itoa(v) + `}]`
}

func (b *ingestBench) mqttIngest() error {
	const clients = 1000
	r, err := b.newMQTTRig(clients)
	if err != nil {
		return err
	}
	defer r.close()
	cs, err := r.connect(clients)
	defer disconnect(cs)
	if err != nil {
		return err
	}
	// QoS 0: every client publishes its share as fast as it can; the figure is
	// the rate at which the readings are in the twin (logged and applied).
	per := 300_000 / b.scale / clients
	total := per * clients
	base := time.Now().Add(-time.Hour).Truncate(time.Second)
	before := r.gw.Stats().Accepted.Load()
	start := time.Now()
	var wg sync.WaitGroup
	for i, c := range cs {
		topic := "citytwin/bench/" + string(r.ids[i]) + "/senml"
		wg.Go(func() {
			for k := range per {
				c.Publish(topic, 0, false, senmlReading(base.Add(time.Duration(k)*time.Millisecond), k))
			}
		})
	}
	wg.Wait()
	deadline := time.Now().Add(time.Minute)
	for r.gw.Stats().Accepted.Load()-before < uint64(total) && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	took := time.Since(start)
	got := r.gw.Stats().Accepted.Load() - before
	dropped := r.broker.Stats().Topics[mqtt.ClassSenML].Dropped
	b.add(benchFigure{Name: "MQTT QoS 0 into the twin, 1,000 paho clients on loopback", Value: float64(got) / took.Seconds(), Unit: "msgs/s",
		Note: fmt.Sprintf("%d of %d readings in the twin, %d dropped under overload; paho writes each message with its own syscall, and clients, broker and twin share the 2 cores", got, total, dropped)})

	// QoS 1 at a fixed 20,000 msgs/s from 100 of the clients: the time from
	// publishing to the PUBACK, which the broker sends once the log has the
	// reading.
	const senders, rate = 100, 20_000
	disconnect(cs[senders:]) // a scenario of its own: 100 clients
	cs = cs[:senders]
	runtime.GC()
	dur := 5 * time.Second / time.Duration(b.scale)
	interval := time.Second * senders / rate
	lat := make([][]time.Duration, senders)
	start = time.Now()
	for i := range senders {
		c, topic := cs[i], "citytwin/bench/"+string(r.ids[i])+"/senml"
		wg.Go(func() {
			var inflight sync.WaitGroup
			var mu sync.Mutex
			next := start.Add(time.Duration(i) * interval / senders)
			for k := 0; time.Since(start) < dur; k++ {
				if d := time.Until(next); d > 0 {
					time.Sleep(d)
				}
				sent := next // from when it was due: a late publisher counts against us
				next = next.Add(interval)
				tok := c.Publish(topic, 1, false, senmlReading(base.Add(time.Hour+time.Duration(k)*time.Millisecond), k))
				inflight.Go(func() {
					if tok.WaitTimeout(10*time.Second) && tok.Error() == nil {
						mu.Lock()
						lat[i] = append(lat[i], time.Since(sent))
						mu.Unlock()
					}
				})
			}
			inflight.Wait()
		})
	}
	wg.Wait()
	var all []time.Duration
	for _, l := range lat {
		all = append(all, l...)
	}
	if len(all) == 0 {
		return errors.New("no QoS 1 message was acknowledged")
	}
	slices.Sort(all)
	p := func(q float64) float64 { return float64(all[int(q*float64(len(all)-1))].Microseconds()) / 1000 }
	b.add(benchFigure{Name: "MQTT QoS 1 acknowledgement p99 at 20,000 msgs/s", Value: p(0.99), Unit: "ms", Target: 20,
		Note: fmt.Sprintf("p50 %.2f ms, %d messages from %d clients, PUBACK after the log has the reading (fsync batch)", p(0.5), len(all), senders)})
	return nil
}

// rawPublisher is the leanest MQTT 3.1.1 client there is: it connects, then
// writes QoS 0 PUBLISH packets many to a write(2), so that the load generator
// is not what the figure measures.
type rawPublisher struct {
	conn  net.Conn
	topic string
}

func dialRaw(addr, clientID, topic string) (*rawPublisher, error) {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return nil, err
	}
	// CONNECT: protocol "MQTT" level 4, clean session, keep-alive 60 s.
	var vh []byte
	vh = append(vh, 0, 4, 'M', 'Q', 'T', 'T', 4, 0x02, 0, 60)
	vh = append(vh, byte(len(clientID)>>8), byte(len(clientID)))
	vh = append(vh, clientID...)
	pk := append([]byte{0x10}, remainingLength(len(vh))...)
	if _, err := c.Write(append(pk, vh...)); err != nil {
		c.Close()
		return nil, err
	}
	ack := make([]byte, 4)
	if _, err := io.ReadFull(c, ack); err != nil || ack[0] != 0x20 || ack[3] != 0 {
		c.Close()
		return nil, fmt.Errorf("connack %x: %v", ack, err)
	}
	return &rawPublisher{conn: c, topic: topic}, nil
}

func remainingLength(n int) []byte {
	var b []byte
	for {
		d := byte(n % 128)
		n /= 128
		if n > 0 {
			d |= 0x80
		}
		b = append(b, d)
		if n == 0 {
			return b
		}
	}
}

// appendPublish appends a QoS 0 PUBLISH of payload to buf.
func appendPublish(buf []byte, topic string, payload []byte) []byte {
	buf = append(buf, 0x30)
	buf = append(buf, remainingLength(2+len(topic)+len(payload))...)
	buf = append(buf, byte(len(topic)>>8), byte(len(topic)))
	buf = append(buf, topic...)
	return append(buf, payload...)
}

// publish sends n readings, batch packets to a write, each with its own time.
func (p *rawPublisher) publish(n, batch int, base time.Time) error {
	var buf []byte
	for k := 0; k < n; {
		buf = buf[:0]
		for j := 0; j < batch && k < n; j, k = j+1, k+1 {
			buf = appendPublish(buf, p.topic, []byte(senmlReading(base.Add(time.Duration(k)*time.Millisecond), k)))
		}
		if _, err := p.conn.Write(buf); err != nil {
			return err
		}
	}
	return nil
}

// mqttRaw measures QoS 0 ingest with raw publishers.
func (b *ingestBench) mqttRaw() error {
	const clients, batch = 1000, 64
	r, err := b.newMQTTRig(clients)
	if err != nil {
		return err
	}
	defer r.close()
	pubs := make([]*rawPublisher, clients)
	for i := range pubs {
		if pubs[i], err = dialRaw(r.broker.Addr().String(), "raw-"+strconv.Itoa(i), "citytwin/bench/"+string(r.ids[i])+"/senml"); err != nil {
			return err
		}
		defer pubs[i].conn.Close()
	}
	per := 1_000_000 / b.scale / clients
	total := per * clients
	base := time.Now().Add(-time.Hour).Truncate(time.Second)
	before := r.gw.Stats().Accepted.Load()
	start := time.Now()
	var wg sync.WaitGroup
	errs := make([]error, clients)
	for i, p := range pubs {
		wg.Go(func() { errs[i] = p.publish(per, batch, base) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	deadline := time.Now().Add(time.Minute)
	for r.gw.Stats().Accepted.Load()-before < uint64(total) && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	took := time.Since(start)
	got := r.gw.Stats().Accepted.Load() - before
	b.add(benchFigure{Name: "MQTT QoS 0 into the twin, 1,000 lean clients on loopback", Value: float64(got) / took.Seconds(), Unit: "msgs/s", Target: 100_000, Higher: true,
		Note: fmt.Sprintf("%d of %d SenML readings in the twin; clients write 64 packets a syscall", got, total)})
	return nil
}
