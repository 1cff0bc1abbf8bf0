package twin

import (
	"cmp"
	"slices"
	"sync"

	"citytwin/twin/series"
)

// metricIndex lists the channels of one metric in slot order, so that Latest
// can walk the entities that have the metric, in the order of Query, without
// looking each up in a map (about 40 ns an entity, most of it cache misses).
//
// Channels are added under the store's write lock: in slot order (the usual
// case: entities are created, then report) they are appended; out of order
// (a snapshot's channels come in map order, an old sensor reports for the first
// time) they wait in pending, and the first reader merges them in, so that a
// write never moves the whole list. Lock order: Store.mu, then mu.
type metricIndex struct {
	mu    sync.Mutex // guards the merge of pending by readers, who hold Store.mu only for reading
	slots []uint32   // sorted
	chans []*series.Series
	// pending are channels whose slot came after a later one's: unsorted.
	pending []pendingChannel
}

type pendingChannel struct {
	slot uint32
	ch   *series.Series
}

// add files the channel of slot. Must hold Store.mu for writing.
func (x *metricIndex) add(slot uint32, ch *series.Series) {
	if n := len(x.slots); len(x.pending) == 0 && (n == 0 || x.slots[n-1] < slot) {
		x.slots = append(x.slots, slot)
		x.chans = append(x.chans, ch)
		return
	}
	x.pending = append(x.pending, pendingChannel{slot, ch})
}

// sorted returns every channel of the metric in slot order, merging pending
// ones first. The slices are the index's own: read them only while holding
// Store.mu. Must hold Store.mu (reading is enough).
func (x *metricIndex) sorted() ([]uint32, []*series.Series) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if len(x.pending) > 0 {
		x.merge()
	}
	return x.slots, x.chans
}

// merge sorts pending into the list. It writes new arrays: a reader that took
// the old ones under the same read lock (before the merge) still reads them.
func (x *metricIndex) merge() {
	p := x.pending
	slices.SortFunc(p, func(a, b pendingChannel) int { return cmp.Compare(a.slot, b.slot) })
	n := len(x.slots) + len(p)
	slots := make([]uint32, 0, n+n/8)
	chans := make([]*series.Series, 0, n+n/8)
	i, j := 0, 0
	for i < len(x.slots) || j < len(p) {
		if j == len(p) || i < len(x.slots) && x.slots[i] < p[j].slot {
			slots, chans = append(slots, x.slots[i]), append(chans, x.chans[i])
			i++
		} else {
			slots, chans = append(slots, p[j].slot), append(chans, p[j].ch)
			j++
		}
	}
	x.slots, x.chans, x.pending = slots, chans, nil
}

// indexChannel files a new channel of slot and metric in the metric's index.
// Must hold s.mu for writing.
func (s *Store) indexChannel(slot, metric uint32, ch *series.Series) {
	x := s.byMetric[metric]
	if x == nil {
		if s.byMetric == nil {
			s.byMetric = make(map[uint32]*metricIndex)
		}
		x = &metricIndex{}
		s.byMetric[metric] = x
	}
	x.add(slot, ch)
}

// sortChannels merges the pending channels of every metric, as a restore
// leaves them (in the snapshot's order), so that the first Latest does not.
func (s *Store) sortChannels() {
	for _, x := range s.byMetric {
		x.sorted()
	}
}
