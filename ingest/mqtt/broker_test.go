package mqtt

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"math/big"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/eclipse/paho.golang/paho"
	mqtt3 "github.com/eclipse/paho.mqtt.golang"

	"citytwin/ingest"
)

const senmlTopic = "citytwin/aqnet/sensor:aq-17/senml"

// publisher publishes one message and waits for its acknowledgement (QoS > 0),
// returning the PUBACK's reason code for MQTT 5 (0 for MQTT 3.1.1, which has none).
type publisher func(t *testing.T, topic string, qos byte, payload []byte) (byte, error)

func v3Publisher(t *testing.T, b *Broker, id string) publisher {
	c := connectV3(t, v3Options(b.Addr(), id))
	return func(t *testing.T, topic string, qos byte, payload []byte) (byte, error) {
		return 0, wait(t, c.Publish(topic, qos, false, payload))
	}
}

func v5Publisher(t *testing.T, b *Broker, id string) publisher {
	c := mustV5(t, b.Addr(), id, nil)
	return func(t *testing.T, topic string, qos byte, payload []byte) (byte, error) {
		return publishV5(t, c, topic, qos, payload)
	}
}

var protocols = []struct {
	name string
	pub  func(t *testing.T, b *Broker, id string) publisher
}{
	{"v3.1.1", v3Publisher},
	{"v5", v5Publisher},
}

func TestBrokerHandsEveryMessageToTheHandler(t *testing.T) {
	for _, p := range protocols {
		for _, qos := range []byte{0, 1, 2} {
			t.Run(fmt.Sprintf("%s/qos%d", p.name, qos), func(t *testing.T) {
				rec := &recorder{}
				b := startBroker(t, BrokerConfig{}, rec)
				pub := p.pub(t, b, "producer-1")
				const n = 50
				for i := range n {
					topic := fmt.Sprintf("citytwin/aqnet/sensor:aq-%d/senml", i)
					if _, err := pub(t, topic, qos, fmt.Appendf(nil, `[{"n":"pm25","v":%d}]`, i)); err != nil {
						t.Fatalf("publish %d: %v", i, err)
					}
				}
				got := rec.waitTaken(t, n)
				if len(got) != n {
					t.Fatalf("handler took %d messages, want %d", len(got), n)
				}
				for i, m := range got { // one client: in order
					wantTopic := fmt.Sprintf("citytwin/aqnet/sensor:aq-%d/senml", i)
					wantPayload := fmt.Sprintf(`[{"n":"pm25","v":%d}]`, i)
					if m.Topic != wantTopic || string(m.Payload) != wantPayload || m.QoS != qos ||
						m.Source != "mqtt" || m.Client != "producer-1" || m.Received.IsZero() {
						t.Errorf("message %d = %+v (payload %s), want topic %s payload %s qos %d", i, m, m.Payload, wantTopic, wantPayload, qos)
					}
				}
				st := b.Stats().Topics[ClassSenML]
				if st.Received != n || st.Accepted != n {
					t.Errorf("stats %+v, want %d received and accepted", st, n)
				}
			})
		}
	}
}

// A QoS 1 PUBACK means the handler returned: while the handler blocks, the
// publisher has no acknowledgement.
func TestBrokerAcknowledgesOnlyAfterTheHandlerReturned(t *testing.T) {
	for _, p := range protocols {
		t.Run(p.name, func(t *testing.T) {
			entered := make(chan struct{})
			release := make(chan struct{})
			var returned atomic.Bool
			rec := &recorder{decide: func(ctx context.Context, m ingest.Message) error {
				close(entered)
				select {
				case <-release:
				case <-ctx.Done():
					return ctx.Err()
				}
				returned.Store(true)
				return nil
			}}
			b := startBroker(t, BrokerConfig{}, rec)
			pub := p.pub(t, b, "producer")
			acked := make(chan error, 1)
			go func() {
				_, err := pub(t, senmlTopic, 1, []byte(`[{"n":"no2","v":3}]`))
				acked <- err
			}()
			<-entered
			select {
			case err := <-acked:
				t.Fatalf("acknowledged (err %v) while the handler still blocks", err)
			case <-time.After(200 * time.Millisecond):
			}
			close(release)
			select {
			case err := <-acked:
				if err != nil {
					t.Fatal(err)
				}
				if !returned.Load() {
					t.Fatal("acknowledged before the handler returned")
				}
			case <-time.After(waitLong):
				t.Fatal("no acknowledgement after the handler returned")
			}
		})
	}
}

// overloadedFor returns ErrOverloaded for the first n calls.
func overloadedFor(n int64) func(context.Context, ingest.Message) error {
	var calls atomic.Int64
	return func(context.Context, ingest.Message) error {
		if calls.Add(1) <= n {
			return ingest.ErrOverloaded
		}
		return nil
	}
}

func TestBrokerOverloadV5QuotaExceeded(t *testing.T) {
	rec := &recorder{decide: overloadedFor(3)}
	b := startBroker(t, BrokerConfig{}, rec)
	c := mustV5(t, b.Addr(), "v5-producer", nil)
	for i := range 3 {
		code, err := publishV5(t, c, senmlTopic, 1, []byte(`[{"v":1}]`))
		if code != 0x97 || err == nil {
			t.Fatalf("publish %d: reason code %#x, err %v; want 0x97 quota exceeded", i, code, err)
		}
	}
	// the producer retries and the twin takes it
	if code, err := publishV5(t, c, senmlTopic, 1, []byte(`[{"v":1}]`)); code != 0 || err != nil {
		t.Fatalf("retry: reason code %#x, err %v", code, err)
	}
	if got := len(rec.taken()); got != 1 {
		t.Fatalf("handler took %d messages, want 1", got)
	}
	st := b.Stats().Topics[ClassSenML]
	if st.Overloaded != 3 || st.Accepted != 1 || st.Received != 4 || st.Retries != 0 {
		t.Errorf("stats %+v", st)
	}
}

// A short overload is absorbed inside the broker: the 3.1.1 producer waits and
// its PUBACK comes once the handler took the message.
func TestBrokerOverloadV3ShortIsRetriedInTheBroker(t *testing.T) {
	rec := &recorder{decide: overloadedFor(3)}
	b := startBroker(t, BrokerConfig{}, rec)
	lost := make(chan error, 1)
	c := connectV3(t, v3Options(b.Addr(), "v3-producer").SetConnectionLostHandler(func(_ mqtt3.Client, err error) { lost <- err }))
	if err := wait(t, c.Publish(senmlTopic, 1, false, []byte(`[{"v":1}]`))); err != nil {
		t.Fatal(err)
	}
	if got := rec.calls.Load(); got != 4 {
		t.Errorf("handler called %d times, want 4", got)
	}
	st := b.Stats().Topics[ClassSenML]
	if st.Retries != 3 || st.Accepted != 1 || st.Overloaded != 0 {
		t.Errorf("stats %+v", st)
	}
	select {
	case err := <-lost:
		t.Fatalf("connection lost: %v", err)
	default:
	}
}

// A long overload closes a 3.1.1 producer's connection without PUBACK; the
// client resends on reconnect and no QoS 1 message is lost.
func TestBrokerOverloadV3LongLosesNothing(t *testing.T) {
	var overloaded atomic.Bool
	overloaded.Store(true)
	rec := &recorder{decide: func(context.Context, ingest.Message) error {
		if overloaded.Load() {
			return ingest.ErrOverloaded
		}
		return nil
	}}
	b := startBroker(t, BrokerConfig{OverloadWait: 50 * time.Millisecond}, rec)
	var lost atomic.Int64
	opts := v3Options(b.Addr(), "v3-producer").
		SetAutoReconnect(true).
		SetMaxReconnectInterval(100 * time.Millisecond).
		SetConnectionLostHandler(func(mqtt3.Client, error) {
			lost.Add(1)
			overloaded.Store(false) // the twin recovers while the client is away
		})
	c := connectV3(t, opts)
	const n = 5
	toks := make([]mqtt3.Token, n)
	for i := range n {
		toks[i] = c.Publish(senmlTopic, 1, false, fmt.Appendf(nil, `[{"v":%d}]`, i))
	}
	// paho.mqtt.golang completes a QoS 1 token when it resends the message after
	// a reconnect (messageids.go claimID), not when the PUBACK comes, so the
	// proof is the handler's: every message arrives.
	for i, tok := range toks {
		if err := wait(t, tok); err != nil {
			t.Fatalf("publish %d: %v", i, err)
		}
	}
	seen := func() map[string]int {
		seen := map[string]int{}
		for _, m := range rec.taken() {
			seen[string(m.Payload)]++
		}
		return seen
	}
	eventually(t, "every message taken", func() bool { return len(seen()) == n })
	for i := range n {
		if p := fmt.Sprintf(`[{"v":%d}]`, i); seen()[p] == 0 {
			t.Errorf("message %s lost (taken: %v)", p, seen())
		}
	}
	if lost.Load() == 0 {
		t.Fatal("the broker did not close the overloaded connection")
	}
	if st := b.Stats().Topics[ClassSenML]; st.Overloaded == 0 {
		t.Errorf("stats %+v, want overloaded > 0", st)
	}
}

// QoS 0 under a lasting overload is dropped after OverloadWait, and counted.
func TestBrokerOverloadQoS0IsDroppedAndCounted(t *testing.T) {
	rec := &recorder{decide: func(context.Context, ingest.Message) error { return ingest.ErrOverloaded }}
	b := startBroker(t, BrokerConfig{OverloadWait: 30 * time.Millisecond}, rec)
	for _, p := range protocols {
		pub := p.pub(t, b, "producer-"+p.name)
		if _, err := pub(t, senmlTopic, 0, []byte(`[{"v":1}]`)); err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, "two drops", func() bool { return b.Stats().Topics[ClassSenML].Dropped == 2 })
	if st := b.Stats(); st.ClientsConnected != 2 {
		t.Errorf("%d clients connected, want 2 (QoS 0 overload keeps the connection)", st.ClientsConnected)
	}
}

func TestBrokerHandlerRefusal(t *testing.T) {
	rec := &recorder{decide: func(context.Context, ingest.Message) error { return errors.New("senml: bad base name") }}
	b := startBroker(t, BrokerConfig{}, rec)
	var watched atomic.Int64
	watcher := connectV3(t, v3Options(b.Addr(), "operator"))
	if err := wait(t, watcher.Subscribe("citytwin/#", 1, func(mqtt3.Client, mqtt3.Message) { watched.Add(1) })); err != nil {
		t.Fatal(err)
	}

	v5 := mustV5(t, b.Addr(), "v5", nil)
	ctx, cancel := context.WithTimeout(context.Background(), waitLong)
	defer cancel()
	pr, err := v5.Publish(ctx, &paho.Publish{Topic: senmlTopic, QoS: 1, Payload: []byte(`nonsense`)})
	if err == nil || pr == nil || pr.ReasonCode != codePayloadFormat || pr.Properties == nil ||
		!strings.Contains(pr.Properties.ReasonString, "bad base name") {
		t.Errorf("v5: response %+v, err %v; want 0x99 with the handler's reason", pr, err)
	}
	v3 := connectV3(t, v3Options(b.Addr(), "v3"))
	if err := wait(t, v3.Publish(senmlTopic, 1, false, []byte(`nonsense`))); err != nil {
		t.Errorf("v3: %v; want an ordinary PUBACK", err)
	}
	if st := b.Stats().Topics[ClassSenML]; st.Refused != 2 {
		t.Errorf("stats %+v, want 2 refused", st)
	}
	time.Sleep(100 * time.Millisecond)
	if n := watched.Load(); n != 0 {
		t.Errorf("a subscriber received %d refused messages", n)
	}
}

func TestBrokerRelaysLikeABroker(t *testing.T) {
	rec := &recorder{}
	b := startBroker(t, BrokerConfig{}, rec)
	type got struct{ topic, payload string }
	var mu sync.Mutex
	var received []got
	onMsg := func(_ mqtt3.Client, m mqtt3.Message) {
		mu.Lock()
		received = append(received, got{m.Topic(), string(m.Payload())})
		mu.Unlock()
	}
	watcher := connectV3(t, v3Options(b.Addr(), "operator"))
	if err := wait(t, watcher.SubscribeMultiple(map[string]byte{"citytwin/#": 1, "lights/#": 1}, onMsg)); err != nil {
		t.Fatal(err)
	}
	var v5got atomic.Value
	mustV5(t, b.Addr(), "v5-watcher", func(p *paho.Publish) { v5got.Store(p.Topic) })
	v5w := mustV5(t, b.Addr(), "v5-sub", func(p *paho.Publish) { v5got.Store(p.Topic) })
	ctx, cancel := context.WithTimeout(context.Background(), waitLong)
	defer cancel()
	if _, err := v5w.Subscribe(ctx, &paho.Subscribe{Subscriptions: []paho.SubscribeOptions{{Topic: "lights/#", QoS: 1}}}); err != nil {
		t.Fatal(err)
	}

	pub := connectV3(t, v3Options(b.Addr(), "producer"))
	if err := wait(t, pub.Publish("lights/zone-4/state", 1, false, []byte("on"))); err != nil {
		t.Fatal(err)
	}
	if err := wait(t, pub.Publish(senmlTopic, 1, false, []byte(`[{"v":2}]`))); err != nil {
		t.Fatal(err)
	}
	eventually(t, "two relayed messages", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(received) == 2
	})
	eventually(t, "the v5 subscriber", func() bool { return v5got.Load() == "lights/zone-4/state" })
	mu.Lock()
	want := []got{{"lights/zone-4/state", "on"}, {senmlTopic, `[{"v":2}]`}}
	for i := range want {
		if received[i] != want[i] {
			t.Errorf("relayed %d = %v, want %v", i, received[i], want[i])
		}
	}
	mu.Unlock()
	if taken := rec.taken(); len(taken) != 1 || taken[0].Topic != senmlTopic {
		t.Errorf("handler took %v, want only the citytwin/ message", taken)
	}
	st := b.Stats()
	if o := st.Topics[ClassOther]; o.Received != 1 || o.Accepted != 1 {
		t.Errorf("other topics %+v", o)
	}

	// retained messages on an ingest topic reach a later subscriber
	if err := wait(t, pub.Publish("citytwin/meteo/station:7/json", 1, true, []byte(`{"t":21.5}`))); err != nil {
		t.Fatal(err)
	}
	late := connectV3(t, v3Options(b.Addr(), "late"))
	retained := make(chan string, 1)
	if err := wait(t, late.Subscribe("citytwin/meteo/#", 1, func(_ mqtt3.Client, m mqtt3.Message) {
		if m.Retained() {
			retained <- string(m.Payload())
		}
	})); err != nil {
		t.Fatal(err)
	}
	select {
	case p := <-retained:
		if p != `{"t":21.5}` {
			t.Errorf("retained payload %s", p)
		}
	case <-time.After(waitLong):
		t.Fatal("no retained message")
	}
}

func TestBrokerAuth(t *testing.T) {
	cases := []struct {
		name             string
		user, pass       string // configured
		cuser, cpass     string // presented
		wantConnectError bool
	}{
		{"off, anonymous", "", "", "", "", false},
		{"off, any credentials", "", "", "who", "ever", false},
		{"on, right credentials", "city", "s3cret", "city", "s3cret", false},
		{"on, wrong password", "city", "s3cret", "city", "guess", true},
		{"on, wrong user", "city", "s3cret", "town", "s3cret", true},
		{"on, anonymous", "city", "s3cret", "", "", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := startBroker(t, BrokerConfig{Username: tc.user, Password: tc.pass}, &recorder{})
			opts := v3Options(b.Addr(), "v3")
			if tc.cuser != "" {
				opts.SetUsername(tc.cuser).SetPassword(tc.cpass)
			}
			c := mqtt3.NewClient(opts)
			err3 := wait(t, c.Connect())
			if err3 == nil {
				c.Disconnect(0)
			}
			_, err5 := connectV5(t, b.Addr(), "v5", tc.cuser, tc.cpass, nil)
			for proto, err := range map[string]error{"v3.1.1": err3, "v5": err5} {
				if (err != nil) != tc.wantConnectError {
					t.Errorf("%s connect error %v, want error %v", proto, err, tc.wantConnectError)
				}
			}
		})
	}
}

func TestBrokerMaxPayload(t *testing.T) {
	dl := ingest.NewDeadLetters(10)
	rec := &recorder{}
	b := startBroker(t, BrokerConfig{MaxPayload: 1024, DeadLetters: dl}, rec)
	big := bytes.Repeat([]byte("x"), 2000)

	v5 := mustV5(t, b.Addr(), "v5", nil)
	if code, err := publishV5(t, v5, senmlTopic, 1, big); code != codeUnwilling || err == nil {
		t.Errorf("v5: reason code %#x, err %v; want %#x", code, err, codeUnwilling)
	}
	lost := make(chan struct{}, 1)
	v3 := connectV3(t, v3Options(b.Addr(), "v3").SetConnectionLostHandler(func(mqtt3.Client, error) { lost <- struct{}{} }))
	if err := wait(t, v3.Publish(senmlTopic, 1, false, big)); err != nil {
		t.Errorf("v3: %v; want an ordinary PUBACK (the message went to the dead letters)", err)
	}
	if err := wait(t, v3.Publish(senmlTopic, 1, false, big[:1024])); err != nil {
		t.Errorf("v3 at the limit: %v", err)
	}
	if got := rec.taken(); len(got) != 1 || len(got[0].Payload) != 1024 {
		t.Errorf("handler took %d messages, want only the one at the limit", len(got))
	}
	if total, _ := dl.Total(); total != 2 {
		t.Errorf("%d dead letters, want 2", total)
	} else if d := dl.List(1)[0]; d.Source != "mqtt" || d.Where != senmlTopic || !strings.Contains(d.Reason, "over the broker's limit") {
		t.Errorf("dead letter %+v", d)
	}

	// a packet far over the limit is not even read: the connection closes
	v3.Publish(senmlTopic, 0, false, bytes.Repeat([]byte("x"), 1024+packetHeadroom+1))
	select {
	case <-lost:
	case <-time.After(waitLong):
		t.Fatal("connection not closed after a packet over the maximum packet size")
	}
}

func TestBrokerInvalidIngestTopic(t *testing.T) {
	dl := ingest.NewDeadLetters(10)
	rec := &recorder{}
	b := startBroker(t, BrokerConfig{DeadLetters: dl}, rec)
	v5 := mustV5(t, b.Addr(), "v5", nil)
	code, err := publishV5(t, v5, "citytwin/aqnet/senml", 1, []byte(`[]`))
	if code != codeTopicInvalid || err == nil {
		t.Errorf("reason code %#x, err %v; want %#x", code, err, codeTopicInvalid)
	}
	if n := len(rec.taken()); n != 0 {
		t.Errorf("handler took %d messages", n)
	}
	if st := b.Stats().Topics[ClassInvalid]; st.Received != 1 || st.Refused != 1 {
		t.Errorf("stats %+v", st)
	}
	if total, _ := dl.Total(); total != 1 {
		t.Errorf("%d dead letters, want 1", total)
	}
}

// Close cancels a handler call in progress; its message is not acknowledged.
func TestBrokerCloseAbortsHandlerCalls(t *testing.T) {
	entered := make(chan struct{})
	rec := &recorder{decide: func(ctx context.Context, m ingest.Message) error {
		close(entered)
		<-ctx.Done()
		return ctx.Err()
	}}
	cfg := BrokerConfig{Addr: "127.0.0.1:0"}
	b, err := NewBroker(cfg, rec, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	c := connectV3(t, v3Options(b.Addr(), "v3"))
	tok := c.Publish(senmlTopic, 1, false, []byte(`[]`))
	<-entered
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if st := b.Stats().Topics[ClassSenML]; st.Aborted != 1 || st.Accepted != 0 {
		t.Errorf("stats %+v", st)
	}
	select {
	case <-tok.Done():
		if tok.Error() == nil {
			t.Error("publish acknowledged although the handler did not take it")
		}
	default: // still waiting for a PUBACK that never came: right
	}
	if err := b.Close(); err != nil { // twice is fine
		t.Fatal(err)
	}
}

// Start's context ending closes the broker.
func TestBrokerStopsWithItsContext(t *testing.T) {
	b, err := NewBroker(BrokerConfig{Addr: "127.0.0.1:0"}, &recorder{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- b.Serve(ctx) }()
	eventually(t, "listening", func() bool { return b.Addr() != nil })
	c := connectV3(t, v3Options(b.Addr(), "v3"))
	if st := b.Stats(); st.ClientsConnected != 1 {
		t.Errorf("%d clients connected, want 1", st.ClientsConnected)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(waitLong):
		t.Fatal("Serve did not return")
	}
	eventually(t, "client disconnected", func() bool { return !c.IsConnectionOpen() })
	if err := b.Start(context.Background()); err == nil {
		t.Error("Start after Close succeeded")
	}
}

func TestBrokerConfigValidate(t *testing.T) {
	ok := DefaultBrokerConfig()
	cases := []struct {
		name   string
		modify func(*BrokerConfig)
		valid  bool
	}{
		{"default", func(*BrokerConfig) {}, true},
		{"other prefix", func(c *BrokerConfig) { c.TopicPrefix = "city/twin/" }, true},
		{"prefix without slash", func(c *BrokerConfig) { c.TopicPrefix = "citytwin" }, false},
		{"prefix with wildcard", func(c *BrokerConfig) { c.TopicPrefix = "city/+/" }, false},
		{"prefix $SYS", func(c *BrokerConfig) { c.TopicPrefix = "$SYS/" }, false},
		{"empty addr", func(c *BrokerConfig) { c.Addr = "" }, false},
		{"negative payload", func(c *BrokerConfig) { c.MaxPayload = -1 }, false},
		{"huge payload", func(c *BrokerConfig) { c.MaxPayload = maxMQTTPacket }, false},
		{"password alone", func(c *BrokerConfig) { c.Password = "x" }, false},
		{"username alone", func(c *BrokerConfig) { c.Username = "x" }, false},
		{"credentials", func(c *BrokerConfig) { c.Username, c.Password = "x", "y" }, true},
		{"negative overload wait", func(c *BrokerConfig) { c.OverloadWait = -time.Second }, false},
		{"negative clients", func(c *BrokerConfig) { c.MaxClients = -1 }, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := ok
			tc.modify(&c)
			if err := c.Validate(); (err == nil) != tc.valid {
				t.Errorf("Validate() = %v, want valid %v", err, tc.valid)
			}
		})
	}
	if _, err := NewBroker(BrokerConfig{}, nil, nil); err == nil {
		t.Error("NewBroker with a nil handler succeeded")
	}
}

func TestCutReason(t *testing.T) {
	long := strings.Repeat("é", maxReason) // 2 bytes a rune
	got := cutReason(long)
	if len(got) > maxReason || !strings.HasPrefix(long, got) || len(got) < maxReason-1 {
		t.Errorf("cutReason cut %d bytes to %d", len(long), len(got))
	}
	if got := cutReason("bad \xff byte"); got != "bad \uFFFD byte" {
		t.Errorf("cutReason(invalid UTF-8) = %q", got)
	}
}

func TestBrokerTLS(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "citytwin test"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IsCA:         true, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(cert)

	rec := &recorder{}
	b := startBroker(t, BrokerConfig{TLS: &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}}, rec)
	opts := v3Options(b.Addr(), "tls-producer")
	opts.Servers = nil
	opts.AddBroker("ssl://" + b.Addr().String()).SetTLSConfig(&tls.Config{RootCAs: roots})
	c := connectV3(t, opts)
	if err := wait(t, c.Publish(senmlTopic, 1, false, []byte(`[{"v":1}]`))); err != nil {
		t.Fatal(err)
	}
	if n := len(rec.taken()); n != 1 {
		t.Fatalf("handler took %d messages, want 1", n)
	}
}

// The twin's own messages reach subscribers and never the ingest handler, even
// on a topic under the ingest prefix.
func TestBrokerPublishReachesSubscribersOnly(t *testing.T) {
	rec := &recorder{}
	b := startBroker(t, BrokerConfig{}, rec)
	got := make(chan string, 4)
	watcher := connectV3(t, v3Options(b.Addr(), "operator"))
	if err := wait(t, watcher.Subscribe("citytwin/events/#", 1, func(_ mqtt3.Client, m mqtt3.Message) {
		got <- m.Topic() + " " + string(m.Payload())
	})); err != nil {
		t.Fatal(err)
	}
	if err := b.Publish("citytwin/events/geofence/zone-1", []byte(`{"seq":1}`), false, 1); err != nil {
		t.Fatal(err)
	}
	select {
	case m := <-got:
		if m != `citytwin/events/geofence/zone-1 {"seq":1}` {
			t.Errorf("received %q", m)
		}
	case <-time.After(waitLong):
		t.Fatal("the subscriber got nothing")
	}
	if taken := rec.taken(); len(taken) != 0 {
		t.Errorf("the ingest handler took the twin's own message: %v", taken)
	}
	b.Close()
	if err := b.Publish("citytwin/events/x", nil, false, 0); err == nil {
		t.Error("publish after close succeeded")
	}
}
