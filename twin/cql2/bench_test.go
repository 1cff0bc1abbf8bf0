package cql2

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"citytwin/twin"

	"github.com/paulmach/orb"
)

// benchEntities are buildings scattered over a city of about 10 km.
func benchEntities(b *testing.B, n int) []twin.Entity {
	r := rand.New(rand.NewPCG(7, 7))
	out := make([]twin.Entity, n)
	for i := range out {
		x, y := 24.90+r.Float64()*0.15, 60.15+r.Float64()*0.08
		d := 0.0002
		out[i] = twin.Entity{
			ID: twin.ID(fmt.Sprintf("osm:way/%d", i)), Kind: twin.KindBuilding,
			Geometry:  orb.Polygon{{{x, y}, {x + d, y}, {x + d, y + d}, {x, y + d}, {x, y}}},
			Height:    float64(3 + r.IntN(60)),
			Levels:    1 + r.IntN(15),
			ValidFrom: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(r.IntN(2000)) * time.Hour),
			Props: mustProps(b, map[string]any{
				"name":     fmt.Sprintf("%s %d", []string{"Mannerheimintie", "Aleksanterinkatu", "Bulevardi"}[r.IntN(3)], r.IntN(100)),
				"owner":    []string{"city", "Jones Ltd", "private"}[r.IntN(3)],
				"building": []string{"apartments", "office", "retail", "school"}[r.IntN(4)],
				"year":     float64(1850 + r.IntN(175)),
			}),
		}
	}
	return out
}

func BenchmarkMatch(b *testing.B) {
	entities := benchEntities(b, 10_000)
	for _, bc := range []struct{ name, filter string }{
		{"compare", `height > 20 AND building IN ('office', 'retail')`},
		{"typical", `height BETWEEN 10 AND 40 AND "owner" LIKE '%Jones%' AND year >= 1950 AND S_INTERSECTS(geometry, POLYGON((24.92 60.16, 24.99 60.16, 24.99 60.21, 24.92 60.21, 24.92 60.16)))`},
		{"casei", `CASEI(name) LIKE CASEI('bulevardi%') OR kind = 'road'`},
		{"temporal", `T_DURING(validFrom, INTERVAL('2020-02-01', '2020-03-01')) AND levels > 3`},
	} {
		b.Run(bc.name, func(b *testing.B) {
			x, err := Parse(bc.filter)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			matched := 0
			for i := 0; b.Loop(); i++ {
				if x.Match(&entities[i%len(entities)]) {
					matched++
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "entities/s")
			_ = matched
		})
	}
}

func BenchmarkParse(b *testing.B) {
	const filter = `height BETWEEN 10 AND 40 AND "owner" LIKE '%Jones%' AND year >= 1950 AND S_INTERSECTS(geometry, POLYGON((24.92 60.16, 24.99 60.16, 24.99 60.21, 24.92 60.21, 24.92 60.16)))`
	b.ReportAllocs()
	b.SetBytes(int64(len(filter)))
	for b.Loop() {
		if _, err := Parse(filter); err != nil {
			b.Fatal(err)
		}
	}
}
