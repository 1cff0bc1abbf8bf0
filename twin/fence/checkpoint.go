package fence

import (
	"context"
	"encoding/gob"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"citytwin/twin"

	"github.com/paulmach/orb"
)

// checkpoint is the engine's state written to Dir/state.gob: where it is in
// the twin's feed and in its own events, and every (fence, object) record.
type checkpoint struct {
	Format  int
	TwinSeq uint64
	Seq     uint64
	Objects []cpObject
}

type cpObject struct {
	ID   twin.ID
	P    orb.Point
	T    int64
	Has  bool
	Recs []cpRecord
	Roam []cpRecord
}

type cpRecord struct {
	Fence     twin.ID
	State     uint8
	HasAnchor bool
	Since     int64
	Anchor    orb.Point
}

const checkpointFormat = 1

func (e *Engine) checkpointPath() string { return filepath.Join(e.cfg.Dir, "state.gob") }

// Checkpoint writes the engine's state now, atomically.
func (e *Engine) Checkpoint() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return ErrClosed
	}
	return e.checkpointLocked()
}

func (e *Engine) checkpointLocked() error {
	cp := checkpoint{Format: checkpointFormat, TwinSeq: e.twinSeq, Seq: e.seq}
	recs := func(rs []record) []cpRecord {
		var out []cpRecord
		for _, r := range rs {
			f := e.fences[r.fence]
			if f.dead {
				continue
			}
			out = append(out, cpRecord{Fence: f.def.ID, State: r.state, HasAnchor: r.hasAnchor, Since: r.since, Anchor: r.anchor})
		}
		return out
	}
	for id, slot := range e.objSlot {
		o := &e.objs[slot]
		if !o.has && len(o.recs) == 0 && len(o.roam) == 0 {
			continue
		}
		cp.Objects = append(cp.Objects, cpObject{ID: id, P: o.p, T: o.t, Has: o.has, Recs: recs(o.recs), Roam: recs(o.roam)})
	}
	return writeAtomic(e.checkpointPath(), func(f *os.File) error { return gob.NewEncoder(f).Encode(&cp) })
}

// writeAtomic writes a file through a temporary one, fsynced and renamed.
func writeAtomic(path string, write func(*os.File) error) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if err := write(tmp); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	d, err := os.Open(filepath.Dir(path))
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// restore loads the fences from the store, then the checkpoint, then the
// enter and exit events written after it, so that a restart knows who is in
// which fence. Run then catches up with the twin (from its feed when it
// reaches back, else by a resynchronisation).
func (e *Engine) restore() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	res, err := e.store.Query(context.Background(), twin.Query{Kinds: []twin.Kind{KindGeofence}})
	if err != nil {
		return fmt.Errorf("load fences: %w", err)
	}
	for i := range res.Entities {
		e.setFence(&res.Entities[i])
	}
	e.pend = e.pend[:0] // placing roaming fences at start says nothing new
	head, _, _ := e.ob.state()
	e.seq = head
	var cp checkpoint
	f, err := os.Open(e.checkpointPath())
	switch {
	case errors.Is(err, fs.ErrNotExist):
		e.fresh = head == 0
	case err != nil:
		return fmt.Errorf("load checkpoint: %w", err)
	default:
		err = gob.NewDecoder(f).Decode(&cp)
		f.Close()
		if err != nil || cp.Format != checkpointFormat {
			e.log.Warn("fence: checkpoint unreadable, resynchronising from the store", "err", err)
			cp = checkpoint{}
		}
	}
	fenceOf := func(id twin.ID, roaming bool) (uint32, bool) {
		s, ok := e.fenceSlot[id]
		return s, ok && e.fences[s].roaming == roaming
	}
	for _, co := range cp.Objects {
		slot := e.object(co.ID, nil)
		o := &e.objs[slot]
		o.p, o.t, o.has = co.P, co.T, co.Has
		for _, cr := range co.Recs {
			if s, ok := fenceOf(cr.Fence, false); ok {
				o.recs = append(o.recs, record{fence: s, state: cr.State, hasAnchor: cr.HasAnchor, since: cr.Since, anchor: cr.Anchor})
			}
		}
		for _, cr := range co.Roam {
			if s, ok := fenceOf(cr.Fence, true); ok {
				o.roam = append(o.roam, record{fence: s, state: cr.State, hasAnchor: cr.HasAnchor, since: cr.Since, anchor: cr.Anchor})
				e.member(e.fences[s], slot, true)
			}
		}
		sortRecords(o.recs)
		sortRecords(o.roam)
		if e.ogrid != nil && o.has {
			e.ogrid.Set(slot, o.p)
		}
	}
	e.twinSeq = cp.TwinSeq
	// Events written after the checkpoint carry the transitions it lacks.
	if head > cp.Seq {
		after := cp.Seq
		for {
			evs, err := e.ob.events(after, 10000)
			if err != nil {
				if errors.Is(err, ErrCompacted) {
					_, first, _ := e.ob.state()
					after = first - 1
					continue
				}
				return err
			}
			if len(evs) == 0 {
				break
			}
			for i := range evs {
				e.replayEvent(&evs[i])
			}
			after = evs[len(evs)-1].Seq
		}
		e.twinSeq = max(e.twinSeq, e.ob.twinSeq)
	}
	e.st.twinSeq.Store(e.twinSeq)
	return nil
}

// replayEvent applies an enter or exit from the outbox to the state.
func (e *Engine) replayEvent(ev *Event) {
	fs, ok := e.fenceSlot[ev.Fence]
	if !ok || ev.Kind != Enter && ev.Kind != Exit {
		return
	}
	r := e.fences[fs]
	slot := e.object(ev.Object, nil)
	o := &e.objs[slot]
	list := &o.recs
	if r.roaming {
		list = &o.roam
	}
	i := 0
	for i < len(*list) && (*list)[i].fence < fs {
		i++
	}
	has := i < len(*list) && (*list)[i].fence == fs
	switch ev.Kind {
	case Enter:
		rec := record{fence: fs, state: stIn, since: ev.T - r.dwell}
		if has {
			(*list)[i] = rec
		} else {
			*list = append(*list, record{})
			copy((*list)[i+1:], (*list)[i:])
			(*list)[i] = rec
		}
		if r.roaming {
			e.member(r, slot, true)
		}
	case Exit:
		if has {
			*list = append((*list)[:i], (*list)[i+1:]...)
		}
		if r.roaming {
			e.member(r, slot, false)
		}
	}
	o.p, o.has = ev.Point, true
}

func sortRecords(rs []record) {
	for i := 1; i < len(rs); i++ {
		for j := i; j > 0 && rs[j].fence < rs[j-1].fence; j-- {
			rs[j], rs[j-1] = rs[j-1], rs[j]
		}
	}
}
