package mqtt

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	mochi "github.com/mochi-mqtt/server/v2"

	"citytwin/ingest"
)

// maxMQTTPacket is the largest packet MQTT's length encoding allows.
const maxMQTTPacket = 268_435_455

// packetHeadroom is what a PUBLISH may carry besides its payload before the
// broker closes the connection instead of reading it: the topic (up to 64 KiB)
// and MQTT 5 properties.
const packetHeadroom = 128 << 10

// BrokerConfig configures the embedded broker. Zero fields take the values of
// DefaultBrokerConfig.
type BrokerConfig struct {
	// Addr is the TCP address to listen on; port 0 picks a free port (see Broker.Addr).
	Addr string
	// TopicPrefix selects the topics whose messages go to the handler; it must
	// end in '/'. Other topics are ordinary broker traffic, relayed to their
	// subscribers and never seen by the handler.
	TopicPrefix string
	// MaxPayload is the largest payload accepted on any topic, in bytes. A larger
	// one is refused (see Broker); a PUBLISH packet more than 128 KiB larger than
	// this closes the connection before it is read.
	MaxPayload int
	// Username and Password, when Username is set, are the credentials every
	// client must present in its CONNECT. With no Username every client may
	// connect. Either way a connected client may publish and subscribe to any
	// topic. Without TLS they cross the network in clear text.
	Username string
	Password string
	// TLS, if set, makes the listener speak MQTT over TLS.
	TLS *tls.Config
	// ReceiveMaximum is the number of QoS 1/2 messages an MQTT 5 client may have
	// sent and not yet had acknowledged (advertised in the CONNACK).
	ReceiveMaximum uint16
	// MaxInflight bounds the QoS 1/2 messages the broker holds for one
	// subscriber, connected or not; past it, further ones are dropped for it.
	MaxInflight uint16
	// MaxPendingWrites bounds the packets queued for one client's connection;
	// past it, messages to a slow subscriber are dropped (Stats.MessagesDropped).
	MaxPendingWrites int32
	// ClientBufferSize is the read and the write buffer of each connection, in bytes.
	ClientBufferSize int
	// MaxClients bounds the connected clients; 0 is no limit.
	MaxClients int64
	// MaxSessionExpiry bounds how long the session of a disconnected client
	// (subscriptions, queued QoS 1/2 messages) is kept.
	MaxSessionExpiry time.Duration
	// OverloadWait is how long the broker retries the handler on
	// ingest.ErrOverloaded for QoS 0 messages, MQTT 3.1.1 QoS 1 messages and
	// QoS 2 messages, holding the producer, before it gives up (see Broker).
	OverloadWait time.Duration
	// DeadLetters, if set, records the messages the broker itself refuses
	// (payload too large, topic not <prefix><source>/<entity id>/<format>). The
	// handler records its own.
	DeadLetters *ingest.DeadLetters
}

// DefaultBrokerConfig is a broker on 127.0.0.1:1883 for citytwin/ topics.
func DefaultBrokerConfig() BrokerConfig {
	return BrokerConfig{
		Addr:             "127.0.0.1:1883",
		TopicPrefix:      DefaultTopicPrefix,
		MaxPayload:       1 << 20,
		ReceiveMaximum:   1024,
		MaxInflight:      8192,
		MaxPendingWrites: 1024,
		ClientBufferSize: 4096,
		MaxSessionExpiry: 24 * time.Hour,
		OverloadWait:     2 * time.Second,
	}
}

func (c BrokerConfig) withDefaults() BrokerConfig {
	d := DefaultBrokerConfig()
	if c.Addr == "" {
		c.Addr = d.Addr
	}
	if c.TopicPrefix == "" {
		c.TopicPrefix = d.TopicPrefix
	}
	if c.MaxPayload == 0 {
		c.MaxPayload = d.MaxPayload
	}
	if c.ReceiveMaximum == 0 {
		c.ReceiveMaximum = d.ReceiveMaximum
	}
	if c.MaxInflight == 0 {
		c.MaxInflight = d.MaxInflight
	}
	if c.MaxPendingWrites == 0 {
		c.MaxPendingWrites = d.MaxPendingWrites
	}
	if c.ClientBufferSize == 0 {
		c.ClientBufferSize = d.ClientBufferSize
	}
	if c.MaxSessionExpiry == 0 {
		c.MaxSessionExpiry = d.MaxSessionExpiry
	}
	if c.OverloadWait == 0 {
		c.OverloadWait = d.OverloadWait
	}
	return c
}

// Validate reports the first invalid field.
func (c BrokerConfig) Validate() error {
	switch {
	case c.Addr == "":
		return errors.New("mqtt: broker address is empty")
	case !strings.HasSuffix(c.TopicPrefix, "/") || strings.ContainsAny(c.TopicPrefix, "+#\x00") ||
		strings.HasPrefix(c.TopicPrefix, "$") || c.TopicPrefix == "/":
		return fmt.Errorf("mqtt: topic prefix %q must be topic levels ending in '/', without wildcards or '$'", c.TopicPrefix)
	case c.MaxPayload <= 0 || c.MaxPayload > maxMQTTPacket-packetHeadroom:
		return fmt.Errorf("mqtt: max payload %d out of range (1 to %d bytes)", c.MaxPayload, maxMQTTPacket-packetHeadroom)
	case c.Username == "" && c.Password != "":
		return errors.New("mqtt: a password needs a username")
	case c.Username != "" && c.Password == "":
		return errors.New("mqtt: a username needs a password")
	case c.MaxPendingWrites < 0:
		return errors.New("mqtt: max pending writes is negative")
	case c.ClientBufferSize < 0:
		return errors.New("mqtt: client buffer size is negative")
	case c.MaxClients < 0:
		return errors.New("mqtt: max clients is negative")
	case c.MaxSessionExpiry < 0 || c.MaxSessionExpiry > math.MaxUint32*time.Second:
		return fmt.Errorf("mqtt: max session expiry %s out of range", c.MaxSessionExpiry)
	case c.OverloadWait < 0:
		return errors.New("mqtt: overload wait is negative")
	}
	return nil
}

// ErrBrokerStarted is returned by a second Start.
var ErrBrokerStarted = errors.New("mqtt: broker already started")

// Broker is citytwin's embedded MQTT broker (MQTT 3.1.1 and 5, on mochi-mqtt).
// Every PUBLISH on a topic under the prefix goes to the handler, synchronously,
// before the broker acknowledges it: a successful QoS 1 PUBACK means that the
// handler returned nil, that is, that the message's ops are in the twin's log.
// What the broker answers in every case:
//
//	handler / broker says     MQTT 5 QoS 1          MQTT 3.1.1 QoS 1, any QoS 2    QoS 0 (no ack)
//	nil                       PUBACK success        PUBACK / PUBREC success        relayed
//	ingest.ErrOverloaded      PUBACK 0x97 quota     retry up to OverloadWait,      retry up to OverloadWait,
//	                          exceeded              then close the connection      then drop (Stats: Dropped)
//	                                                unacknowledged (MQTT 5:
//	                                                DISCONNECT 0x97 first)
//	other error               PUBACK 0x99 payload   success, not relayed (the      not relayed
//	                          format invalid        handler dead-lettered it)
//	payload over MaxPayload   PUBACK 0x83           success, dead-lettered         dead-lettered
//	topic under the prefix    PUBACK 0x90 topic     success, dead-lettered         dead-lettered
//	that does not parse       name invalid
//	Close during the call     no ack; the client resends it after reconnecting
//
// Accepted messages are retained and relayed to subscribers like any other
// (operators' tools subscribe to citytwin/# to watch the traffic); refused ones
// are not. The handler must honour its context, which Close cancels, and must
// not modify m.Payload, which mochi relays to subscribers after the call; it
// may keep it.
//
// Each client's packets are read and handled in order on one goroutine (mochi's
// design), so the broker runs at most one handler call per connected client and
// a slow handler slows exactly the producers whose messages wait for it.
type Broker struct {
	cfg       BrokerConfig
	h         ingest.MessageHandler
	log       *slog.Logger
	srv       *mochi.Server
	maxPacket uint32
	classes   [numClasses]classCounters

	authWarn, overloadWarn every

	ctx    context.Context // of handler calls; cancelled by Close
	cancel context.CancelFunc

	mu      sync.Mutex // guards started and ln
	started bool
	ln      *listener

	closing   chan struct{} // closed when Close begins
	closeOnce sync.Once
	closeErr  error
	wg        sync.WaitGroup // the goroutine that closes the broker when Start's ctx ends
}

// NewBroker makes a broker that gives the messages on cfg.TopicPrefix topics to
// h. It does not listen until Start. A nil log discards.
func NewBroker(cfg BrokerConfig, h ingest.MessageHandler, log *slog.Logger) (*Broker, error) {
	cfg = cfg.withDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if h == nil {
		return nil, errors.New("mqtt: nil message handler")
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	b := &Broker{
		cfg:          cfg,
		h:            h,
		log:          log,
		maxPacket:    uint32(cfg.MaxPayload + packetHeadroom),
		authWarn:     every{interval: time.Second},
		overloadWarn: every{interval: time.Second},
		closing:      make(chan struct{}),
	}
	b.ctx, b.cancel = context.WithCancel(context.Background())

	caps := mochi.NewDefaultServerCapabilities()
	caps.MaximumPacketSize = b.maxPacket
	caps.ReceiveMaximum = cfg.ReceiveMaximum
	caps.MaximumInflight = cfg.MaxInflight
	caps.MaximumClientWritesPending = cfg.MaxPendingWrites
	caps.MaximumSessionExpiryInterval = uint32(cfg.MaxSessionExpiry / time.Second)
	if cfg.MaxClients > 0 {
		caps.MaximumClients = cfg.MaxClients
	}
	// acks carry no copy of the publish's properties (cheaper; paho expects none)
	caps.Compatibilities.NoInheritedPropertiesOnAck = true
	b.srv = mochi.New(&mochi.Options{
		Capabilities:             caps,
		ClientNetWriteBufferSize: cfg.ClientBufferSize,
		ClientNetReadBufferSize:  cfg.ClientBufferSize,
		Logger:                   newMochiLogger(log),
		SysTopicResendInterval:   10,
		InlineClient:             true, // Publish
	})
	if err := b.srv.AddHook(&hook{b: b}, nil); err != nil {
		return nil, fmt.Errorf("mqtt: add hook: %w", err)
	}
	return b, nil
}

// Start listens on cfg.Addr and serves clients in the background until Close,
// or until ctx ends. Handler calls get a context derived from ctx.
func (b *Broker) Start(ctx context.Context) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.started {
		return ErrBrokerStarted
	}
	select {
	case <-b.closing:
		return errors.New("mqtt: broker closed")
	default:
	}
	var lc net.ListenConfig
	nl, err := lc.Listen(ctx, "tcp", b.cfg.Addr)
	if err != nil {
		return fmt.Errorf("mqtt: listen: %w", err)
	}
	if b.cfg.TLS != nil {
		nl = tls.NewListener(nl, b.cfg.TLS)
	}
	b.ln = newListener("citytwin", nl, b.log)
	if err := b.srv.AddListener(b.ln); err != nil {
		nl.Close()
		return fmt.Errorf("mqtt: add listener: %w", err)
	}
	// handler calls see ctx's values; the broker's own cancel ends them at Close
	b.ctx, b.cancel = context.WithCancel(ctx)
	if err := b.srv.Serve(); err != nil {
		nl.Close()
		return fmt.Errorf("mqtt: serve: %w", err)
	}
	b.started = true
	b.wg.Add(1)
	go func() {
		defer b.wg.Done()
		select {
		case <-ctx.Done():
			b.closeOnce.Do(b.shutdown)
		case <-b.closing:
		}
	}()
	b.log.Info("mqtt broker listening", "addr", nl.Addr().String(), "topic_prefix", b.cfg.TopicPrefix,
		"auth", b.cfg.Username != "", "tls", b.cfg.TLS != nil)
	return nil
}

// Serve is Start, then waits for ctx to end and closes the broker.
func (b *Broker) Serve(ctx context.Context) error {
	if err := b.Start(ctx); err != nil {
		return err
	}
	<-ctx.Done()
	return b.Close()
}

// Addr is the address the broker listens on, nil before Start.
func (b *Broker) Addr() net.Addr {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.ln == nil {
		return nil
	}
	return b.ln.ln.Addr()
}

// Close stops listening, cancels handler calls in progress (their messages
// are not acknowledged), disconnects every client and waits for the broker's
// goroutines. It is safe to call more than once.
func (b *Broker) Close() error {
	b.closeOnce.Do(b.shutdown)
	b.wg.Wait()
	return b.closeErr
}

func (b *Broker) shutdown() {
	close(b.closing)
	b.mu.Lock()
	cancel := b.cancel
	b.mu.Unlock()
	cancel()
	b.closeErr = b.srv.Close() // closes the listener, which waits for its connections
	b.log.Info("mqtt broker stopped")
}

// Publish sends a message from the twin itself to the broker's subscribers
// (geofence events, alerts). It does not go to the ingest handler, whatever
// the topic. qos caps the QoS of the deliveries.
func (b *Broker) Publish(topic string, payload []byte, retain bool, qos byte) error {
	select {
	case <-b.closing:
		return errors.New("mqtt: broker closed")
	default:
	}
	if err := b.srv.Publish(topic, payload, retain, qos); err != nil {
		return fmt.Errorf("mqtt: publish on %q: %w", topic, err)
	}
	return nil
}

// Stats returns the broker's counters.
func (b *Broker) Stats() Stats {
	info := b.srv.Info
	s := Stats{
		ClientsConnected: atomic.LoadInt64(&info.ClientsConnected),
		Subscriptions:    atomic.LoadInt64(&info.Subscriptions),
		Retained:         atomic.LoadInt64(&info.Retained),
		Inflight:         atomic.LoadInt64(&info.Inflight),
		MessagesSent:     atomic.LoadInt64(&info.MessagesSent),
		MessagesDropped:  atomic.LoadInt64(&info.MessagesDropped),
		BytesReceived:    atomic.LoadInt64(&info.BytesReceived),
		BytesSent:        atomic.LoadInt64(&info.BytesSent),
		Topics:           make(map[TopicClass]TopicStats, numClasses),
	}
	for i, c := range TopicClasses {
		s.Topics[c] = b.classes[i].snapshot()
	}
	return s
}
