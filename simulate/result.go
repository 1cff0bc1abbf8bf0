package simulate

import (
	"math"
	"sort"

	"citytwin/geo"
	"citytwin/twin"

	"github.com/paulmach/orb"
	"github.com/uber/h3-go/v4"
)

// Which way a KPI is better.
const (
	lower   = "lower"
	higher  = "higher"
	neutral = ""
)

// KPI is one key figure of the baseline and the scenario, run from the same
// snapshot with the same seed, and their difference (scenario − baseline).
type KPI struct {
	Name     string   `json:"name"`
	Unit     string   `json:"unit"`
	Baseline float64  `json:"baseline"`
	Scenario float64  `json:"scenario"`
	Diff     float64  `json:"diff"`
	DiffPct  *float64 `json:"diff_pct,omitempty"` // relative to the baseline; absent when it is 0
	Better   string   `json:"better,omitempty"`   // "lower" or "higher"; empty when neither
}

func pair(name, unit, better string, base, scen float64) KPI {
	k := KPI{Name: name, Unit: unit, Baseline: base, Scenario: scen, Diff: scen - base, Better: better}
	if base != 0 {
		p := (scen - base) / math.Abs(base) * 100
		k.DiffPct = &p
	}
	return k
}

// MetricPair is one figure of an entity in both runs.
type MetricPair struct {
	Metric   string  `json:"metric"`
	Unit     string  `json:"unit"`
	Baseline float64 `json:"baseline"`
	Scenario float64 `json:"scenario"`
}

// EntityResult is what the runs say of one twin entity (a road, a building).
type EntityResult struct {
	ID     twin.ID      `json:"id"`
	Kind   twin.Kind    `json:"kind"`
	Place  orb.Point    `json:"place"` // where it counts in H3 aggregates
	Values []MetricPair `json:"values"`
	// Flooded, for the flood model, is when the depth at the entity first
	// reached the threshold of its kind (seconds from the start), absent when
	// it never did.
	Flooded *float64 `json:"flooded_s,omitempty"`
	// Series are its metrics sampled over the run (Result.Times).
	Series []SeriesPair `json:"-"`
}

// Value is the pair of one metric, ok false when the entity has none.
func (e *EntityResult) Value(metric string) (MetricPair, bool) {
	for _, v := range e.Values {
		if v.Metric == metric {
			return v, true
		}
	}
	return MetricPair{}, false
}

// SeriesPair is a metric of an entity sampled over the run, in both runs, at
// Result.Times.
type SeriesPair struct {
	Metric   string    `json:"metric"`
	Unit     string    `json:"unit"`
	Baseline []float64 `json:"baseline"`
	Scenario []float64 `json:"scenario"`
}

// Curve is a network-wide figure over time, in both runs.
type Curve struct {
	Name     string    `json:"name"`
	Unit     string    `json:"unit"`
	Times    []float64 `json:"times_s"`
	Baseline []float64 `json:"baseline"`
	Scenario []float64 `json:"scenario"`
}

// Result is what a finished run leaves: KPIs, curves, per-entity results and
// series. It is deterministic: the same snapshot, spec and seed give the same
// Result, byte for byte once encoded.
type Result struct {
	KPIs     []KPI          `json:"kpis"`
	Curves   []Curve        `json:"curves"`
	Entities []EntityResult `json:"-"` // sorted by id; GET …/entities pages them
	Times    []float64      `json:"-"` // the sample times of the entities' series, s
	// Field is the scenario's flood depth: the wet cells of the grid with
	// their greatest depth in both runs (metric "depth" of Cells).
	Field []FieldSample `json:"-"`
	// Notes say how the inputs were read: calibration, what was skipped.
	Notes []string `json:"notes,omitempty"`
}

// Entity is the result of one entity.
func (r *Result) Entity(id twin.ID) (EntityResult, bool) {
	i := sort.Search(len(r.Entities), func(i int) bool { return r.Entities[i].ID >= id })
	if i < len(r.Entities) && r.Entities[i].ID == id {
		return r.Entities[i], true
	}
	return EntityResult{}, false
}

// FieldSample is one grid cell of a field: its centre and value in both runs.
type FieldSample struct {
	Place    orb.Point
	Baseline float64
	Scenario float64
}

// CellPair is an H3 cell's aggregate of a metric over the entities in it, in
// both runs (a sum for totals such as delay, the maximum for depths).
type CellPair struct {
	Cell     h3.Cell `json:"cell"`
	Baseline float64 `json:"baseline"`
	Scenario float64 `json:"scenario"`
	Diff     float64 `json:"diff"`
	Entities int     `json:"entities"`
}

// maxMetrics are aggregated per cell by their maximum; the others are summed.
var maxMetrics = map[string]bool{"depth": true, "max_depth": true, "max_speed": true, "max_queue": true, "speed": true}

// Cells aggregates a metric of the entities per H3 cell at res, sorted by
// cell. ok is false when no entity has the metric.
func (r *Result) Cells(metric string, res int) (cells []CellPair, ok bool) {
	byCell := map[h3.Cell]*CellPair{}
	agg := func(a, b float64, first bool) float64 {
		if first {
			return b
		}
		if maxMetrics[metric] {
			return math.Max(a, b)
		}
		return a + b
	}
	add := func(place orb.Point, v MetricPair) {
		ok = true
		c := geo.Cell(place, res)
		p := byCell[c]
		first := p == nil
		if first {
			p = &CellPair{Cell: c}
			byCell[c] = p
		}
		p.Baseline = agg(p.Baseline, v.Baseline, first)
		p.Scenario = agg(p.Scenario, v.Scenario, first)
		p.Entities++
	}
	if metric == "depth" {
		for _, f := range r.Field {
			add(f.Place, MetricPair{Baseline: f.Baseline, Scenario: f.Scenario})
		}
	}
	for i := range r.Entities {
		e := &r.Entities[i]
		if v, has := e.Value(metric); has {
			add(e.Place, v)
		}
	}
	cells = make([]CellPair, 0, len(byCell))
	for _, p := range byCell {
		p.Diff = p.Scenario - p.Baseline
		cells = append(cells, *p)
	}
	sort.Slice(cells, func(i, j int) bool { return cells[i].Cell < cells[j].Cell })
	return cells, ok
}
