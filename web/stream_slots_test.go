package web

import (
	"math/rand/v2"
	"testing"
)

// The table against a map, through random puts, deletes and resets.
func TestSlotTable(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	for _, span := range []uint32{8, 100, 5000, 1 << 31} {
		var tab slotTable
		want := map[uint32]int32{}
		for i := range 20000 {
			s := rng.Uint32N(span)
			switch r := rng.IntN(100); {
			case r < 55:
				v := rng.Int32()
				tab.put(s, v)
				want[s] = v
			case r < 99:
				tab.del(s)
				delete(want, s)
			default:
				tab.reset()
				clear(want)
			}
			if i%97 == 0 || span == 8 {
				if tab.Len() != len(want) {
					t.Fatalf("span %d step %d: %d entries, want %d", span, i, tab.Len(), len(want))
				}
				for k, v := range want {
					if got, ok := tab.get(k); !ok || got != v {
						t.Fatalf("span %d step %d: slot %d = %d, %v; want %d", span, i, k, got, ok, v)
					}
				}
				n := 0
				tab.each(func(k uint32, v int32) {
					n++
					if want[k] != v {
						t.Fatalf("span %d: each gave %d = %d, want %d", span, k, v, want[k])
					}
				})
				if n != len(want) {
					t.Fatalf("span %d: each gave %d, want %d", span, n, len(want))
				}
			}
		}
	}
}
