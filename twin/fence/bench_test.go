package fence

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"syscall"
	"testing"
	"time"

	"citytwin/twin"

	"github.com/paulmach/orb"
)

// BenchmarkEngine is the target: 100,000 static fences (polygons of
// 5-20 vertices, 30-150 m across, and some circles) over a city 30 km wide,
// and 100,000 vehicles moving a few metres per update, every position
// evaluated against every fence through the index.
func BenchmarkEngine(b *testing.B) {
	for _, workers := range []int{1, 2} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			benchEngine(b, workers, 100_000, 100_000, 10_000)
		})
	}
}

func benchEngine(b *testing.B, workers, nFences, nObjects, batch int) {
	rng := rand.New(rand.NewPCG(42, 1))
	const side = 30_000
	e := newTestEngine(b, nil, func(c *Config) { c.Workers = workers; c.Buffer = 1 << 20; c.CheckpointEvery = 0 })
	var chs []twin.Change
	seq := uint64(0)
	for i := range nFences {
		x, y := (rng.Float64()-0.5)*side, (rng.Float64()-0.5)*side
		var ent *twin.Entity
		if i%5 == 0 {
			ent = fenceEntity(fmt.Sprintf("f%d", i), at(x, y), map[string]any{PropRadius: 30 + rng.Float64()*120})
		} else {
			ent = fenceEntity(fmt.Sprintf("f%d", i), randPolygon(rng, x, y, 30+rng.Float64()*120, 5+rng.IntN(16), false), nil)
		}
		seq++
		chs = append(chs, upsertChange(seq, ent, 0))
	}
	type mover struct {
		x, y, vx, vy float64
	}
	movers := make([]mover, nObjects)
	ids := make([]twin.ID, nObjects)
	for i := range movers {
		a := rng.Float64() * 2 * math.Pi
		v := 2 + rng.Float64()*10 // metres per update
		movers[i] = mover{x: (rng.Float64() - 0.5) * side, y: (rng.Float64() - 0.5) * side, vx: v * math.Cos(a), vy: v * math.Sin(a)}
		ids[i] = twin.ID(fmt.Sprintf("veh:%d", i))
		seq++
		chs = append(chs, upsertChange(seq, &twin.Entity{ID: ids[i], Kind: "vehicle", Version: 1}, 0))
	}
	mustProcess(b, e, chs...)
	// Precompute a few rounds of positions so that the loop measures the engine.
	const rounds = 20
	ops := make([][]twin.Change, 0, rounds*nObjects/batch)
	t0 := int64(1e18)
	for r := range rounds {
		for start := 0; start < nObjects; start += batch {
			op := twin.Op{Type: twin.OpMove}
			for i := start; i < min(start+batch, nObjects); i++ {
				m := &movers[i]
				m.x += m.vx
				m.y += m.vy
				if math.Abs(m.x) > side/2 {
					m.vx = -m.vx
				}
				if math.Abs(m.y) > side/2 {
					m.vy = -m.vy
				}
				op.Positions = append(op.Positions, twin.Position{ID: ids[i], T: t0 + int64(r)*int64(time.Second), Point: at(m.x, m.y)})
			}
			ops = append(ops, []twin.Change{{Op: op}})
		}
	}
	// Warm up: the first round places every object.
	for _, ch := range ops[:nObjects/batch] {
		ch[0].Seq = seq + 1
		seq++
		mustProcess(b, e, ch...)
	}
	ops = ops[nObjects/batch:]
	ev0 := e.Stats().Events
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	start := time.Now()
	updates := 0
	shift := int64(0)
	for i := 0; i < b.N; i++ {
		ch := ops[i%len(ops)]
		if i > 0 && i%len(ops) == 0 {
			shift += rounds * int64(time.Second) // replayed rounds move forward in time
		}
		if shift != 0 {
			for k := range ch[0].Op.Positions {
				ch[0].Op.Positions[k].T += rounds * int64(time.Second)
			}
		}
		seq++
		ch[0].Seq = seq
		if err := e.Process(context.Background(), ch); err != nil {
			b.Fatal(err)
		}
		updates += len(ch[0].Op.Positions)
	}
	el := time.Since(start).Seconds()
	cpu := (cpuTime() - cpu0).Seconds()
	b.StopTimer()
	// The machine is shared: CPU time says what the engine costs when it has
	// the cores to itself.
	b.ReportMetric(float64(updates)/cpu, "updates/cpu-s")
	b.ReportMetric(float64(updates)/el, "updates/s")
	b.ReportMetric(float64(e.Stats().Events-ev0)/el, "events/s")
	b.ReportMetric(0, "ns/op")
	_ = orb.Point{}
}

// cpuTime is the CPU time (user + system) of the process so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
