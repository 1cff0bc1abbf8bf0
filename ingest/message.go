package ingest

import (
	"context"
	"time"
)

// Message is one payload a stream adapter received: an MQTT publish, one HTTP
// request body.
type Message struct {
	Source   string // the adapter: "mqtt", "mqtt-upstream", "http"
	Topic    string // the MQTT topic, or the HTTP path
	Client   string // the MQTT client id or the HTTP remote address
	Payload  []byte
	QoS      byte
	Received time.Time
}

// MessageHandler decodes a message and gives its ops to the twin. It returns once
// the accepted ops are durable, so that an adapter may acknowledge the message
// (MQTT QoS 1 PUBACK) only then. It returns ErrOverloaded when the producer should
// retry later. Records it rejects go to the dead letters, not to the error: a nil
// error means the message was taken, even if some of its records were not.
type MessageHandler interface {
	HandleMessage(ctx context.Context, m Message) error
}

// MessageHandlerFunc adapts a function to MessageHandler.
type MessageHandlerFunc func(ctx context.Context, m Message) error

// HandleMessage calls f.
func (f MessageHandlerFunc) HandleMessage(ctx context.Context, m Message) error { return f(ctx, m) }
