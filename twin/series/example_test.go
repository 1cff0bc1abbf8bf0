package series_test

import (
	"fmt"
	"math"

	"citytwin/twin/series"
)

func Example() {
	s := series.New()
	const sec = int64(1e9)
	for i := range 6 {
		s.Append(int64(i)*10*sec, 20+float64(i)/2)
	}
	s.Append(25*sec, 99)  // late: goes into place
	s.Append(50*sec, 0.5) // same time again: the later write wins

	last, _ := s.Last()
	asOf, _ := s.At(27 * sec)
	fmt.Println(s.Len(), last.V, asOf.V)
	for _, p := range s.LastN(2, math.MaxInt64) {
		fmt.Println(p.T/sec, p.V)
	}
	// Output:
	// 7 0.5 99
	// 40 22
	// 50 0.5
}

func ExampleSeries_Aggregate() {
	s := series.New()
	for i := range 12 {
		s.Append(int64(i)*10, float64(i))
	}
	for _, b := range s.Aggregate(0, 120, 60, true) {
		fmt.Println(b.Start, b.Count, b.Value(series.Avg), b.Value(series.P95))
	}
	// Output:
	// 0 6 2.5 5
	// 60 6 8.5 11
}

func ExampleSeries_Trim() {
	s := series.New()
	for i := range 10 {
		s.Append(int64(i), 1)
	}
	fmt.Println(s.Trim(4), s.Len())
	// Output: 4 6
}

func ExampleParseAgg() {
	agg, err := series.ParseAgg("p95")
	fmt.Println(agg, agg.NeedsValues(), err)
	sum := series.NewSummary(agg.NeedsValues())
	for _, v := range []float64{3, 1, 4, 1, 5, 9, 2, 6, math.NaN()} {
		sum.Add(v)
	}
	fmt.Println(sum.Value(agg), sum.Value(series.Count))
	// Output:
	// p95 true <nil>
	// 9 8
}
