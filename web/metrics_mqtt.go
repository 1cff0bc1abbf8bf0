package web

import (
	"citytwin/ingest/mqtt"

	"github.com/prometheus/client_golang/prometheus"
)

// MQTTCollector exports the embedded broker's counters.
func MQTTCollector(stats func() mqtt.Stats) prometheus.Collector { return mqttCollector(stats) }

type mqttCollector func() mqtt.Stats

var (
	descMQTTClients  = prometheus.NewDesc("citytwin_mqtt_clients", "MQTT clients connected to the embedded broker.", nil, nil)
	descMQTTSubs     = prometheus.NewDesc("citytwin_mqtt_subscriptions", "Active subscriptions on the embedded broker.", nil, nil)
	descMQTTMessages = prometheus.NewDesc("citytwin_mqtt_messages_total", "PUBLISH packets received by the embedded broker, by topic class and result.", []string{"class", "result"}, nil)
	descMQTTSent     = prometheus.NewDesc("citytwin_mqtt_sent_total", "PUBLISH packets sent to subscribers.", nil, nil)
	descMQTTBytes    = prometheus.NewDesc("citytwin_mqtt_bytes_total", "Bytes received and sent by the embedded broker.", []string{"direction"}, nil)
)

func (c mqttCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descMQTTClients, descMQTTSubs, descMQTTMessages, descMQTTSent, descMQTTBytes} {
		ch <- d
	}
}

func (c mqttCollector) Collect(ch chan<- prometheus.Metric) {
	st := c()
	ch <- prometheus.MustNewConstMetric(descMQTTClients, prometheus.GaugeValue, float64(st.ClientsConnected))
	ch <- prometheus.MustNewConstMetric(descMQTTSubs, prometheus.GaugeValue, float64(st.Subscriptions))
	ch <- prometheus.MustNewConstMetric(descMQTTSent, prometheus.CounterValue, float64(st.MessagesSent))
	ch <- prometheus.MustNewConstMetric(descMQTTBytes, prometheus.CounterValue, float64(st.BytesReceived), "received")
	ch <- prometheus.MustNewConstMetric(descMQTTBytes, prometheus.CounterValue, float64(st.BytesSent), "sent")
	for _, class := range mqtt.TopicClasses {
		t := st.Topics[class]
		for _, r := range []struct {
			name string
			v    uint64
		}{{"received", t.Received}, {"accepted", t.Accepted}, {"refused", t.Refused}, {"overloaded", t.Overloaded}, {"dropped", t.Dropped}, {"aborted", t.Aborted}} {
			ch <- prometheus.MustNewConstMetric(descMQTTMessages, prometheus.CounterValue, float64(r.v), string(class), r.name)
		}
	}
}
