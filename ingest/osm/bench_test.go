package osm

import (
	"bytes"
	"context"
	"os"
	"runtime"
	"testing"

	"github.com/paulmach/osm"
	"github.com/paulmach/osm/osmpbf"

	"citytwin/twin"
)

func benchmarkRead(b *testing.B, ext string) {
	data, err := os.ReadFile(helsinki(b, ext))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	var res *Result
	for b.Loop() {
		res, err = Read(context.Background(), bytes.NewReader(data), DefaultOptions())
		if err != nil {
			b.Fatal(err)
		}
	}
	s := b.Elapsed().Seconds()
	b.ReportMetric(float64(res.Stats.Nodes*b.N)/s, "nodes/s")
	b.ReportMetric(float64(res.Counts[twin.KindBuilding]*b.N)/s, "buildings/s")
	b.ReportMetric(float64(len(res.Ops)*b.N)/s, "entities/s")
}

// BenchmarkReadPBF reads the Helsinki PBF (24260 nodes, 446 buildings) end to
// end: decode, assemble, split roads, build the graph.
func BenchmarkReadPBF(b *testing.B) { benchmarkRead(b, ".osm.pbf") }

// BenchmarkReadXML reads the same data as OSM XML.
func BenchmarkReadXML(b *testing.B) { benchmarkRead(b, ".osm") }

// BenchmarkApply applies the Helsinki buildings to a fresh store per iteration.
func BenchmarkApply(b *testing.B) {
	res := readFile(b, helsinki(b, ".osm.pbf"))
	var ops []twin.Op
	for _, op := range res.Ops {
		if op.Entity.Kind == twin.KindBuilding {
			ops = append(ops, op)
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		s, err := twin.New(twin.DefaultConfig())
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if _, err := s.Apply(ops...); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(ops)*b.N)/b.Elapsed().Seconds(), "buildings/s")
}

// BenchmarkScanPBF is the baseline: the osmpbf scanner alone, no importer.
func BenchmarkScanPBF(b *testing.B) {
	data, err := os.ReadFile(helsinki(b, ".osm.pbf"))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	nodes := 0
	for b.Loop() {
		sc := osmpbf.New(context.Background(), bytes.NewReader(data), runtime.GOMAXPROCS(0))
		nodes = 0
		for sc.Scan() {
			if _, ok := sc.Object().(*osm.Node); ok {
				nodes++
			}
		}
		if err := sc.Err(); err != nil {
			b.Fatal(err)
		}
		sc.Close()
	}
	b.ReportMetric(float64(nodes*b.N)/b.Elapsed().Seconds(), "nodes/s")
}
