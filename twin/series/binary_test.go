package series

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"
)

func TestBinaryRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, n := range []int{0, 1, 5, 255, 256, 257, 1000, 5000} {
		s := New()
		var want []Point
		tm := int64(1e18)
		for i := range n {
			tm += int64(1+rng.IntN(3)) * 1e9
			v := math.Round(rng.NormFloat64()*100) / 10
			if i%97 == 3 {
				v = math.NaN()
			}
			s.Append(tm, v)
		}
		// some late points rewrite sealed blocks
		for i := 0; i < n/50; i++ {
			s.Append(int64(1e18)+int64(rng.IntN(n+1))*1e9+5e8, 1)
		}
		want = s.Points(math.MinInt64, math.MaxInt64)
		buf := s.AppendBinary([]byte("prefix"))
		got, used, err := ReadBinary(buf[6:])
		if err != nil {
			t.Fatalf("n=%d: %v", n, err)
		}
		if used != len(buf)-6 {
			t.Errorf("n=%d: used %d of %d bytes", n, used, len(buf)-6)
		}
		pts := got.Points(math.MinInt64, math.MaxInt64)
		if len(pts) != len(want) || got.Len() != s.Len() || got.Blocks() != s.Blocks() {
			t.Fatalf("n=%d: %d points, %d blocks; want %d, %d", n, len(pts), got.Blocks(), len(want), s.Blocks())
		}
		for i := range pts {
			if pts[i].T != want[i].T || math.Float64bits(pts[i].V) != math.Float64bits(want[i].V) {
				t.Fatalf("n=%d: point %d = %v, want %v", n, i, pts[i], want[i])
			}
		}
		if gs, ws := got.Summarize(math.MinInt64, math.MaxInt64, false), s.Summarize(math.MinInt64, math.MaxInt64, false); gs.Count != ws.Count || gs.Sum != ws.Sum {
			t.Errorf("n=%d: summary %+v, want %+v", n, gs, ws)
		}
		// appending after a load keeps working
		got.Append(tm+1e9, 42)
		if p, ok := got.Last(); !ok || p.V != 42 {
			t.Errorf("n=%d: append after load: last = %v", n, p)
		}
	}
}

func TestReadBinaryRejectsDamage(t *testing.T) {
	s := New()
	for i := range 600 {
		s.Append(int64(i)*1e9, float64(i%7))
	}
	good := s.AppendBinary(nil)
	for cut := 0; cut < len(good); cut += 7 {
		if _, _, err := ReadBinary(good[:cut]); !errors.Is(err, ErrCorruptSeries) {
			t.Fatalf("cut at %d of %d: err = %v, want ErrCorruptSeries", cut, len(good), err)
		}
	}
}
