package flood

import (
	"bytes"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/paulmach/orb"
)

// randomCase builds a small random model from a seed: terrain, roughness,
// edges, θ, rain, inflow and a wall.
func randomCase(t testing.TB, seed uint64, workers int) Config {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 11))
	w, h := 8+rng.IntN(30), 8+rng.IntN(30)
	dem := bumpyBowl(t, w, h, seed)
	tilt := rng.Float64() * 0.05
	for k := range dem.Values {
		dem.Values[k] += float32(tilt * float64(k%w))
	}
	if rng.IntN(3) == 0 {
		dem.HasNoData, dem.NoData = true, -9999
		dem.Values[rng.IntN(len(dem.Values))] = -9999
	}
	cfg := DefaultConfig()
	cfg.DEM, cfg.Workers = dem, workers
	cfg.Manning = 0.01 + 0.08*rng.Float64()
	cfg.Theta = 0.6 + 0.4*rng.Float64()
	cfg.Alpha = 0.3 + 0.4*rng.Float64()
	cfg.Interval = []float64{0.5, 1, 7}[rng.IntN(3)]
	kinds := []EdgeKind{Closed, Free, FixedDepth}
	edge := func() Edge {
		k := kinds[rng.IntN(3)]
		return Edge{Kind: k, Depth: Series{Times: []float64{0, 50}, Values: []float64{rng.Float64() * 0.5, rng.Float64() * 0.5}}}
	}
	cfg.Edges = Edges{North: edge(), East: edge(), South: edge(), West: edge()}
	b := dem.Bounds()
	cfg.Rain = []Rain{{Intensity: Series{Times: []float64{0, 30, 90}, Values: []float64{rng.Float64() * 300, rng.Float64() * 300, 0}}}}
	cfg.Inflows = []Inflow{{At: orb.Point{b.Min[0] + rng.Float64()*(b.Max[0]-b.Min[0]), b.Min[1] + rng.Float64()*(b.Max[1]-b.Min[1])},
		Radius: 3, Discharge: Constant(rng.Float64())}}
	return cfg
}

// checkInvariants runs a case and checks what must hold whatever the input:
// depths finite and non-negative, walls dry, the budget closed to round-off,
// maxima at least the present, and the same bytes on 1 and 2 workers.
func checkInvariants(t *testing.T, seed uint64) {
	cfg := randomCase(t, seed, 1)
	m, err := New(cfg)
	if err != nil {
		t.Fatalf("seed %d: %v", seed, err)
	}
	runTo(t, m, 120)
	for k, h := range m.h {
		if !(h >= 0) || math.IsInf(h, 0) {
			t.Fatalf("seed %d: cell %d depth %v", seed, k, h)
		}
		if m.ter.wall[k] && h != 0 {
			t.Fatalf("seed %d: wall %d holds %v m", seed, k, h)
		}
		if m.maxDepth[k] < h {
			t.Fatalf("seed %d: cell %d max depth %v below depth %v", seed, k, m.maxDepth[k], h)
		}
		for i := range m.first {
			if ft := m.first[i][k]; ft > m.Time() || (ft < 0) != (m.maxDepth[k] < m.cfg.Thresholds[i]) {
				t.Fatalf("seed %d: cell %d threshold %d first at %v, max depth %v", seed, k, i, ft, m.maxDepth[k])
			}
		}
	}
	bal := m.Balance()
	if e := math.Abs(bal.RelativeError()); e > 1e-12 {
		t.Fatalf("seed %d: balance relative error %.2e: %+v", seed, e, bal)
	}
	par, err := New(randomCase(t, seed, 2))
	if err != nil {
		t.Fatal(err)
	}
	runTo(t, par, 120)
	if !bytes.Equal(stateBytes(t, m), stateBytes(t, par)) {
		t.Fatalf("seed %d: 2 workers differ from 1", seed)
	}
}

func TestRandomCasesInvariants(t *testing.T) {
	n := uint64(40)
	if testing.Short() {
		n = 8
	}
	for seed := uint64(1); seed <= n; seed++ {
		checkInvariants(t, seed)
	}
}

func FuzzModel(f *testing.F) {
	for _, s := range []uint64{1, 2, 99, 12345} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, seed uint64) { checkInvariants(t, seed) })
}
