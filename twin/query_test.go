package twin

import (
	"context"
	"math/rand/v2"
	"slices"
	"testing"

	"citytwin/geo"

	"github.com/paulmach/orb"
)

func ids(es []Entity) []ID {
	out := make([]ID, len(es))
	for i, e := range es {
		out[i] = e.ID
	}
	return out
}

// places are the worlds the property tests run in: a city, a wide region, the
// antimeridian and the poles.
var places = []struct {
	name   string
	center orb.Point
	span   float64
}{
	{"helsinki", orb.Point{24.94, 60.17}, 0.05},
	{"region", orb.Point{4.36, 52.0}, 1.5},
	{"antimeridian", orb.Point{179.98, -16.5}, 0.05},
	{"north-pole", orb.Point{10, 89.97}, 0.05},
	{"south-pole", orb.Point{-60, -89.98}, 0.04},
}

func TestQueryMatchesOracle(t *testing.T) {
	for _, pl := range places {
		t.Run(pl.name, func(t *testing.T) {
			for _, seed := range []uint64{42, 43, 44} {
				w := newWorld(t, seed, pl.center, pl.span)
				ctx := context.Background()
				for round := range 6 {
					for range 150 {
						w.step()
					}
					for i := range 60 {
						q := w.query()
						got, err := w.s.Query(ctx, q)
						if err != nil {
							t.Fatalf("round %d query %d %+v: %v", round, i, q, err)
						}
						want := w.o.query(q)
						if !slices.Equal(ids(got.Entities), want) {
							t.Fatalf("seed %d round %d query %d %+v:\n got %v\nwant %v", seed, round, i, q, ids(got.Entities), want)
						}
						if got.Matched != len(want) {
							t.Fatalf("matched %d, want %d", got.Matched, len(want))
						}
						for _, e := range got.Entities {
							oe, _ := w.o.at(e.ID, q.At)
							if e.Kind != oe.Kind || !orb.Equal(e.Geometry, oe.Geometry) || !slices.Equal(e.Props, oe.Props) || e.Moving != oe.Moving {
								t.Fatalf("entity %s at %d:\n got %+v\nwant %+v", e.ID, q.At, e, oe)
							}
						}
					}
				}
			}
		})
	}
}

func TestPagingVisitsEveryMatchOnce(t *testing.T) {
	w := newWorld(t, 7, orb.Point{24.94, 60.17}, 0.05)
	for range 500 {
		w.step()
	}
	ctx := context.Background()
	for i := range 30 {
		q := w.query()
		want := w.o.query(q)
		q.Limit = 1 + w.r.IntN(17)
		var got []ID
		for page := 0; ; page++ {
			res, err := w.s.Query(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			if res.Matched != len(want) {
				t.Fatalf("query %d page %d: matched %d, want %d", i, page, res.Matched, len(want))
			}
			if len(res.Entities) > q.Limit {
				t.Fatalf("page of %d > limit %d", len(res.Entities), q.Limit)
			}
			got = append(got, ids(res.Entities)...)
			if res.Next == "" {
				break
			}
			q.After = res.Next
		}
		if !slices.Equal(got, want) {
			t.Fatalf("query %d: paged %v, want %v", i, got, want)
		}
	}
}

func TestNearestMatchesOracle(t *testing.T) {
	for _, pl := range places {
		t.Run(pl.name, func(t *testing.T) {
			w := newWorld(t, 99, pl.center, pl.span)
			ctx := context.Background()
			for round := range 5 {
				for range 150 {
					w.step()
				}
				for i := range 40 {
					q := w.query()
					if w.r.IntN(2) == 0 { // mostly unconstrained k-nearest
						q = Query{At: q.At, Kinds: q.Kinds, Where: q.Where}
					}
					k := 1 + w.r.IntN(12)
					p := w.point()
					got, err := w.s.Nearest(ctx, p, k, q)
					if err != nil {
						t.Fatal(err)
					}
					wantIDs, wantD := w.o.nearest(p, k, q)
					if len(got) != len(wantIDs) {
						t.Fatalf("round %d query %d: %d neighbours, want %d", round, i, len(got), len(wantIDs))
					}
					for j, n := range got {
						if !approxEqual(n.Distance, wantD[j]) {
							t.Fatalf("round %d query %d: neighbour %d at %v m, want %v m (%s vs %s)", round, i, j, n.Distance, wantD[j], n.Entity.ID, wantIDs[j])
						}
						if n.Entity.ID != wantIDs[j] && n.Distance != wantD[j] {
							t.Fatalf("neighbour %d is %s, want %s", j, n.Entity.ID, wantIDs[j])
						}
					}
				}
			}
		})
	}
}

func TestGetAtFollowsVersions(t *testing.T) {
	w := newWorld(t, 3, orb.Point{24.94, 60.17}, 0.05)
	for range 800 {
		w.step()
	}
	for _, id := range w.o.order {
		for _, at := range append([]int64{0}, w.times...) {
			got, err := w.s.GetAt(id, at)
			want, ok := w.o.at(id, at)
			if ok != (err == nil) {
				t.Fatalf("%s at %d: err %v, oracle exists=%v", id, at, err, ok)
			}
			if ok && (!orb.Equal(got.Geometry, want.Geometry) || !slices.Equal(got.Props, want.Props)) {
				t.Fatalf("%s at %d:\n got %+v\nwant %+v", id, at, got, want)
			}
		}
		hist, err := w.s.History(id)
		if err != nil || len(hist) != len(w.o.versions[id]) {
			t.Fatalf("%s: %d versions (%v), want %d", id, len(hist), err, len(w.o.versions[id]))
		}
		for i, h := range hist {
			if h.Version != uint64(i+1) {
				t.Fatalf("%s: version %d numbered %d", id, i+1, h.Version)
			}
		}
	}
}

// TestBoxRelateMatchesIntersects holds the bbox fast path to the exact test:
// whenever it is sure, geo.Intersects agrees. Coordinates come from a small
// grid (vertices on box edges and corners, collinear edges) or anywhere in a
// city, where floating point cannot tell a corner from an edge.
func TestBoxRelateMatchesIntersects(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 8))
	grid := func() orb.Point { return orb.Point{float64(r.IntN(9)), float64(r.IntN(9))} }
	city := func() orb.Point { return orb.Point{24.94 + r.Float64()*1e-3, 60.17 + r.Float64()*1e-3} }
	for _, world := range []struct {
		name string
		pt   func() orb.Point
	}{{"grid", grid}, {"city", city}} {
		t.Run(world.name, func(t *testing.T) {
			pt := world.pt
			pts := func() []orb.Point {
				ps := make([]orb.Point, r.IntN(6))
				for i := range ps {
					ps[i] = pt()
				}
				return ps
			}
			poly := func() orb.Polygon {
				p := orb.Polygon{}
				for range r.IntN(3) {
					ring := orb.Ring(pts())
					if len(ring) > 0 && r.IntN(2) == 0 {
						ring = append(ring, ring[0])
					}
					p = append(p, ring)
				}
				return p
			}
			sure, hits := 0, 0
			for range 100_000 {
				var g orb.Geometry
				switch r.IntN(6) {
				case 0:
					g = poly()
				case 1:
					g = orb.MultiPolygon{poly(), poly()}
				case 2:
					g = orb.LineString(pts())
				case 3:
					g = orb.MultiLineString{pts(), pts()}
				case 4:
					g = orb.MultiPoint(pts())
				default:
					g = orb.Ring(pts())
				}
				a, b := pt(), pt()
				box := orb.Bound{Min: orb.Point{min(a[0], b[0]), min(a[1], b[1])}, Max: orb.Point{max(a[0], b[0]), max(a[1], b[1])}}
				hit, ok := boxRelate(g, box)
				if !ok {
					continue
				}
				sure++
				if hit {
					hits++
				}
				if want := geo.Intersects(g, box); hit != want {
					t.Fatalf("boxRelate(%v, %v) = %v, geo.Intersects = %v", g, box, hit, want)
				}
				if got := intersectsBox(g, box); got != hit {
					t.Fatalf("intersectsBox(%v, %v) = %v, want %v", g, box, got, hit)
				}
			}
			if sure < 30_000 || hits < 10_000 || sure-hits < 5_000 {
				t.Fatalf("%d sure, %d hits: the test does not test", sure, hits)
			}
		})
	}
}
