package flood

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/paulmach/orb"
)

// stormConfig is a small case with everything switched on: rain, an inflow,
// a building, free and fixed-depth edges, gauges.
func stormConfig(t testing.TB, workers int) Config {
	t.Helper()
	dem := bumpyBowl(t, 70, 50, 5)
	b := dem.Bounds()
	cfg := DefaultConfig()
	cfg.DEM, cfg.Workers, cfg.Interval = dem, workers, 5
	cfg.Rain = []Rain{{Intensity: Series{Times: []float64{0, 60, 120}, Values: []float64{0, 200, 50}}}}
	cfg.Inflows = []Inflow{{ID: "culvert", At: orb.Point{b.Min[0] + 30, b.Max[1] - 30}, Radius: 4, Discharge: Constant(1.5)}}
	cfg.Buildings = []Building{
		{ID: "hall", Footprint: orb.Polygon{{{b.Min[0] + 60, b.Min[1] + 40}, {b.Min[0] + 80, b.Min[1] + 40}, {b.Min[0] + 80, b.Min[1] + 55}, {b.Min[0] + 60, b.Min[1] + 40}}}},
		{ID: "shed", Height: 2.5, Footprint: orb.Polygon{{{b.Min[0] + 20, b.Min[1] + 20}, {b.Min[0] + 30, b.Min[1] + 20}, {b.Min[0] + 30, b.Min[1] + 30}, {b.Min[0] + 20, b.Min[1] + 30}, {b.Min[0] + 20, b.Min[1] + 20}}}},
	}
	cfg.Edges = Edges{East: Edge{Kind: Free}, South: Edge{Kind: FixedDepth, Depth: Series{Times: []float64{0, 200}, Values: []float64{0, 0.4}}}}
	cfg.Gauges = []Gauge{{ID: "g1", At: orb.Point{b.Min[0] + 70, b.Min[1] + 50}}, {ID: "g2", At: orb.Point{b.Min[0] + 41, b.Min[1] + 33}}}
	return cfg
}

func runTo(t testing.TB, m *Model, until float64) {
	t.Helper()
	if err := m.Run(context.Background(), until, nil); err != nil {
		t.Fatal(err)
	}
}

// TestDeterminism: the same inputs give byte-identical states whatever the
// number of workers, and stopping, saving, restoring into a new model and
// continuing gives the same bytes as one uninterrupted run.
func TestDeterminism(t *testing.T) {
	const mid, end = 150, 300
	ref, err := New(stormConfig(t, 1))
	if err != nil {
		t.Fatal(err)
	}
	runTo(t, ref, end)
	want := stateBytes(t, ref)
	if bal := ref.Balance(); bal.BoundaryIn == 0 || bal.BoundaryOut == 0 || bal.Rain == 0 {
		t.Fatalf("case does not exercise the boundaries and rain: %+v", bal)
	}

	for _, workers := range []int{2, 3, 8} {
		m, err := New(stormConfig(t, workers))
		if err != nil {
			t.Fatal(err)
		}
		runTo(t, m, end)
		if got := stateBytes(t, m); !bytes.Equal(got, want) {
			t.Errorf("%d workers: state differs from 1 worker", workers)
		}
	}

	first, err := New(stormConfig(t, 2))
	if err != nil {
		t.Fatal(err)
	}
	runTo(t, first, mid)
	saved := stateBytes(t, first)
	var s State
	if err := s.UnmarshalBinary(saved); err != nil {
		t.Fatal(err)
	}
	second, err := New(stormConfig(t, 2))
	if err != nil {
		t.Fatal(err)
	}
	if err := second.Restore(&s); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(stateBytes(t, second), saved) {
		t.Fatal("restored state does not encode to the saved bytes")
	}
	runTo(t, second, end)
	if got := stateBytes(t, second); !bytes.Equal(got, want) {
		t.Errorf("save at %v s, restore, continue to %v s: state differs from an uninterrupted run", float64(mid), float64(end))
	}
	// The first model, continued in place, too.
	runTo(t, first, end)
	if got := stateBytes(t, first); !bytes.Equal(got, want) {
		t.Error("stop and continue in place differs from an uninterrupted run")
	}
	for _, f := range []Field{Depth, MaxDepth, MaxSpeed, TimeOfMaxDepth} {
		a, _ := ref.Grid(f)
		b, _ := second.Grid(f)
		for k := range a.Values {
			if a.Values[k] != b.Values[k] {
				t.Fatalf("field %d differs at %d", f, k)
			}
		}
	}
}

func TestRestoreRejects(t *testing.T) {
	m, err := New(stormConfig(t, 1))
	if err != nil {
		t.Fatal(err)
	}
	other := DefaultConfig()
	other.DEM = bumpyBowl(t, 10, 10, 1)
	small, err := New(other)
	if err != nil {
		t.Fatal(err)
	}
	neg := m.State()
	neg.Depth[3] = -1
	for name, s := range map[string]*State{"nil": nil, "other grid": small.State(), "negative depth": neg} {
		if err := m.Restore(s); !errors.Is(err, ErrState) {
			t.Errorf("%s: err = %v, want ErrState", name, err)
		}
	}
	b := stateBytes(t, m)
	for _, bad := range [][]byte{nil, []byte("nope"), b[:len(b)-1], append(append([]byte{}, b...), 0)} {
		var s State
		if err := s.UnmarshalBinary(bad); !errors.Is(err, ErrState) {
			t.Errorf("UnmarshalBinary(%d bytes) = %v, want ErrState", len(bad), err)
		}
	}
}

// FuzzStateUnmarshal: no input makes the decoder panic or allocate beyond
// its size, and what it accepts encodes back to the same bytes.
func FuzzStateUnmarshal(f *testing.F) {
	m, err := New(stormConfig(f, 1))
	if err != nil {
		f.Fatal(err)
	}
	runTo(f, m, 20)
	f.Add(stateBytes(f, m))
	f.Add([]byte(stateMagic))
	f.Fuzz(func(t *testing.T, data []byte) {
		var s State
		if err := s.UnmarshalBinary(data); err != nil {
			return
		}
		got, err := s.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, data) {
			t.Fatal("round trip changed the bytes")
		}
	})
}
