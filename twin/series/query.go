package series

import "slices"

// Reads never change the series: they decode into their own locals, so any
// number of them may run at once while no write does.

// First returns the earliest point.
func (s *Series) First() (Point, bool) {
	if len(s.blocks) > 0 {
		return s.blocks[0].first, true
	}
	if len(s.head) > 0 {
		return s.head[0], true
	}
	return Point{}, false
}

// Last returns the latest point by time.
func (s *Series) Last() (Point, bool) {
	if h := len(s.head); h > 0 {
		return s.head[h-1], true
	}
	if nb := len(s.blocks); nb > 0 {
		return s.blocks[nb-1].last, true
	}
	return Point{}, false
}

// At returns the latest point with T <= t: the value as of t.
func (s *Series) At(t int64) (Point, bool) {
	if h := len(s.head); h > 0 && t >= s.head[0].T {
		i := searchPoints(s.head, t)
		if i < h && s.head[i].T == t {
			return s.head[i], true
		}
		return s.head[i-1], true
	}
	i := s.blockAfter(t) - 1
	if i < 0 {
		return Point{}, false
	}
	b := &s.blocks[i]
	if t >= b.last.T {
		return b.last, true
	}
	var it blockIter
	if it.init(b.data) != nil {
		return Point{}, false
	}
	prev := b.first // <= t
	var buf [64]Point
	for {
		m := it.fill(buf[:])
		for _, p := range buf[:m] {
			if p.T > t {
				return prev, true
			}
			prev = p
		}
		if m < len(buf) {
			return prev, true
		}
	}
}

// Range calls fn for every point with from <= T < to in ascending time
// order, until fn returns false. fn must not modify the series. (A point at
// T = math.MaxInt64 lies beyond every exclusive end; Last and At reach it.)
func (s *Series) Range(from, to int64, fn func(Point) bool) {
	if from >= to {
		return
	}
	for i := s.blockAtOrAfter(from); i < len(s.blocks); i++ {
		b := &s.blocks[i]
		if b.first.T >= to {
			return
		}
		var it blockIter
		if it.init(b.data) != nil {
			return
		}
		var buf [64]Point
		for {
			m := it.fill(buf[:])
			for _, p := range buf[:m] {
				if p.T < from {
					continue
				}
				if p.T >= to || !fn(p) {
					return
				}
			}
			if m < len(buf) {
				break
			}
		}
	}
	for i := searchPoints(s.head, from); i < len(s.head) && s.head[i].T < to; i++ {
		if !fn(s.head[i]) {
			return
		}
	}
}

// Points returns the points with from <= T < to in ascending time order.
func (s *Series) Points(from, to int64) []Point {
	var out []Point
	s.Range(from, to, func(p Point) bool {
		out = append(out, p)
		return true
	})
	return out
}

// LastN returns the n latest points with T < before, in ascending time
// order. Use before = math.MaxInt64 for the latest points overall.
func (s *Series) LastN(n int, before int64) []Point {
	if n <= 0 || s.n == 0 {
		return nil
	}
	out := make([]Point, 0, min(n, s.n))
	// Collect newest first, then reverse.
	for i := searchPoints(s.head, before) - 1; i >= 0 && len(out) < n; i-- {
		out = append(out, s.head[i])
	}
	buf := make([]Point, 0, 2*s.capacity())
	last := -1 // the last block with a point before before
	if before != minTime {
		last = s.blockAfter(before-1) - 1
	}
	for i := last; i >= 0 && len(out) < n; i-- {
		b := &s.blocks[i]
		var err error
		buf, err = DecodeBlock(buf[:0], b.data)
		if err != nil {
			break
		}
		j := searchPoints(buf, before)
		for j--; j >= 0 && len(out) < n; j-- {
			out = append(out, buf[j])
		}
	}
	if len(out) == 0 {
		return nil
	}
	slices.Reverse(out)
	return out
}

const minTime = -1 << 63
