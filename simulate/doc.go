// Package simulate runs what-if scenarios on forks of the live twin: a planner
// says what changes (close a road, scale the demand of a district, let rain
// fall, cut an asset), and a Manager runs a baseline and the scenario from the
// same snapshot with the same seed, in the background, and keeps the paired
// results: KPIs and their differences, curves over time, per-road and
// per-building results with their series, and H3 layers.
//
// The flow:
//
//	m, _ := simulate.NewManager(store, simulate.DefaultConfig())
//	info, _ := m.Create(ctx, spec) // Fork: pin the twin, read the inputs
//	m.Run(info.ID, false)         // a job: progress on Subscribe, Cancel, resume
//	info, _ = m.Wait(ctx, info.ID)
//	res, _ := m.Result(info.ID)   // res.KPIs, res.Entities, res.Cells(metric, res)
//
// Forking copies nothing: a Snapshot is the twin's seq and an instant, and
// the twin's version history and tracks make reads as of that instant see the
// fork whatever changes later. A scenario reads its inputs through the fork
// once, when it is created, and keeps them.
//
// The models live in their own packages: simulate/traffic (a cell
// transmission model with a node model, signals and rerouting) and
// simulate/flood (the local-inertial shallow-water model on an elevation
// grid). This package turns the twin into their inputs — roads into a network,
// buildings into travel demand (calibrated to traffic counters) and flood
// obstacles, elevation model entities into grids — and their outputs back
// into results about twin entities. A flood+traffic scenario closes the roads
// the flood makes impassable in its traffic run.
//
// Runs are deterministic: the same snapshot, spec and seed give the same
// Result byte for byte, and a run cancelled at a checkpoint and resumed (also
// after a restart, from Config.Dir) equals one that never stopped.
package simulate
