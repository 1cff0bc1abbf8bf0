package twin

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

func TestIDTableFindsEveryIDAndNoOther(t *testing.T) {
	tab := newIDTable()
	r := rand.New(rand.NewPCG(1, 1))
	want := map[ID]uint32{}
	for i := range 200_000 {
		// ids of varied lengths, some long enough to fill chunks unevenly
		id := ID(fmt.Sprintf("src:%d/%s", i, strings.Repeat("x", r.IntN(40))))
		if i%1000 == 0 {
			id = ID(strings.Repeat("y", MaxIDLen-10) + fmt.Sprint(i))
		}
		want[id] = tab.add(id)
	}
	for id, slot := range want {
		got, ok := tab.lookup(id)
		if !ok || got != slot || tab.id(slot) != id {
			t.Fatalf("%q: slot %d %v, want %d", id, got, ok, slot)
		}
	}
	for i := range 1000 {
		if _, ok := tab.lookup(ID(fmt.Sprintf("missing:%d", i))); ok {
			t.Fatalf("found an id never added")
		}
	}
	if tab.len() != len(want) {
		t.Fatalf("len %d, want %d", tab.len(), len(want))
	}
}
