package fence

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"citytwin/geo"
	"citytwin/twin"

	"github.com/paulmach/orb"
)

// city is the frame of the synthetic tests: metres around a centre.
var cityCentre = orb.Point{24.94, 60.17}

var frame = geo.NewFrame(cityCentre)

func at(x, y float64) orb.Point { return frame.ToLonLat(x, y) }

// randPolygon is a star-shaped polygon of n vertices around (x, y), radius
// about r metres, with a hole when hole is set.
func randPolygon(rng *rand.Rand, x, y, r float64, n int, hole bool) orb.Polygon {
	ring := func(x, y, r float64, n int, ccw bool) orb.Ring {
		var out orb.Ring
		for i := range n {
			a := 2 * math.Pi * float64(i) / float64(n)
			if !ccw {
				a = -a
			}
			rr := r * (0.5 + 0.5*rng.Float64())
			out = append(out, at(x+rr*math.Cos(a), y+rr*math.Sin(a)))
		}
		return append(out, out[0])
	}
	p := orb.Polygon{ring(x, y, r, n, true)}
	if hole {
		p = append(p, ring(x, y, r*0.2, 6, false))
	}
	return p
}

// fenceEntity makes a geofence entity.
func fenceEntity(id string, g orb.Geometry, props map[string]any) *twin.Entity {
	ps, err := twin.PropertiesOf(props)
	if err != nil {
		panic(err)
	}
	return &twin.Entity{ID: twin.ID(id), Kind: KindGeofence, Geometry: g, Props: ps, Version: 1}
}

// randFences makes n fences of every shape over a square of side metres.
func randFences(rng *rand.Rand, n int, side float64) []*twin.Entity {
	var out []*twin.Entity
	for i := range n {
		x, y := (rng.Float64()-0.5)*side, (rng.Float64()-0.5)*side
		props := map[string]any{}
		if rng.IntN(2) == 0 {
			props[PropHysteresis] = float64(5 + rng.IntN(25))
		}
		if rng.IntN(3) == 0 {
			props[PropDwell] = float64(1 + rng.IntN(20))
		}
		events := []string{Enter, Exit, Inside, Outside, Cross}
		rng.Shuffle(len(events), func(i, j int) { events[i], events[j] = events[j], events[i] })
		props[PropEvents] = strings.Join(events[:1+rng.IntN(5)], ",")
		if rng.IntN(4) == 0 {
			props[PropKinds] = "vehicle"
		}
		id := fmt.Sprintf("fence:%d", i)
		var g orb.Geometry
		switch rng.IntN(5) {
		case 0, 1:
			g = randPolygon(rng, x, y, 50+rng.Float64()*200, 5+rng.IntN(16), rng.IntN(3) == 0)
		case 2:
			g = at(x, y)
			props[PropRadius] = 20 + rng.Float64()*150
		case 3:
			c := geo.Cell(at(x, y), 9)
			var cells []string
			for _, k := range geo.Ring(c, 1)[:1+rng.IntN(7)] {
				cells = append(cells, k.String())
			}
			props[PropCells] = strings.Join(cells, ",")
		case 4:
			l := orb.LineString{at(x, y)}
			for range 1 + rng.IntN(4) {
				x += (rng.Float64() - 0.5) * 400
				y += (rng.Float64() - 0.5) * 400
				l = append(l, at(x, y))
			}
			g = l
			props[PropEvents] = Cross
			delete(props, PropDwell)
		}
		out = append(out, fenceEntity(id, g, props))
	}
	return out
}

// walk is a random trajectory: mostly small steps, sometimes a jump.
type walk struct {
	id   twin.ID
	x, y float64
	t    int64
}

func (w *walk) step(rng *rand.Rand, side float64) twin.Position {
	s := 3 + rng.Float64()*30
	if rng.IntN(50) == 0 {
		s = 300
	}
	a := rng.Float64() * 2 * math.Pi
	w.x = math.Max(-side/2, math.Min(side/2, w.x+s*math.Cos(a)))
	w.y = math.Max(-side/2, math.Min(side/2, w.y+s*math.Sin(a)))
	w.t += int64(1+rng.IntN(3)) * int64(time.Second)
	return twin.Position{ID: w.id, T: w.t, Point: at(w.x, w.y)}
}

// upsertChange upserts an entity as a change.
func upsertChange(seq uint64, e *twin.Entity, t int64) twin.Change {
	return twin.Change{Seq: seq, Op: twin.Op{Type: twin.OpUpsert, T: t, Entity: e}}
}

func vehicle(id twin.ID, kind twin.Kind, p orb.Point) *twin.Entity {
	return &twin.Entity{ID: id, Kind: kind, Geometry: p, Version: 1, Moving: true}
}

// newTestEngine makes an engine over an in-memory store.
func newTestEngine(tb testing.TB, store *twin.Store, mut func(*Config)) *Engine {
	tb.Helper()
	if store == nil {
		var err error
		if store, err = twin.New(twin.DefaultConfig()); err != nil {
			tb.Fatal(err)
		}
	}
	cfg := DefaultConfig(tb.TempDir())
	cfg.Log.Sync = 2 // off: tests need no fsync
	if mut != nil {
		mut(&cfg)
	}
	e, err := New(store, cfg)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { e.Close() })
	return e
}

// allEvents reads the whole outbox.
func allEvents(tb testing.TB, e *Engine) []Event {
	tb.Helper()
	var out []Event
	after := uint64(0)
	for {
		evs, err := e.Events(after, 5000)
		if err != nil {
			tb.Fatal(err)
		}
		if len(evs) == 0 {
			return out
		}
		out = append(out, evs...)
		after = evs[len(evs)-1].Seq
	}
}

func mustProcess(tb testing.TB, e *Engine, chs ...twin.Change) {
	tb.Helper()
	if err := e.Process(context.Background(), chs); err != nil {
		tb.Fatal(err)
	}
}

// brief formats events without seqs, for comparisons.
func brief(evs []Event) []string {
	out := make([]string, len(evs))
	for i, ev := range evs {
		out[i] = fmt.Sprintf("%s %s %s t=%d dwell=%d", ev.Fence, ev.Object, ev.Kind, ev.T, ev.Dwell)
	}
	return out
}
