package mqtt

import (
	"context"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/eclipse/paho.golang/paho"
	mqtt3 "github.com/eclipse/paho.mqtt.golang"

	"citytwin/ingest"
)

const waitLong = 10 * time.Second

// recorder is a handler that keeps the messages it took. decide, if set,
// answers first; a message is kept only when the answer is nil.
type recorder struct {
	decide func(ctx context.Context, m ingest.Message) error
	calls  atomic.Int64
	mu     sync.Mutex
	msgs   []ingest.Message
}

func (r *recorder) HandleMessage(ctx context.Context, m ingest.Message) error {
	r.calls.Add(1)
	if r.decide != nil {
		if err := r.decide(ctx, m); err != nil {
			return err
		}
	}
	m.Payload = append([]byte(nil), m.Payload...)
	r.mu.Lock()
	r.msgs = append(r.msgs, m)
	r.mu.Unlock()
	return nil
}

func (r *recorder) taken() []ingest.Message {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]ingest.Message(nil), r.msgs...)
}

// waitTaken waits until the recorder holds n messages and returns them.
func (r *recorder) waitTaken(t *testing.T, n int) []ingest.Message {
	t.Helper()
	eventually(t, fmt.Sprintf("%d messages taken", n), func() bool { return len(r.taken()) >= n })
	return r.taken()
}

// eventually polls cond until it holds or waitLong passes.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitLong)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// startBroker starts a broker on a free loopback port, closed at the end of the test.
func startBroker(t testing.TB, cfg BrokerConfig, h ingest.MessageHandler) *Broker {
	t.Helper()
	cfg.Addr = "127.0.0.1:0"
	b, err := NewBroker(cfg, h, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := b.Close(); err != nil {
			t.Error(err)
		}
	})
	return b
}

// v3Options are paho.mqtt.golang options for an MQTT 3.1.1 client of addr.
func v3Options(addr net.Addr, id string) *mqtt3.ClientOptions {
	return mqtt3.NewClientOptions().
		AddBroker("tcp://" + addr.String()).
		SetClientID(id).
		SetProtocolVersion(4).
		SetAutoReconnect(false).
		SetConnectTimeout(5 * time.Second)
}

// connectV3 connects an MQTT 3.1.1 client, disconnected at the end of the test.
func connectV3(t testing.TB, opts *mqtt3.ClientOptions) mqtt3.Client {
	t.Helper()
	c := mqtt3.NewClient(opts)
	tok := c.Connect()
	if !tok.WaitTimeout(waitLong) {
		t.Fatal("v3 connect timed out")
	}
	if err := tok.Error(); err != nil {
		t.Fatalf("v3 connect: %v", err)
	}
	t.Cleanup(func() { c.Disconnect(0) })
	return c
}

// wait waits for a paho.mqtt.golang token and returns its error.
func wait(t testing.TB, tok mqtt3.Token) error {
	t.Helper()
	if !tok.WaitTimeout(waitLong) {
		t.Fatal("token timed out")
	}
	return tok.Error()
}

// connectV5 connects an MQTT 5 client (paho.golang), disconnected at the end of
// the test. onMsg, if set, receives the messages of its subscriptions.
func connectV5(t testing.TB, addr net.Addr, id, user, pass string, onMsg func(*paho.Publish)) (*paho.Client, error) {
	t.Helper()
	conn, err := net.Dial("tcp", addr.String())
	if err != nil {
		t.Fatal(err)
	}
	cfg := paho.ClientConfig{ClientID: id, Conn: conn}
	if onMsg != nil {
		cfg.OnPublishReceived = []func(paho.PublishReceived) (bool, error){
			func(pr paho.PublishReceived) (bool, error) { onMsg(pr.Packet); return true, nil },
		}
	}
	c := paho.NewClient(cfg)
	cp := &paho.Connect{ClientID: id, KeepAlive: 30, CleanStart: true}
	if user != "" {
		cp.Username, cp.UsernameFlag = user, true
		cp.Password, cp.PasswordFlag = []byte(pass), true
	}
	ctx, cancel := context.WithTimeout(context.Background(), waitLong)
	defer cancel()
	if _, err := c.Connect(ctx, cp); err != nil {
		return nil, err
	}
	t.Cleanup(func() { _ = c.Disconnect(&paho.Disconnect{}) })
	return c, nil
}

func mustV5(t testing.TB, addr net.Addr, id string, onMsg func(*paho.Publish)) *paho.Client {
	t.Helper()
	c, err := connectV5(t, addr, id, "", "", onMsg)
	if err != nil {
		t.Fatalf("v5 connect: %v", err)
	}
	return c
}

// publishV5 publishes and returns the PUBACK's reason code (0 for QoS 0).
func publishV5(t testing.TB, c *paho.Client, topic string, qos byte, payload []byte) (byte, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitLong)
	defer cancel()
	pr, err := c.Publish(ctx, &paho.Publish{Topic: topic, QoS: qos, Payload: payload})
	if pr == nil {
		return 0, err
	}
	return pr.ReasonCode, err
}
