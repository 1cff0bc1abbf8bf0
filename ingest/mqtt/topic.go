package mqtt

import (
	"errors"
	"fmt"
	"strings"
)

// DefaultTopicPrefix is the first level of every topic the twin ingests.
const DefaultTopicPrefix = "citytwin/"

// The payload formats, named by a topic's last level.
const (
	FormatSenML = "senml" // SenML JSON, RFC 8428
	FormatJSON  = "json"  // plain JSON
)

// ErrTopic says that a topic under the twin's prefix does not follow
// <prefix><source>/<entity id>/<format>.
var ErrTopic = errors.New("mqtt: topic is not <prefix><source>/<entity id>/<format>")

// ParseTopic splits a topic of the form citytwin/<source>/<entity id>/<format>.
// The second level is the source, the last level is the format (FormatSenML or
// FormatJSON), and everything between them is the entity id, which may itself
// contain '/' and ':' (citytwin/osm/osm:way/123/json has the entity id
// "osm:way/123"). The returned strings share the topic's memory.
func ParseTopic(topic string) (source, entityID, format string, err error) {
	return ParseTopicPrefix(DefaultTopicPrefix, topic)
}

// ParseTopicPrefix is ParseTopic for a broker configured with another
// BrokerConfig.TopicPrefix (one that ends in '/').
func ParseTopicPrefix(prefix, topic string) (source, entityID, format string, err error) {
	rest, ok := strings.CutPrefix(topic, prefix)
	if !ok {
		return "", "", "", topicError(topic, "does not start with "+prefix)
	}
	if strings.ContainsAny(rest, "+#\x00") {
		return "", "", "", topicError(topic, "contains a wildcard or NUL")
	}
	i := strings.IndexByte(rest, '/')
	j := strings.LastIndexByte(rest, '/')
	if i < 0 || i == j {
		return "", "", "", topicError(topic, "needs a source, an entity id and a format")
	}
	source, entityID, format = rest[:i], rest[i+1:j], rest[j+1:]
	switch {
	case source == "":
		return "", "", "", topicError(topic, "empty source")
	case entityID == "":
		return "", "", "", topicError(topic, "empty entity id")
	case format != FormatSenML && format != FormatJSON:
		return "", "", "", topicError(topic, fmt.Sprintf("unknown format %q (want %s or %s)", format, FormatSenML, FormatJSON))
	}
	return source, entityID, format, nil
}

func topicError(topic, reason string) error {
	return fmt.Errorf("%w: %q: %s", ErrTopic, topic, reason)
}
