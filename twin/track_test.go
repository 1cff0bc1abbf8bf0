package twin

import (
	"errors"
	"testing"

	"github.com/paulmach/orb"
)

func TestTrackReturnsPositionsInTimeOrder(t *testing.T) {
	s, err := New(DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	bus := &Entity{ID: "bus:1", Kind: "vehicle", Geometry: orb.Point{24.9, 60.1}}
	if _, err := s.Apply(Op{Type: OpUpsert, T: 1, Entity: bus}); err != nil {
		t.Fatal(err)
	}
	// Out of order, and a later report of the same instant.
	ts := []int64{50, 10, 30, 20, 30}
	for i, ti := range ts {
		p := orb.Point{24.9 + float64(i)*1e-3, 60.1}
		if _, err := s.Apply(Op{Type: OpMove, Positions: []Position{{ID: "bus:1", T: ti, Point: p}}}); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.Track("bus:1", 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	wantT := []int64{10, 20, 30, 50}
	if len(got) != len(wantT) {
		t.Fatalf("track %v, want times %v", got, wantT)
	}
	for i, p := range got {
		if p.T != wantT[i] || p.ID != "bus:1" {
			t.Fatalf("sample %d = %+v, want t %d", i, p, wantT[i])
		}
	}
	if got[2].Point[0] != 24.904 { // the later report of t=30 wins
		t.Errorf("t=30 at %v, want lon 24.904", got[2].Point)
	}
	if win, _ := s.Track("bus:1", 20, 50); len(win) != 2 || win[0].T != 20 || win[1].T != 30 {
		t.Errorf("window [20,50): %+v", win)
	}
	if _, err := s.Track("nobody", 0, 1); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown entity: %v", err)
	}
}
