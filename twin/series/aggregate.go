package series

import "math"

// Bucket aggregates the points of one time bucket [Start, Start+step).
// NaN values are skipped, as by Summary; a bucket holding only NaN values is
// empty and not returned.
type Bucket struct {
	Start    int64
	Count    int
	Sum      float64
	Min, Max float64
	Values   []float64 // in time order; only when asked for (percentiles)
}

// Value returns the bucket's aggregate; percentiles are NaN unless the
// bucket has its Values.
func (b Bucket) Value(agg Agg) float64 {
	if agg.NeedsValues() && len(b.Values) != b.Count {
		return math.NaN()
	}
	return aggregate(agg, b.Count, b.Sum, b.Min, b.Max, b.Values)
}

// Aggregate returns, in ascending order, the non-empty buckets of the points
// with from <= T < to. Buckets are aligned to multiples of step: a point
// belongs to the bucket starting at floor(T/step)*step (clamped to
// math.MinInt64 where that would underflow). withValues keeps each bucket's
// values for percentiles. A sealed block lying wholly in one bucket is
// answered from its summary without decoding, unless values are asked for.
// A step <= 0 or an empty range returns nil.
func (s *Series) Aggregate(from, to, step int64, withValues bool) []Bucket {
	if step <= 0 || from >= to {
		return nil
	}
	a := bucketer{step: step, withValues: withValues}
	if first, ok := s.First(); ok {
		// Size the result for the buckets the data can fill.
		last, _ := s.Last()
		lo, hi := max(from, first.T), min(to-1, last.T)
		if lo <= hi {
			est := uint64(hi-lo)/uint64(step) + 1
			a.out = make([]Bucket, 0, min(est, uint64(s.n), 1<<16))
		}
	}
	for i := s.blockAtOrAfter(from); i < len(s.blocks); i++ {
		b := &s.blocks[i]
		if b.first.T >= to {
			break
		}
		if !withValues && b.first.T >= from && b.last.T < to {
			if start, last := bucketBounds(b.first.T, step); b.last.T <= last {
				a.addBlock(b, start, last)
				continue
			}
		}
		var it blockIter
		if it.init(b.data) != nil {
			break
		}
		var buf [64]Point
		for m := len(buf); m == len(buf); {
			m = it.fill(buf[:])
			for _, p := range buf[:m] {
				if p.T >= to {
					break
				}
				if p.T >= from {
					a.add(p)
				}
			}
		}
	}
	for i := searchPoints(s.head, from); i < len(s.head) && s.head[i].T < to; i++ {
		a.add(s.head[i])
	}
	return a.done()
}

// Summarize aggregates every point with from <= T < to into one summary,
// using block summaries for whole blocks unless keepValues.
func (s *Series) Summarize(from, to int64, keepValues bool) *Summary {
	sum := NewSummary(keepValues)
	if from >= to {
		return sum
	}
	for i := s.blockAtOrAfter(from); i < len(s.blocks); i++ {
		b := &s.blocks[i]
		if b.first.T >= to {
			break
		}
		if !keepValues && b.first.T >= from && b.last.T < to {
			if b.valid > 0 {
				sum.merge(b.valid, b.sum, b.min, b.max)
			}
			continue
		}
		var it blockIter
		if it.init(b.data) != nil {
			break
		}
		var buf [64]Point
		for m := len(buf); m == len(buf); {
			m = it.fill(buf[:])
			for _, p := range buf[:m] {
				if p.T >= from && p.T < to {
					sum.Add(p.V)
				}
			}
		}
	}
	for i := searchPoints(s.head, from); i < len(s.head) && s.head[i].T < to; i++ {
		sum.Add(s.head[i].V)
	}
	return sum
}

// bucketer builds buckets from points and block summaries in time order.
type bucketer struct {
	step       int64
	withValues bool
	out        []Bucket
	cur        Bucket
	curLast    int64 // last time in cur's bucket
	open       bool
}

func (a *bucketer) add(p Point) {
	v := p.V
	if v != v {
		return
	}
	if !a.open || p.T > a.curLast {
		start, last := bucketBounds(p.T, a.step)
		a.openBucket(start, last)
	}
	c := &a.cur
	if c.Count == 0 || v < c.Min {
		c.Min = v
	}
	if c.Count == 0 || v > c.Max {
		c.Max = v
	}
	c.Count++
	c.Sum += v
	if a.withValues {
		c.Values = append(c.Values, v)
	}
}

func (a *bucketer) addBlock(b *block, start, last int64) {
	if b.valid == 0 {
		return
	}
	if !a.open || a.cur.Start != start {
		a.openBucket(start, last)
	}
	c := &a.cur
	if c.Count == 0 || b.min < c.Min {
		c.Min = b.min
	}
	if c.Count == 0 || b.max > c.Max {
		c.Max = b.max
	}
	c.Count += b.valid
	c.Sum += b.sum
}

func (a *bucketer) openBucket(start, last int64) {
	a.flush()
	a.cur = Bucket{Start: start}
	a.curLast = last
	a.open = true
}

func (a *bucketer) flush() {
	if a.open && a.cur.Count > 0 {
		a.out = append(a.out, a.cur)
	}
	a.open = false
}

func (a *bucketer) done() []Bucket {
	a.flush()
	return a.out
}

// bucketBounds returns the start of t's bucket, floor(t/step)*step clamped to
// math.MinInt64, and the last time in it, start+step-1 clamped to
// math.MaxInt64. step must be > 0.
func bucketBounds(t, step int64) (start, last int64) {
	r := t % step // in (-step, step), sign of t
	if r >= 0 {
		start = t - r
		if start > math.MaxInt64-(step-1) {
			return start, math.MaxInt64
		}
		return start, start + (step - 1)
	}
	// t < 0 and not a multiple of step: t - r is the multiple just above t,
	// so the bucket is [t-r-step, t-r).
	end := t - r
	if end < math.MinInt64+step {
		return math.MinInt64, end - 1
	}
	return end - step, end - 1
}
