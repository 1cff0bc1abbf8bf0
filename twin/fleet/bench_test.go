package fleet_test

import (
	"context"
	"testing"

	"citytwin/twin/fleet"
)

// BenchmarkQueries runs each type's generated queries in turn on the day of
// IoT data: queries/s is what one goroutine answers.
func BenchmarkQueries(b *testing.B) {
	s := loadDay(b)
	byType := map[fleet.Type][]fleet.Query{}
	for _, l := range queryFile(b) {
		byType[l.Query.Type] = append(byType[l.Query.Type], l.Query)
	}
	ctx := context.Background()
	for _, typ := range fleet.Types() {
		qs := byType[typ]
		b.Run(typ.String(), func(b *testing.B) {
			b.ReportAllocs()
			n := 0
			for b.Loop() {
				if _, err := fleet.Exec(ctx, s, qs[n%len(qs)]); err != nil {
					b.Fatal(err)
				}
				n++
			}
			b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "queries/s")
		})
	}
}
