package tsbs

import (
	"cmp"
	"slices"

	"citytwin/twin"

	"github.com/paulmach/orb"
)

// pendingObs is an observation of the batch being read, its entity by local
// index and its metric by index.
type pendingObs struct {
	ent, metric int32
	t           int64
	v           float64
}

// pendingPos is a position of the batch being read.
type pendingPos struct {
	ent      int32
	t        int64
	lon, lat float64
}

// flush turns the pending ops of the batch into a Batch of fresh slices.
//
// The ops come in this order: the upserts and patches in row order, then for
// each entity of the batch one move op with its positions and one observe op
// with its observations, grouped by metric, each channel's points in row order.
// Grouping changes nothing in the result (channels and tracks are independent,
// and each keeps its points in row order) but lets the store find a channel once
// per run instead of once per value; and an op per entity is what a log
// partitioned by place can route.
func (f *Feed) flush(rows int) Batch {
	nE := len(f.local)
	ops := make([]twin.Op, 0, len(f.entOps)+2*nE)
	ops = append(ops, f.entOps...)
	clear(f.entOps)
	f.entOps = f.entOps[:0]

	moves := f.positions(nE)
	observes := f.observations(nE)
	for e := range nE {
		if moves[e].Type != 0 {
			ops = append(ops, moves[e])
		}
		if observes[e].Type != 0 {
			ops = append(ops, observes[e])
		}
	}

	f.obs, f.pos = f.obs[:0], f.pos[:0]
	clear(f.local)
	f.local = f.local[:0]
	f.batchGen++
	return Batch{Ops: ops, Rows: rows, Line: f.line}
}

// zeroCounts returns n zeroed counters.
func (f *Feed) zeroCounts(n int) []int32 {
	if cap(f.counts) < n {
		f.counts = make([]int32, n)
	}
	c := f.counts[:n]
	clear(c)
	return c
}

// positions returns the move op of each entity of the batch (zero when it has
// none).
func (f *Feed) positions(nE int) []twin.Op {
	ops := make([]twin.Op, nE)
	if len(f.pos) == 0 {
		return ops
	}
	ps := make([]twin.Position, len(f.pos))
	next := f.zeroCounts(nE + 1)
	for _, p := range f.pos {
		next[p.ent+1]++
	}
	for e := 1; e <= nE; e++ {
		next[e] += next[e-1]
	}
	for e := range nE {
		if a, b := next[e], next[e+1]; a < b {
			ops[e] = twin.Op{Type: twin.OpMove, Source: f.opts.Source, Positions: ps[a:b:b]}
		}
	}
	for _, p := range f.pos {
		i := next[p.ent]
		next[p.ent]++
		ps[i] = twin.Position{ID: f.local[p.ent].id, T: p.t, Point: orb.Point{p.lon, p.lat}}
		if op := &ops[p.ent]; p.t > op.T {
			op.T = p.t
		}
	}
	return ops
}

// observations returns the observe op of each entity of the batch (zero when it
// has none), its observations grouped by metric.
func (f *Feed) observations(nE int) []twin.Op {
	ops := make([]twin.Op, nE)
	if len(f.obs) == 0 {
		return ops
	}
	// A counting sort on (entity, metric), stable, so each channel keeps row
	// order; the key of an observation is ent*stride + metric*m.
	stride, m := len(f.metrics), 1
	if nE*stride > 4*len(f.obs)+4096 {
		// Sparse keys: sorting costs less than the counters would.
		slices.SortStableFunc(f.obs, func(a, b pendingObs) int {
			return cmp.Or(cmp.Compare(a.ent, b.ent), cmp.Compare(a.metric, b.metric))
		})
		stride, m = 1, 0
	}
	os := make([]twin.Observation, len(f.obs))
	next := f.zeroCounts(nE*stride + 1)
	for _, o := range f.obs {
		next[int(o.ent)*stride+int(o.metric)*m+1]++
	}
	for k := 1; k < len(next); k++ {
		next[k] += next[k-1]
	}
	for e := range nE {
		if a, b := next[e*stride], next[(e+1)*stride]; a < b {
			ops[e] = twin.Op{Type: twin.OpObserve, Source: f.opts.Source, Observations: os[a:b:b]}
		}
	}
	for _, o := range f.obs {
		k := int(o.ent)*stride + int(o.metric)*m
		i := next[k]
		next[k]++
		os[i] = twin.Observation{ID: f.local[o.ent].id, Metric: f.metrics[o.metric], T: o.t, V: o.v}
		if op := &ops[o.ent]; o.t > op.T {
			op.T = o.t
		}
	}
	return ops
}
