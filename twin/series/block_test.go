package series

import (
	"encoding/binary"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"testing"
)

func pointsAt(ts []int64, vs []float64) []Point {
	pts := make([]Point, len(ts))
	for i := range ts {
		pts[i] = Point{ts[i], vs[i%len(vs)]}
	}
	return pts
}

func regular(n int, t0, step int64, v func(i int) float64) []Point {
	pts := make([]Point, n)
	for i := range pts {
		pts[i] = Point{t0 + int64(i)*step, v(i)}
	}
	return pts
}

func TestBlockRoundTrip(t *testing.T) {
	negZero := math.Copysign(0, -1)
	nanPayload := math.Float64frombits(0x7ff8dead0000beef)
	edge := []float64{0, negZero, math.NaN(), nanPayload, math.Inf(1), math.Inf(-1),
		math.MaxFloat64, -math.MaxFloat64, math.SmallestNonzeroFloat64, 1, -1, 0.1, 1e-300}
	rng := rand.New(rand.NewPCG(3, 4))
	tests := []struct {
		name string
		pts  []Point
	}{
		{"one", []Point{{42, 1.5}}},
		{"two", []Point{{-5, 0}, {7, -0.25}}},
		{"edge values", regular(len(edge)*3, 0, 1e9, func(i int) float64 { return edge[i%len(edge)] })},
		{"only -0", regular(10, 0, 1, func(int) float64 { return negZero })},
		{"only NaN", regular(10, 0, 1, func(int) float64 { return math.NaN() })},
		{"constant", regular(300, 1_700_000_000e9, 10e9, func(int) float64 { return 21.5 })},
		{"regular decimals", regular(256, 1_700_000_000e9, 10e9, func(i int) float64 {
			return math.Round((20+math.Sin(float64(i)/20)+rng.NormFloat64()*0.05)*100) / 100
		})},
		{"full precision", regular(256, 0, 1e9, func(int) float64 { return rng.NormFloat64() * 1e6 })},
		{"integers", regular(100, -1e18, 3, func(i int) float64 { return float64(i * i) })},
		{"huge deltas", pointsAt([]int64{math.MinInt64, -1, 0, 1, math.MaxInt64 - 1, math.MaxInt64}, []float64{1, 2.5})},
		{"extremes only", pointsAt([]int64{math.MinInt64, math.MaxInt64}, []float64{3})},
		{"negative times", regular(50, -1e12, 7, func(i int) float64 { return float64(i) / 3 })},
		{"jitter", func() []Point {
			pts := make([]Point, 500)
			tm := int64(1_557_705_609e9)
			for i := range pts {
				tm += 145e9 + int64(rng.IntN(7)-3)*1e9
				pts[i] = Point{tm, float64(rng.IntN(3000)) / 100}
			}
			return pts
		}()},
		{"large k", regular(20, 0, 1, func(i int) float64 { return float64(1<<52) + float64(i) })},
		{"mixed decimal digits", regular(40, 0, 1, func(i int) float64 { return []float64{1.5, 2.25, 3.125, 1e-12, 123456.789}[i%5] })},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data, err := EncodeBlock([]byte("prefix"), tt.pts)
			if err != nil {
				t.Fatal(err)
			}
			data = data[len("prefix"):]
			got, err := DecodeBlock(nil, data)
			if err != nil {
				t.Fatal(err)
			}
			samePoints(t, "round trip", got, tt.pts)
			t.Logf("%d points in %d bytes (%.2f B/point), mode %d", len(tt.pts), len(data), float64(len(data))/float64(len(tt.pts)), data[0])
		})
	}
}

func TestBlockSizes(t *testing.T) {
	// A regular 10 s series of two-decimal readings should cost about a byte
	// a point; a constant one a fraction of a bit per point.
	rng := rand.New(rand.NewPCG(5, 6))
	smooth := regular(256, 1_700_000_000e9, 10e9, func(i int) float64 {
		return math.Round((20+2*math.Sin(float64(i)/40)+rng.NormFloat64()*0.05)*100) / 100
	})
	constant := regular(256, 1_700_000_000e9, 10e9, func(int) float64 { return 7 })
	tests := []struct {
		name     string
		pts      []Point
		maxBytes int
	}{
		{"smooth", smooth, 256 * 2},
		{"constant", constant, 100}, // a bit a point per stream, plus the header
	}
	for _, tt := range tests {
		data, err := EncodeBlock(nil, tt.pts)
		if err != nil {
			t.Fatal(err)
		}
		if len(data) > tt.maxBytes {
			t.Errorf("%s: %d bytes, want <= %d", tt.name, len(data), tt.maxBytes)
		}
	}
}

func TestEncodeBlockErrors(t *testing.T) {
	tests := []struct {
		name string
		pts  []Point
		want error
	}{
		{"empty", nil, ErrBlockSize},
		{"too many", make([]Point, maxBlockPoints+1), ErrBlockSize},
		{"unsorted", []Point{{2, 0}, {1, 0}}, ErrBlockOrder},
		{"duplicate", []Point{{1, 0}, {1, 0}}, ErrBlockOrder},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := EncodeBlock(nil, tt.pts); !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestDecodeBlockCorrupt(t *testing.T) {
	good, err := EncodeBlock(nil, regular(100, 0, 10, func(i int) float64 { return float64(i) * 1.1 }))
	if err != nil {
		t.Fatal(err)
	}
	tests := map[string][]byte{
		"empty":      {},
		"bad mode":   {9, 1, 0},
		"zero":       {0, 0},
		"truncated":  good[:len(good)/2],
		"huge count": binary.AppendUvarint([]byte{0}, maxBlockPoints+1),
	}
	for name, data := range tests {
		t.Run(name, func(t *testing.T) {
			if _, err := DecodeBlock(nil, data); !errors.Is(err, ErrCorruptBlock) {
				t.Fatalf("err = %v, want ErrCorruptBlock", err)
			}
		})
	}
	// Every truncation and every single-byte change must decode or fail,
	// never panic.
	for i := range good {
		DecodeBlock(nil, good[:i])
		bad := slices.Clone(good)
		bad[i] ^= 0xff
		DecodeBlock(nil, bad)
	}
}

// pointsFromBytes reads 16-byte (time, value) records, then sorts by time
// and keeps the last of equal times: a valid block from arbitrary bytes.
func pointsFromBytes(data []byte) []Point {
	var pts []Point
	for len(data) >= 16 {
		pts = append(pts, Point{int64(binary.LittleEndian.Uint64(data)), math.Float64frombits(binary.LittleEndian.Uint64(data[8:]))})
		data = data[16:]
	}
	slices.SortStableFunc(pts, func(a, b Point) int {
		switch {
		case a.T < b.T:
			return -1
		case a.T > b.T:
			return 1
		}
		return 0
	})
	out := pts[:0]
	for i, p := range pts {
		if i+1 < len(pts) && pts[i+1].T == p.T {
			continue
		}
		out = append(out, p)
	}
	return out
}

func pointsToBytes(pts []Point) []byte {
	var b []byte
	for _, p := range pts {
		b = binary.LittleEndian.AppendUint64(b, uint64(p.T))
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(p.V))
	}
	return b
}

// FuzzBlockRoundTrip encodes points made from the input and checks they
// decode exactly; it also decodes the raw input as a block, which must not
// panic.
func FuzzBlockRoundTrip(f *testing.F) {
	f.Add([]byte{})
	f.Add(pointsToBytes([]Point{{math.MinInt64, math.NaN()}, {0, math.Copysign(0, -1)}, {math.MaxInt64, math.Inf(1)}}))
	f.Add(pointsToBytes(regular(64, 1_700_000_000e9, 10e9, func(i int) float64 { return float64(i%7) / 4 })))
	if sensors, ok := trySensors(f); ok {
		for _, s := range sensors[:4] {
			f.Add(pointsToBytes(s.p1[:200]))
			f.Add(pointsToBytes(s.p2[:64]))
			if data, err := EncodeBlock(nil, s.p1[:120]); err == nil {
				f.Add(data) // real encoded blocks seed the decoder side
			}
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		DecodeBlock(nil, data) // must not panic
		pts := pointsFromBytes(data)
		if len(pts) == 0 {
			return
		}
		enc, err := EncodeBlock(nil, pts)
		if err != nil {
			t.Fatal(err)
		}
		got, err := DecodeBlock(nil, enc)
		if err != nil {
			t.Fatal(err)
		}
		samePoints(t, "fuzz round trip", got, pts)
	})
}

// trySensors loads the real dataset for seeding when it is there; without
// it the target still fuzzes from the synthetic seeds (except in CI).
func trySensors(f *testing.F) ([]sensorSeries, bool) {
	if _, ok := findShared(); !ok {
		if os.Getenv("CI") == "true" {
			f.Fatal("series: shared/datasets not found above the test directory")
		}
		return nil, false
	}
	return loadSensors(f), true
}
