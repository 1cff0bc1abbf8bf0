package render

import (
	"context"
	"slices"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"
)

// Every layer's tiles decode with orb's MVT decoder (an implementation this
// package does not share code with) to the features our strict decoder reads:
// the same ids, types and attributes, and the same vertices.
func TestTilesDecodeWithOrb(t *testing.T) {
	store, city := loadDemo(t)
	centre := city.Config.Center
	for _, c := range []struct {
		layer string
		z     int
		opts  TileOptions
	}{
		{"buildings", 15, TileOptions{}},
		{"buildings", 17, TileOptions{Gzip: true}},
		{"roads", 13, TileOptions{}},
		{"roads", 15, TileOptions{Gzip: true}},
		{"sensors", 14, TileOptions{}},
		{"vehicles", 13, TileOptions{}},
		{"h3", 13, TileOptions{Metric: "pm25", Res: ResAuto}},
	} {
		for _, tile := range tilesAround(centre, c.z) {
			b, err := Tile(context.Background(), store, c.layer, int(tile.Z), int(tile.X), int(tile.Y), c.opts)
			if err != nil {
				t.Fatalf("%s %v: %v", c.layer, tile, err)
			}
			var layers mvt.Layers
			if c.opts.Gzip {
				layers, err = mvt.UnmarshalGzipped(b)
			} else {
				layers, err = mvt.Unmarshal(b)
			}
			if err != nil {
				t.Fatalf("%s %v: orb cannot decode: %v", c.layer, tile, err)
			}
			raw := b
			if c.opts.Gzip {
				plain := c.opts
				plain.Gzip = false
				if raw, err = Tile(context.Background(), store, c.layer, int(tile.Z), int(tile.X), int(tile.Y), plain); err != nil {
					t.Fatal(err)
				}
			}
			ours, err := decodeTile(raw)
			if err != nil {
				t.Fatal(err)
			}
			want := ours[c.layer]
			if want == nil {
				if len(layers) != 0 && len(layers[0].Features) != 0 {
					t.Fatalf("%s %v: orb finds %d features in a tile we decode as empty", c.layer, tile, len(layers[0].Features))
				}
				continue
			}
			if len(layers) != 1 || layers[0].Name != c.layer || layers[0].Version != 2 || layers[0].Extent != uint32(want.Extent) {
				t.Fatalf("%s %v: orb reads %d layers %+v", c.layer, tile, len(layers), layers)
			}
			got := layers[0].Features
			if len(got) != len(want.Features) {
				t.Fatalf("%s %v: orb %d features, ours %d", c.layer, tile, len(got), len(want.Features))
			}
			for i, f := range got {
				w := want.Features[i]
				if !sameValue(f.ID, w.ID) {
					t.Fatalf("%s %v feature %d: orb id %v, ours %d", c.layer, tile, i, f.ID, w.ID)
				}
				for k, v := range w.Props {
					if ov, ok := f.Properties[k]; !ok || !sameValue(ov, v) {
						t.Fatalf("%s %v feature %d: %s = %v (orb) vs %v (ours)", c.layer, tile, i, k, f.Properties[k], v)
					}
				}
				if len(f.Properties) != len(w.Props) {
					t.Fatalf("%s %v feature %d: orb %d attributes, ours %d", c.layer, tile, i, len(f.Properties), len(w.Props))
				}
				if gotPts, wantPts := vertices(f.Geometry), featureVertices(w); !slices.Equal(gotPts, wantPts) {
					t.Fatalf("%s %v feature %d: orb vertices %v, ours %v", c.layer, tile, i, gotPts, wantPts)
				}
			}
		}
	}
}

// sameValue compares an attribute as orb decodes it with ours (orb reads
// every integer as float64 or int64, ours keeps the wire's type).
func sameValue(a, b any) bool {
	num := func(x any) (float64, bool) {
		switch v := x.(type) {
		case float64:
			return v, true
		case float32:
			return float64(v), true
		case int64:
			return float64(v), true
		case uint64:
			return float64(v), true
		case int:
			return float64(v), true
		}
		return 0, false
	}
	if x, ok := num(a); ok {
		y, ok := num(b)
		return ok && x == y
	}
	return a == b
}

// vertices lists a geometry's points in order (orb's decoder leaves them in
// tile units when no projection is applied).
func vertices(g orb.Geometry) []orb.Point {
	var out []orb.Point
	switch v := g.(type) {
	case orb.Point:
		out = append(out, v)
	case orb.MultiPoint:
		out = append(out, v...)
	case orb.LineString:
		out = append(out, v...)
	case orb.MultiLineString:
		for _, l := range v {
			out = append(out, l...)
		}
	case orb.Polygon:
		for _, r := range v {
			out = append(out, r...)
		}
	case orb.MultiPolygon:
		for _, p := range v {
			for _, r := range p {
				out = append(out, r...)
			}
		}
	}
	return out
}

func featureVertices(f decodedFeature) []orb.Point {
	var out []orb.Point
	out = append(out, f.Points...)
	for _, l := range f.Lines {
		out = append(out, l...)
	}
	for _, r := range f.Rings {
		out = append(out, r...)
	}
	return out
}
