package mqtt

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/eclipse/paho.golang/autopaho"
	pahopackets "github.com/eclipse/paho.golang/packets"
	"github.com/eclipse/paho.golang/paho"
	"github.com/eclipse/paho.golang/paho/session"
	"github.com/eclipse/paho.golang/paho/session/state"

	"citytwin/ingest"
)

// UpstreamConfig configures a subscription to a city's existing MQTT broker.
// Zero durations and sizes take the values of DefaultUpstreamConfig; QoS and
// CleanStart are taken as given.
type UpstreamConfig struct {
	// URL is the broker: mqtt:// or tcp:// (port 1883 by default), mqtts://,
	// tls:// or ssl:// (8883), ws:// or wss://. user:password@ in it sets
	// Username and Password unless those are set.
	URL string
	// Topics are the topic filters to subscribe to ('+' and '#' allowed, and
	// $share/<group>/<filter> for a shared subscription).
	Topics []string
	// ClientID names the session on the broker. Default "citytwin-<random>",
	// which gets a new session on every start: set a fixed one so that the
	// messages queued while citytwin was away are delivered when it returns.
	ClientID string
	// QoS of the subscriptions; DefaultUpstreamConfig sets 1.
	QoS byte
	// Username and Password for the broker, if it wants them.
	Username string
	Password string
	// TLS configures mqtts:// and wss:// connections (nil: system roots).
	TLS *tls.Config
	// CleanStart discards the broker's session for ClientID on the first
	// connection. Leave it false: with it the QoS 1/2 messages published while
	// citytwin was down are lost.
	CleanStart bool
	// SessionExpiry is how long the broker keeps the session, and queues QoS 1/2
	// messages for it, while citytwin is disconnected.
	SessionExpiry time.Duration
	// KeepAlive is the MQTT keep-alive interval (whole seconds).
	KeepAlive time.Duration
	// ConnectTimeout bounds one connection attempt, and the wait for a SUBACK.
	ConnectTimeout time.Duration
	// ReconnectMin and ReconnectMax bound the exponential backoff between
	// connection attempts.
	ReconnectMin time.Duration
	ReconnectMax time.Duration
	// RetryMin and RetryMax bound the backoff between handler calls for a
	// message the handler refused with ingest.ErrOverloaded.
	RetryMin time.Duration
	RetryMax time.Duration
	// ReceiveMaximum is how many QoS 1/2 messages the broker may send before
	// citytwin has acknowledged them.
	ReceiveMaximum uint16
}

// DefaultUpstreamConfig subscribes at QoS 1 with a persistent session.
func DefaultUpstreamConfig() UpstreamConfig {
	return UpstreamConfig{
		QoS:            1,
		SessionExpiry:  24 * time.Hour,
		KeepAlive:      30 * time.Second,
		ConnectTimeout: 10 * time.Second,
		ReconnectMin:   500 * time.Millisecond,
		ReconnectMax:   time.Minute,
		RetryMin:       10 * time.Millisecond,
		RetryMax:       5 * time.Second,
		ReceiveMaximum: 256,
	}
}

func (c UpstreamConfig) withDefaults() UpstreamConfig {
	d := DefaultUpstreamConfig()
	set := func(v *time.Duration, def time.Duration) {
		if *v == 0 {
			*v = def
		}
	}
	set(&c.SessionExpiry, d.SessionExpiry)
	set(&c.KeepAlive, d.KeepAlive)
	set(&c.ConnectTimeout, d.ConnectTimeout)
	set(&c.ReconnectMin, d.ReconnectMin)
	set(&c.ReconnectMax, d.ReconnectMax)
	set(&c.RetryMin, d.RetryMin)
	set(&c.RetryMax, d.RetryMax)
	if c.ReceiveMaximum == 0 {
		c.ReceiveMaximum = d.ReceiveMaximum
	}
	return c
}

// Validate reports the first invalid field.
func (c UpstreamConfig) Validate() error {
	if _, err := brokerURL(c.URL); err != nil {
		return err
	}
	if len(c.Topics) == 0 {
		return errors.New("mqtt: upstream has no topics to subscribe to")
	}
	for _, t := range c.Topics {
		if err := validFilter(t); err != nil {
			return err
		}
	}
	switch {
	case c.QoS > 2:
		return fmt.Errorf("mqtt: upstream QoS %d (want 0, 1 or 2)", c.QoS)
	case c.Username == "" && c.Password != "":
		return errors.New("mqtt: upstream password needs a username")
	case c.SessionExpiry < 0 || c.SessionExpiry > math.MaxUint32*time.Second:
		return fmt.Errorf("mqtt: upstream session expiry %s out of range", c.SessionExpiry)
	case c.KeepAlive < 0 || c.KeepAlive > math.MaxUint16*time.Second:
		return fmt.Errorf("mqtt: upstream keep-alive %s out of range", c.KeepAlive)
	case c.ConnectTimeout < 0:
		return errors.New("mqtt: upstream connect timeout is negative")
	case c.ReconnectMin <= 0 || c.ReconnectMax < c.ReconnectMin:
		return fmt.Errorf("mqtt: upstream reconnect backoff %s..%s out of order", c.ReconnectMin, c.ReconnectMax)
	case c.RetryMin <= 0 || c.RetryMax < c.RetryMin:
		return fmt.Errorf("mqtt: upstream retry backoff %s..%s out of order", c.RetryMin, c.RetryMax)
	}
	return nil
}

// brokerURL parses an upstream URL and gives MQTT schemes their default port.
func brokerURL(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	if err != nil {
		return nil, fmt.Errorf("mqtt: upstream url: %w", err)
	}
	port := ""
	switch strings.ToLower(u.Scheme) {
	case "mqtt", "tcp":
		port = "1883"
	case "mqtts", "tls", "ssl", "tcps", "mqtt+ssl":
		port = "8883"
	case "ws", "wss":
	default:
		return nil, fmt.Errorf("mqtt: upstream url %q: scheme %q not supported (mqtt, tcp, mqtts, tls, ssl, ws, wss)", redact(u), u.Scheme)
	}
	if u.Hostname() == "" {
		return nil, fmt.Errorf("mqtt: upstream url %q has no host", redact(u))
	}
	if port != "" && u.Port() == "" {
		u.Host = net.JoinHostPort(u.Hostname(), port)
	}
	return u, nil
}

// redact is the URL without its password, for logs and errors.
func redact(u *url.URL) string { return u.Redacted() }

// validFilter checks an MQTT topic filter: '#' only as the whole last level,
// '+' only as a whole level.
func validFilter(f string) error {
	if f == "" || strings.ContainsRune(f, 0) {
		return fmt.Errorf("mqtt: topic filter %q is empty or has NUL", f)
	}
	levels := strings.Split(f, "/")
	for i, l := range levels {
		if strings.Contains(l, "#") && (l != "#" || i != len(levels)-1) {
			return fmt.Errorf("mqtt: topic filter %q: '#' must be the whole last level", f)
		}
		if strings.Contains(l, "+") && l != "+" {
			return fmt.Errorf("mqtt: topic filter %q: '+' must be a whole level", f)
		}
	}
	return nil
}

// UpstreamStats counts the upstream client's work since it was made.
type UpstreamStats struct {
	Connected bool   // connected to the broker now
	Connects  uint64 // connections made, the first one included
	Received  uint64 // PUBLISH packets delivered to citytwin
	Accepted  uint64 // taken by the handler, then acknowledged
	Refused   uint64 // refused by the handler (not ErrOverloaded), then acknowledged
	Aborted   uint64 // not handled to the end (shutdown, connection lost); the broker redelivers QoS 1/2
	Retries   uint64 // handler calls repeated after ErrOverloaded
}

// Upstream subscribes to a city's existing broker and hands every message to
// the handler as ingest.Message{Source: "mqtt-upstream"}, with the broker's
// host:port as Client (the publisher is not known). It speaks MQTT 5
// (paho.golang's autopaho), reconnects with backoff, and acknowledges a QoS 1/2
// message only once the handler has returned nil, that is, once its ops are in
// the twin's log (manual acknowledgement: paho.ClientConfig.
// EnableManualAcknowledgment and paho.Client.Ack, which sends the PUBACKs in
// the order the messages arrived).
//
// On ingest.ErrOverloaded the handler is called again, with backoff, until it
// takes the message, and nothing after it is read meanwhile (messages are
// handled one at a time, in order). Another error refuses the message for good:
// it is acknowledged, since the broker would only send it again, and the
// handler has put it in the dead letters. A message whose handling is cut
// short by Run's end or a lost connection is not acknowledged, and the broker
// delivers it again on the next connection.
//
// Delivery is at least once: a message handled just before the connection
// drops, whose PUBACK did not reach the broker, is delivered again, and the
// twin sees it twice. With CleanStart false, a fixed ClientID and a
// SessionExpiry longer than the outage, the QoS 1/2 messages published while
// citytwin was down arrive when it comes back; QoS 0 ones are lost, as MQTT
// says.
type Upstream struct {
	cfg UpstreamConfig
	url *url.URL // without user info
	h   ingest.MessageHandler
	log *slog.Logger

	running    atomic.Bool
	connected  atomic.Bool
	refuseWarn every

	connects, received, accepted, refused, aborted, retries atomic.Uint64
}

// NewUpstream makes an upstream client; Run connects it. A nil log discards.
func NewUpstream(cfg UpstreamConfig, h ingest.MessageHandler, log *slog.Logger) (*Upstream, error) {
	cfg = cfg.withDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if h == nil {
		return nil, errors.New("mqtt: nil message handler")
	}
	u, _ := brokerURL(cfg.URL)
	if u.User != nil {
		if cfg.Username == "" {
			cfg.Username = u.User.Username()
			cfg.Password, _ = u.User.Password()
		}
		u.User = nil
	}
	if cfg.ClientID == "" {
		var r [6]byte
		_, _ = rand.Read(r[:])
		cfg.ClientID = "citytwin-" + hex.EncodeToString(r[:])
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Upstream{cfg: cfg, url: u, h: h, log: log.With("upstream", u.String()), refuseWarn: every{interval: time.Second}}, nil
}

// ClientID is the client identifier Upstream connects with.
func (up *Upstream) ClientID() string { return up.cfg.ClientID }

// Stats returns the upstream client's counters.
func (up *Upstream) Stats() UpstreamStats {
	return UpstreamStats{
		Connected: up.connected.Load(),
		Connects:  up.connects.Load(),
		Received:  up.received.Load(),
		Accepted:  up.accepted.Load(),
		Refused:   up.refused.Load(),
		Aborted:   up.aborted.Load(),
		Retries:   up.retries.Load(),
	}
}

// Run connects, subscribes and hands messages to the handler until ctx ends,
// reconnecting (and subscribing again) whenever the connection drops. It
// returns nil when ctx ends, after a clean DISCONNECT that keeps the session,
// or an error when the broker refuses a subscription. Its goroutines have
// stopped when it returns. Run may be called again after it returned (with the
// same ClientID, the session resumes).
func (up *Upstream) Run(ctx context.Context) error {
	if !up.running.CompareAndSwap(false, true) {
		return errors.New("mqtt: upstream already running")
	}
	defer up.running.Store(false)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	sess := &watchedSession{SessionManager: state.NewInMemory()}
	defer sess.Close()
	var subs sync.WaitGroup
	var subscribed atomic.Bool // a subscribe succeeded in this Run
	fatal := make(chan error, 1)
	reconnect := backoff{min: up.cfg.ReconnectMin, max: up.cfg.ReconnectMax}
	cfg := autopaho.ClientConfig{
		ServerUrls:                    []*url.URL{up.url},
		TlsCfg:                        up.cfg.TLS,
		KeepAlive:                     uint16(up.cfg.KeepAlive / time.Second),
		CleanStartOnInitialConnection: up.cfg.CleanStart,
		SessionExpiryInterval:         uint32(up.cfg.SessionExpiry / time.Second),
		ReconnectBackoff: func(attempt int) time.Duration {
			if attempt == 0 {
				return 0
			}
			return reconnect.delay(attempt - 1)
		},
		ConnectTimeout:  up.cfg.ConnectTimeout,
		ConnectUsername: up.cfg.Username,
		ConnectPassword: []byte(up.cfg.Password),
		ConnectPacketBuilder: func(cp *paho.Connect, _ *url.URL) (*paho.Connect, error) {
			if cp.Properties == nil {
				cp.Properties = &paho.ConnectProperties{}
			}
			rm := up.cfg.ReceiveMaximum
			cp.Properties.ReceiveMaximum = &rm
			return cp, nil
		},
		OnConnectionUp: func(cm *autopaho.ConnectionManager, ca *paho.Connack) {
			up.connected.Store(true)
			up.connects.Add(1)
			up.log.Info("mqtt upstream connected", "client", up.cfg.ClientID, "session_present", ca.SessionPresent)
			if ca.SessionPresent && subscribed.Load() {
				// the broker kept this Run's subscriptions with the session
				return
			}
			lost := sess.lostChan()
			subs.Add(1) // autopaho calls this from its goroutine, which has ended before Run waits
			go func() {
				defer subs.Done()
				err := up.subscribe(ctx, cm, lost)
				if err == nil && !closed(lost) && ctx.Err() == nil {
					subscribed.Store(true)
				}
				if err != nil {
					select {
					case fatal <- err:
					default:
					}
				}
			}()
		},
		OnConnectionDown: func() bool {
			up.connected.Store(false)
			up.log.Warn("mqtt upstream connection lost; reconnecting")
			return true
		},
		OnConnectError: func(err error) {
			up.log.Warn("mqtt upstream connect failed", "err", err)
		},
		ClientConfig: paho.ClientConfig{
			ClientID:                   up.cfg.ClientID,
			Session:                    sess,
			EnableManualAcknowledgment: true,
			SendAcksInterval:           10 * time.Millisecond,
			OnPublishReceived: []func(paho.PublishReceived) (bool, error){
				func(pr paho.PublishReceived) (bool, error) {
					up.onPublish(ctx, sess, pr)
					return true, nil
				},
			},
			OnServerDisconnect: func(d *paho.Disconnect) {
				reason := ""
				if d.Properties != nil {
					reason = d.Properties.ReasonString
				}
				up.log.Warn("mqtt upstream disconnected by the broker", "code", d.ReasonCode, "reason", reason)
			},
		},
	}
	cm, err := autopaho.NewConnection(ctx, cfg)
	if err != nil {
		return fmt.Errorf("mqtt: upstream: %w", err)
	}
	var runErr error
	select {
	case <-ctx.Done():
	case runErr = <-fatal:
		cancel()
	}
	<-cm.Done() // autopaho has sent DISCONNECT and its client goroutines have ended
	subs.Wait()
	up.connected.Store(false)
	up.log.Info("mqtt upstream stopped", "client", up.cfg.ClientID)
	return runErr
}

// subscribeRefusals are the SUBACK reason codes that no retry will change:
// not authorized, topic filter invalid, and shared subscriptions, subscription
// identifiers or wildcards not supported. Others (0x91 packet identifier in
// use, which mochi answers while it holds unacknowledged messages for the
// session; 0x97 quota exceeded; 0x80 unspecified) are retried.
var subscribeRefusals = map[byte]bool{0x87: true, 0x8F: true, 0x9E: true, 0xA1: true, 0xA2: true}

// subscribe subscribes to the configured filters on a new connection, retrying
// with backoff until the broker grants them, the connection is lost (lost
// closes) or ctx ends. It asks for retained messages only for new
// subscriptions (retain handling 1), so that a reconnect does not deliver them
// again. A permanent refusal is returned, and ends Run.
func (up *Upstream) subscribe(ctx context.Context, cm *autopaho.ConnectionManager, lost <-chan struct{}) error {
	opts := make([]paho.SubscribeOptions, len(up.cfg.Topics))
	for i, t := range up.cfg.Topics {
		opts[i] = paho.SubscribeOptions{Topic: t, QoS: up.cfg.QoS, RetainHandling: 1}
	}
	retry := backoff{min: up.cfg.ReconnectMin, max: up.cfg.ReconnectMax}
	for attempt := 0; ; attempt++ {
		sctx, cancel := context.WithTimeout(ctx, up.cfg.ConnectTimeout)
		sa, err := cm.Subscribe(sctx, &paho.Subscribe{Subscriptions: opts})
		cancel()
		if err == nil {
			for i, code := range sa.Reasons {
				if i < len(opts) && code < opts[i].QoS {
					up.log.Info("mqtt upstream subscription granted a lower QoS", "topic", opts[i].Topic, "qos", code)
				}
			}
			up.log.Info("mqtt upstream subscribed", "topics", up.cfg.Topics, "qos", up.cfg.QoS)
			return nil
		}
		if ctx.Err() != nil || closed(lost) {
			return nil // the next connection subscribes again
		}
		var codes []byte
		if sa != nil {
			codes = sa.Reasons
			for _, c := range codes {
				if subscribeRefusals[c] {
					return fmt.Errorf("mqtt: upstream subscription to %v refused (reason codes %#x): %w", up.cfg.Topics, codes, err)
				}
			}
		}
		d := retry.delay(attempt)
		up.log.Warn("mqtt upstream subscribe failed; retrying", "err", err, "codes", codes, "in", d)
		if !sleep(ctx, lost, d) {
			return nil
		}
	}
}

// onPublish hands one message to the handler and acknowledges it once the
// handler has taken or refused it. paho calls it on one goroutine, in order.
func (up *Upstream) onPublish(ctx context.Context, sess *watchedSession, pr paho.PublishReceived) {
	p := pr.Packet
	up.received.Add(1)
	// the connection this message came on; after it is lost, a QoS 1/2 message
	// will come again and is not worth the handler's time
	var lost <-chan struct{}
	if p.QoS > 0 {
		lost = sess.lostChan()
	}
	m := ingest.Message{
		Source:   "mqtt-upstream",
		Topic:    p.Topic,
		Client:   up.url.Host,
		Payload:  p.Payload,
		QoS:      p.QoS,
		Received: time.Now(),
	}
	retry := backoff{min: up.cfg.RetryMin, max: up.cfg.RetryMax}
	for attempt := 0; ; attempt++ {
		if ctx.Err() != nil || closed(lost) {
			up.aborted.Add(1)
			return
		}
		err := up.h.HandleMessage(ctx, m)
		switch {
		case err == nil:
			up.accepted.Add(1)
			up.ack(pr)
			return
		case ctx.Err() != nil:
			up.aborted.Add(1)
			return
		case !errors.Is(err, ingest.ErrOverloaded):
			up.refused.Add(1)
			if ok, n := up.refuseWarn.allow(); ok {
				up.log.Warn("mqtt upstream message refused", "topic", p.Topic, "err", err, "suppressed", n)
			}
			up.ack(pr)
			return
		}
		up.retries.Add(1)
		if !sleep(ctx, lost, retry.delay(attempt)) {
			up.aborted.Add(1)
			return
		}
	}
}

func (up *Upstream) ack(pr paho.PublishReceived) {
	if pr.Packet.QoS == 0 {
		return
	}
	if err := pr.Client.Ack(pr.Packet); err != nil {
		// the connection went meanwhile; the broker sends the message again
		up.log.Debug("mqtt upstream ack not sent", "topic", pr.Packet.Topic, "err", err)
	}
}

func closed(c <-chan struct{}) bool {
	if c == nil {
		return false
	}
	select {
	case <-c:
		return true
	default:
		return false
	}
}

// watchedSession is paho's session state that also says when the connection a
// message came on is lost: paho closes the client only after the message
// handler returns, so the handler needs this to stop retrying a message the
// broker will send again anyway.
type watchedSession struct {
	session.SessionManager
	mu   sync.Mutex
	lost chan struct{} // closed when the current connection is lost
}

func (w *watchedSession) ConAckReceived(c io.Writer, cp *pahopackets.Connect, ca *pahopackets.Connack) error {
	w.mu.Lock()
	w.lost = make(chan struct{})
	w.mu.Unlock()
	return w.SessionManager.ConAckReceived(c, cp, ca)
}

func (w *watchedSession) ConnectionLost(dp *pahopackets.Disconnect) error {
	w.mu.Lock()
	if w.lost != nil && !closed(w.lost) {
		close(w.lost)
	}
	w.mu.Unlock()
	return w.SessionManager.ConnectionLost(dp)
}

func (w *watchedSession) lostChan() <-chan struct{} {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.lost
}
