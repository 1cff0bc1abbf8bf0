package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// citytwin simulate --demo closes a road and writes a report: the KPI table
// on stdout and in report.md, the plots beside it, and kpis.json.
func TestSimulateWritesReport(t *testing.T) {
	dir := t.TempDir()
	var stdout, stderr bytes.Buffer
	args := []string{"simulate", "--demo", "--quiet", "--horizon", "15m", "--close", "synth:road/12", "--report", dir}
	if code := run(context.Background(), args, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	if !strings.Contains(stdout.String(), "mean_travel_time") {
		t.Fatalf("no KPI table:\n%s", stdout.String())
	}
	md, err := os.ReadFile(filepath.Join(dir, "report.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"| delay | veh·h |", `"id":"synth:road/12"`, "![", "## Largest changes"} {
		if !strings.Contains(string(md), want) {
			t.Errorf("report.md lacks %q", want)
		}
	}
	svgs, _ := filepath.Glob(filepath.Join(dir, "*.svg"))
	if len(svgs) < 3 {
		t.Errorf("%d plots: %v", len(svgs), svgs)
	}
	var kpis struct {
		KPIs []struct{ Name string } `json:"kpis"`
	}
	b, err := os.ReadFile(filepath.Join(dir, "kpis.json"))
	if err != nil || json.Unmarshal(b, &kpis) != nil || len(kpis.KPIs) < 5 {
		t.Fatalf("kpis.json: %v %s", err, b)
	}
	// A spec that names no road of the network is refused, naming it.
	stderr.Reset()
	if code := run(context.Background(), []string{"simulate", "--demo", "--quiet", "--close", "synth:road/nope", "--report", dir}, &stdout, &stderr); code == 0 ||
		!strings.Contains(stderr.String(), "synth:road/nope") {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
}

// citytwin simulate --demo SPEC.json runs the spec a planner wrote, here a
// substation cut: its buildings and their sensors lose power.
func TestSimulateSpecFile(t *testing.T) {
	dir := t.TempDir()
	spec := filepath.Join(dir, "cut.json")
	body := `{"name": "cut substation 2", "model": "traffic", "horizon_s": 600, "step_s": 60, "seed": 1,
		"interventions": [{"type": "outage", "id": "synth:substation/2"}]}`
	if err := os.WriteFile(spec, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	args := []string{"simulate", "--demo", "--quiet", "--report", filepath.Join(dir, "report"), spec}
	if code := run(context.Background(), args, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	var kpis struct {
		KPIs []struct {
			Name     string
			Baseline float64
			Scenario float64
		} `json:"kpis"`
	}
	b, err := os.ReadFile(filepath.Join(dir, "report", "kpis.json"))
	if err != nil || json.Unmarshal(b, &kpis) != nil {
		t.Fatalf("kpis.json: %v %s", err, b)
	}
	out := -1.0
	for _, k := range kpis.KPIs {
		if k.Name == "entities_out_of_service" {
			out = k.Scenario - k.Baseline
		}
	}
	if out < 2 {
		t.Errorf("cutting a substation put %v entities out of service, want it and the buildings it feeds: %s", out, b)
	}
	// Two specs are one too many.
	stderr.Reset()
	if code := run(context.Background(), append(args, spec), &stdout, &stderr); code == 0 {
		t.Error("two spec files were accepted")
	}
}
