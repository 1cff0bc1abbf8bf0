package flood

import (
	"context"
	"math"
	"testing"

	"citytwin/geo/raster"
)

// lake fills bumpyBowl with still water up to stage (m) and returns the model.
func lake(t *testing.T, stage float64, theta float64, round bool) *Model {
	t.Helper()
	dem := bumpyBowl(t, 50, 40, 3)
	if !round {
		for k, v := range dem.Values {
			dem.Values[k] = v + float32(0.001*math.Sin(float64(k)))
		}
	}
	depth, err := raster.New(dem.Width, dem.Height, dem.CellX, dem.CellY, dem.OriginX, dem.OriginY)
	if err != nil {
		t.Fatal(err)
	}
	wet := 0
	for k, z := range dem.Values {
		if d := float32(stage) - z; d > 0 {
			depth.Values[k] = d
			wet++
		}
	}
	if wet == 0 || wet == len(dem.Values) {
		t.Fatalf("lake covers %d of %d cells; want shores", wet, len(dem.Values))
	}
	cfg := DefaultConfig()
	cfg.DEM, cfg.InitialDepth, cfg.Theta, cfg.Manning = dem, depth, theta, 0.01
	m, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Run(context.Background(), 900, nil); err != nil {
		t.Fatal(err)
	}
	return m
}

// TestStillLake: a lake at rest over irregular ground with islands and shores
// stays at rest (the scheme is well balanced: no spurious flow from the
// terrain). With ground and depths on a 1/64 m grain the surface is exactly
// flat in floating point and nothing may move at all; with arbitrary values it
// is flat to float32 round-off and may move only at that level.
func TestStillLake(t *testing.T) {
	for _, tc := range []struct {
		name            string
		round           bool
		theta           float64
		maxSpeed, maxDh float64
	}{
		{"exact theta=1", true, 1, 0, 0},
		{"exact theta=0.8", true, 0.8, 0, 0},
		{"float32 theta=0.8", false, 0.8, 1e-6, 1e-6},
		{"float32 theta=1", false, 1, 1e-6, 1e-6},
	} {
		t.Run(tc.name, func(t *testing.T) {
			const stage = 1.5
			m := lake(t, stage, tc.theta, tc.round)
			var speed, dh float64
			for k := range m.h {
				if m.ter.wall[k] {
					continue
				}
				if m.h[k] >= m.cfg.SpeedDepth || tc.round {
					u, v := m.velocity(k)
					speed = math.Max(speed, math.Hypot(u, v))
				}
				want := 0.0
				if d := float32(stage) - float32(m.ter.z[k]); d > 0 && tc.round {
					want = float64(d)
				}
				if tc.round {
					dh = math.Max(dh, math.Abs(m.h[k]-want))
				} else if m.h[k] >= 1e-3 {
					dh = math.Max(dh, math.Abs(m.ter.z[k]+m.h[k]-stage))
				}
			}
			t.Logf("after %d steps to %.0f s: max speed %.3g m/s, max surface departure %.3g m", m.Steps(), m.Time(), speed, dh)
			if speed > tc.maxSpeed || dh > tc.maxDh {
				t.Errorf("lake moved: speed %.3g m/s (max %.3g), surface %.3g m (max %.3g)", speed, tc.maxSpeed, dh, tc.maxDh)
			}
		})
	}
}
