package history

import (
	"fmt"
	"math/rand/v2"

	"citytwin/twin"

	"github.com/paulmach/orb"
)

// workload makes a reproducible mix of every op: static sensors and
// buildings, vehicles that move, readings (some at an instant already
// reported, some late), re-imports that change nothing, patches, deletes and
// re-creations. Times run from t0 in steps of a minute or so.
type workload struct {
	rng      *rand.Rand
	t        int64
	sensors  []twin.ID
	vehicles []twin.ID
	alive    map[twin.ID]bool
	last     map[twin.ID]*twin.Entity
}

const t0 = int64(1_780_000_000) * 1e9 // 2026-05-28

func newWorkload(seed uint64) *workload {
	return &workload{rng: rand.New(rand.NewPCG(seed, 7)), t: t0, alive: map[twin.ID]bool{}, last: map[twin.ID]*twin.Entity{}}
}

func (w *workload) point() orb.Point {
	return orb.Point{24.9 + w.rng.Float64()*0.1, 60.1 + w.rng.Float64()*0.1}
}

// setup creates the entities.
func (w *workload) setup(sensors, buildings, vehicles int) []twin.Op {
	var ops []twin.Op
	for i := range sensors {
		id := twin.ID(fmt.Sprintf("sensor:s%d", i))
		w.sensors = append(w.sensors, id)
		e := &twin.Entity{ID: id, Kind: twin.KindSensor, Geometry: w.point(),
			Props: twin.Properties{{Key: "model", Value: twin.StringValue("aq")}, {Key: "n", Value: twin.NumberValue(float64(i))}}}
		ops = append(ops, w.upsert(e))
	}
	for i := range buildings {
		id := twin.ID(fmt.Sprintf("osm:way/%d", i))
		c := w.point()
		d := 0.0005 + w.rng.Float64()*0.001
		poly := orb.Polygon{{{c[0], c[1]}, {c[0] + d, c[1]}, {c[0] + d, c[1] + d}, {c[0], c[1] + d}, {c[0], c[1]}}}
		e := &twin.Entity{ID: id, Kind: twin.KindBuilding, Geometry: poly, Height: 3.3 * float64(1+w.rng.IntN(20)), Levels: 1 + w.rng.IntN(20),
			Props:      twin.Properties{{Key: "name", Value: twin.StringValue(fmt.Sprintf("b%d", i))}, {Key: "old", Value: twin.BoolValue(i%2 == 0)}},
			Links:      []twin.Link{{Rel: "in", To: "zone:z1"}},
			Provenance: []twin.Provenance{{Source: "osm", Time: twin.Time(t0), Note: "line 3"}}}
		ops = append(ops, w.upsert(e))
	}
	for i := range vehicles {
		id := twin.ID(fmt.Sprintf("vehicle:v%d", i))
		w.vehicles = append(w.vehicles, id)
		ops = append(ops, w.upsert(&twin.Entity{ID: id, Kind: twin.KindVehicle, Geometry: w.point()}))
	}
	return ops
}

func (w *workload) upsert(e *twin.Entity) twin.Op {
	w.alive[e.ID] = true
	cp := *e
	w.last[e.ID] = &cp
	return twin.Op{Type: twin.OpUpsert, T: w.t, Source: "test", Entity: e}
}

// step returns the ops of the next stretch of time.
func (w *workload) step() []twin.Op {
	w.t += int64(30+w.rng.IntN(60)) * 1e9
	var ops []twin.Op
	obs := twin.Op{Type: twin.OpObserve, T: w.t}
	for _, id := range w.sensors {
		if !w.alive[id] {
			continue
		}
		for _, m := range []string{"pm25", "no2"} {
			t := w.t - int64(w.rng.IntN(20))*1e9
			if w.rng.IntN(50) == 0 {
				t -= 3600e9 // late
			}
			obs.Observations = append(obs.Observations, twin.Observation{ID: id, Metric: m, T: t, V: float64(w.rng.IntN(1000)) / 10})
			if w.rng.IntN(40) == 0 { // the same instant again: the later wins
				obs.Observations = append(obs.Observations, twin.Observation{ID: id, Metric: m, T: t, V: -1})
			}
		}
	}
	ops = append(ops, obs)
	mv := twin.Op{Type: twin.OpMove, T: w.t}
	for _, id := range w.vehicles {
		t := w.t
		if w.rng.IntN(10) == 0 {
			t -= 120e9 // late: history only
		}
		mv.Positions = append(mv.Positions, twin.Position{ID: id, T: t, Point: w.point()})
	}
	ops = append(ops, mv)
	switch w.rng.IntN(6) {
	case 0: // a re-import that says nothing new
		for id, e := range w.last {
			if w.alive[id] {
				cp := *e
				ops = append(ops, twin.Op{Type: twin.OpUpsert, T: w.t, Source: "again", Entity: &cp})
				break
			}
		}
	case 1:
		id := w.sensors[w.rng.IntN(len(w.sensors))]
		if w.alive[id] {
			ops = append(ops, twin.Op{Type: twin.OpPatch, T: w.t, ID: id,
				Patch: twin.Properties{{Key: "model", Value: twin.Value{}}, {Key: "state", Value: twin.StringValue(fmt.Sprint(w.rng.IntN(3)))}}})
		}
	case 2:
		id := w.sensors[w.rng.IntN(len(w.sensors))]
		if w.alive[id] {
			ops = append(ops, twin.Op{Type: twin.OpDelete, T: w.t, ID: id})
			w.alive[id] = false
		} else {
			ops = append(ops, w.upsert(&twin.Entity{ID: id, Kind: twin.KindSensor, Geometry: w.point()}))
		}
	case 3: // a vehicle re-imported at a new place, earlier than now: its version moves on
		id := w.vehicles[w.rng.IntN(len(w.vehicles))]
		ops = append(ops, w.upsert(&twin.Entity{ID: id, Kind: twin.KindVehicle, Geometry: w.point(),
			Props: twin.Properties{{Key: "line", Value: twin.NumberValue(float64(w.rng.IntN(9)))}}}))
	}
	return ops
}
