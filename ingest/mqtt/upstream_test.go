package mqtt

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync/atomic"
	"testing"
	"time"

	mqtt3 "github.com/eclipse/paho.mqtt.golang"
	mochi "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/listeners"
	"github.com/mochi-mqtt/server/v2/packets"

	"citytwin/ingest"
)

// allowAll lets every client in (mochi's auth.AllowHook lives in a package
// whose dependencies citytwin does not have).
type allowAll struct{ mochi.HookBase }

func (*allowAll) ID() string { return "allow-all" }
func (*allowAll) Provides(b byte) bool {
	return b == mochi.OnConnectAuthenticate || b == mochi.OnACLCheck
}
func (*allowAll) OnConnectAuthenticate(*mochi.Client, packets.Packet) bool { return true }
func (*allowAll) OnACLCheck(*mochi.Client, string, bool) bool              { return true }

// startCityBroker starts a plain mochi broker, standing in for a city's own.
func startCityBroker(t *testing.T) (*mochi.Server, net.Addr) {
	t.Helper()
	srv := mochi.New(&mochi.Options{Logger: slog.New(slog.DiscardHandler)})
	if err := srv.AddHook(new(allowAll), nil); err != nil {
		t.Fatal(err)
	}
	tcp := listeners.NewTCP(listeners.Config{ID: "city", Address: "127.0.0.1:0"})
	if err := srv.AddListener(tcp); err != nil {
		t.Fatal(err)
	}
	if err := srv.Serve(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	addr, err := net.ResolveTCPAddr("tcp", tcp.Address())
	if err != nil {
		t.Fatal(err)
	}
	return srv, addr
}

// unacked is the number of messages the city's broker holds for a client and
// has not had acknowledged.
func unacked(city *mochi.Server, clientID string) int {
	cl, ok := city.Clients.Get(clientID)
	if !ok {
		return -1
	}
	return cl.State.Inflight.Len()
}

// runUpstream runs an upstream client until the returned stop is called (or the
// test ends); stop waits for Run to return and reports its error.
func runUpstream(t *testing.T, cfg UpstreamConfig, h ingest.MessageHandler) (*Upstream, func() error) {
	t.Helper()
	up, err := NewUpstream(cfg, h, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- up.Run(ctx) }()
	var stopped atomic.Bool
	stop := func() error {
		if !stopped.CompareAndSwap(false, true) {
			return nil
		}
		cancel()
		select {
		case err := <-done:
			return err
		case <-time.After(waitLong):
			t.Fatal("upstream Run did not return")
			return nil
		}
	}
	t.Cleanup(func() { _ = stop() })
	return up, stop
}

func upstreamConfig(addr net.Addr, clientID string) UpstreamConfig {
	cfg := DefaultUpstreamConfig()
	cfg.URL = "mqtt://" + addr.String()
	cfg.Topics = []string{"city/#"}
	cfg.ClientID = clientID
	cfg.ReconnectMin = 20 * time.Millisecond
	cfg.ReconnectMax = 200 * time.Millisecond
	cfg.RetryMin = time.Millisecond
	cfg.RetryMax = 20 * time.Millisecond
	return cfg
}

// subscribed waits until the upstream client receives messages, by publishing
// probes on topic until one arrives; it returns how many probes were taken.
func subscribed(t *testing.T, pub mqtt3.Client, rec *recorder, topic string) int {
	t.Helper()
	deadline := time.Now().Add(waitLong)
	for len(rec.taken()) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("upstream never received a probe")
		}
		if err := wait(t, pub.Publish(topic, 1, false, []byte("probe"))); err != nil {
			t.Fatal(err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return len(rec.taken())
}

func TestUpstreamReceives(t *testing.T) {
	_, addr := startCityBroker(t)
	rec := &recorder{}
	up, _ := runUpstream(t, upstreamConfig(addr, "citytwin-recv"), rec)
	pub := connectV3(t, v3Options(addr, "city-sensor"))
	probes := subscribed(t, pub, rec, "city/probe")

	for i := range 10 {
		qos := byte(i % 2)
		if err := wait(t, pub.Publish(fmt.Sprintf("city/aq/%d", i), qos, false, fmt.Appendf(nil, "v=%d", i))); err != nil {
			t.Fatal(err)
		}
	}
	got := rec.waitTaken(t, probes+10)[probes:]
	for i, m := range got {
		if m.Source != "mqtt-upstream" || m.Topic != fmt.Sprintf("city/aq/%d", i) || string(m.Payload) != fmt.Sprintf("v=%d", i) {
			t.Errorf("message %d = %+v (payload %s)", i, m, m.Payload)
		}
	}
	if st := up.Stats(); !st.Connected || st.Connects != 1 || st.Accepted != uint64(probes+10) {
		t.Errorf("stats %+v", st)
	}
}

// QoS 1 messages published while citytwin is away arrive when it comes back
// with the same client id.
func TestUpstreamPersistentSession(t *testing.T) {
	city, addr := startCityBroker(t)
	rec := &recorder{}
	cfg := upstreamConfig(addr, "citytwin-persist")
	_, stop := runUpstream(t, cfg, rec)
	pub := connectV3(t, v3Options(addr, "city-sensor"))
	probes := subscribed(t, pub, rec, "city/probe")
	eventually(t, "probes acknowledged", func() bool { return unacked(city, cfg.ClientID) == 0 })
	if err := stop(); err != nil {
		t.Fatal(err)
	}

	const n = 20
	for i := range n {
		if err := wait(t, pub.Publish("city/parking/p-9", 1, false, fmt.Appendf(nil, "free=%d", i))); err != nil {
			t.Fatal(err)
		}
	}
	if len(rec.taken()) != probes {
		t.Fatal("messages arrived while the upstream client was stopped")
	}

	up, _ := runUpstream(t, cfg, rec)
	// the order is the city broker's: mochi resends a session's messages
	// sorted by their second of arrival only (inflight.go GetAll)
	got := map[string]int{}
	for _, m := range rec.waitTaken(t, probes+n)[probes:] {
		got[string(m.Payload)]++
	}
	for i := range n {
		if want := fmt.Sprintf("free=%d", i); got[want] != 1 {
			t.Errorf("queued message %s taken %d times, want once", want, got[want])
		}
	}
	eventually(t, "queued messages acknowledged", func() bool { return unacked(city, cfg.ClientID) == 0 })
	if st := up.Stats(); st.Accepted != n {
		t.Errorf("stats %+v, want %d accepted", st, n)
	}
}

// The handler refusing with ErrOverloaded is retried until it takes the
// message; the message is acknowledged once, after that.
func TestUpstreamRetriesOverload(t *testing.T) {
	city, addr := startCityBroker(t)
	var overloads atomic.Int64
	rec := &recorder{decide: func(_ context.Context, m ingest.Message) error {
		switch {
		case string(m.Payload) == "probe":
			return nil
		case string(m.Payload) == "bad":
			return errors.New("senml: not an array")
		case overloads.Add(1) <= 3:
			return ingest.ErrOverloaded
		}
		return nil
	}}
	cfg := upstreamConfig(addr, "citytwin-overload")
	up, _ := runUpstream(t, cfg, rec)
	pub := connectV3(t, v3Options(addr, "city-sensor"))
	probes := subscribed(t, pub, rec, "city/probe")

	if err := wait(t, pub.Publish("city/aq/1", 1, false, []byte("bad"))); err != nil {
		t.Fatal(err)
	}
	if err := wait(t, pub.Publish("city/aq/1", 1, false, []byte("good"))); err != nil {
		t.Fatal(err)
	}
	got := rec.waitTaken(t, probes+1)
	if m := got[probes]; string(m.Payload) != "good" {
		t.Errorf("took %s, want good", m.Payload)
	}
	// both were acknowledged: the city's broker holds nothing for us
	eventually(t, "acknowledged", func() bool { return unacked(city, cfg.ClientID) == 0 })
	time.Sleep(100 * time.Millisecond)
	if n := len(rec.taken()); n != probes+1 {
		t.Errorf("handler took %d messages, want %d (no redelivery)", n, probes+1)
	}
	st := up.Stats()
	if st.Retries != 3 || st.Refused != 1 || st.Accepted != uint64(probes+1) {
		t.Errorf("stats %+v", st)
	}
}

// While the handler stays overloaded, a lost connection ends the retries; the
// broker redelivers on the next connection and the message is not lost.
func TestUpstreamRedeliversAfterConnectionLoss(t *testing.T) {
	city, addr := startCityBroker(t)
	var overloaded atomic.Bool
	rec := &recorder{decide: func(_ context.Context, m ingest.Message) error {
		if string(m.Payload) != "probe" && overloaded.Load() {
			return ingest.ErrOverloaded
		}
		return nil
	}}
	overloaded.Store(true)
	cfg := upstreamConfig(addr, "citytwin-redeliver")
	up, _ := runUpstream(t, cfg, rec)
	pub := connectV3(t, v3Options(addr, "city-sensor"))
	probes := subscribed(t, pub, rec, "city/probe")
	if err := wait(t, pub.Publish("city/aq/1", 1, false, []byte("data"))); err != nil {
		t.Fatal(err)
	}
	eventually(t, "retrying", func() bool { return up.Stats().Retries > 0 })
	cl, ok := city.Clients.Get("citytwin-redeliver")
	if !ok {
		t.Fatal("no upstream client on the city broker")
	}
	cl.Stop(errors.New("test: connection dropped"))
	eventually(t, "reconnected", func() bool { return up.Stats().Connects >= 2 })
	overloaded.Store(false)
	got := rec.waitTaken(t, probes+1)
	if string(got[probes].Payload) != "data" {
		t.Errorf("took %s, want data", got[probes].Payload)
	}
	eventually(t, "acknowledged", func() bool { return unacked(city, cfg.ClientID) == 0 })
	if st := up.Stats(); st.Aborted == 0 {
		t.Errorf("stats %+v, want the first delivery aborted", st)
	}
}

// Credentials in the URL reach the broker; our own broker, with auth on, plays
// the city's.
func TestUpstreamURLCredentials(t *testing.T) {
	city := startBroker(t, BrokerConfig{Username: "twin", Password: "p@ss"}, &recorder{})
	rec := &recorder{}
	cfg := upstreamConfig(city.Addr(), "citytwin-auth")
	cfg.URL = "tcp://twin:p%40ss@" + city.Addr().String()
	runUpstream(t, cfg, rec)
	pub := connectV3(t, v3Options(city.Addr(), "sensor").SetUsername("twin").SetPassword("p@ss"))
	subscribed(t, pub, rec, "city/probe")
}

func TestUpstreamConfig(t *testing.T) {
	cases := []struct {
		name   string
		modify func(*UpstreamConfig)
		valid  bool
	}{
		{"default", func(*UpstreamConfig) {}, true},
		{"mqtts", func(c *UpstreamConfig) { c.URL = "mqtts://broker.city.example" }, true},
		{"ws", func(c *UpstreamConfig) { c.URL = "ws://broker.city.example:8080/mqtt" }, true},
		{"http", func(c *UpstreamConfig) { c.URL = "http://broker.city.example" }, false},
		{"no host", func(c *UpstreamConfig) { c.URL = "mqtt://" }, false},
		{"no topics", func(c *UpstreamConfig) { c.Topics = nil }, false},
		{"shared subscription", func(c *UpstreamConfig) { c.Topics = []string{"$share/twin/city/+/senml"} }, true},
		{"bad #", func(c *UpstreamConfig) { c.Topics = []string{"city/#/x"} }, false},
		{"bad +", func(c *UpstreamConfig) { c.Topics = []string{"city/a+"} }, false},
		{"empty filter", func(c *UpstreamConfig) { c.Topics = []string{""} }, false},
		{"qos 3", func(c *UpstreamConfig) { c.QoS = 3 }, false},
		{"password alone", func(c *UpstreamConfig) { c.Password = "x" }, false},
		{"backoff out of order", func(c *UpstreamConfig) { c.ReconnectMin, c.ReconnectMax = time.Minute, time.Second }, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := DefaultUpstreamConfig()
			c.URL = "mqtt://broker.city.example"
			c.Topics = []string{"city/#"}
			tc.modify(&c)
			if err := c.Validate(); (err == nil) != tc.valid {
				t.Errorf("Validate() = %v, want valid %v", err, tc.valid)
			}
		})
	}

	up, err := NewUpstream(UpstreamConfig{URL: "mqtt://u:pw@broker.city.example", Topics: []string{"city/#"}}, &recorder{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if up.cfg.Username != "u" || up.cfg.Password != "pw" || up.url.User != nil || up.url.Host != "broker.city.example:1883" {
		t.Errorf("config %+v, url %v", up.cfg, up.url)
	}
	if id := up.ClientID(); len(id) != len("citytwin-")+12 {
		t.Errorf("client id %q", id)
	}
}
