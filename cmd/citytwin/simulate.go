package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"citytwin/datasets"
	"citytwin/simulate"
	"citytwin/twin"
	"citytwin/web"
)

const simulateHelp = `Usage: citytwin simulate (--data DIR | --demo) [flags] [SPEC.json]

Runs a what-if scenario on a fork of the twin and writes a report that
planners can read: a KPI table (baseline, scenario, difference), plots of the
key curves over time and maps of where things change, and the entities that
changed most.

The scenario is SPEC.json (the body of POST /api/v1/scenarios; see
docs/simulate.md) or the flags below. Baseline and scenario run from the same
snapshot with the same seed, so the differences are the interventions' alone,
and the same spec and seed give the same report, byte for byte.

The twin is the data directory of a server that is not running (--data), or
the synthetic demo city (--demo). A running server runs scenarios itself:
POST /api/v1/scenarios, or the scenario panel of the command centre.

Examples:
  citytwin simulate --demo --close synth:road/12 --horizon 1h
  citytwin simulate --demo --demand 1.3 --report rush-hour
  citytwin simulate --data ./citytwin-data --model flood --rain 80 --horizon 2h
  citytwin simulate --data ./citytwin-data scenario.json
`

func simulateCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("simulate", simulateHelp, stderr)
	data := fs.String("data", "", "the data directory of a twin to fork (a server must not be running on it)")
	// The twin opens with the defaults of serve; only --data is the user's.
	sf := addStoreFlags(flag.NewFlagSet("store", flag.ContinueOnError))
	demo := fs.Bool("demo", false, "fork the synthetic demo city (seed --seed) instead of a data directory")
	model := fs.String("model", "traffic", "traffic, flood or flood+traffic (the flood closes the roads it makes impassable)")
	horizon := fs.Duration("horizon", time.Hour, "how far to project")
	step := fs.Duration("step", 2*time.Second, "the traffic model's time step")
	seed := fs.Uint64("seed", 1, "seed of the run (and of the demo city)")
	demand := fs.Float64("demand", 1, "scale the calibrated travel demand of the whole city")
	closeIDs := fs.String("close", "", "comma-separated road ids to close for the whole run")
	rain := fs.Float64("rain", 0, "rain over the whole elevation model, mm/h for the whole run (flood)")
	elevation := fs.String("elevation", "", "the elevation model entity for a flood (default: the one covering the area)")
	report := fs.String("report", "scenario-report", "directory to write the report into")
	quiet := fs.Bool("quiet", false, "no progress bar")
	if err := parseWithArgs(fs, args); err != nil {
		return err
	}
	*sf.data = *data
	if fs.NArg() > 1 || (*demo && *sf.data != "") || (!*demo && *sf.data == "") {
		fs.Usage()
		return errUsage
	}
	var spec simulate.Spec
	if fs.NArg() == 1 {
		b, err := os.ReadFile(fs.Arg(0))
		if err != nil {
			return err
		}
		if spec, err = simulate.ParseSpec(b); err != nil {
			return fmt.Errorf("%s: %w", fs.Arg(0), err)
		}
	} else {
		spec = simulate.Spec{Model: simulate.Model(*model), Horizon: horizon.Seconds(), Step: step.Seconds(),
			Seed: *seed, Demand: *demand, Elevation: *elevation}
		for _, id := range twin.SplitList(*closeIDs, ",") {
			spec.Interventions = append(spec.Interventions, simulate.Intervention{Type: simulate.CloseRoad, ID: twin.ID(id)})
		}
		if *rain > 0 {
			spec.Interventions = append(spec.Interventions, simulate.Intervention{Type: simulate.Rain, MMPerH: *rain})
		}
		b, _ := json.Marshal(spec)
		var err error
		if spec, err = simulate.ParseSpec(b); err != nil {
			return err
		}
	}
	log := slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	cfg := twin.DefaultConfig()
	var city *datasets.City
	var err error
	if *demo {
		cc := datasets.Demo()
		cc.Seed = *seed
		cfg.RefLat = cc.Center[1]
		if city, err = datasets.Generate(ctx, cc, nil); err != nil {
			return fmt.Errorf("demo city: %w", err)
		}
	}
	*sf.retention = 0
	var store *twin.Store
	if city != nil {
		// The demo city lives in memory, its terrain in a temporary folder.
		if store, err = twin.New(cfg); err != nil {
			return err
		}
		if err := city.Load(ctx, store, nil); err != nil {
			return fmt.Errorf("load demo city: %w", err)
		}
		dir, err := os.MkdirTemp("", "citytwin-simulate-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		terrain, err := demoTerrain(city, dir)
		if err != nil {
			return fmt.Errorf("demo terrain: %w", err)
		}
		if _, err := store.Apply(terrain); err != nil {
			return err
		}
	} else if store, err = sf.open(ctx, cfg, log); err != nil {
		return err
	}
	defer store.Close()
	_, m, err := openScenarios(store, "", log)
	if err != nil {
		return err
	}
	defer m.Close()
	info, err := m.Create(ctx, spec)
	if err != nil {
		return err
	}
	events, stop := m.Subscribe()
	defer stop()
	if _, err := m.Run(info.ID, false); err != nil {
		return err
	}
	b := newBar(stderr, *quiet, "simulating")
	for info.Status != simulate.StatusDone && info.Status != simulate.StatusFailed && info.Status != simulate.StatusCancelled {
		select {
		case <-ctx.Done():
			_, _ = m.Cancel(info.ID)
			return ctx.Err()
		case ev := <-events:
			if ev.ID != info.ID {
				continue
			}
			info = ev
			b.update(int(ev.Progress.Fraction*1000), 1000)
		}
	}
	b.finish()
	if info.Status != simulate.StatusDone {
		return fmt.Errorf("the run ended %s: %s", info.Status, info.Error)
	}
	res, err := m.Result(info.ID)
	if err != nil {
		return err
	}
	if err := writeReport(*report, info, res); err != nil {
		return err
	}
	printKPIs(stdout, res)
	fmt.Fprintf(stdout, "\nreport: %s\n", filepath.Join(*report, "report.md"))
	return nil
}

// printKPIs prints the KPI table.
func printKPIs(w io.Writer, res *simulate.Result) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "KPI\tunit\tbaseline\tscenario\tdifference\t%\t")
	for _, k := range res.KPIs {
		pct := ""
		if k.DiffPct != nil {
			pct = fmt.Sprintf("%+.1f", *k.DiffPct)
		}
		fmt.Fprintf(tw, "%s\t%s\t%.4g\t%.4g\t%+.4g\t%s\t\n", k.Name, k.Unit, k.Baseline, k.Scenario, k.Diff, pct)
	}
	_ = tw.Flush()
}

// writeReport writes report.md with the KPI table, the notes, the plots (SVG
// beside it) and the entities that changed most, and kpis.json.
func writeReport(dir string, info simulate.Info, res *simulate.Result) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	var md strings.Builder
	fmt.Fprintf(&md, "# Scenario %q (%s)\n\n", info.Name, info.Spec.Model)
	fmt.Fprintf(&md, "Forked from the twin at seq %d (%s); horizon %s, step %gs, seed %d. Baseline and scenario ran from the same snapshot with the same seed.\n\n",
		info.Seq, info.At.Format(time.RFC3339), time.Duration(info.Spec.Horizon*float64(time.Second)), info.Spec.Step, info.Spec.Seed)
	if len(info.Spec.Interventions) > 0 {
		md.WriteString("Interventions:\n\n")
		for _, iv := range info.Spec.Interventions {
			b, _ := json.Marshal(iv)
			fmt.Fprintf(&md, "- `%s`\n", b)
		}
		md.WriteString("\n")
	}
	md.WriteString("## Key figures\n\n| KPI | unit | baseline | scenario | difference | % |\n|---|---|---:|---:|---:|---:|\n")
	for _, k := range res.KPIs {
		pct := ""
		if k.DiffPct != nil {
			pct = fmt.Sprintf("%+.1f", *k.DiffPct)
		}
		fmt.Fprintf(&md, "| %s | %s | %.4g | %.4g | %+.4g | %s |\n", k.Name, k.Unit, k.Baseline, k.Scenario, k.Diff, pct)
	}
	if len(res.Notes) > 0 {
		md.WriteString("\n## Notes\n\n")
		for _, n := range res.Notes {
			fmt.Fprintf(&md, "- %s\n", n)
		}
	}
	md.WriteString("\n## Plots\n\n")
	for _, p := range web.ScenarioPlots(res) {
		svg, err := web.ScenarioPlot(res, p.Name)
		if err != nil {
			continue // nothing to draw (a metric that never changed)
		}
		if err := os.WriteFile(filepath.Join(dir, p.Name), svg, 0o644); err != nil {
			return err
		}
		fmt.Fprintf(&md, "### %s\n\n![%s](%s)\n\n", p.Title, p.Title, p.Name)
	}
	md.WriteString("## Largest changes\n\n| entity | metric | baseline | scenario | difference |\n|---|---|---:|---:|---:|\n")
	for _, c := range largestChanges(res, 20) {
		fmt.Fprintf(&md, "| %s | %s | %.4g | %.4g | %+.4g |\n", c.id, c.metric, c.base, c.scen, c.scen-c.base)
	}
	if err := os.WriteFile(filepath.Join(dir, "report.md"), []byte(md.String()), 0o644); err != nil {
		return err
	}
	js, err := json.MarshalIndent(map[string]any{"scenario": info, "kpis": res.KPIs, "notes": res.Notes}, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "kpis.json"), append(js, '\n'), 0o644)
}

type change struct {
	id         twin.ID
	metric     string
	base, scen float64
}

// largestChanges are the n entity metrics that changed most, relative to the
// largest change of the same metric (so that metres and hours compare).
func largestChanges(res *simulate.Result, n int) []change {
	top := map[string]float64{}
	var all []change
	for _, e := range res.Entities {
		for _, v := range e.Values {
			d := v.Scenario - v.Baseline
			if d == 0 {
				continue
			}
			all = append(all, change{e.ID, v.Metric, v.Baseline, v.Scenario})
			top[v.Metric] = max(top[v.Metric], abs(d))
		}
	}
	score := func(c change) float64 { return abs(c.scen-c.base) / top[c.metric] }
	sortChanges(all, score)
	if len(all) > n {
		all = all[:n]
	}
	return all
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

// sortChanges orders by score, highest first, then by entity and metric.
func sortChanges(cs []change, score func(change) float64) {
	sort.SliceStable(cs, func(i, j int) bool {
		a, b := score(cs[i]), score(cs[j])
		if a != b {
			return a > b
		}
		if cs[i].id != cs[j].id {
			return cs[i].id < cs[j].id
		}
		return cs[i].metric < cs[j].metric
	})
}
