package fence

import (
	"time"

	"citytwin/twin"

	"github.com/paulmach/orb"
)

// object is what the engine keeps of a monitored entity.
type object struct {
	id    twin.ID
	props twin.Properties
	p     orb.Point // last position evaluated against the static fences
	t     int64     // time of the newest position accepted
	kind  uint16
	has   bool // p is set
	live  bool
	recs  []record // static fences, by fence slot
	roam  []record // roaming fences, by fence slot
}

// Record states. No record means clear: outside, farther than the hysteresis.
const (
	stNear    uint8 = iota + 1 // not in, but within the hysteresis (or on a line)
	stPending                  // in, waiting for the dwell time
	stIn                       // in, enter emitted
)

// record is the state of one (fence, object) pair that is not clear.
type record struct {
	fence     uint32
	state     uint8
	hasAnchor bool
	since     int64     // first position in (pending, in)
	anchor    orb.Point // the last clear position (near), for crossings
}

// How an evaluation came about.
const (
	modeMove   uint8 = iota // the object moved: every event kind
	modeFence               // a roaming fence moved: enter and exit only
	modeResync              // resynchronisation: enter and exit only
)

// eval is one evaluation of one fence for one object.
type eval struct {
	p, prev orb.Point
	hasPrev bool
	t       int64
	tseq    uint64
	mode    uint8
	job     int
}

// step advances the state of a (fence, object) pair. cand says whether the
// fence was found near p; when it was not, p is clear of it. It returns the
// record to keep and whether to keep one.
func (w *worker) step(r *region, o *object, rec record, exists bool, cand bool, ev *eval) (record, bool) {
	if !exists {
		rec = record{fence: r.slot}
	}
	if r.dead {
		return rec, false
	}
	inside, d := false, 0.0
	near := false // p is within the fence's search box: outside events
	// An object no longer monitored (kinds, where) leaves like one far away.
	if cand && r.active && r.search.Contains(ev.p) && r.matches(o) {
		inside, d = r.locate(ev.p)
		near = true
	}
	var clear, deep bool
	switch {
	case !near:
		clear = true
	case r.shape == ShapeLine:
		clear = d > r.h
	case r.h == 0:
		clear, deep = !inside, inside
	default:
		clear, deep = !inside && d > r.h, inside && d >= r.h
	}
	move := ev.mode == modeMove
	state := uint8(0)
	if exists {
		state = rec.state
	}
	switch state {
	case stPending, stIn:
		if clear {
			if state == stIn {
				w.emit(r, o, ev, EvExit, max(0, ev.t-rec.since))
			} else if move && ev.hasPrev && r.events.Has(EvCross) {
				w.emit(r, o, ev, EvCross, 0) // in and out before the dwell time
			}
			if move && near && state != stIn {
				w.emit(r, o, ev, EvOutside, 0)
			}
			return rec, false
		}
		if state == stPending {
			if ev.t-rec.since >= r.dwell {
				rec.state = stIn
				w.emit(r, o, ev, EvEnter, 0)
			}
		} else if move {
			w.emit(r, o, ev, EvInside, 0)
		}
		return rec, true
	}
	// Not in: none or near.
	if deep {
		rec.state, rec.since, rec.hasAnchor = stPending, ev.t, false
		if r.dwell <= 0 {
			rec.state = stIn
			w.emit(r, o, ev, EvEnter, 0)
		}
		return rec, true
	}
	anchor, hasAnchor := ev.prev, ev.hasPrev
	if state == stNear {
		anchor, hasAnchor = rec.anchor, rec.hasAnchor
	}
	if move && near {
		w.emit(r, o, ev, EvOutside, 0)
	}
	if clear {
		if move && hasAnchor && r.events.Has(EvCross) && r.crossed(w.seg, w.segGeom, anchor, ev.p) {
			w.emit(r, o, ev, EvCross, 0)
		}
		return rec, false
	}
	if state != stNear {
		rec.state, rec.anchor, rec.hasAnchor = stNear, anchor, hasAnchor && ev.mode != modeFence
	}
	return rec, true
}

// emit queues an event if the fence asked for its kind.
func (w *worker) emit(r *region, o *object, ev *eval, kind Events, dwell int64) {
	if !r.events.Has(kind) {
		return
	}
	var name string
	switch kind {
	case EvEnter:
		name = Enter
	case EvExit:
		name = Exit
	case EvInside:
		name = Inside
	case EvOutside:
		name = Outside
	case EvCross:
		name = Cross
	}
	w.out = append(w.out, pendEvent{job: ev.job, ev: Event{
		Fence: r.id, Object: o.id, Kind: name, T: ev.t, Point: ev.p,
		Dwell: time.Duration(dwell), TwinSeq: ev.tseq,
	}})
}

type pendEvent struct {
	job int
	ev  Event
}
