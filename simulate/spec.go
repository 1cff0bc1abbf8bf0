package simulate

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/paulmach/orb"
)

// Errors of scenarios.
var (
	ErrBadSpec     = errors.New("simulate: bad scenario")
	ErrNotFound    = errors.New("simulate: no such scenario")
	ErrBusy        = errors.New("simulate: scenario is running")
	ErrNoResults   = errors.New("simulate: scenario has no results yet")
	ErrNoInputs    = errors.New("simulate: the twin lacks what the model needs")
	ErrBadCheckpnt = errors.New("simulate: bad checkpoint")
)

// Model names what a scenario runs.
type Model string

// The models. FloodTraffic runs the flood first and closes the roads it makes
// impassable in the traffic run of the same scenario.
const (
	ModelTraffic      Model = "traffic"
	ModelFlood        Model = "flood"
	ModelFloodTraffic Model = "flood+traffic"
)

func (m Model) traffic() bool { return m == ModelTraffic || m == ModelFloodTraffic }
func (m Model) flood() bool   { return m == ModelFlood || m == ModelFloodTraffic }

// Spec is what a planner asks: which model, over which area, for how long, with
// which interventions, from which seed. Times in interventions are seconds from
// the start of the run.
type Spec struct {
	Name  string `json:"name"`
	Model Model  `json:"model"`
	// BBox limits the scenario to an area [minLon, minLat, maxLon, maxLat]; empty
	// is the whole twin (traffic) or the whole elevation model (flood).
	BBox []float64 `json:"bbox,omitempty"`
	// Horizon is how far the run projects, seconds.
	Horizon float64 `json:"horizon_s"`
	// Step is the traffic model's time step, seconds (the flood model picks
	// its own stable step and reports at every Step).
	Step float64 `json:"step_s"`
	// Seed fixes everything random (the demand's departure jitter, the
	// order of equal choices). The same snapshot, spec and seed give the same
	// results byte for byte.
	Seed          uint64         `json:"seed"`
	Interventions []Intervention `json:"interventions,omitempty"`
	// Demand scales the calibrated travel demand of the whole city (1 = as
	// calibrated); zone-specific changes are interventions.
	Demand float64 `json:"demand,omitempty"`
	// Elevation names the elevation model entity for a flood
	// (e.g. "raster:merewether_topography1"); empty picks the one that covers
	// the area.
	Elevation string `json:"elevation,omitempty"`
}

// Limits of a spec.
const (
	maxHorizon       = 7 * 24 * 3600
	maxInterventions = 256
)

// DefaultSpec is a one-hour traffic projection with a 2 s step.
func DefaultSpec() Spec {
	return Spec{Model: ModelTraffic, Horizon: 3600, Step: 2, Seed: 1, Demand: 1}
}

// withDefaults fills what a client may leave out.
func (s Spec) withDefaults() Spec {
	d := DefaultSpec()
	if s.Model == "" {
		s.Model = d.Model
	}
	if s.Horizon == 0 {
		s.Horizon = d.Horizon
	}
	if s.Step == 0 {
		s.Step = d.Step
	}
	if s.Demand == 0 {
		s.Demand = d.Demand
	}
	s.Name = strings.TrimSpace(s.Name)
	if s.Name == "" {
		s.Name = string(s.Model) + " scenario"
	}
	return s
}

// Validate names the first member that is wrong.
func (s *Spec) Validate() error {
	bad := func(field, format string, a ...any) error {
		return fmt.Errorf("%w: %s: %s", ErrBadSpec, field, fmt.Sprintf(format, a...))
	}
	switch s.Model {
	case ModelTraffic, ModelFlood, ModelFloodTraffic:
	default:
		return bad("model", "%q is not one of traffic, flood, flood+traffic", s.Model)
	}
	if len(s.Name) > 200 {
		return bad("name", "longer than 200 characters")
	}
	if !(s.Horizon > 0) || s.Horizon > maxHorizon {
		return bad("horizon_s", "%v: want 0 < horizon ≤ %d (a week)", s.Horizon, maxHorizon)
	}
	if !(s.Step > 0) || s.Step > 60 || s.Step > s.Horizon {
		return bad("step_s", "%v: want 0 < step ≤ 60 and ≤ the horizon", s.Step)
	}
	if !(s.Demand > 0) || s.Demand > 100 || math.IsInf(s.Demand, 0) {
		return bad("demand", "%v: want a factor in (0, 100]", s.Demand)
	}
	if len(s.BBox) != 0 {
		if _, err := bboxOf(s.BBox); err != nil {
			return bad("bbox", "%v", err)
		}
	}
	if len(s.Interventions) > maxInterventions {
		return bad("interventions", "%d: at most %d", len(s.Interventions), maxInterventions)
	}
	for i := range s.Interventions {
		if err := s.Interventions[i].validate(s); err != nil {
			return fmt.Errorf("%w: interventions[%d]: %w", ErrBadSpec, i, err)
		}
	}
	return nil
}

// area is the spec's bbox, ok false when it has none.
func (s *Spec) area() (orb.Bound, bool) {
	if len(s.BBox) == 0 {
		return orb.Bound{}, false
	}
	b, _ := bboxOf(s.BBox)
	return b, true
}

func bboxOf(v []float64) (orb.Bound, error) {
	if len(v) != 4 {
		return orb.Bound{}, fmt.Errorf("has %d numbers; want 4: minLon,minLat,maxLon,maxLat", len(v))
	}
	for _, x := range v {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return orb.Bound{}, errors.New("not a number")
		}
	}
	b := orb.Bound{Min: orb.Point{v[0], v[1]}, Max: orb.Point{v[2], v[3]}}
	if b.Min[0] < -180 || b.Max[0] > 180 || b.Min[1] < -90 || b.Max[1] > 90 || b.Min[0] >= b.Max[0] || b.Min[1] >= b.Max[1] {
		return orb.Bound{}, fmt.Errorf("%v is not a WGS84 box with min < max", v)
	}
	return b, nil
}

// ParseSpec reads a spec from JSON, refusing unknown members, and fills the
// defaults.
func ParseSpec(b []byte) (Spec, error) {
	var s Spec
	if err := strictJSON(b, &s); err != nil {
		return Spec{}, fmt.Errorf("%w: %w", ErrBadSpec, err)
	}
	s = s.withDefaults()
	return s, s.Validate()
}

// strictJSON decodes one JSON value with no unknown members and nothing after it.
func strictJSON(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("more than one JSON value")
	}
	return nil
}
