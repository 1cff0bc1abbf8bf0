package series

import (
	"errors"
	"math"
	"sync"
	"testing"
)

func newSmall(t *testing.T, blockPoints int) *Series {
	t.Helper()
	s, err := NewWithOptions(Options{BlockPoints: blockPoints})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestOptionsValidate(t *testing.T) {
	tests := []struct {
		o  Options
		ok bool
	}{
		{DefaultOptions(), true},
		{Options{BlockPoints: 2}, true},
		{Options{BlockPoints: 1}, false},
		{Options{BlockPoints: 0}, false},
		{Options{BlockPoints: maxBlockPoints}, false},
	}
	for _, tt := range tests {
		err := tt.o.Validate()
		if (err == nil) != tt.ok || err != nil && !errors.Is(err, ErrBadOptions) {
			t.Errorf("Validate(%+v) = %v, want ok=%v", tt.o, err, tt.ok)
		}
		if _, err := NewWithOptions(tt.o); (err == nil) != tt.ok {
			t.Errorf("NewWithOptions(%+v) = %v", tt.o, err)
		}
	}
}

func TestZeroValueSeries(t *testing.T) {
	var s Series
	if _, ok := s.Last(); ok {
		t.Fatal("empty series has a last point")
	}
	for i := range 1000 {
		s.Append(int64(i), float64(i))
	}
	if s.Len() != 1000 || s.Blocks() == 0 {
		t.Fatalf("Len = %d, Blocks = %d", s.Len(), s.Blocks())
	}
	checkInvariants(t, &s)
}

func TestAppendSealsHead(t *testing.T) {
	s := newSmall(t, 4)
	for i := range 9 {
		s.Append(int64(i), 1)
	}
	if got := s.Blocks(); got != 2 {
		t.Fatalf("Blocks = %d, want 2", got)
	}
	if got := len(s.head); got != 1 {
		t.Fatalf("head holds %d, want 1", got)
	}
	checkInvariants(t, s)
}

func TestDuplicateLaterWriteWins(t *testing.T) {
	s := newSmall(t, 4)
	for i := range 10 {
		s.Append(int64(i)*10, float64(i))
	}
	s.Append(90, -9) // in the head
	s.Append(10, -1) // in a sealed block
	s.Append(30, -3)
	s.Append(30, -33) // again
	if s.Len() != 10 {
		t.Fatalf("Len = %d, want 10", s.Len())
	}
	for tm, want := range map[int64]float64{10: -1, 30: -33, 90: -9, 50: 5} {
		if p, ok := s.At(tm); !ok || p.T != tm || p.V != want {
			t.Errorf("At(%d) = %v %v, want value %v", tm, p, ok, want)
		}
	}
	checkInvariants(t, s)
}

func TestLatePoints(t *testing.T) {
	s := newSmall(t, 4)
	for _, tm := range []int64{100, 110, 120, 130, 140, 150, 160} {
		s.Append(tm, float64(tm))
	}
	// Head is {140, 150, 160}; the block [100..130].
	s.Append(145, 1) // inside the head
	s.Append(135, 2) // between the block and the head: into the head
	s.Append(105, 3) // inside the block
	s.Append(50, 4)  // before everything
	want := []int64{50, 100, 105, 110, 120, 130, 135, 140, 145, 150, 160}
	got := allPoints(s)
	if len(got) != len(want) {
		t.Fatalf("got %v", got)
	}
	for i := range want {
		if got[i].T != want[i] {
			t.Fatalf("point %d at %d, want %d (%v)", i, got[i].T, want[i], got)
		}
	}
	checkInvariants(t, s)
}

func TestLatePointsSplitBlocks(t *testing.T) {
	s := newSmall(t, 4)
	for i := range 8 {
		s.Append(int64(i)*1000, 0)
	}
	// Pour late points into the first block until it must split.
	for i := 1; i < 100; i++ {
		s.Append(int64(i), float64(i))
	}
	for i := range s.blocks {
		if s.blocks[i].count > 8 {
			t.Fatalf("block %d holds %d points, more than twice the head", i, s.blocks[i].count)
		}
	}
	if s.Len() != 107 {
		t.Fatalf("Len = %d, want 107", s.Len())
	}
	checkInvariants(t, s)
}

func TestTrim(t *testing.T) {
	s := newSmall(t, 10)
	for i := range 95 {
		s.Append(int64(i), float64(i))
	}
	blocks := s.Blocks()
	if got := s.Trim(30); got != 30 {
		t.Fatalf("Trim(30) dropped %d, want 30", got)
	}
	if s.Blocks() != blocks-3 {
		t.Errorf("Blocks = %d, want %d: whole blocks dropped", s.Blocks(), blocks-3)
	}
	if got := s.Trim(35); got != 5 {
		t.Fatalf("Trim(35) dropped %d, want 5", got)
	}
	if p, _ := s.First(); p.T != 35 {
		t.Errorf("First = %v, want T 35", p)
	}
	if got := s.Trim(0); got != 0 {
		t.Errorf("Trim(0) dropped %d", got)
	}
	if got := s.Trim(math.MaxInt64); got != 60 {
		t.Errorf("Trim(max) dropped %d, want 60", got)
	}
	if s.Len() != 0 || s.Bytes() <= 0 {
		t.Errorf("after trimming all: Len %d, Bytes %d", s.Len(), s.Bytes())
	}
	checkInvariants(t, s)
	s.Append(7, 7)
	if p, ok := s.Last(); !ok || p.T != 7 {
		t.Errorf("append after trim: Last = %v %v", p, ok)
	}
}

func TestBytesShrinkWithTrim(t *testing.T) {
	s := New()
	for i := range 100_000 {
		s.Append(int64(i)*10e9, float64(i%100)/10)
	}
	full := s.Bytes()
	s.Trim(int64(90_000) * 10e9)
	if s.Bytes() >= full/2 {
		t.Errorf("Bytes %d after trimming 90%%, was %d", s.Bytes(), full)
	}
}

func TestCloneIsIndependent(t *testing.T) {
	s := newSmall(t, 4)
	for i := range 20 {
		s.Append(int64(i), float64(i))
	}
	c := s.Clone()
	c.Append(3, 100) // rewrites a shared block in the clone only
	c.Append(19, 100)
	c.Append(100, 1)
	c.Trim(10)
	if p, _ := s.At(3); p.V != 3 {
		t.Errorf("original At(3) = %v after clone write", p)
	}
	if p, _ := s.At(19); p.V != 19 {
		t.Errorf("original At(19) = %v after clone write", p)
	}
	if s.Len() != 20 || c.Len() != 11 {
		t.Errorf("Len original %d, clone %d; want 20, 11", s.Len(), c.Len())
	}
	checkInvariants(t, s)
	checkInvariants(t, c)
}

func TestQueryEdges(t *testing.T) {
	s := newSmall(t, 4)
	if got := s.LastN(5, math.MaxInt64); got != nil {
		t.Errorf("LastN on empty = %v", got)
	}
	if _, ok := s.At(0); ok {
		t.Error("At on empty found a point")
	}
	for i := range 10 {
		s.Append(int64(i)*10, float64(i))
	}
	if _, ok := s.At(-1); ok {
		t.Error("At before the first point found one")
	}
	if got := s.LastN(3, math.MinInt64); got != nil {
		t.Errorf("LastN before MinInt64 = %v", got)
	}
	if got := s.LastN(0, math.MaxInt64); got != nil {
		t.Errorf("LastN(0) = %v", got)
	}
	if got := s.LastN(3, 45); len(got) != 3 || got[0].T != 20 || got[2].T != 40 {
		t.Errorf("LastN(3, 45) = %v", got)
	}
	if got := s.LastN(math.MaxInt, math.MaxInt64); len(got) != 10 {
		t.Errorf("LastN(max) returned %d points", len(got))
	}
	if got := s.Points(50, 50); got != nil {
		t.Errorf("empty range returned %v", got)
	}
	n := 0
	s.Range(0, 100, func(Point) bool { n++; return n < 3 })
	if n != 3 {
		t.Errorf("Range did not stop: %d calls", n)
	}
}

// TestConcurrentReads runs readers together under -race: reads must not
// write shared state.
func TestConcurrentReads(t *testing.T) {
	s := newSmall(t, 16)
	for i := range 2000 {
		s.Append(int64(i)*7, float64(i%37)/4)
	}
	s.Append(5, 1) // a late point rewrote a block
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 200 {
				tm := int64((i*131 + g*17) % 14000)
				s.At(tm)
				s.Points(tm, tm+500)
				s.LastN(50, tm)
				s.Aggregate(0, tm, 100, i%2 == 0)
				s.Summarize(0, tm, false).Value(P95)
				s.First()
				s.Last()
				s.Bytes()
				s.Clone()
			}
		})
	}
	wg.Wait()
}
