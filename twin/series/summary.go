package series

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// Agg names an aggregate of values.
type Agg int

// The aggregates. Percentiles use the nearest-rank method: the Pth
// percentile of N sorted values is the value at rank ceil(P/100 × N),
// counting from 1; it is always one of the values.
const (
	Count Agg = iota
	Sum
	Avg
	Min
	Max
	P50
	P95
)

var aggNames = [...]string{"count", "sum", "avg", "min", "max", "p50", "p95"}

// ErrUnknownAgg is wrapped by ParseAgg.
var ErrUnknownAgg = errors.New("series: unknown aggregate")

// ParseAgg parses "count", "sum", "avg", "min", "max", "p50" or "p95",
// ignoring case.
func ParseAgg(s string) (Agg, error) {
	l := strings.ToLower(strings.TrimSpace(s))
	for i, name := range aggNames {
		if l == name {
			return Agg(i), nil
		}
	}
	return 0, fmt.Errorf("%w %q (want count|sum|avg|min|max|p50|p95)", ErrUnknownAgg, s)
}

func (a Agg) String() string {
	if a >= 0 && int(a) < len(aggNames) {
		return aggNames[a]
	}
	return "Agg(" + strconv.Itoa(int(a)) + ")"
}

// NeedsValues reports whether the aggregate needs the values themselves,
// not just count, sum, min and max.
func (a Agg) NeedsValues() bool { return a == P50 || a == P95 }

// Summary is a mergeable accumulator of values. NaN values are skipped: they
// count for nothing, as if absent. ±Inf are ordinary values (so a sum may
// become ±Inf or NaN by IEEE 754 rules).
//
// The zero value keeps no values, so it answers every aggregate but the
// percentiles, which are NaN.
type Summary struct {
	Count    int
	Sum      float64
	Min, Max float64 // undefined while Count is 0

	values []float64
	keep   bool // values are kept
	lost   bool // a merged summary did not keep its values
}

// NewSummary returns an empty summary; keepValues keeps every value added so
// that percentiles can be answered.
func NewSummary(keepValues bool) *Summary { return &Summary{keep: keepValues} }

// Add adds one value; NaN is skipped.
func (a *Summary) Add(v float64) {
	if v != v {
		return
	}
	if a.Count == 0 || v < a.Min {
		a.Min = v
	}
	if a.Count == 0 || v > a.Max {
		a.Max = v
	}
	a.Count++
	a.Sum += v
	if a.keep {
		a.values = append(a.values, v)
	}
}

// Merge adds everything b holds. If a keeps values but b did not, a's
// percentiles become NaN: they would be wrong.
func (a *Summary) Merge(b *Summary) {
	if b == nil || b.Count == 0 {
		return
	}
	a.merge(b.Count, b.Sum, b.Min, b.Max)
	if a.keep {
		if !b.keep || b.lost {
			a.lost = true
		}
		a.values = append(a.values, b.values...)
	}
}

// MergeBucket adds a bucket's aggregates, and its values if it has them.
func (a *Summary) MergeBucket(b Bucket) {
	if b.Count == 0 {
		return
	}
	a.merge(b.Count, b.Sum, b.Min, b.Max)
	if a.keep {
		if len(b.Values) != b.Count {
			a.lost = true
		}
		a.values = append(a.values, b.Values...)
	}
}

func (a *Summary) merge(count int, sum, lo, hi float64) {
	if a.Count == 0 || lo < a.Min {
		a.Min = lo
	}
	if a.Count == 0 || hi > a.Max {
		a.Max = hi
	}
	a.Count += count
	a.Sum += sum
}

// Value returns the aggregate. Count of nothing is 0 and Sum of nothing is
// 0; Avg, Min, Max and the percentiles of nothing are NaN, and so are the
// percentiles of a summary that did not keep its values. Value does not
// change the summary.
func (a *Summary) Value(agg Agg) float64 {
	var vals []float64
	if a.keep && !a.lost {
		vals = a.values
	} else if agg.NeedsValues() {
		return math.NaN()
	}
	return aggregate(agg, a.Count, a.Sum, a.Min, a.Max, vals)
}

func aggregate(agg Agg, count int, sum, lo, hi float64, vals []float64) float64 {
	switch agg {
	case Count:
		return float64(count)
	case Sum:
		return sum
	}
	if count == 0 {
		return math.NaN()
	}
	switch agg {
	case Avg:
		return sum / float64(count)
	case Min:
		return lo
	case Max:
		return hi
	case P50:
		return percentile(vals, 50)
	case P95:
		return percentile(vals, 95)
	}
	return math.NaN()
}

// percentile returns the nearest-rank pct-th percentile of vals (unsorted,
// no NaN), without changing vals.
func percentile(vals []float64, pct int) float64 {
	n := len(vals)
	if n == 0 {
		return math.NaN()
	}
	sorted := slices.Clone(vals)
	slices.Sort(sorted)
	rank := (pct*n + 99) / 100 // ceil(pct/100 × n)
	rank = max(1, min(rank, n))
	return sorted[rank-1]
}
