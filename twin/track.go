package twin

import (
	"fmt"
	"math"
	"sort"

	"github.com/paulmach/orb"
)

// track is the position history of a moving entity, 16 bytes a sample: time in
// Unix nanoseconds and position in 1e-7 degrees (about 1 cm). Samples are kept in
// time order; a late sample is inserted where it belongs.
type track struct {
	samples []sample
}

type sample struct {
	t        int64
	lon, lat int32
}

const e7 = 1e7

func toE7(f float64) int32   { return int32(math.Round(f * e7)) }
func fromE7(v int32) float64 { return float64(v) / e7 }

func (s sample) point() orb.Point { return orb.Point{fromE7(s.lon), fromE7(s.lat)} }

// Quantise rounds a point to the 1e-7° that tracks keep: where a move puts an
// entity, as queries see it. Followers of the change feed that decide "in view"
// themselves round the same way, so that they agree with queries on the edges.
func Quantise(p orb.Point) orb.Point { return orb.Point{fromE7(toE7(p[0])), fromE7(toE7(p[1]))} }

// add records a sample and reports whether it is the newest.
func (tr *track) add(t int64, p orb.Point) bool {
	s := sample{t: t, lon: toE7(p[0]), lat: toE7(p[1])}
	n := len(tr.samples)
	if n == 0 || t > tr.samples[n-1].t {
		tr.samples = append(tr.samples, s)
		return true
	}
	i := sort.Search(n, func(i int) bool { return tr.samples[i].t >= t })
	if i < n && tr.samples[i].t == t { // the later report of the same instant wins
		tr.samples[i] = s
		return i == n-1
	}
	tr.samples = append(tr.samples, sample{})
	copy(tr.samples[i+1:], tr.samples[i:])
	tr.samples[i] = s
	return false
}

// last is the newest sample.
func (tr *track) last() (int64, orb.Point, bool) {
	n := len(tr.samples)
	if n == 0 {
		return 0, orb.Point{}, false
	}
	return tr.samples[n-1].t, tr.samples[n-1].point(), true
}

// at is the position reported last at or before t.
func (tr *track) at(t int64) (orb.Point, bool) {
	i := sort.Search(len(tr.samples), func(i int) bool { return tr.samples[i].t > t })
	if i == 0 {
		return orb.Point{}, false
	}
	return tr.samples[i-1].point(), true
}

// trim drops samples before t but keeps the newest one before it, so that "as of"
// any retained instant still has a position. It returns how many were dropped.
func (tr *track) trim(t int64) int {
	i := sort.Search(len(tr.samples), func(i int) bool { return tr.samples[i].t >= t })
	if i <= 1 {
		return 0
	}
	drop := i - 1
	tr.samples = append([]sample(nil), tr.samples[drop:]...)
	return drop
}

// between returns the samples with from <= t < to as positions of id.
func (tr *track) between(id ID, from, to int64) []Position {
	lo := sort.Search(len(tr.samples), func(i int) bool { return tr.samples[i].t >= from })
	hi := sort.Search(len(tr.samples), func(i int) bool { return tr.samples[i].t >= to })
	out := make([]Position, 0, max(hi-lo, 0))
	for _, s := range tr.samples[lo:max(hi, lo)] {
		out = append(out, Position{ID: id, T: s.t, Point: s.point()})
	}
	return out
}

// Track returns the recorded positions of a moving entity with from <= T < to
// (Unix nanoseconds), oldest first, at the 1e-7° resolution tracks keep. An
// entity that never moved has no track: ErrNotFound.
func (s *Store) Track(id ID, from, to int64) ([]Position, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	slot, ok := s.slotOf(id)
	if !ok || int(slot) >= len(s.tracks) || s.tracks[slot] == nil {
		return nil, fmt.Errorf("%w: %s has no track", ErrNotFound, id)
	}
	return s.tracks[slot].between(id, from, to), nil
}
