package series

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestBucketBounds(t *testing.T) {
	tests := []struct {
		t, step     int64
		start, last int64
	}{
		{0, 10, 0, 9},
		{9, 10, 0, 9},
		{10, 10, 10, 19},
		{-1, 10, -10, -1},
		{-10, 10, -10, -1},
		{-11, 10, -20, -11},
		{math.MaxInt64, 10, math.MaxInt64 - 7, math.MaxInt64},
		{math.MinInt64, 10, math.MinInt64, math.MinInt64 + 7}, // MinInt64 = ...808, bucket [-...810, -...800)
		{math.MinInt64, 1, math.MinInt64, math.MinInt64},
		{5, math.MaxInt64, 0, math.MaxInt64 - 1},
		{-5, math.MaxInt64, -math.MaxInt64, -1},
		{math.MinInt64, math.MaxInt64, math.MinInt64, math.MinInt64}, // true start -2*MaxInt64 clamps
	}
	for _, tt := range tests {
		start, last := bucketBounds(tt.t, tt.step)
		if start != tt.start || last != tt.last {
			t.Errorf("bucketBounds(%d, %d) = %d, %d; want %d, %d", tt.t, tt.step, start, last, tt.start, tt.last)
		}
	}
}

// TestBucketBoundsMatchesFloor checks against exact big-integer floors.
func TestBucketBoundsMatchesFloor(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 11))
	for range 100_000 {
		tm := int64(rng.Uint64())
		step := int64(rng.Uint64() >> uint(1+rng.IntN(63)))
		if step <= 0 {
			step = 1
		}
		start, last := bucketBounds(tm, step)
		if want := floorStart(tm, step); start != want {
			t.Fatalf("bucketBounds(%d, %d) start = %d, want %d", tm, step, start, want)
		}
		if tm < start || tm > last {
			t.Fatalf("bucketBounds(%d, %d) = [%d, %d] does not hold t", tm, step, start, last)
		}
		if last < math.MaxInt64 && floorStart(last+1, step) == floorStart(tm, step) {
			t.Fatalf("bucketBounds(%d, %d) last %d is not the bucket's last", tm, step, last)
		}
	}
}

func TestAggregateUsesBlockSummaries(t *testing.T) {
	s := newSmall(t, 10)
	for i := range 100 {
		s.Append(int64(i), float64(i))
	}
	// Make the blocks' data unreadable: an answer from summaries alone must
	// not notice.
	saved := make([][]byte, len(s.blocks))
	for i := range s.blocks {
		saved[i] = s.blocks[i].data
		s.blocks[i].data = nil
	}
	got := s.Aggregate(0, 90, 10, false)
	for i := range s.blocks {
		s.blocks[i].data = saved[i]
	}
	if len(got) != 9 {
		t.Fatalf("got %d buckets from summaries, want 9: %+v", len(got), got)
	}
	for i, b := range got {
		lo := float64(i * 10)
		if b.Start != int64(i*10) || b.Count != 10 || b.Min != lo || b.Max != lo+9 || b.Sum != 10*lo+45 {
			t.Errorf("bucket %d = %+v", i, b)
		}
	}
}

func TestAggregateEdges(t *testing.T) {
	s := newSmall(t, 4)
	for i := range 20 {
		v := float64(i)
		if i%5 == 0 {
			v = math.NaN()
		}
		s.Append(int64(i), v)
	}
	if got := s.Aggregate(0, 20, 0, false); got != nil {
		t.Errorf("step 0: %v", got)
	}
	if got := s.Aggregate(0, 20, -1, false); got != nil {
		t.Errorf("step -1: %v", got)
	}
	if got := s.Aggregate(10, 10, 5, false); got != nil {
		t.Errorf("empty range: %v", got)
	}
	// A bucket of only NaN values is empty and left out.
	if got := s.Aggregate(0, 20, 1, false); len(got) != 16 {
		t.Errorf("step 1: %d buckets, want 16 (NaN points skipped)", len(got))
	}
	got := s.Aggregate(math.MinInt64, math.MaxInt64, math.MaxInt64, true)
	if len(got) != 1 || got[0].Count != 16 || got[0].Start != 0 || len(got[0].Values) != 16 {
		t.Errorf("one huge bucket: %+v", got)
	}
}
