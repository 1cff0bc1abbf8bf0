package mqtt_test

import (
	"context"
	"fmt"
	"log"
	"time"

	mqtt3 "github.com/eclipse/paho.mqtt.golang"

	"citytwin/ingest"
	"citytwin/ingest/mqtt"
)

func ExampleBroker() {
	// The handler decodes the message into twin ops and returns once they are
	// in the log; this one prints it.
	h := ingest.MessageHandlerFunc(func(ctx context.Context, m ingest.Message) error {
		source, entity, format, err := mqtt.ParseTopic(m.Topic)
		if err != nil {
			return err
		}
		fmt.Printf("%s %s %s from %s: %s\n", source, entity, format, m.Client, m.Payload)
		return nil
	})
	cfg := mqtt.DefaultBrokerConfig()
	cfg.Addr = "127.0.0.1:0" // a free port
	b, err := mqtt.NewBroker(cfg, h, nil)
	if err != nil {
		log.Fatal(err)
	}
	if err := b.Start(context.Background()); err != nil {
		log.Fatal(err)
	}
	defer b.Close()

	// A sensor gateway publishes at QoS 1: its PUBACK says the twin has it.
	c := mqtt3.NewClient(mqtt3.NewClientOptions().AddBroker("tcp://" + b.Addr().String()).SetClientID("gateway-3"))
	if tok := c.Connect(); tok.Wait() && tok.Error() != nil {
		log.Fatal(tok.Error())
	}
	defer c.Disconnect(0)
	tok := c.Publish("citytwin/aqnet/sensor:aq-17/senml", 1, false, `[{"n":"pm25","u":"ug/m3","v":12.5}]`)
	if tok.Wait() && tok.Error() != nil {
		log.Fatal(tok.Error())
	}
	fmt.Println("acknowledged")
	// Output:
	// aqnet sensor:aq-17 senml from gateway-3: [{"n":"pm25","u":"ug/m3","v":12.5}]
	// acknowledged
}

func ExampleParseTopic() {
	source, entity, format, err := mqtt.ParseTopic("citytwin/osm/osm:way/123/json")
	fmt.Println(source, entity, format, err)
	_, _, _, err = mqtt.ParseTopic("citytwin/osm/json")
	fmt.Println(err)
	// Output:
	// osm osm:way/123 json <nil>
	// mqtt: topic is not <prefix><source>/<entity id>/<format>: "citytwin/osm/json": needs a source, an entity id and a format
}

func ExampleUpstream() {
	h := ingest.MessageHandlerFunc(func(ctx context.Context, m ingest.Message) error {
		fmt.Printf("%s: %s\n", m.Topic, m.Payload)
		return nil
	})
	cfg := mqtt.DefaultUpstreamConfig()
	cfg.URL = "mqtts://citytwin:secret@broker.city.example"
	cfg.Topics = []string{"city/+/sensors/#"}
	cfg.ClientID = "citytwin-prod" // fixed, so that the session survives restarts
	up, err := mqtt.NewUpstream(cfg, h, nil)
	if err != nil {
		log.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := up.Run(ctx); err != nil { // until ctx ends
		log.Fatal(err)
	}
}
