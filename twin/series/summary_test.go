package series

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

func TestParseAgg(t *testing.T) {
	for a := Count; a <= P95; a++ {
		got, err := ParseAgg(a.String())
		if err != nil || got != a {
			t.Errorf("ParseAgg(%q) = %v, %v; want %v", a.String(), got, err, a)
		}
	}
	if got, err := ParseAgg(" P95 "); err != nil || got != P95 {
		t.Errorf("ParseAgg(\" P95 \") = %v, %v", got, err)
	}
	for _, bad := range []string{"", "median", "p99", "counts"} {
		if _, err := ParseAgg(bad); !errors.Is(err, ErrUnknownAgg) {
			t.Errorf("ParseAgg(%q) err = %v, want ErrUnknownAgg", bad, err)
		}
	}
	if got := Agg(42).String(); got != "Agg(42)" {
		t.Errorf("Agg(42).String() = %q", got)
	}
	if !P50.NeedsValues() || Avg.NeedsValues() {
		t.Error("NeedsValues wrong")
	}
}

// nearestRank is the oracle: sort, take rank ceil(p/100*n).
func nearestRank(vals []float64, p float64) float64 {
	if len(vals) == 0 {
		return math.NaN()
	}
	s := slices.Clone(vals)
	slices.Sort(s)
	rank := int(math.Ceil(p / 100 * float64(len(s))))
	if rank < 1 {
		rank = 1
	}
	return s[rank-1]
}

func TestSummaryValues(t *testing.T) {
	tests := []struct {
		name string
		vals []float64
		want map[Agg]float64
	}{
		{"empty", nil, map[Agg]float64{Count: 0, Sum: 0, Avg: math.NaN(), Min: math.NaN(), Max: math.NaN(), P50: math.NaN(), P95: math.NaN()}},
		{"one", []float64{4}, map[Agg]float64{Count: 1, Sum: 4, Avg: 4, Min: 4, Max: 4, P50: 4, P95: 4}},
		{"NaN skipped", []float64{math.NaN(), 2, math.NaN()}, map[Agg]float64{Count: 1, Sum: 2, Avg: 2, P50: 2}},
		{"1..10", []float64{10, 9, 8, 7, 6, 5, 4, 3, 2, 1}, map[Agg]float64{Count: 10, Sum: 55, Avg: 5.5, Min: 1, Max: 10, P50: 5, P95: 10}},
		{"1..20", func() []float64 {
			var v []float64
			for i := 20; i >= 1; i-- {
				v = append(v, float64(i))
			}
			return v
		}(), map[Agg]float64{P50: 10, P95: 19}},
		{"inf", []float64{math.Inf(1), 1}, map[Agg]float64{Sum: math.Inf(1), Max: math.Inf(1), P50: 1}},
		{"both infs", []float64{math.Inf(1), math.Inf(-1)}, map[Agg]float64{Sum: math.NaN(), Min: math.Inf(-1)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := NewSummary(true)
			for _, v := range tt.vals {
				s.Add(v)
			}
			for agg, want := range tt.want {
				if got := s.Value(agg); !sameFloat(got, want) {
					t.Errorf("%v = %v, want %v", agg, got, want)
				}
			}
		})
	}
}

func TestSummaryMergeMatchesAdd(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	for round := range 200 {
		all := NewSummary(true)
		merged := NewSummary(true)
		var vals []float64
		for range 1 + rng.IntN(5) {
			part := NewSummary(true)
			for range rng.IntN(20) {
				v := float64(rng.IntN(1000)) / 8
				if rng.IntN(15) == 0 {
					v = math.NaN()
				}
				part.Add(v)
				all.Add(v)
				if !math.IsNaN(v) {
					vals = append(vals, v)
				}
			}
			merged.Merge(part)
		}
		for agg := Count; agg <= P95; agg++ {
			if got, want := merged.Value(agg), all.Value(agg); !sameFloat(got, want) {
				t.Fatalf("round %d: merged %v = %v, added %v", round, agg, got, want)
			}
		}
		for _, p := range []struct {
			agg Agg
			pct float64
		}{{P50, 50}, {P95, 95}} {
			if got, want := all.Value(p.agg), nearestRank(vals, p.pct); !sameFloat(got, want) {
				t.Fatalf("round %d: %v = %v, nearest rank %v", round, p.agg, got, want)
			}
		}
	}
}

func TestSummaryWithoutValues(t *testing.T) {
	var plain Summary // zero value keeps nothing
	plain.Add(3)
	plain.Add(5)
	if got := plain.Value(Avg); got != 4 {
		t.Errorf("Avg = %v, want 4", got)
	}
	if got := plain.Value(P50); !math.IsNaN(got) {
		t.Errorf("P50 without values = %v, want NaN", got)
	}
	// Merging a value-less summary into a keeping one poisons percentiles
	// rather than answering them from part of the data.
	keep := NewSummary(true)
	keep.Add(1)
	keep.Merge(&plain)
	if got := keep.Value(P50); !math.IsNaN(got) {
		t.Errorf("P50 after merging a value-less summary = %v, want NaN", got)
	}
	if got := keep.Value(Count); got != 3 {
		t.Errorf("Count = %v, want 3", got)
	}
	keep.Merge(nil)
	keep.Merge(NewSummary(false))
}

func TestSummaryValueDoesNotMutate(t *testing.T) {
	s := NewSummary(true)
	for _, v := range []float64{3, 1, 2} {
		s.Add(v)
	}
	s.Value(P50)
	if !slices.Equal(s.values, []float64{3, 1, 2}) {
		t.Errorf("Value reordered the values: %v", s.values)
	}
}

func TestBucketValueAndMerge(t *testing.T) {
	s := New()
	for i := range 100 {
		s.Append(int64(i)*10, float64(i))
	}
	buckets := s.Aggregate(0, 1000, 500, true)
	if len(buckets) != 2 {
		t.Fatalf("got %d buckets, want 2", len(buckets))
	}
	if got := buckets[0].Value(P95); got != 47 {
		t.Errorf("P95 of 0..49 = %v, want 47", got)
	}
	total := NewSummary(true)
	for _, b := range buckets {
		total.MergeBucket(b)
	}
	if got := total.Value(P50); got != 49 {
		t.Errorf("merged P50 = %v, want 49", got)
	}
	noValues := s.Aggregate(0, 1000, 500, false)
	if got := noValues[1].Value(P50); !math.IsNaN(got) {
		t.Errorf("P50 of a bucket without values = %v, want NaN", got)
	}
	if got := noValues[1].Value(Avg); got != 74.5 {
		t.Errorf("Avg = %v, want 74.5", got)
	}
}
