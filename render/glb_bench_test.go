package render_test

import (
	"context"
	"testing"

	"citytwin/render"
)

// BenchmarkBuildingsGLB200k: the GLB of a synthetic city of 200,000 buildings
// at LoD 1, batched (the target is 10 s).
//
//	go test -run '^$' -bench BuildingsGLB200k -benchtime 3x ./render
func BenchmarkBuildingsGLB200k(b *testing.B) {
	buildings := synthBuildings(b, 200_000)
	b.ReportAllocs()
	b.ResetTimer()
	size := 0
	for b.Loop() {
		out, err := render.BuildingsGLB(context.Background(), buildings, nil, render.GLBOptions{LoD: 1, MaxNodes: -1})
		if err != nil {
			b.Fatal(err)
		}
		size = len(out)
	}
	per := b.Elapsed().Seconds() / float64(b.N)
	b.ReportMetric(float64(len(buildings))/per, "buildings/s")
	b.ReportMetric(float64(size)/float64(len(buildings)), "bytes/building")
}
