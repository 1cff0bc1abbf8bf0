package web

import (
	"encoding/json"
	"errors"
	"math"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"citytwin/geo"
	"citytwin/render"
	"citytwin/simulate"
	"citytwin/twin"
)

// Scenarios are what-if runs forked from the live twin (package simulate):
// planners create them, run them, read their results and compare them with
// the baseline.

// WithScenarios serves a scenario manager under /api/v1/scenarios and its
// progress on the stream.
func WithScenarios(m *simulate.Manager) Option {
	return func(s *Server) { s.scenarios = m }
}

const scenariosPath = "/api/v1/scenarios"

// scenarioError maps the manager's errors to problems.
func (s *Server) scenarioError(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, simulate.ErrNotFound):
		writeProblem(w, notFound(r, "there is no scenario "+quote(r.PathValue("id"))+"; GET /api/v1/scenarios lists them"))
	case errors.Is(err, simulate.ErrBadSpec), errors.Is(err, simulate.ErrNoInputs):
		writeProblem(w, &Problem{Type: ProblemInvalidParam, Title: "Scenario cannot be run", Status: http.StatusUnprocessableEntity,
			Detail: err.Error(), Instance: r.URL.RequestURI()})
	case errors.Is(err, simulate.ErrBusy), errors.Is(err, simulate.ErrNoResults), errors.Is(err, simulate.ErrBadCheckpnt):
		writeProblem(w, &Problem{Type: ProblemNotFound, Title: "Not now", Status: http.StatusConflict,
			Detail: err.Error(), Instance: r.URL.RequestURI()})
	default:
		s.writeError(w, r, err)
	}
}

func (s *Server) listScenarios(w http.ResponseWriter, r *http.Request) {
	if !noParams(w, r) {
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	s.writeJSON(w, r, ContentTypeJSON, map[string]any{"scenarios": s.scenarios.List()})
}

// postScenario forks the twin and creates a scenario from a spec.
func (s *Server) postScenario(w http.ResponseWriter, r *http.Request) {
	if !noParams(w, r) {
		return
	}
	body, ok := readBody(w, r)
	if !ok {
		return
	}
	if !json.Valid(body) {
		writeProblem(w, paramProblem(r, &ParamError{Name: "body", Reason: "not JSON: want a scenario spec {\"name\",\"model\",\"horizon_s\",\"step_s\",\"seed\",\"interventions\"}"}))
		return
	}
	spec, err := simulate.ParseSpec(body)
	if err != nil {
		s.scenarioError(w, r, err)
		return
	}
	info, err := s.scenarios.Create(r.Context(), spec)
	if err != nil {
		s.scenarioError(w, r, err)
		return
	}
	w.Header().Set("Location", s.base(r)+scenariosPath+"/"+info.ID)
	s.writeJSONStatus(w, r, ContentTypeJSON, http.StatusCreated, info)
}

func (s *Server) getScenario(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	s.answerScenario(w, r, s.scenarios.Get)
}

// answerScenario answers a request without parameters with what op does to
// the scenario of the path.
func (s *Server) answerScenario(w http.ResponseWriter, r *http.Request, op func(id string) (simulate.Info, error)) {
	if !noParams(w, r) {
		return
	}
	info, err := op(r.PathValue("id"))
	if err != nil {
		s.scenarioError(w, r, err)
		return
	}
	s.writeJSON(w, r, ContentTypeJSON, info)
}

func (s *Server) deleteScenario(w http.ResponseWriter, r *http.Request) {
	if !noParams(w, r) {
		return
	}
	if err := s.scenarios.Delete(r.PathValue("id")); err != nil {
		s.scenarioError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// runScenario starts a run (202); ?resume=true goes on from the checkpoint of
// an interrupted one.
func (s *Server) runScenario(w http.ResponseWriter, r *http.Request) {
	v, perr := queryValues(r, "resume")
	if perr != nil {
		writeProblem(w, paramProblem(r, perr))
		return
	}
	resume := false
	if x, ok, perr := single(v, "resume"); perr != nil {
		writeProblem(w, paramProblem(r, perr))
		return
	} else if ok {
		b, err := strconv.ParseBool(x)
		if err != nil {
			writeProblem(w, paramProblem(r, paramErrorf("resume", "%q: want true or false", clip(x))))
			return
		}
		resume = b
	}
	info, err := s.scenarios.Run(r.PathValue("id"), resume)
	if err != nil {
		s.scenarioError(w, r, err)
		return
	}
	w.Header().Set("Location", s.base(r)+scenariosPath+"/"+info.ID)
	s.writeJSONStatus(w, r, ContentTypeJSON, http.StatusAccepted, info)
}

func (s *Server) cancelScenario(w http.ResponseWriter, r *http.Request) {
	s.answerScenario(w, r, s.scenarios.Cancel)
}

// scenarioResults are the KPIs, curves and notes of a finished run.
func (s *Server) scenarioResults(w http.ResponseWriter, r *http.Request) {
	if !noParams(w, r) {
		return
	}
	id := r.PathValue("id")
	res, err := s.scenarios.Result(id)
	if err != nil {
		s.scenarioError(w, r, err)
		return
	}
	info, _ := s.scenarios.Get(id)
	s.writeJSON(w, r, ContentTypeJSON, map[string]any{
		"scenario": info, "kpis": res.KPIs, "curves": res.Curves, "notes": res.Notes,
		"entities": len(res.Entities),
		"plots":    s.plotLinks(r, id, res),
	})
}

// entityDiff is one entity's metric in both runs.
type entityDiff struct {
	ID       twin.ID   `json:"id"`
	Kind     twin.Kind `json:"kind"`
	Baseline float64   `json:"baseline"`
	Scenario float64   `json:"scenario"`
	Diff     float64   `json:"diff"`
	Flooded  *float64  `json:"flooded_s,omitempty"`
}

// compareScenario pairs the runs: the KPIs and the entities whose metric
// changed most (?metric=delay&limit=20, by |diff|).
func (s *Server) compareScenario(w http.ResponseWriter, r *http.Request) {
	res, metric, limit, ok := s.metricQuery(w, r, intParam{"limit", 20, 1, 10000})
	if !ok {
		return
	}
	var diffs []entityDiff
	for i := range res.Entities {
		e := &res.Entities[i]
		if p, ok := e.Value(metric); ok {
			diffs = append(diffs, entityDiff{ID: e.ID, Kind: e.Kind, Baseline: p.Baseline, Scenario: p.Scenario, Diff: p.Scenario - p.Baseline, Flooded: e.Flooded})
		}
	}
	if diffs == nil && len(res.Entities) > 0 {
		writeProblem(w, paramProblem(r, paramErrorf("metric", "%q: no entity of this run has it; try %v", clip(metric), metricsOf(res))))
		return
	}
	sort.SliceStable(diffs, func(i, j int) bool { return math.Abs(diffs[i].Diff) > math.Abs(diffs[j].Diff) })
	if len(diffs) > limit {
		diffs = diffs[:limit]
	}
	if diffs == nil {
		diffs = []entityDiff{}
	}
	s.writeJSON(w, r, ContentTypeJSON, map[string]any{"kpis": res.KPIs, "metric": metric, "entities": diffs})
}

// defaultMetric is delay for traffic runs, max_depth for floods.
func defaultMetric(res *simulate.Result) string {
	ms := metricsOf(res)
	for _, m := range []string{"delay", "max_depth"} {
		for _, x := range ms {
			if x == m {
				return m
			}
		}
	}
	if len(ms) > 0 {
		return ms[0]
	}
	return "delay"
}

// metricsOf lists the metrics the run's entities have.
func metricsOf(res *simulate.Result) []string {
	seen := map[string]bool{}
	var out []string
	for i := range res.Entities {
		for _, v := range res.Entities[i].Values {
			if !seen[v.Metric] {
				seen[v.Metric] = true
				out = append(out, v.Metric)
			}
		}
	}
	if len(res.Field) > 0 {
		out = append(out, "depth")
	}
	sort.Strings(out)
	return out
}

// scenarioEntity is one entity's results and series in both runs.
func (s *Server) scenarioEntity(w http.ResponseWriter, r *http.Request) {
	if !noParams(w, r) {
		return
	}
	res, err := s.scenarios.Result(r.PathValue("id"))
	if err != nil {
		s.scenarioError(w, r, err)
		return
	}
	id := twin.ID(r.PathValue("entity"))
	e, ok := res.Entity(id)
	if !ok {
		writeProblem(w, notFound(r, "the run has no results for "+quote(string(id))))
		return
	}
	series := e.Series
	if series == nil {
		series = []simulate.SeriesPair{}
	}
	times := res.Times
	if times == nil {
		times = []float64{}
	}
	s.writeJSON(w, r, ContentTypeJSON, map[string]any{"entity": e, "times_s": times, "series": series})
}

// scenarioH3 aggregates an entity metric (or the flood depth field, metric
// depth) per H3 cell: ?metric=delay&res=9, JSON for deck.gl's H3HexagonLayer.
func (s *Server) scenarioH3(w http.ResponseWriter, r *http.Request) {
	res, metric, h3res, ok := s.metricQuery(w, r, intParam{"res", 9, 0, 15})
	if !ok {
		return
	}
	cells, has := res.Cells(metric, h3res)
	if !has {
		writeProblem(w, paramProblem(r, paramErrorf("metric", "%q: no entity of this run has it; try %v", clip(metric), metricsOf(res))))
		return
	}
	type cellJSON struct {
		Cell     string  `json:"cell"`
		Baseline float64 `json:"baseline"`
		Scenario float64 `json:"scenario"`
		Diff     float64 `json:"diff"`
		Entities int     `json:"entities"`
	}
	out := make([]cellJSON, len(cells))
	for i, c := range cells {
		out[i] = cellJSON{Cell: c.Cell.String(), Baseline: c.Baseline, Scenario: c.Scenario, Diff: c.Diff, Entities: c.Entities}
	}
	s.writeJSON(w, r, ContentTypeJSON, map[string]any{"metric": metric, "res": h3res, "cells": out})
}

// plotLinks lists the plots of a result.
func (s *Server) plotLinks(r *http.Request, id string, res *simulate.Result) []Link {
	out := []Link{}
	base := s.base(r) + scenariosPath + "/" + url.PathEscape(id) + "/plots/"
	for _, p := range ScenarioPlots(res) {
		out = append(out, Link{Href: base + p.Name, Rel: "item", Type: "image/svg+xml", Title: p.Title})
	}
	return out
}

// scenarioPlot draws a curve (<curve>.svg) or a map of a metric's change per
// H3 cell (map-<metric>.svg).
func (s *Server) scenarioPlot(w http.ResponseWriter, r *http.Request) {
	if !noParams(w, r) {
		return
	}
	res, err := s.scenarios.Result(r.PathValue("id"))
	if err != nil {
		s.scenarioError(w, r, err)
		return
	}
	svg, err := ScenarioPlot(res, r.PathValue("name"))
	if err != nil {
		writeProblem(w, notFound(r, err.Error()))
		return
	}
	w.Header().Set("Content-Type", "image/svg+xml")
	_, _ = w.Write(svg)
}

// Plot names a plot of a scenario's result.
type Plot struct {
	Name  string // file name: <curve>.svg or map-<metric>.svg
	Title string
}

// ScenarioPlots lists the plots of a result: every curve over time, and a
// map of the change of every entity metric per H3 cell.
func ScenarioPlots(res *simulate.Result) []Plot {
	var out []Plot
	for _, c := range res.Curves {
		out = append(out, Plot{Name: c.Name + ".svg", Title: c.Name + " over time, baseline and scenario"})
	}
	for _, m := range metricsOf(res) {
		out = append(out, Plot{Name: "map-" + m + ".svg", Title: "change in " + m + " per H3 cell"})
	}
	return out
}

// ScenarioPlot draws one plot of ScenarioPlots as SVG.
func ScenarioPlot(res *simulate.Result, name string) ([]byte, error) {
	for _, c := range res.Curves {
		if name == c.Name+".svg" {
			return render.LineChartSVG(render.LineChart{Title: c.Name, Unit: c.Unit, Times: c.Times,
				Series: []render.LineSeries{{Name: "baseline", Values: c.Baseline}, {Name: "scenario", Values: c.Scenario}}})
		}
	}
	if m, ok := strings.CutPrefix(name, "map-"); ok {
		m = strings.TrimSuffix(m, ".svg")
		res9 := 9
		if m == "depth" || m == "max_depth" {
			res9 = 11
		}
		cells, ok := res.Cells(m, res9)
		if ok {
			mc := render.CellMap{Title: "change in " + m + " (scenario − baseline), H3 resolution " + strconv.Itoa(res9)}
			for _, c := range cells {
				mc.Cells = append(mc.Cells, render.MapCell{Polygon: geo.CellPolygon(c.Cell), Value: c.Diff})
			}
			return render.CellMapSVG(mc)
		}
	}
	return nil, errors.New("no plot " + quote(name) + "; the results list the plots")
}

// queryValues parses the query string, allowing only names.
func queryValues(r *http.Request, names ...string) (url.Values, *ParamError) {
	v, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, &ParamError{Name: "query", Reason: "the query string is malformed: " + err.Error()}
	}
	if perr := checkParams(v, names); perr != nil {
		return nil, perr
	}
	return v, nil
}

// intParam is an integer query parameter with its default and bounds.
type intParam struct {
	name          string
	def, min, max int
}

// metricQuery reads ?metric= and one integer parameter (checked before the
// scenario is looked up, so that a bad request is a 400 whatever the id),
// then the scenario's result; metric defaults to the result's main one. ok
// is false when a problem has been written.
func (s *Server) metricQuery(w http.ResponseWriter, r *http.Request, p intParam) (res *simulate.Result, metric string, n int, ok bool) {
	v, perr := queryValues(r, "metric", p.name)
	if perr != nil {
		writeProblem(w, paramProblem(r, perr))
		return nil, "", 0, false
	}
	n = p.def
	x, has, perr := single(v, p.name)
	if perr == nil && has {
		n, perr = parseInt(p.name, x, p.min, p.max)
	}
	if perr != nil {
		writeProblem(w, paramProblem(r, perr))
		return nil, "", 0, false
	}
	m, hasMetric, perr := single(v, "metric")
	if perr != nil {
		writeProblem(w, paramProblem(r, perr))
		return nil, "", 0, false
	}
	res, err := s.scenarios.Result(r.PathValue("id"))
	if err != nil {
		s.scenarioError(w, r, err)
		return nil, "", 0, false
	}
	metric = defaultMetric(res)
	if hasMetric {
		metric = m
	}
	return res, metric, n, true
}
