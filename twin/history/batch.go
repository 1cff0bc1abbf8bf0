package history

import (
	"encoding/binary"

	"citytwin/twin"
)

// A batch gathers the changes the sink writes in one transaction. Observations
// are encoded for COPY as they arrive; entity ops (upsert, patch, delete, move)
// wait for the flush, which first reads the current versions they build on.

const dayNs = int64(24 * 60 * 60 * 1e9)

// ordOf orders the rows of op seq: the later op, and the later item of one op,
// wins when two readings share a channel and an instant.
func ordOf(seq uint64, i int) int64 {
	return int64(seq)<<24 | int64(min(i, 1<<24-1))
}

// dayOf is the day (since 1970, floored) of Unix nanoseconds t.
func dayOf(t int64) int64 {
	d := t / dayNs
	if t%dayNs < 0 {
		d--
	}
	return d
}

type chanKey struct {
	id     twin.ID
	metric string
}

// entityOp is an op that changes entities, kept for the flush.
type entityOp struct {
	seq uint64
	op  *twin.Op
	// feed says the op came from the change feed: an upsert carries the entity
	// as the store holds it, Version included (for a moving entity its geometry
	// is where it is, not what was given).
	feed bool
}

type batch struct {
	first, last uint64 // the seqs of the changes it holds (0, 0: none)
	changes     int

	obs   copyBuf
	obsN  int
	days  map[int64]bool // days the observations and moves fall on
	lastD int64
	// Observations of channels not yet known carry a placeholder channel id:
	// unresolved lists where, and which of newChans it is.
	newChans   []chanKey
	newChanIdx map[chanKey]int
	unresolved []unresolvedChan
	lastKey    chanKey
	lastCh     int32 // channel id of lastKey (>0), or -(local index+1)

	ents []entityOp
	rows int // rows so far, to end the batch
}

type unresolvedChan struct {
	off   int // offset of the int4 value in obs.b
	local int
}

func newBatch() *batch {
	return &batch{days: make(map[int64]bool), newChanIdx: make(map[chanKey]int)}
}

func (b *batch) reset() {
	b.first, b.last, b.changes, b.obsN, b.rows = 0, 0, 0, 0, 0
	b.obs.reset()
	clear(b.days)
	b.lastD = 0
	b.newChans = b.newChans[:0]
	clear(b.newChanIdx)
	b.unresolved = b.unresolved[:0]
	b.lastKey, b.lastCh = chanKey{}, 0
	clear(b.ents)
	b.ents = b.ents[:0]
}

func (b *batch) empty() bool { return b.changes == 0 }

func (b *batch) day(t int64) {
	d := dayOf(t)
	if d != b.lastD || len(b.days) == 0 {
		b.days[d] = true
		b.lastD = d
	}
}

// add takes one change. chans is the sink's cache of channel ids.
func (b *batch) add(c twin.Change, feed bool, chans map[chanKey]int32) {
	if b.changes == 0 {
		b.first = c.Seq
	}
	b.last = c.Seq
	b.changes++
	op := &c.Op
	switch op.Type {
	case twin.OpObserve:
		for i := range op.Observations {
			o := &op.Observations[i]
			key := chanKey{o.ID, o.Metric}
			ch := b.lastCh
			if ch == 0 || key != b.lastKey {
				if id, ok := chans[key]; ok {
					ch = id
				} else {
					local, ok := b.newChanIdx[key]
					if !ok {
						local = len(b.newChans)
						b.newChans = append(b.newChans, key)
						b.newChanIdx[key] = local
					}
					ch = -int32(local + 1)
				}
				b.lastKey, b.lastCh = key, ch
			}
			b.obs.row(4)
			if ch < 0 {
				b.unresolved = append(b.unresolved, unresolvedChan{off: len(b.obs.b) + 4, local: int(-ch - 1)})
			}
			b.obs.int4(ch)
			b.obs.int8(o.T)
			b.obs.float8(o.V)
			b.obs.int8(ordOf(c.Seq, i))
			b.day(o.T)
		}
		b.obsN += len(op.Observations)
		b.rows += len(op.Observations)
	case twin.OpMove:
		for i := range op.Positions {
			b.day(op.Positions[i].T)
		}
		b.ents = append(b.ents, entityOp{seq: c.Seq, op: op, feed: feed})
		b.rows += len(op.Positions)
	case twin.OpUpsert, twin.OpPatch, twin.OpDelete:
		b.ents = append(b.ents, entityOp{seq: c.Seq, op: op, feed: feed})
		b.rows++
	}
}

// resolve writes the ids of the new channels into the encoded observations.
func (b *batch) resolve(ids []int32) {
	for _, u := range b.unresolved {
		binary.BigEndian.PutUint32(b.obs.b[u.off:], uint32(ids[u.local]))
	}
	b.unresolved = b.unresolved[:0]
}
