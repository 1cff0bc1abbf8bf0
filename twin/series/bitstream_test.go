package series

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestBitstreamRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	type item struct {
		v uint64
		n uint
	}
	var items []item
	var w bitWriter
	for range 5000 {
		n := uint(rng.IntN(65))
		v := rng.Uint64()
		if n < 64 {
			v &= 1<<n - 1
		}
		items = append(items, item{v, n})
		w.writeBits(v, n)
	}
	data := w.bytes()
	var r bitReader
	r.reset(data)
	for i, it := range items {
		var got uint64
		if it.n == 1 {
			got = r.readBit()
		} else {
			got = r.readBits(it.n)
		}
		if got != it.v {
			t.Fatalf("item %d (%d bits): got %x, want %x", i, it.n, got, it.v)
		}
	}
	if r.bad {
		t.Fatal("reader ran past the end")
	}
	// Reading on past the padding must fail, not panic.
	for range 10 {
		r.readBits(64)
	}
	if !r.bad {
		t.Fatal("reading past the end did not set bad")
	}
}

func TestZigzag(t *testing.T) {
	for _, x := range []int64{0, -1, 1, -2, 2, math.MaxInt64, math.MinInt64, 123456789, -987654321} {
		if got := unzigzag(zigzag(x)); got != x {
			t.Errorf("unzigzag(zigzag(%d)) = %d", x, got)
		}
	}
	if zigzag(-1) != 1 || zigzag(1) != 2 {
		t.Errorf("zigzag(-1), zigzag(1) = %d, %d, want 1, 2", zigzag(-1), zigzag(1))
	}
}

func TestIntCodeRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		zs   []uint64
	}{
		{"zeros", []uint64{0, 0, 0}},
		{"small", []uint64{1, 2, 3, 0, 7}},
		{"outliers", []uint64{1, 2, 1 << 40, 3, 0, math.MaxUint64}},
		{"max", []uint64{math.MaxUint64, math.MaxUint64}},
		{"empty", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := chooseIntCode(tt.zs)
			if !c.valid() {
				t.Fatalf("chose invalid code %+v", c)
			}
			var w bitWriter
			for _, z := range tt.zs {
				c.put(&w, z)
			}
			var r bitReader
			r.reset(w.bytes())
			for i, want := range tt.zs {
				if got := c.get(&r); got != want {
					t.Fatalf("value %d: got %d, want %d (code %+v)", i, got, want, c)
				}
			}
			if r.bad {
				t.Fatal("ran past the end")
			}
		})
	}
}

func TestChooseIntCodeMinimises(t *testing.T) {
	zs := []uint64{0, 0, 1, 3, 2, 1, 1000, 3, 1}
	c := chooseIntCode(zs)
	cost := func(c intCode) int {
		var w bitWriter
		for _, z := range zs {
			c.put(&w, z)
		}
		return len(w.buf)*8 + int(w.n)
	}
	best := cost(c)
	for w1 := uint8(1); w1 <= c.w2; w1++ {
		if got := cost(intCode{w1, c.w2}); got < best {
			t.Errorf("w1=%d codes in %d bits, chosen w1=%d in %d", w1, got, c.w1, best)
		}
	}
}
