package mqtt

import (
	"sync/atomic"
)

// TopicClass groups published topics for the counters in Stats.
type TopicClass string

// The topic classes. A topic under the prefix is counted by its format, or as
// invalid when ParseTopic refuses it; everything else is other traffic, which
// the broker relays without handing it to the twin.
const (
	ClassSenML   TopicClass = FormatSenML
	ClassJSON    TopicClass = FormatJSON
	ClassInvalid TopicClass = "invalid"
	ClassOther   TopicClass = "other"
)

// TopicClasses lists every class, in a stable order for exporters.
var TopicClasses = []TopicClass{ClassSenML, ClassJSON, ClassInvalid, ClassOther}

// TopicStats counts the PUBLISH packets of one topic class since the broker was
// created. Every received message ends in exactly one of Accepted, Refused,
// Overloaded, Dropped or Aborted; Retries counts handler calls, not messages.
type TopicStats struct {
	Received   uint64 // PUBLISH packets seen
	Accepted   uint64 // taken by the handler (ingest classes) or relayed (other)
	Refused    uint64 // refused for good: handler error, payload too large, invalid topic
	Overloaded uint64 // QoS 1/2 answered "retry later": MQTT 5 PUBACK 0x97, or the connection closed without an ack
	Dropped    uint64 // QoS 0 messages given up because the twin stayed overloaded
	Aborted    uint64 // handler call cut short by the broker's shutdown; not acknowledged
	Retries    uint64 // handler calls repeated inside the broker after ErrOverloaded
}

// Stats is a snapshot of the broker's counters, for the metrics exporter.
type Stats struct {
	ClientsConnected int64 // clients with an open connection
	Subscriptions    int64 // active subscriptions
	Retained         int64 // retained messages held
	Inflight         int64 // QoS 1/2 messages to subscribers not yet acknowledged
	MessagesSent     int64 // PUBLISH packets sent to subscribers
	MessagesDropped  int64 // PUBLISH packets not sent to a subscriber whose queue was full
	BytesReceived    int64
	BytesSent        int64
	Topics           map[TopicClass]TopicStats
}

// classCounters are one class's counters; padded so that two classes updated by
// different cores do not share a cache line.
type classCounters struct {
	received, accepted, refused, overloaded, dropped, aborted, retries atomic.Uint64
	_                                                                  [8]byte
}

func (c *classCounters) snapshot() TopicStats {
	return TopicStats{
		Received:   c.received.Load(),
		Accepted:   c.accepted.Load(),
		Refused:    c.refused.Load(),
		Overloaded: c.overloaded.Load(),
		Dropped:    c.dropped.Load(),
		Aborted:    c.aborted.Load(),
		Retries:    c.retries.Load(),
	}
}

const (
	classSenML = iota
	classJSON
	classInvalid
	classOther
	numClasses
)

func classIndex(format string, err error) int {
	switch {
	case err != nil:
		return classInvalid
	case format == FormatSenML:
		return classSenML
	default:
		return classJSON
	}
}
