package twin

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/paulmach/orb"
)

func TestTrimKeepsRetentionAndLastPosition(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Retention = time.Hour
	s, _ := New(cfg)
	h := int64(time.Hour)
	s.Apply(
		Op{Type: OpUpsert, T: 1, Entity: point("car", KindVehicle, 24.9, 60.1)},
		Op{Type: OpUpsert, T: 1, Entity: point("aq", KindSensor, 24.9, 60.1)},
	)
	var obs []Observation
	var pos []Position
	for i := range 300 { // five hours, a reading a minute
		t := int64(i) * h / 60
		obs = append(obs, Observation{ID: "aq", Metric: "pm25", T: t, V: float64(i)})
		pos = append(pos, Position{ID: "car", T: t, Point: orb.Point{24.9 + float64(i)*1e-5, 60.1}})
	}
	s.Apply(Op{Type: OpObserve, Observations: obs}, Op{Type: OpMove, Positions: pos})
	now := 5 * h
	dropped, err := s.Trim(context.Background(), now)
	if err != nil {
		t.Fatal(err)
	}
	kept, _ := s.Range("aq", "pm25", math.MinInt64, math.MaxInt64)
	if len(kept) != 60 || kept[0].T != 4*h {
		t.Fatalf("kept %d readings from %d, want 60 from %d", len(kept), kept[0].T, 4*h)
	}
	// The car keeps the last position before the cut, so as-of the cut it has one.
	at, err := s.GetAt("car", 4*h)
	if err != nil || at.Geometry.(orb.Point)[0] != Quantise(orb.Point{24.9 + 240e-5, 0})[0] {
		t.Fatalf("car at the cut: %v %v", at.Geometry, err)
	}
	if dropped != 240+239 {
		t.Fatalf("dropped %d, want %d", dropped, 240+239)
	}
	if cur, _ := s.Get("car"); cur.Geometry.(orb.Point)[0] != Quantise(orb.Point{24.9 + 299e-5, 0})[0] {
		t.Fatalf("car now at %v", cur.Geometry)
	}
}
