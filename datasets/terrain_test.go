package datasets

import (
	"context"
	"testing"

	"citytwin/geo/crs"
)

// The terrain covers the city in its UTM zone, lies low in the centre and
// high at the edges, and is the same for the same seed.
func TestTerrain(t *testing.T) {
	cfg := Demo()
	cfg.Buildings, cfg.Sensors, cfg.Vehicles, cfg.Buses, cfg.Routes = 300, 0, 0, 0, 0
	city, err := Generate(context.Background(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	g, err := city.Terrain(20, 200)
	if err != nil {
		t.Fatal(err)
	}
	if g.CRS != "EPSG:32635" {
		t.Fatalf("CRS %s; Harbourton (24.94° E) lies in UTM zone 35N", g.CRS)
	}
	tr, _ := crs.For(g.CRS)
	b := g.Bounds()
	for _, road := range city.Roads {
		for _, p := range road.Line {
			q, _ := tr.FromLonLat(p)
			if !b.Contains(q) {
				t.Fatalf("road point %v outside the terrain %v", p, b)
			}
		}
	}
	centre, _ := tr.FromLonLat(city.Config.Center)
	zc, _ := g.Value(centre)
	corner, _ := g.Value(b.Min)
	if !(zc < 6 && corner > zc+5) {
		t.Fatalf("centre %.1f m, corner %.1f m: want a bowl", zc, corner)
	}
	again, _ := city.Terrain(20, 200)
	for i := range g.Values {
		if g.Values[i] != again.Values[i] {
			t.Fatal("the terrain differs between two calls")
		}
	}
}
