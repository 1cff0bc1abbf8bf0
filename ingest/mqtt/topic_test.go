package mqtt

import (
	"errors"
	"testing"
)

func TestParseTopic(t *testing.T) {
	cases := []struct {
		topic                  string
		source, entity, format string
		ok                     bool
	}{
		{"citytwin/aqnet/sensor:aq-17/senml", "aqnet", "sensor:aq-17", "senml", true},
		{"citytwin/osm/osm:way/123/json", "osm", "osm:way/123", "json", true},
		{"citytwin/gtfs/gtfs:stop/4521/platform/2/json", "gtfs", "gtfs:stop/4521/platform/2", "json", true},
		{"citytwin/ifc/ifc:2O2Fr$t4X7Zf8NOew3FLOH/senml", "ifc", "ifc:2O2Fr$t4X7Zf8NOew3FLOH", "senml", true},
		{"citytwin/a/b/senml", "a", "b", "senml", true},
		{"citytwin/a//senml", "", "", "", false},        // empty entity id
		{"citytwin//sensor:1/senml", "", "", "", false}, // empty source
		{"citytwin/aqnet/senml", "", "", "", false},     // no entity id
		{"citytwin/aqnet", "", "", "", false},
		{"citytwin/", "", "", "", false},
		{"citytwin/aqnet/sensor:1/xml", "", "", "", false}, // unknown format
		{"citytwin/aqnet/sensor:1/", "", "", "", false},    // empty format
		{"citytwin/aqnet/sensor:1/SENML", "", "", "", false},
		{"city/aqnet/sensor:1/senml", "", "", "", false}, // other prefix
		{"Citytwin/aqnet/sensor:1/senml", "", "", "", false},
		{"citytwin/aqnet/+/senml", "", "", "", false},
		{"citytwin/aqnet/#", "", "", "", false},
		{"", "", "", "", false},
	}
	for _, tc := range cases {
		t.Run(tc.topic, func(t *testing.T) {
			source, entity, format, err := ParseTopic(tc.topic)
			if (err == nil) != tc.ok {
				t.Fatalf("ParseTopic(%q) error %v, want ok %v", tc.topic, err, tc.ok)
			}
			if err != nil && !errors.Is(err, ErrTopic) {
				t.Errorf("error %v is not ErrTopic", err)
			}
			if source != tc.source || entity != tc.entity || format != tc.format {
				t.Errorf("ParseTopic(%q) = %q, %q, %q; want %q, %q, %q", tc.topic, source, entity, format, tc.source, tc.entity, tc.format)
			}
		})
	}
}

func TestParseTopicPrefix(t *testing.T) {
	source, entity, format, err := ParseTopicPrefix("city/twin/", "city/twin/meteo/station:7/json")
	if err != nil || source != "meteo" || entity != "station:7" || format != FormatJSON {
		t.Errorf("got %q %q %q %v", source, entity, format, err)
	}
	if _, _, _, err := ParseTopicPrefix("city/twin/", "citytwin/meteo/station:7/json"); err == nil {
		t.Error("a topic outside the prefix parsed")
	}
}

// FuzzParseTopic checks that a parsed topic is exactly its parts joined.
func FuzzParseTopic(f *testing.F) {
	for _, s := range []string{"citytwin/aqnet/sensor:aq-17/senml", "citytwin/osm/osm:way/123/json", "citytwin//x/json", "citytwin/a/b/c/d/senml"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, topic string) {
		source, entity, format, err := ParseTopic(topic)
		if err != nil {
			return
		}
		if got := DefaultTopicPrefix + source + "/" + entity + "/" + format; got != topic {
			t.Fatalf("ParseTopic(%q) parts join to %q", topic, got)
		}
		if source == "" || entity == "" || (format != FormatSenML && format != FormatJSON) {
			t.Fatalf("ParseTopic(%q) = %q %q %q", topic, source, entity, format)
		}
	})
}
