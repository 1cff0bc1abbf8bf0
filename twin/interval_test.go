package twin

import (
	"context"
	"errors"
	"math"
	"slices"
	"testing"
	"time"

	"citytwin/twin/series"

	"github.com/paulmach/orb"
)

func TestIntervalQueryMatchesOracle(t *testing.T) {
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
						q.At, q.Until = w.interval()
						want, when := w.o.during(q)
						if w.r.IntN(3) == 0 {
							q.Limit = 1 + w.r.IntN(9)
						}
						var got []Entity
						for page := 0; ; page++ {
							res, err := w.s.Query(ctx, q)
							if err != nil {
								t.Fatalf("seed %d round %d query %d %+v: %v", seed, round, i, q, err)
							}
							if res.Matched != len(want) {
								t.Fatalf("seed %d round %d query %d page %d: matched %d, want %d", seed, round, i, page, res.Matched, len(want))
							}
							if q.Limit > 0 && len(res.Entities) > q.Limit {
								t.Fatalf("page of %d > limit %d", len(res.Entities), q.Limit)
							}
							got = append(got, res.Entities...)
							if res.Next == "" {
								break
							}
							q.After = res.Next
						}
						if !slices.Equal(ids(got), want) {
							t.Fatalf("seed %d round %d query %d [%d, %d] %+v:\n got %v\nwant %v", seed, round, i, q.At, q.Until, q, ids(got), want)
						}
						for j, e := range got {
							oe, _ := w.o.atInstant(e.ID, when[j])
							if e.Kind != oe.Kind || !orb.Equal(e.Geometry, oe.Geometry) || !slices.Equal(e.Props, oe.Props) || e.Moving != oe.Moving {
								t.Fatalf("entity %s as it last matched in [%d, %d] (at %d):\n got %+v\nwant %+v", e.ID, q.At, q.Until, when[j], e, oe)
							}
						}
						n, err := w.s.Count(ctx, q)
						if err != nil || n != len(want) {
							t.Fatalf("count %d (%v), want %d", n, err, len(want))
						}
					}
				}
			}
		})
	}
}

// An interval of one instant asks what the instant does, and an interval after
// every change up to the open end asks what now does.
func TestIntervalOfOneInstantIsTheInstant(t *testing.T) {
	for _, pl := range places {
		t.Run(pl.name, func(t *testing.T) {
			w := newWorld(t, 5, pl.center, pl.span)
			ctx := context.Background()
			for range 600 {
				w.step()
			}
			for i := range 200 {
				q := w.query()
				iq := q
				if q.At == 0 {
					iq.At, iq.Until = w.clock+1, math.MaxInt64
				} else {
					iq.Until = q.At
				}
				want, err := w.s.Query(ctx, q)
				if err != nil {
					t.Fatal(err)
				}
				got, err := w.s.Query(ctx, iq)
				if err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(ids(got.Entities), ids(want.Entities)) {
					t.Fatalf("query %d [%d, %d]:\n got %v\nwant %v", i, iq.At, iq.Until, ids(got.Entities), ids(want.Entities))
				}
				for j, e := range got.Entities {
					if we := want.Entities[j]; e.Version != we.Version || !orb.Equal(e.Geometry, we.Geometry) || !e.ValidFrom.Equal(we.ValidFrom) {
						t.Fatalf("query %d: %s is %+v, want %+v", i, e.ID, e, we)
					}
				}
			}
		})
	}
}

func TestIntervalQuery(t *testing.T) {
	s, err := New(DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	hour := func(h int) int64 { return time.Date(2026, 5, 1, h, 0, 0, 0, time.UTC).UnixNano() }
	west, east := orb.Point{24.90, 60.17}, orb.Point{24.98, 60.17}
	westBox := []orb.Bound{{Min: orb.Point{24.89, 60.16}, Max: orb.Point{24.91, 60.18}}}
	eastBox := []orb.Bound{{Min: orb.Point{24.97, 60.16}, Max: orb.Point{24.99, 60.18}}}
	ops := []Op{
		// A kiosk moved from west to east at 10:00 and closed at 14:00.
		{Type: OpUpsert, T: hour(8), Entity: &Entity{ID: "kiosk", Kind: KindPOI, Geometry: west, Props: Properties{{Key: "open", Value: BoolValue(true)}}}},
		{Type: OpUpsert, T: hour(10), Entity: &Entity{ID: "kiosk", Kind: KindPOI, Geometry: east, Props: Properties{{Key: "open", Value: BoolValue(true)}}}},
		{Type: OpPatch, T: hour(12), ID: "kiosk", Patch: Properties{{Key: "open", Value: BoolValue(false)}}},
		{Type: OpDelete, T: hour(14), ID: "kiosk"},
		// A bus in the west at 9:00, in the east 9:30 to 11:00, back west since.
		{Type: OpUpsert, T: hour(6), Entity: &Entity{ID: "bus", Kind: KindVehicle, Geometry: orb.Point{24.94, 60.17}}},
		{Type: OpMove, Positions: []Position{{ID: "bus", T: hour(9), Point: west}, {ID: "bus", T: hour(9) + int64(30*time.Minute), Point: east}, {ID: "bus", T: hour(11), Point: west}}},
	}
	if _, err := s.Apply(ops...); err != nil {
		t.Fatal(err)
	}
	open := []Filter{{Key: "open", Op: Eq, Value: BoolValue(true)}}
	tests := []struct {
		name        string
		q           Query
		want        []ID
		wantVersion uint64 // of the kiosk, when it is in want
		wantAt      orb.Point
	}{
		{"west before the move", Query{BBox: westBox, At: hour(7), Until: hour(9) - 1}, []ID{"kiosk"}, 1, west},
		{"west across the move", Query{BBox: westBox, At: hour(9) + 1, Until: hour(10)}, []ID{"kiosk", "bus"}, 1, west},
		{"at 0 is 1970, not now", Query{BBox: westBox, At: 0, Until: hour(9) - 1}, []ID{"kiosk"}, 1, west},
		{"west after the move", Query{BBox: westBox, At: hour(10), Until: hour(11) - 1}, nil, 0, orb.Point{}},
		{"east: the kiosk as it last was", Query{BBox: eastBox, At: hour(10), Until: math.MaxInt64}, []ID{"kiosk", "bus"}, 3, east},
		{"east open start", Query{BBox: eastBox, At: math.MinInt64, Until: hour(9)}, nil, 0, orb.Point{}},
		{"open kiosks, last open", Query{Where: open, At: math.MinInt64, Until: math.MaxInt64}, []ID{"kiosk"}, 2, east},
		{"open kiosks after it closed", Query{Where: open, At: hour(12), Until: math.MaxInt64}, nil, 0, orb.Point{}},
		{"deleted: gone after", Query{IDs: []ID{"kiosk"}, At: hour(14), Until: hour(15)}, nil, 0, orb.Point{}},
		{"one instant", Query{Kinds: []Kind{KindPOI}, At: hour(10), Until: hour(10)}, []ID{"kiosk"}, 2, east},
		{"bus passed through the east", Query{BBox: eastBox, Kinds: []Kind{KindVehicle}, At: hour(8), Until: hour(12)}, []ID{"bus"}, 0, orb.Point{}},
		{"bus where it was when the interval began", Query{BBox: eastBox, Kinds: []Kind{KindVehicle}, At: hour(10), Until: hour(10) + 1}, []ID{"bus"}, 0, orb.Point{}},
		{"bus before its first position", Query{Near: &Circle{Center: orb.Point{24.94, 60.17}, Radius: 10}, At: hour(7), Until: hour(8)}, []ID{"bus"}, 0, orb.Point{}},
	}
	ctx := context.Background()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := s.Query(ctx, tt.q)
			if err != nil {
				t.Fatal(err)
			}
			if got := ids(res.Entities); !slices.Equal(got, tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
			for _, e := range res.Entities {
				if e.ID == "kiosk" && (e.Version != tt.wantVersion || e.Geometry != tt.wantAt) {
					t.Errorf("kiosk version %d at %v, want version %d at %v", e.Version, e.Geometry, tt.wantVersion, tt.wantAt)
				}
			}
		})
	}
	// The bus as it last matched: in the east, its last position before 11:00.
	res, err := s.Query(ctx, Query{BBox: eastBox, IDs: []ID{"bus"}, At: hour(8), Until: math.MaxInt64})
	if err != nil || len(res.Entities) != 1 || res.Entities[0].Geometry != east {
		t.Fatalf("bus in the east: %+v, %v", res, err)
	}
}

func TestIntervalRejected(t *testing.T) {
	s, err := New(DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	backwards := Query{At: 20, Until: 10}
	interval := Query{At: 10, Until: 20}
	tests := []struct {
		name string
		run  func() error
	}{
		{"query until before at", func() error { _, err := s.Query(ctx, backwards); return err }},
		{"count until before at", func() error { _, err := s.Count(ctx, backwards); return err }},
		{"nearest", func() error { _, err := s.Nearest(ctx, orb.Point{24.9, 60.1}, 1, interval); return err }},
		{"latest", func() error { _, err := s.Latest(ctx, interval, "pm25"); return err }},
		{"aggregate cells", func() error {
			_, err := s.AggregateCells(ctx, Aggregate{Query: interval, Metric: "pm25", Agg: series.Avg, Res: 8})
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.run(); !errors.Is(err, ErrBadQuery) {
				t.Fatalf("err %v, want ErrBadQuery", err)
			}
		})
	}
}
