// Package mqtt brings MQTT into the twin: an embedded broker that producers
// publish to, and an upstream client that subscribes to a city's existing
// broker. Both hand every message to an ingest.MessageHandler and acknowledge
// a QoS 1 message only after the handler returned nil, that is, after the
// message's ops are durable in the twin's log.
//
// # Topics
//
// The broker hands the handler the messages published on topics under its
// prefix (BrokerConfig.TopicPrefix, "citytwin/" by default), named
//
//	citytwin/<source>/<entity id>/senml   SenML JSON (RFC 8428)
//	citytwin/<source>/<entity id>/json    plain JSON
//
// The second level is the source (the producer, e.g. "aqnet"), the last level
// is the payload's format, and everything between them is the entity id, which
// may itself contain '/' and ':': citytwin/osm/osm:way/123/json is about
// osm:way/123. ParseTopic splits a topic this way. A topic under the prefix
// that does not parse is refused (dead-lettered) without reaching the handler.
// Every other topic is ordinary broker traffic: retained and relayed to its
// subscribers, as by any broker, and never seen by the handler. Accepted ingest
// messages are relayed too, so an operator's tool subscribed to citytwin/#
// watches the twin's input.
//
// # Acknowledgements and back-pressure
//
// mochi-mqtt reads each client's packets on one goroutine and calls the hook
// between reading a PUBLISH and writing its PUBACK (server.go processPublish),
// so the handler runs once per message, in order per client, and a slow handler
// slows exactly the producers that wait for it: their TCP streams fill up. The
// answers, per protocol version, are tabled on Broker. In short: an MQTT 5
// producer learns of an overloaded twin from a PUBACK with reason code 0x97
// (quota exceeded) and of a refused message from 0x99 (payload format invalid,
// with the handler's error as reason string); MQTT 3.1.1 has no negative PUBACK,
// so the broker holds an overloaded 3.1.1 producer while it retries (up to
// BrokerConfig.OverloadWait) and then closes its connection without
// acknowledging, and the client resends the message when it reconnects. A
// QoS 1 message gets a successful acknowledgement only once the twin has it,
// and is never dropped silently; a QoS 0 message under a lasting overload is
// dropped and counted (Stats).
//
// # Authentication
//
// With BrokerConfig.Username set, clients must present that username and
// password; without it, anyone who can reach the port may connect. Connected
// clients may publish and subscribe to every topic. Use BrokerConfig.TLS, or
// listen on loopback only, when credentials must not cross a network in clear.
//
// # Upstream
//
// Upstream speaks MQTT 5 (paho.golang autopaho), keeps a persistent session
// (CleanStart false, a session expiry) so that the QoS 1 messages queued while
// citytwin was down arrive when it is back, acknowledges manually after the
// handler, and retries the handler while it reports ErrOverloaded. Delivery is
// at least once: a message may arrive twice around a reconnect.
package mqtt
