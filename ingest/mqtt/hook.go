package mqtt

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	mochi "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/packets"

	"citytwin/ingest"
)

// Reason codes the hook answers MQTT 5 publishers with (MQTT 5 §3.4.2.1 lists
// the ones a PUBACK may carry).
const (
	codeUnwilling     = 0x83 // implementation specific: "valid, but the receiver is not willing to accept it"
	codeTopicInvalid  = 0x90
	codePayloadFormat = 0x99
)

// maxReason bounds the reason string sent back to an MQTT 5 client.
const maxReason = 256

// overloadBackoff paces the handler retries inside the hook.
var overloadBackoff = backoff{min: 5 * time.Millisecond, max: 250 * time.Millisecond}

// hook is the broker's mochi hook: it authenticates clients and hands every
// PUBLISH under the topic prefix to the handler before mochi acknowledges it.
//
// mochi calls OnPublish from the client's read goroutine, between reading the
// PUBLISH and writing its PUBACK (mochi server.go processPublish: OnPublish at
// line 913, PUBACK written at 952), and reads the client's next packet only
// after processPublish returns. So the handler runs once per message, in order
// per client, and a slow handler slows that client's TCP stream and no other.
type hook struct {
	mochi.HookBase
	b *Broker
}

func (h *hook) ID() string { return "citytwin" }

func (h *hook) Provides(b byte) bool {
	switch b {
	case mochi.OnConnectAuthenticate, mochi.OnACLCheck, mochi.OnPublish, mochi.OnPacketEncode,
		mochi.OnSessionEstablished, mochi.OnDisconnect:
		return true
	}
	return false
}

// OnConnectAuthenticate accepts every client when no username is configured,
// and otherwise only those that present the configured username and password.
func (h *hook) OnConnectAuthenticate(cl *mochi.Client, pk packets.Packet) bool {
	b := h.b
	if b.cfg.Username == "" {
		return true
	}
	u := subtle.ConstantTimeCompare(pk.Connect.Username, []byte(b.cfg.Username))
	p := subtle.ConstantTimeCompare(pk.Connect.Password, []byte(b.cfg.Password))
	if u&p == 1 {
		return true
	}
	if ok, n := b.authWarn.allow(); ok {
		b.log.Warn("mqtt client refused: bad username or password",
			"client", pk.Connect.ClientIdentifier, "remote", cl.Net.Remote, "suppressed", n)
	}
	return false
}

// OnACLCheck lets every client that got in publish and subscribe anywhere.
func (h *hook) OnACLCheck(*mochi.Client, string, bool) bool { return true }

// OnPacketEncode tells MQTT 5 clients the broker's maximum packet size in the
// CONNACK, which mochi does not advertise itself.
func (h *hook) OnPacketEncode(cl *mochi.Client, pk packets.Packet) packets.Packet {
	if pk.FixedHeader.Type == packets.Connack && cl.Properties.ProtocolVersion == 5 && pk.ReasonCode < 0x80 {
		pk.Properties.MaximumPacketSize = h.b.maxPacket
	}
	return pk
}

func (h *hook) OnSessionEstablished(cl *mochi.Client, _ packets.Packet) {
	h.b.log.Debug("mqtt client connected", "client", cl.ID, "remote", cl.Net.Remote,
		"protocol", cl.Properties.ProtocolVersion)
}

func (h *hook) OnDisconnect(cl *mochi.Client, err error, _ bool) {
	h.b.log.Debug("mqtt client disconnected", "client", cl.ID, "remote", cl.Net.Remote, "err", err)
}

// OnPublish decides the fate of one PUBLISH; what each return does is mochi's
// (server.go processPublish, lines 913-926):
//   - nil: mochi acknowledges (PUBACK/PUBREC with success), retains and relays it;
//   - packets.ErrRejectPacket: mochi drops it with no acknowledgement at all;
//   - packets.CodeSuccessIgnore: mochi acknowledges it with success but neither
//     retains nor relays it;
//   - another packets.Code, for an MQTT 5 client at QoS > 0: mochi sends a PUBACK
//     with that reason code and drops the message. For MQTT 3.1.1 or QoS 0
//     mochi ignores the code and treats the message as accepted, so the hook
//     returns a Code only to MQTT 5 at QoS 1 (at QoS 2 mochi would answer the
//     code with a PUBACK where the client waits for a PUBREC).
func (h *hook) OnPublish(cl *mochi.Client, pk packets.Packet) (packets.Packet, error) {
	b := h.b
	topic := pk.TopicName
	if cl.Net.Inline { // the twin's own messages (Broker.Publish) are output, not input
		return pk, nil
	}
	isIngest := strings.HasPrefix(topic, b.cfg.TopicPrefix)
	class := classOther
	var topicErr error
	if isIngest {
		var format string
		_, _, format, topicErr = ParseTopicPrefix(b.cfg.TopicPrefix, topic)
		class = classIndex(format, topicErr)
	}
	c := &b.classes[class]
	c.received.Add(1)

	if len(pk.Payload) > b.cfg.MaxPayload {
		reason := fmt.Sprintf("payload of %d bytes is over the broker's limit of %d", len(pk.Payload), b.cfg.MaxPayload)
		return pk, b.refuse(cl, pk, c, codeUnwilling, reason, true)
	}
	if !isIngest {
		c.accepted.Add(1)
		return pk, nil
	}
	if topicErr != nil {
		return pk, b.refuse(cl, pk, c, codeTopicInvalid, topicErr.Error(), true)
	}
	return pk, b.handle(cl, pk, c)
}

// handle gives the message to the handler and turns its answer into what mochi
// should do (see OnPublish). On ingest.ErrOverloaded:
//   - MQTT 5 at QoS 1: PUBACK 0x97 quota exceeded at once; the client knows the
//     message was not taken and when to try again is its call;
//   - QoS 0, MQTT 3.1.1 at QoS 1, and QoS 2: the hook retries the handler with
//     backoff for up to OverloadWait, holding the client's stream (back-pressure:
//     mochi reads nothing more from it meanwhile). If the twin is still
//     overloaded then, a QoS 0 message is dropped (counted as Dropped; QoS 0 is
//     at most once), and for QoS 1/2 the broker closes the connection without
//     acknowledging: 3.1.1 has no negative PUBACK, and a client resends every
//     unacknowledged PUBLISH when it reconnects (MQTT 3.1.1 §4.4), so nothing is
//     lost and the reconnect paces the producer.
func (b *Broker) handle(cl *mochi.Client, pk packets.Packet, c *classCounters) error {
	m := ingest.Message{
		Source:   "mqtt",
		Topic:    pk.TopicName,
		Client:   cl.ID,
		Payload:  pk.Payload,
		QoS:      pk.FixedHeader.Qos,
		Received: time.Now(),
	}
	v5 := cl.Properties.ProtocolVersion == 5
	var giveUp time.Time
	for attempt := 0; ; attempt++ {
		err := b.h.HandleMessage(b.ctx, m)
		switch {
		case err == nil:
			c.accepted.Add(1)
			if !pk.FixedHeader.Retain && atomic.LoadInt64(&b.srv.Info.Subscriptions) == 0 {
				// Nobody subscribes to anything: acknowledge without the relay's
				// walk of the topic tree, a good part of the broker's cost.
				return packets.CodeSuccessIgnore
			}
			return nil
		case b.ctx.Err() != nil:
			// shutting down: not acknowledged, the client resends it to the next broker
			c.aborted.Add(1)
			return packets.ErrRejectPacket
		case !errors.Is(err, ingest.ErrOverloaded):
			return b.refuse(cl, pk, c, codePayloadFormat, err.Error(), false)
		}
		if v5 && m.QoS == 1 {
			c.overloaded.Add(1)
			return packets.ErrQuotaExceeded
		}
		if attempt == 0 {
			giveUp = time.Now().Add(b.cfg.OverloadWait)
		}
		d := overloadBackoff.delay(attempt)
		if time.Now().Add(d).After(giveUp) {
			break
		}
		c.retries.Add(1)
		if !sleep(b.ctx, nil, d) {
			c.aborted.Add(1)
			return packets.ErrRejectPacket
		}
	}
	if m.QoS == 0 {
		c.dropped.Add(1)
		if ok, n := b.overloadWarn.allow(); ok {
			b.log.Warn("mqtt QoS 0 message dropped: twin overloaded", "client", cl.ID, "topic", m.Topic,
				"waited", b.cfg.OverloadWait, "suppressed", n)
		}
		return packets.ErrRejectPacket
	}
	c.overloaded.Add(1)
	if ok, n := b.overloadWarn.allow(); ok {
		b.log.Warn("mqtt client disconnected unacknowledged: twin overloaded", "client", cl.ID, "topic", m.Topic,
			"qos", m.QoS, "waited", b.cfg.OverloadWait, "suppressed", n)
	}
	if v5 {
		_ = b.srv.DisconnectClient(cl, packets.ErrQuotaExceeded) // DISCONNECT 0x97, then close
	} else {
		cl.Stop(ingest.ErrOverloaded) // 3.1.1 has no server DISCONNECT: close the connection
	}
	return packets.ErrRejectPacket
}

// refuse records a message the broker will not take and returns what mochi
// should answer: MQTT 5 at QoS 1 gets a PUBACK with code and the reason; every
// other publisher gets an ordinary acknowledgement, since the message was taken
// (into the dead letters) and resending it would not help. Either way it is
// not relayed.
//
// deadLetter is false for the handler's own refusals: the handler keeps their
// dead letters itself.
func (b *Broker) refuse(cl *mochi.Client, pk packets.Packet, c *classCounters, code byte, reason string, deadLetter bool) error {
	c.refused.Add(1)
	if deadLetter && b.cfg.DeadLetters != nil {
		raw := pk.Payload
		if len(raw) > ingest.MaxDeadLetterRaw {
			raw = raw[:ingest.MaxDeadLetterRaw]
		}
		b.cfg.DeadLetters.Add(ingest.DeadLetter{Source: "mqtt", Where: pk.TopicName, Reason: reason, Raw: string(raw)})
	}
	b.log.Debug("mqtt message refused", "client", cl.ID, "topic", pk.TopicName, "reason", reason)
	if cl.Properties.ProtocolVersion == 5 && pk.FixedHeader.Qos == 1 {
		return packets.Code{Code: code, Reason: cutReason(reason)}
	}
	return packets.CodeSuccessIgnore
}

// cutReason makes a reason string valid UTF-8 (MQTT requires it) of at most
// maxReason bytes, cut on a rune boundary.
func cutReason(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if len(s) <= maxReason {
		return s
	}
	i := maxReason
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i]
}
