package web

import (
	"context"
	"math/rand/v2"
	"testing"
	"time"

	"citytwin/twin"

	"github.com/paulmach/orb"
)

func TestLonSpan(t *testing.T) {
	tests := []struct {
		name       string
		in         [][2]float64
		west, east float64
	}{
		{"one point", [][2]float64{{13, 13}}, 13, 13},
		{"city", [][2]float64{{13.4, 13.5}, {13.45, 13.6}, {13.3, 13.35}}, 13.3, 13.6},
		{"fiji", [][2]float64{{179.9, 179.95}, {-179.98, -179.9}}, 179.9, -179.9},
		{"fiji and berlin", [][2]float64{{179.95, 179.95}, {-179.98, -179.98}, {13.41, 13.41}}, 13.41, -179.98},
		{"everywhere", [][2]float64{{-180, 180}}, -180, 180},
		{"two far apart", [][2]float64{{-100, -90}, {90, 100}}, 90, -90},
		{"wide apart", [][2]float64{{-100, -90}, {70, 80}}, -100, 80},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, e := lonSpan(tt.in)
			if w != tt.west || e != tt.east {
				t.Errorf("lonSpan(%v) = %v, %v; want %v, %v", tt.in, w, e, tt.west, tt.east)
			}
		})
	}
}

// TestLonSpanOracle checks against brute force that the span covers every
// interval and that no narrower span starting at an interval's west end does.
func TestLonSpanOracle(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	width := func(w, e float64) float64 {
		if e >= w {
			return e - w
		}
		return e + 360 - w
	}
	covers := func(w, e float64, iv [2]float64) bool {
		if w <= e {
			return w <= iv[0] && iv[1] <= e
		}
		return iv[0] >= w || iv[1] <= e // a west or east part; intervals never cross
	}
	for range 500 {
		n := 1 + rng.IntN(6)
		in := make([][2]float64, n)
		for i := range in {
			a := float64(rng.IntN(360) - 180)
			in[i] = [2]float64{a, min(180, a+float64(rng.IntN(20)))}
		}
		w, e := lonSpan(in)
		for _, iv := range in {
			if !covers(w, e, iv) {
				t.Fatalf("lonSpan(%v) = %v, %v does not cover %v", in, w, e, iv)
			}
		}
		best := width(w, e)
		for _, a := range in {
			for _, b := range in {
				cand := width(a[0], b[1])
				ok := true
				for _, iv := range in {
					ok = ok && covers(a[0], b[1], iv)
				}
				if ok && cand < best-1e-9 {
					t.Fatalf("lonSpan(%v) = %v, %v (width %v); %v, %v is narrower", in, w, e, best, a[0], b[1])
				}
			}
		}
	}
}

func TestExtentCache(t *testing.T) {
	fx := newFixture(t)
	var c extentCache
	ctx := context.Background()
	first, err := c.get(ctx, fx.store, time.Minute, tNow)
	if err != nil {
		t.Fatal(err)
	}
	far := twin.Entity{ID: "osm:way/900", Kind: twin.KindBuilding, Geometry: orb.Polygon{square(14, 53, 0.001)}}
	if _, err := fx.store.Apply(twin.Op{Type: twin.OpUpsert, Entity: &far}); err != nil {
		t.Fatal(err)
	}
	again, _ := c.get(ctx, fx.store, time.Minute, tNow.Add(time.Second))
	if again[twin.KindBuilding].Spatial.BBox[0] != first[twin.KindBuilding].Spatial.BBox[0] {
		t.Error("the cache was not reused within its TTL")
	}
	later, _ := c.get(ctx, fx.store, time.Minute, tNow.Add(2*time.Minute))
	if got := later[twin.KindBuilding].Spatial.BBox[0]; got[2] != 14.001 || got[3] != 53.001 {
		t.Errorf("after the TTL the extent %v does not include the new building", got)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := computeExtents(cancelled, fx.store); err == nil {
		t.Log("computeExtents finished before noticing the cancelled context (small twin)")
	}
}
