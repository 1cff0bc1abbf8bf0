package twin

import (
	"math"

	"citytwin/twin/series"
)

// A reader that keeps its own copy of some channels (a column store of a
// fleet, say) follows the change feed for what is appended. To start, and to
// notice what no op reports (a retention Trim drops points without one), it
// needs to know which ops a read reflects: the reads below happen at one
// instant and return the Seq of that instant. The feed's changes after it are
// exactly the ones the answer does not hold.

// ReadChannels returns every point of each of an entity's channels named in
// metrics (nil for a channel it does not have), oldest first, read at one
// instant, and the Seq of that instant. An unknown entity has no channels.
func (s *Store) ReadChannels(id ID, metrics []string) ([][]series.Point, uint64) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([][]series.Point, len(metrics))
	slot, ok := s.slotOf(id)
	if !ok {
		return out, s.seq
	}
	for i, m := range metrics {
		if sym, ok := s.sym.lookup(m); ok {
			if ch := s.metrics[sym][slot]; ch != nil {
				out[i] = ch.LastN(math.MaxInt, math.MaxInt64)
			}
		}
	}
	return out, s.seq
}

// ChannelLens appends to dst the number of points of the channel metric of
// each of ids (0 for an entity without it, or unknown), read at one instant,
// and returns the Seq of that instant.
func (s *Store) ChannelLens(ids []ID, metric string, dst []int) ([]int, uint64) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var bySlot map[uint32]*series.Series
	if sym, ok := s.sym.lookup(metric); ok {
		bySlot = s.metrics[sym]
	}
	for _, id := range ids {
		n := 0
		if slot, ok := s.slotOf(id); ok {
			if ch := bySlot[slot]; ch != nil {
				n = ch.Len()
			}
		}
		dst = append(dst, n)
	}
	return dst, s.seq
}
