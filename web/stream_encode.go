package web

import (
	"time"

	"citytwin/render"
)

// snapshot writes a snapshot (or, for a resume, the resumed message and the
// entities that changed) and resets what the client is known to hold.
func (w *streamWriter) snapshot(sn *streamSnapshot) error {
	clear(w.sent)
	b := w.buf[:0]
	switch sn.kind {
	case snapResume:
		b = append(b, `{"type":"resumed","seq":`...)
		b = appendInt(b, int64(sn.seq))
		b = append(b, `,"from":`...)
		b = appendInt(b, int64(sn.from))
		b = append(b, `,"keep":`...)
		b = appendSlots(b, sn.keep)
		b = append(b, '}')
		for _, s := range sn.keep {
			w.sent[s] = struct{}{}
		}
		w.text(b)
		b = b[:0]
		b = append(b, `{"type":"enter","seq":`...)
	default:
		b = append(b, `{"type":"snapshot","seq":`...)
	}
	if sn.kind != snapResume {
		b = appendInt(b, int64(sn.seq))
		if sn.resync {
			b = append(b, `,"resync":true`...)
		}
		if sn.kind == snapPlayback {
			b = append(b, `,"mode":"playback","at":`...)
			b = appendTime(b, sn.at)
		} else {
			b = append(b, `,"mode":"live"`...)
		}
	} else {
		b = appendInt(b, int64(sn.seq))
	}
	var err error
	if b, err = w.appendEntries(b, sn.entries, true); err != nil {
		return err
	}
	w.buf = b
	w.text(b)
	w.moved = w.moved[:0]
	pf := w.positions()
	for _, e := range sn.entries {
		w.sent[e.slot] = struct{}{}
		if e.st.moving && e.st.placed {
			w.addPosition(pf, e.slot, e)
		}
	}
	tms := sn.seqTime()
	if err := w.sendFrame(pf, sn.seq, tms); err != nil {
		return err
	}
	for m, vs := range sn.values {
		f := &w.vals[m]
		w.resetValues(f, m)
		for _, sv := range vs {
			f.Slots = append(f.Slots, sv.slot)
			f.Values = append(f.Values, sv.v)
		}
		if err := w.sendFrame(f, sn.seq, tms); err != nil {
			return err
		}
	}
	return nil
}

// seqTime is the time of a snapshot's frames: the playback instant, or now.
func (sn *streamSnapshot) seqTime() int64 {
	if sn.kind == snapPlayback {
		return sn.at / 1e6
	}
	return 0
}

// appendEntries writes the entities of an enter or snapshot message: every
// one compact ("entities": slot, id, kind), and those that do not move also
// as GeoJSON features ("features", with their slots in "featureSlots"); the
// positions of moving ones follow in a binary frame.
func (w *streamWriter) appendEntries(b []byte, es []snapEntry, close bool) ([]byte, error) {
	b = append(b, `,"entities":[`...)
	for i, e := range es {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"slot":`...)
		b = appendInt(b, int64(e.slot))
		b = append(b, `,"id":`...)
		b = appendString(b, string(e.st.id))
		b = append(b, `,"kind":`...)
		b = appendString(b, string(e.st.kind))
		if e.st.moving {
			b = append(b, `,"moving":true`...)
		}
		b = append(b, '}')
	}
	b = append(b, `],"features":[`...)
	var slots []uint32
	var err error
	for _, e := range es {
		if e.st.moving || e.st.ent == nil {
			continue
		}
		if len(slots) > 0 {
			b = append(b, ',')
		}
		if b, err = appendEntityFeature(b, e.st.ent); err != nil {
			return b, err
		}
		slots = append(slots, e.slot)
	}
	b = append(b, `],"featureSlots":`...)
	b = appendSlots(b, slots)
	if close {
		b = append(b, '}')
	}
	return b, nil
}

func appendSlots(b []byte, slots []uint32) []byte {
	b = append(b, '[')
	for i, s := range slots {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendInt(b, int64(s))
	}
	return append(b, ']')
}

func (w *streamWriter) positions() *render.Frame {
	f := &w.frame
	f.Type, f.Metric = render.FramePositions, render.NoMetric
	f.Slots, f.East, f.North, f.Values = f.Slots[:0], f.East[:0], f.North[:0], nil
	return f
}

func (w *streamWriter) resetValues(f *render.Frame, m int) {
	f.Type, f.Metric = render.FrameValues, uint16(m)
	f.Slots, f.Values, f.East, f.North = f.Slots[:0], f.Values[:0], nil, nil
}

func (w *streamWriter) addPosition(f *render.Frame, slot uint32, e snapEntry) {
	x, y := w.c.h.frame.ToLocal(e.st.pos)
	f.Slots = append(f.Slots, slot)
	f.East = append(f.East, float32(x))
	f.North = append(f.North, float32(y))
}

// sendFrame writes a frame with entries; an empty one is not sent.
func (w *streamWriter) sendFrame(f *render.Frame, seq uint64, tms int64) error {
	if len(f.Slots) == 0 {
		return nil
	}
	if tms == 0 {
		tms = nowMS()
	}
	f.Seq, f.TimeMS = seq, tms
	n := len(w.wbuf)
	b, err := render.AppendFrame(appendWSHeader(w.wbuf, wsBinary, render.FrameSize(f.Type, len(f.Slots))), f)
	if err != nil {
		w.wbuf = w.wbuf[:n]
		return err
	}
	w.wbuf = b
	return nil
}

// deltas writes what changed: leave, enter, update, then the frames, whose
// time is tms (Unix ms: the playback instant), or now when 0.
func (w *streamWriter) deltas(pend *pendList, seq uint64, tms int64) error {
	var leave, enter, update []snapEntry
	pf := w.positions()
	for m := range w.c.viewMetrics() {
		w.resetValues(&w.vals[m], m)
	}
	nm := w.c.viewMetrics()
	for i := range pend.es {
		e := &pend.es[i]
		slot := e.slot
		_, had := w.sent[slot]
		se := snapEntry{slot: slot, st: e.st}
		switch {
		case !e.in:
			if had {
				delete(w.sent, slot)
				leave = append(leave, se)
			}
			continue
		case !had:
			if e.st.id == "" {
				continue // a value for an entity the client was never sent
			}
			w.sent[slot] = struct{}{}
			enter = append(enter, se)
			if e.st.moving && e.st.placed {
				w.addPosition(pf, slot, se)
			}
		default:
			if e.flags&pendChanged != 0 && e.st.ent != nil {
				update = append(update, se)
			}
			if e.flags&(pendMoved|pendChanged) != 0 && e.st.moving && e.st.placed {
				w.addPosition(pf, slot, se)
			}
		}
		for m := 0; m < nm; m++ {
			if e.valMask&(1<<m) != 0 {
				f := &w.vals[m]
				f.Slots = append(f.Slots, slot)
				f.Values = append(f.Values, e.vals[m])
			}
		}
	}
	b := w.buf[:0]
	if len(leave) > 0 {
		b = append(b, `{"type":"leave","seq":`...)
		b = appendInt(b, int64(seq))
		b = append(b, `,"slots":[`...)
		for i, e := range leave {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendInt(b, int64(e.slot))
		}
		b = append(b, `],"ids":[`...)
		for i, e := range leave {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, string(w.c.h.idOf(e.slot)))
		}
		b = append(b, "]}"...)
		w.text(b)
	}
	var err error
	for _, part := range []struct {
		name string
		es   []snapEntry
	}{{"enter", enter}, {"update", update}} {
		if len(part.es) == 0 {
			continue
		}
		b = append(b[:0], `{"type":"`...)
		b = append(b, part.name...)
		b = append(b, `","seq":`...)
		b = appendInt(b, int64(seq))
		if b, err = w.appendEntries(b, part.es, true); err != nil {
			return err
		}
		w.text(b)
	}
	w.buf = b
	if err := w.sendFrame(pf, seq, tms); err != nil {
		return err
	}
	for m := 0; m < nm; m++ {
		if err := w.sendFrame(&w.vals[m], seq, tms); err != nil {
			return err
		}
	}
	return nil
}

// viewMetrics is how many value columns the client may have pending. The
// writer cannot read the run's view; the array bound is the limit.
func (c *streamClient) viewMetrics() int { return maxStreamMetrics }

// idOf is the id of a slot.
func (h *hub) idOf(slot uint32) string {
	h.slotMu.Lock()
	defer h.slotMu.Unlock()
	if int(slot) < len(h.ids) {
		return string(h.ids[slot])
	}
	return ""
}

func nowMS() int64 { return time.Now().UnixMilli() }
