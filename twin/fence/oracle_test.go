package fence

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"citytwin/geo"
	"citytwin/twin"

	"github.com/paulmach/orb"
)

// oracle evaluates every fence at every position, with no index: the
// documented semantics, written out plainly.
type oracle struct {
	fences []Fence
	boxes  []orb.Bound
	kinds  map[twin.ID]twin.Kind
	props  map[twin.ID]twin.Properties
	prev   map[twin.ID]orb.Point
	last   map[twin.ID]int64
	st     map[oKey]oState
	out    []Event
}

type oKey struct {
	f   int
	obj twin.ID
}

type oState struct {
	state     uint8
	since     int64
	anchor    orb.Point
	hasAnchor bool
}

func newOracle() *oracle {
	return &oracle{kinds: map[twin.ID]twin.Kind{}, props: map[twin.ID]twin.Properties{},
		prev: map[twin.ID]orb.Point{}, last: map[twin.ID]int64{}, st: map[oKey]oState{}}
}

func (o *oracle) addFence(tb testing.TB, e *twin.Entity) {
	f, err := Parse(e)
	if err != nil {
		tb.Fatal(err)
	}
	var b orb.Bound
	switch f.Shape {
	case ShapeArea, ShapeCells:
		b = f.Area.Bound()
	case ShapeLine:
		b = f.Line.Bound()
	case ShapeCircle:
		b = geo.BoundAround(f.Center, f.Radius)[0]
	}
	o.fences = append(o.fences, f)
	o.boxes = append(o.boxes, grow(b, f.Hysteresis))
}

func (o *oracle) geom(f *Fence) orb.Geometry {
	if f.Shape == ShapeLine {
		return f.Line
	}
	return f.Area
}

// where says where p is: inside, and its distance from the boundary.
func (o *oracle) where(f *Fence, p orb.Point) (bool, float64) {
	switch f.Shape {
	case ShapeCircle:
		d := geo.Distance(p, f.Center)
		return d <= f.Radius, math.Abs(d - f.Radius)
	case ShapeLine:
		return false, geo.DistanceToGeometry(p, f.Line)
	}
	in := geo.PointWithin(p, f.Area)
	if !in {
		return false, geo.DistanceToGeometry(p, f.Area)
	}
	var rings orb.MultiLineString
	for _, poly := range f.Area {
		for _, r := range poly {
			rings = append(rings, orb.LineString(r))
		}
	}
	return true, geo.DistanceToGeometry(p, rings)
}

func (o *oracle) crossed(f *Fence, a, b orb.Point) bool {
	seg := orb.LineString{a, b}
	if f.Shape == ShapeCircle {
		return geo.DistanceToGeometry(f.Center, seg) <= f.Radius
	}
	return geo.Intersects(seg, o.geom(f))
}

func (o *oracle) watches(f *Fence, obj twin.ID) bool {
	if len(f.Kinds) > 0 && !slices.Contains(f.Kinds, o.kinds[obj]) {
		return false
	}
	for _, w := range f.Where {
		v, ok := o.props[obj].Get(w.Key)
		if !w.Match(v, ok) {
			return false
		}
	}
	return true
}

func (o *oracle) emit(f *Fence, obj twin.ID, kind string, t int64, p orb.Point, dwell int64, tseq uint64) {
	if !f.Events.Has(eventBit(kind)) {
		return
	}
	o.out = append(o.out, Event{Fence: f.ID, Object: obj, Kind: kind, T: t, Point: p, Dwell: time.Duration(dwell), TwinSeq: tseq})
}

func (o *oracle) move(obj twin.ID, p orb.Point, t int64, tseq uint64) {
	if last, ok := o.last[obj]; ok && t < last {
		return
	}
	o.last[obj] = t
	prev, hasPrev := o.prev[obj]
	for i := range o.fences {
		f := &o.fences[i]
		k := oKey{i, obj}
		s, exists := o.st[k]
		near := o.watches(f, obj) && o.boxes[i].Contains(p)
		inside, d := false, math.Inf(1)
		if near {
			inside, d = o.where(f, p)
		}
		h := f.Hysteresis
		clear := !inside && d > h
		deep := inside && d >= h
		if f.Shape == ShapeLine {
			deep = false
		}
		if !near {
			clear, deep = true, false
		}
		dwell := int64(f.Dwell)
		switch s.state {
		case stPending, stIn:
			if clear {
				if s.state == stIn {
					o.emit(f, obj, Exit, t, p, t-s.since, tseq)
				} else if hasPrev {
					o.emit(f, obj, Cross, t, p, 0, tseq)
				}
				if near && s.state != stIn {
					o.emit(f, obj, Outside, t, p, 0, tseq)
				}
				delete(o.st, k)
				continue
			}
			if s.state == stPending {
				if t-s.since >= dwell {
					s.state = stIn
					o.emit(f, obj, Enter, t, p, 0, tseq)
				}
			} else {
				o.emit(f, obj, Inside, t, p, 0, tseq)
			}
			o.st[k] = s
			continue
		}
		if deep {
			s = oState{state: stPending, since: t}
			if dwell == 0 {
				s.state = stIn
				o.emit(f, obj, Enter, t, p, 0, tseq)
			}
			o.st[k] = s
			continue
		}
		anchor, hasAnchor := prev, hasPrev
		if exists {
			anchor, hasAnchor = s.anchor, s.hasAnchor
		}
		if near {
			o.emit(f, obj, Outside, t, p, 0, tseq)
		}
		if clear {
			if hasAnchor && o.crossed(f, anchor, p) {
				o.emit(f, obj, Cross, t, p, 0, tseq)
			}
			delete(o.st, k)
			continue
		}
		if !exists {
			o.st[k] = oState{state: stNear, anchor: anchor, hasAnchor: hasAnchor}
		}
	}
	o.prev[obj] = p
}

// TestOracle drives the engine and the oracle with random fences of every
// shape and random walks, in batches large enough to run in parallel, and
// wants the same events in the same order.
func TestOracle(t *testing.T) {
	for _, tc := range []struct {
		name            string
		seed            uint64
		fences, objects int
		steps, batch    int
		workers         int
	}{
		{"serial", 1, 150, 40, 40, 7, 1},
		{"parallel", 2, 300, 400, 12, 1000, 2},
		{"parallel-4", 3, 200, 300, 10, 600, 4},
		{"dense", 4, 600, 50, 40, 30, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(tc.seed, 99))
			const side = 3000
			e := newTestEngine(t, nil, func(c *Config) { c.Workers = tc.workers })
			or := newOracle()
			seq := uint64(0)
			var chs []twin.Change
			for _, f := range randFences(rng, tc.fences, side) {
				seq++
				chs = append(chs, upsertChange(seq, f, 0))
				or.addFence(t, f)
			}
			walks := make([]*walk, tc.objects)
			for i := range walks {
				id := twin.ID("veh:" + string(rune('a'+i%26)) + "/" + itoa(i))
				kind := twin.Kind("vehicle")
				if i%3 == 0 {
					kind = "sensor"
				}
				walks[i] = &walk{id: id, x: (rng.Float64() - 0.5) * side, y: (rng.Float64() - 0.5) * side, t: 1e18}
				seq++
				ent := &twin.Entity{ID: id, Kind: kind, Version: 1}
				chs = append(chs, upsertChange(seq, ent, 0))
				or.kinds[id] = kind
			}
			mustProcess(t, e, chs...)
			for range tc.steps {
				chs = chs[:0]
				var op twin.Op
				for _, i := range rng.Perm(len(walks)) {
					w := walks[i]
					if op.Type == 0 || len(op.Positions) >= tc.batch {
						if op.Type != 0 {
							seq++
							chs = append(chs, twin.Change{Seq: seq, Op: op})
						}
						op = twin.Op{Type: twin.OpMove}
					}
					pos := w.step(rng, side)
					if rng.IntN(40) == 0 { // a late report
						pos.T -= int64(10 * time.Second)
					}
					op.Positions = append(op.Positions, pos)
				}
				seq++
				chs = append(chs, twin.Change{Seq: seq, Op: op})
				for _, ch := range chs {
					for _, p := range ch.Op.Positions {
						or.move(p.ID, p.Point, p.T, ch.Seq)
					}
				}
				mustProcess(t, e, chs...)
			}
			got := allEvents(t, e)
			for i, ev := range got {
				if ev.Seq != uint64(i+1) {
					t.Fatalf("event %d has seq %d", i, ev.Seq)
				}
			}
			gb, wb := brief(got), brief(or.out)
			if len(or.out) < 100 {
				t.Fatalf("only %d oracle events: the test is too weak", len(or.out))
			}
			kinds := map[string]int{}
			for _, ev := range or.out {
				kinds[ev.Kind]++
			}
			for _, k := range eventNames {
				if kinds[k] == 0 {
					t.Errorf("no %s events in the oracle's %d", k, len(or.out))
				}
			}
			if !slices.Equal(gb, wb) {
				n := 0
				for n < min(len(gb), len(wb)) && gb[n] == wb[n] {
					n++
				}
				t.Fatalf("got %d events, want %d; first difference at %d:\ngot  %v\nwant %v", len(gb), len(wb), n,
					gb[n:min(n+5, len(gb))], wb[n:min(n+5, len(wb))])
			}
			for i := range got {
				if got[i].Point != or.out[i].Point || got[i].TwinSeq != or.out[i].TwinSeq {
					t.Fatalf("event %d: got %+v, want %+v", i, got[i], or.out[i])
				}
			}
			t.Logf("%d events %v", len(got), kinds)
		})
	}
}

func itoa(i int) string {
	return string(rune('0'+i/1000%10)) + string(rune('0'+i/100%10)) + string(rune('0'+i/10%10)) + string(rune('0'+i%10))
}
