package series

import (
	"math"
	"math/rand/v2"
	"testing"
)

// sensorLike returns a realistic regular series: one reading every 10 s of a
// smooth daily curve plus noise, printed with two decimals as sensors do.
func sensorLike(n int, seed uint64) []Point {
	rng := rand.New(rand.NewPCG(seed, 1))
	pts := make([]Point, n)
	t := int64(1_700_000_000e9)
	for i := range pts {
		day := float64(i) * 10 / 86400 * 2 * math.Pi
		v := 18 + 4*math.Sin(day) + rng.NormFloat64()*0.1
		pts[i] = Point{t + int64(i)*10e9, math.Round(v*100) / 100}
	}
	return pts
}

func BenchmarkAppend(b *testing.B) {
	s := New()
	t := int64(1_700_000_000e9)
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		s.Append(t+int64(i)*10e9, float64(i&1023)*0.25)
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "obs/s")
	b.ReportMetric(float64(s.Bytes())/float64(s.Len()), "bytes/point")
}

// BenchmarkAppendSensor appends realistic values, so sealing costs what it
// costs for real data.
func BenchmarkAppendSensor(b *testing.B) {
	pts := sensorLike(1<<16, 1)
	s := New()
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		p := pts[i&(len(pts)-1)]
		s.Append(p.T+int64(i>>16)*(1<<16)*10e9, p.V)
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "obs/s")
}

// BenchmarkAppendLate appends 1 point in 10 late, into a sealed block.
func BenchmarkAppendLate(b *testing.B) {
	s := New()
	rng := rand.New(rand.NewPCG(2, 2))
	t := int64(0)
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		if i%10 == 9 && t > 1e13 {
			s.Append(t-rng.Int64N(1e13), 1)
			continue
		}
		t += 10e9
		s.Append(t, 2)
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "obs/s")
}

func fill(pts []Point) *Series {
	s := New()
	for _, p := range pts {
		s.Append(p.T, p.V)
	}
	return s
}

// BenchmarkBytesPerPoint reports the memory of a sealed realistic series.
func BenchmarkBytesPerPoint(b *testing.B) {
	pts := sensorLike(1<<16, 3)
	var s *Series
	b.ReportAllocs()
	for b.Loop() {
		s = fill(pts)
	}
	b.ReportMetric(float64(s.Bytes())/float64(s.Len()), "bytes/point")
	b.ReportMetric(sealedBytesPerPoint(s), "sealed-bytes/point")
}

// sealedBytesPerPoint is the memory of the sealed blocks (data and block
// structs) per sealed point: what history costs, without the raw head.
func sealedBytesPerPoint(s *Series) float64 {
	return float64(s.dataBytes+len(s.blocks)*blockStructSize) / float64(s.Len()-len(s.head))
}

// BenchmarkBytesPerPointNoise is the worst case: full-precision random
// noise, which no lossless float scheme compresses much.
func BenchmarkBytesPerPointNoise(b *testing.B) {
	rng := rand.New(rand.NewPCG(3, 3))
	pts := sensorLike(1<<16, 3)
	for i := range pts {
		pts[i].V += rng.NormFloat64() * 0.01
	}
	var s *Series
	b.ReportAllocs()
	for b.Loop() {
		s = fill(pts)
	}
	b.ReportMetric(sealedBytesPerPoint(s), "sealed-bytes/point")
}

// BenchmarkBytesPerPointReal reports the memory of the real sensor series
// (each sensor's PM10 and PM2.5), all points together.
func BenchmarkBytesPerPointReal(b *testing.B) {
	sensors := loadSensors(b)
	var bytes, sealed, n, nSealed int
	b.ReportAllocs()
	for b.Loop() {
		bytes, sealed, n, nSealed = 0, 0, 0, 0
		for _, sen := range sensors {
			for _, pts := range [][]Point{sen.p1, sen.p2} {
				s := fill(pts)
				bytes += s.Bytes()
				sealed += s.dataBytes + len(s.blocks)*blockStructSize
				n += s.Len()
				nSealed += s.Len() - len(s.head)
			}
		}
	}
	b.ReportMetric(float64(bytes)/float64(n), "bytes/point")
	b.ReportMetric(float64(sealed)/float64(nSealed), "sealed-bytes/point")
}

func BenchmarkRange(b *testing.B) {
	s := fill(sensorLike(1<<16, 4))
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		s.Range(math.MinInt64, math.MaxInt64, func(p Point) bool {
			n++
			return true
		})
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "points/s")
}

func BenchmarkAt(b *testing.B) {
	pts := sensorLike(1<<16, 5)
	s := fill(pts)
	rng := rand.New(rand.NewPCG(5, 5))
	b.ReportAllocs()
	for b.Loop() {
		s.At(pts[rng.IntN(len(pts))].T + 1)
	}
}

func BenchmarkLastN(b *testing.B) {
	s := fill(sensorLike(1<<16, 6))
	b.ReportAllocs()
	for b.Loop() {
		s.LastN(100, math.MaxInt64)
	}
}

// BenchmarkAggregate buckets a week of 10 s readings by hour, from block
// summaries where a block fits in an hour, and with values for percentiles.
func BenchmarkAggregate(b *testing.B) {
	pts := sensorLike(7*8640, 7)
	s := fill(pts)
	for _, bc := range []struct {
		name       string
		step       int64
		withValues bool
	}{
		{"hour", 3600e9, false},
		{"day", 86400e9, false},
		{"hour/values", 3600e9, true},
		{"minute", 60e9, false},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				s.Aggregate(math.MinInt64, math.MaxInt64, bc.step, bc.withValues)
			}
			b.ReportMetric(float64(len(pts))*float64(b.N)/b.Elapsed().Seconds(), "points/s")
		})
	}
}

func BenchmarkEncodeBlock(b *testing.B) {
	pts := sensorLike(DefaultBlockPoints, 8)
	var buf []byte
	b.ReportAllocs()
	for b.Loop() {
		buf, _ = EncodeBlock(buf[:0], pts)
	}
	b.ReportMetric(float64(len(pts))*float64(b.N)/b.Elapsed().Seconds(), "points/s")
}
