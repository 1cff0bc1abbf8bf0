package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	paho5 "github.com/eclipse/paho.golang/paho"
)

func put(t *testing.T, url, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPut, url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/geo+json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// An operator's threshold rule raises alerts on the live demo streams, visible
// as entities and in the metrics; a rule with a typo is refused.
func TestServeRaisesAlertsFromRules(t *testing.T) {
	base := startServe(t, "--demo", "--tick", "100ms")
	code, body := put(t, base+"/api/v1/entities/rule:pm25-any", `{"type":"Feature","geometry":null,"properties":{
		"kind":"alert_rule","name":"any fine dust","rule.metric":"pm25","rule.op":">","rule.threshold":0,"rule.severity":"info"}}`)
	if code != http.StatusCreated {
		t.Fatalf("put rule: %d %s", code, body)
	}
	code, body = put(t, base+"/api/v1/entities/rule:typo", `{"type":"Feature","geometry":null,"properties":{
		"kind":"alert_rule","rule.metric":"pm25","rule.op":">","rule.treshold":5}}`)
	if code != http.StatusUnprocessableEntity || !strings.Contains(body, "rule.treshold") {
		t.Fatalf("rule with a typo: %d %s", code, body)
	}
	var fc struct {
		NumberMatched int `json:"numberMatched"`
		Features      []struct {
			ID         string         `json:"id"`
			Properties map[string]any `json:"properties"`
		} `json:"features"`
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		getJSON(t, base+"/api/v1/entities?kind=alert&where=alert.state=active&limit=5", 200, &fc)
		if fc.NumberMatched > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no alert raised in 30 s")
		}
		time.Sleep(200 * time.Millisecond)
	}
	a := fc.Features[0]
	if !strings.HasPrefix(a.ID, "alert:rule:pm25-any/") || a.Properties["alert.severity"] != "info" || a.Properties["alert.metric"] != "pm25" {
		t.Errorf("alert %s %v", a.ID, a.Properties)
	}
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	m, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(m), "citytwin_alerts_active ") || !strings.Contains(string(m), `citytwin_alert_rules{valid="true"} 3`) {
		t.Errorf("metrics lack the alert engine's:\n%s", grepLines(string(m), "alert"))
	}
}

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// A geofence over the demo city's centre reports vehicles coming and going, over
// the events API and as MQTT messages on the embedded broker.
func TestServeGeofenceEventsOverHTTPAndMQTT(t *testing.T) {
	base, addr := startServeMQTT(t, "--demo", "--tick", "100ms", "--mqtt", "127.0.0.1:0")
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan string, 100)
	c := paho5.NewClient(paho5.ClientConfig{ClientID: "ops-screen", Conn: conn,
		OnPublishReceived: []func(paho5.PublishReceived) (bool, error){func(p paho5.PublishReceived) (bool, error) {
			select {
			case got <- p.Packet.Topic + " " + string(p.Packet.Payload):
			default:
			}
			return true, nil
		}}})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := c.Connect(ctx, &paho5.Connect{ClientID: "ops-screen", KeepAlive: 30, CleanStart: true}); err != nil {
		t.Fatal(err)
	}
	defer c.Disconnect(&paho5.Disconnect{})
	if _, err := c.Subscribe(ctx, &paho5.Subscribe{Subscriptions: []paho5.SubscribeOptions{{Topic: "citytwin/events/geofence/#", QoS: 1}}}); err != nil {
		t.Fatal(err)
	}
	resp, err := http.Post(base+"/api/v1/geofences/endpoints", "application/json", strings.NewReader(`{"id":"screen","kind":"mqtt"}`))
	if err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("add mqtt endpoint: %v %v", resp, err)
	}
	resp.Body.Close()
	code, body := put(t, base+"/api/v1/entities/fence:centre", `{"type":"Feature","geometry":{"type":"Point","coordinates":[24.94,60.17]},
		"properties":{"kind":"geofence","name":"centre","fence.radius":600,"fence.kinds":"vehicle","fence.events":"enter,exit"}}`)
	if code != http.StatusCreated {
		t.Fatalf("put fence: %d %s", code, body)
	}
	select {
	case m := <-got:
		if !strings.HasPrefix(m, "citytwin/events/geofence/fence:") || !strings.Contains(m, `"object":"synth:`) {
			t.Errorf("message %q", m)
		}
	case <-ctx.Done():
		t.Fatal("no geofence event over MQTT in 30 s")
	}
	var page struct {
		Events []struct {
			Seq   uint64 `json:"seq"`
			Fence string `json:"fence"`
			Kind  string `json:"kind"`
		} `json:"events"`
	}
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		getJSON(t, base+"/api/v1/geofences/events?after=0&limit=5&fence=fence:centre", 200, &page)
		if len(page.Events) > 0 || time.Now().After(deadline) {
			break
		}
	}
	if len(page.Events) == 0 || page.Events[0].Fence != "fence:centre" {
		t.Errorf("events %+v", page.Events)
	}
}
