package main

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
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
	if !strings.Contains(string(m), "citytwin_alerts_active ") || !strings.Contains(string(m), `citytwin_alert_rules{valid="true"} 1`) {
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
