package twin

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"testing"
	"time"

	"github.com/paulmach/orb"
)

func newStore(t testing.TB) *Store {
	t.Helper()
	s, err := New(DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func point(id ID, kind Kind, lon, lat float64) *Entity {
	return &Entity{ID: id, Kind: kind, Geometry: orb.Point{lon, lat}}
}

func TestApplyIsAllOrNothing(t *testing.T) {
	s := newStore(t)
	if _, err := s.Apply(Op{Type: OpUpsert, Entity: point("a", KindSensor, 24.9, 60.1)}); err != nil {
		t.Fatal(err)
	}
	_, err := s.Apply(
		Op{Type: OpUpsert, Entity: point("b", KindSensor, 24.9, 60.1)},
		Op{Type: OpPatch, ID: "missing", Patch: Properties{{Key: "x", Value: NumberValue(1)}}},
	)
	if !errors.Is(err, ErrNotFound) {
		t.Fatalf("err = %v, want ErrNotFound", err)
	}
	if _, err := s.Get("b"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("b exists after a rejected batch: %v", err)
	}
	if s.Seq() != 1 {
		t.Fatalf("seq %d after a rejected batch, want 1", s.Seq())
	}
}

func TestBadInputNamesTheField(t *testing.T) {
	s := newStore(t)
	s.Apply(Op{Type: OpUpsert, Entity: point("a", KindSensor, 24.9, 60.1)})
	cases := []struct {
		name string
		op   Op
		want string
	}{
		{"no id", Op{Type: OpUpsert, Entity: &Entity{Kind: KindSensor}}, "no id"},
		{"bad kind", Op{Type: OpUpsert, Entity: &Entity{ID: "x", Kind: "Big House"}}, `bad kind "Big House"`},
		{"lon out of range", Op{Type: OpUpsert, Entity: point("x", KindSensor, 190, 60)}, "[190 60] is not a WGS84"},
		{"nan height", Op{Type: OpUpsert, Entity: &Entity{ID: "x", Kind: KindBuilding, Height: -1}}, "height -1"},
		{"unsorted props", Op{Type: OpUpsert, Entity: &Entity{ID: "x", Kind: KindBuilding, Props: Properties{{"b", Value{}}, {"a", Value{}}}}}, `property "a"`},
		{"observation nan", Op{Type: OpObserve, Observations: []Observation{{ID: "a", Metric: "pm25", V: 1}, {ID: "a", Metric: "pm25", V: nan()}}}, "observation 1 (a pm25)"},
		{"observation unknown entity", Op{Type: OpObserve, Observations: []Observation{{ID: "zz", Metric: "pm25", V: 1}}}, "observation 0: zz"},
		{"position out of range", Op{Type: OpMove, Positions: []Position{{ID: "a", Point: orb.Point{0, 91}}}}, "position 0 (a)"},
		{"unknown op", Op{Type: 99}, "unknown type 99"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := s.Apply(c.op)
			if err == nil || !contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want it to mention %q", err, c.want)
			}
		})
	}
}

func contains(s, sub string) bool {
	return len(sub) == 0 || len(s) >= len(sub) && (s[:len(sub)] == sub || contains(s[1:], sub))
}

func nan() float64 { var z float64; return z / z }

// TestReadersNeverSeeHalfABatch applies batches that set the same generation on
// two entities while readers check that both always agree.
func TestReadersNeverSeeHalfABatch(t *testing.T) {
	s := newStore(t)
	gen := func(g int) []Op {
		return []Op{
			{Type: OpUpsert, Entity: &Entity{ID: "a", Kind: KindSensor, Geometry: orb.Point{24.9 + float64(g%100)*1e-4, 60.1}, Props: Properties{{"gen", NumberValue(float64(g))}}}},
			{Type: OpMove, Positions: []Position{{ID: "v", T: int64(g + 1), Point: orb.Point{24.9 + float64(g%100)*1e-4, 60.2}}}},
			{Type: OpObserve, Observations: []Observation{{ID: "a", Metric: "gen", T: int64(g + 1), V: float64(g)}}},
			{Type: OpUpsert, Entity: &Entity{ID: "b", Kind: KindSensor, Geometry: orb.Point{25, 60.1}, Props: Properties{{"gen", NumberValue(float64(g))}}}},
		}
	}
	s.Apply(Op{Type: OpUpsert, Entity: point("v", KindVehicle, 24.9, 60.2)})
	s.Apply(gen(0)...)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for range 3 {
		wg.Go(func() {
			for ctx.Err() == nil {
				res, err := s.Query(ctx, Query{Kinds: []Kind{KindSensor, KindVehicle}})
				if err != nil {
					if ctx.Err() == nil {
						errs <- err
					}
					return
				}
				var a, b float64
				var v orb.Point
				for _, e := range res.Entities {
					g, _ := e.Props.Get("gen")
					switch e.ID {
					case "a":
						a, _ = g.Number()
					case "b":
						b, _ = g.Number()
					case "v":
						v = e.Geometry.(orb.Point)
					}
				}
				if a != b {
					errs <- fmt.Errorf("a at generation %v, b at %v", a, b)
					return
				}
				if want := 24.9 + float64(int(a)%100)*1e-4; v[0] != fromE7(toE7(want)) {
					errs <- fmt.Errorf("vehicle at %v for generation %v", v, a)
					return
				}
			}
		})
	}
	for g := 1; g < 3000; g++ {
		if _, err := s.Apply(gen(g)...); err != nil {
			t.Fatal(err)
		}
	}
	cancel()
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

func TestFeedDeliversInOrderAndReportsMisses(t *testing.T) {
	cfg := DefaultConfig()
	cfg.FeedSize = 16
	s, _ := New(cfg)
	sub := s.Subscribe(0)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	got := make(chan []Change, 1)
	go func() {
		ch, _, _ := sub.Next(ctx, 100)
		got <- ch
	}()
	s.Apply(Op{Type: OpUpsert, Entity: point("a", KindSensor, 24.9, 60.1)})
	first := <-got
	if len(first) != 1 || first[0].Seq != 1 || first[0].Op.Entity.Version != 1 {
		t.Fatalf("first changes %+v", first)
	}
	for i := range 40 {
		s.Apply(Op{Type: OpPatch, ID: "a", Patch: Properties{{"i", NumberValue(float64(i))}}})
	}
	changes, missed, err := sub.Next(ctx, 100)
	if err != nil {
		t.Fatal(err)
	}
	if missed != 40-16 || len(changes) != 16 || changes[0].Seq != 26 || changes[15].Seq != 41 {
		t.Fatalf("missed %d, %d changes from %d", missed, len(changes), changes[0].Seq)
	}
	if sub.Position() != 41 {
		t.Fatalf("position %d after reading change 41", sub.Position())
	}
	if v := changes[15].Op.Entity.Version; v != 41 {
		t.Fatalf("last change carries version %d, want 41", v)
	}
	late := s.Subscribe(s.Seq())
	short, cancelShort := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancelShort()
	if _, _, err := late.Next(short, 10); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("a subscriber at the head got %v, want to wait", err)
	}
}

func TestUnchangedUpsertMakesNoVersion(t *testing.T) {
	s := newStore(t)
	e := &Entity{ID: "b", Kind: KindBuilding, Geometry: orb.Polygon{{{0, 0}, {1, 0}, {1, 1}, {0, 0}}}, Height: 12, Props: Properties{{"use", StringValue("office")}}}
	s.Apply(Op{Type: OpUpsert, T: 10, Entity: e})
	s.Apply(Op{Type: OpUpsert, T: 20, Entity: e})
	h, _ := s.History("b")
	if len(h) != 1 {
		t.Fatalf("%d versions, want 1", len(h))
	}
	e2 := *e
	e2.Height = 15
	s.Apply(Op{Type: OpUpsert, T: 30, Entity: &e2})
	old, _ := s.GetAt("b", 25)
	now, _ := s.Get("b")
	if old.Height != 12 || now.Height != 15 || now.Version != 2 || !now.ValidFrom.Equal(time.Unix(0, 30)) {
		t.Fatalf("old %+v now %+v", old, now)
	}
	if _, err := s.GetAt("b", 5); !errors.Is(err, ErrNotFound) {
		t.Fatalf("before creation: %v", err)
	}
}

func TestEmptyAndDegenerateGeometry(t *testing.T) {
	s := newStore(t)
	s.Apply(
		Op{Type: OpUpsert, Entity: &Entity{ID: "none", Kind: KindZone}},
		Op{Type: OpUpsert, Entity: &Entity{ID: "empty", Kind: KindZone, Geometry: orb.Polygon{}}},
		Op{Type: OpUpsert, Entity: &Entity{ID: "flat", Kind: KindZone, Geometry: orb.Polygon{{{1, 1}, {1, 1}, {1, 1}, {1, 1}}}}},
		Op{Type: OpUpsert, Entity: &Entity{ID: "dup", Kind: KindZone, Geometry: orb.LineString{{1, 1}, {1, 1}}}},
	)
	ctx := context.Background()
	res, err := s.Query(ctx, Query{BBox: []orb.Bound{{Min: orb.Point{0.5, 0.5}, Max: orb.Point{1.5, 1.5}}}})
	if err != nil {
		t.Fatal(err)
	}
	if got := ids(res.Entities); len(got) != 2 || got[0] != "flat" || got[1] != "dup" {
		t.Fatalf("bbox over degenerate geometry: %v", got)
	}
	all, _ := s.Query(ctx, Query{})
	if all.Matched != 4 {
		t.Fatalf("%d entities, want 4", all.Matched)
	}
	nn, err := s.Nearest(ctx, orb.Point{1, 1}, 10, Query{})
	if err != nil || len(nn) != 2 || nn[0].Distance != 0 {
		t.Fatalf("nearest %+v %v", nn, err)
	}
}

func TestBadQueries(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	bad := []Query{
		{BBox: []orb.Bound{{Min: orb.Point{10, 10}, Max: orb.Point{5, 5}}}},
		{BBox: []orb.Bound{{Min: orb.Point{-200, 0}, Max: orb.Point{5, 5}}}},
		{Near: &Circle{Center: orb.Point{0, 0}, Radius: -1}},
		{Limit: -1},
		{After: "not a cursor!"},
		{Cells: nil, Within: orb.Polygon{{{0, 0}, {0, 100}, {1, 1}, {0, 0}}}},
	}
	for i, q := range bad {
		if _, err := s.Query(ctx, q); !errors.Is(err, ErrBadQuery) && !errors.Is(err, ErrBadCursor) {
			t.Errorf("query %d: err = %v, want a bad query", i, err)
		}
	}
	if _, err := s.Nearest(ctx, orb.Point{0, 0}, 0, Query{}); !errors.Is(err, ErrBadQuery) {
		t.Errorf("k=0: %v", err)
	}
}

func TestHeightsReadBackAsWritten(t *testing.T) {
	s, err := New(DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	for i, h := range []float64{34.9, 0.1, 125.5, 3, 1e-3, 299.99} {
		id := ID(fmt.Sprintf("b:%d", i))
		if _, err := s.Apply(Op{Type: OpUpsert, Entity: &Entity{ID: id, Kind: KindBuilding, Geometry: orb.Point{1, 2}, Height: h, MinHeight: h / 10}}); err != nil {
			t.Fatal(err)
		}
		e, err := s.Get(id)
		if err != nil {
			t.Fatal(err)
		}
		if e.Height != h || e.MinHeight != h/10 && math.Abs(e.MinHeight-h/10) > 1e-9 {
			t.Errorf("height %v read back as %v, min height %v as %v", h, e.Height, h/10, e.MinHeight)
		}
	}
}
