package fence

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"citytwin/twin/wal"
)

// ErrCompacted is returned by Events for a position older than the oldest
// event the outbox keeps.
var ErrCompacted = errors.New("fence: events compacted away")

// outbox is the durable log of events (a twin/wal log whose record index is
// the seq of the record's last event) with the newest events in a ring for
// live readers. Events become visible only once the log has them.
type outbox struct {
	log *wal.Log
	buf []byte // encoding scratch, used under the engine's lock

	mu        sync.Mutex
	ring      []Event
	ringStart uint64 // lowest seq in the ring (0: empty)
	head      uint64 // seq of the newest event
	first     uint64 // seq of the oldest event kept in the log (0: none)
	marks     []mark // (record's last seq, wall second): for retention by age
	wake      chan struct{}
	twinSeq   uint64 // twin seq reached by the newest record
}

type mark struct {
	seq  uint64
	wall int64 // Unix seconds
}

var errStop = errors.New("stop")

func openOutbox(dir string, opts wal.Options, ringSize int) (*outbox, error) {
	l, _, err := wal.Open(dir, opts)
	if err != nil {
		return nil, fmt.Errorf("open outbox: %w", err)
	}
	o := &outbox{log: l, ring: make([]Event, ringSize), wake: make(chan struct{})}
	// Find the oldest and newest events and put the newest in the ring.
	var evs []Event
	err = l.Replay(0, func(_ uint64, payload []byte) error {
		h, _, err := decodeRecord(nil, payload, true)
		if err != nil {
			return err
		}
		if o.first == 0 {
			o.first = h.first
		}
		last := h.first + uint64(h.n) - 1
		o.head, o.twinSeq = last, h.twinSeq
		if sec := h.wall / 1e9; len(o.marks) == 0 || o.marks[len(o.marks)-1].wall != sec {
			o.marks = append(o.marks, mark{seq: last, wall: sec})
		} else {
			o.marks[len(o.marks)-1].seq = last
		}
		return nil
	})
	if err == nil && o.head > 0 {
		from := o.first
		if n := uint64(ringSize); o.head-o.first+1 > n {
			from = o.head - n + 1
		}
		err = l.Replay(from, func(_ uint64, payload []byte) error {
			evs = evs[:0]
			_, evs, err = decodeRecord(evs, payload, false)
			for _, ev := range evs {
				if ev.Seq >= from {
					o.put(ev)
				}
			}
			return err
		})
	}
	if err != nil {
		l.Close()
		return nil, fmt.Errorf("read outbox: %w", err)
	}
	return o, nil
}

// put stores ev in the ring. Must hold mu or own o alone.
func (o *outbox) put(ev Event) {
	n := uint64(len(o.ring))
	o.ring[ev.Seq%n] = ev
	if o.ringStart == 0 {
		o.ringStart = ev.Seq
	}
	if ev.Seq >= o.ringStart+n {
		o.ringStart = ev.Seq - n + 1
	}
}

// append logs events (their seqs already set, following head), waits until
// the log has them as its sync policy says, then makes them visible.
func (o *outbox) append(evs []Event, twinSeq uint64, now time.Time) error {
	last := evs[len(evs)-1].Seq
	o.buf = encodeRecord(o.buf[:0], now.UnixNano(), twinSeq, evs)
	if err := o.log.Append(last, o.buf); err != nil {
		return fmt.Errorf("append outbox: %w", err)
	}
	// Not cancellable: once appended, the record is published only when it is
	// durable, and the wait is bounded by the disk.
	if err := o.log.Wait(context.Background(), last); err != nil {
		return fmt.Errorf("append outbox: %w", err)
	}
	o.mu.Lock()
	if o.first == 0 {
		o.first = evs[0].Seq
	}
	for i := range evs {
		o.put(evs[i])
	}
	o.head, o.twinSeq = last, twinSeq
	if sec := now.Unix(); len(o.marks) == 0 || o.marks[len(o.marks)-1].wall != sec {
		o.marks = append(o.marks, mark{seq: last, wall: sec})
	} else {
		o.marks[len(o.marks)-1].seq = last
	}
	close(o.wake)
	o.wake = make(chan struct{})
	o.mu.Unlock()
	return nil
}

// state returns head, first and the channel closed on the next append.
func (o *outbox) state() (head, first uint64, wake <-chan struct{}) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.head, o.first, o.wake
}

// events returns up to max events with seq > after, from the ring when it
// reaches back that far, else from the log.
func (o *outbox) events(after uint64, max int) ([]Event, error) {
	if max <= 0 {
		max = 1000
	}
	o.mu.Lock()
	head, first := o.head, o.first
	if after >= head {
		o.mu.Unlock()
		return nil, nil
	}
	if after+1 < first {
		o.mu.Unlock()
		return nil, fmt.Errorf("%w: asked for events after %d, the oldest kept is %d", ErrCompacted, after, first)
	}
	if o.ringStart > 0 && after+1 >= o.ringStart {
		n := min(uint64(max), head-after)
		out := make([]Event, 0, n)
		for s := after + 1; s <= after+n; s++ {
			out = append(out, o.ring[s%uint64(len(o.ring))])
		}
		o.mu.Unlock()
		return out, nil
	}
	o.mu.Unlock()
	var out, buf []Event
	err := o.log.Replay(after+1, func(_ uint64, payload []byte) error {
		var err error
		buf, err = func() ([]Event, error) {
			_, b, err := decodeRecord(buf[:0], payload, false)
			return b, err
		}()
		if err != nil {
			return err
		}
		for _, ev := range buf {
			if ev.Seq > after {
				out = append(out, ev)
				if len(out) == max {
					return errStop
				}
			}
		}
		return nil
	})
	if err != nil && !errors.Is(err, errStop) {
		return nil, fmt.Errorf("read outbox: %w", err)
	}
	if len(out) > 0 && out[0].Seq != after+1 {
		return nil, fmt.Errorf("%w: asked for events after %d, the oldest kept is %d", ErrCompacted, after, out[0].Seq)
	}
	return out, nil
}

// compact drops the segments that hold only events older than keepFor or
// beyond the newest keepN (0: no limit of that kind), and returns how many
// events went.
func (o *outbox) compact(now time.Time, keepFor time.Duration, keepN uint64) (uint64, error) {
	o.mu.Lock()
	var upTo uint64
	if keepN > 0 && o.head > keepN {
		upTo = o.head - keepN
	}
	if keepFor > 0 {
		cut := now.Add(-keepFor).Unix()
		for _, m := range o.marks {
			if m.wall >= cut {
				break
			}
			upTo = max(upTo, m.seq)
		}
	}
	before := o.first
	o.mu.Unlock()
	if upTo == 0 || upTo < before {
		return 0, nil
	}
	if err := o.log.Compact(upTo); err != nil {
		return 0, fmt.Errorf("compact outbox: %w", err)
	}
	// The first record left says where the log starts now.
	var first uint64
	err := o.log.Replay(0, func(_ uint64, payload []byte) error {
		h, _, err := decodeRecord(nil, payload, true)
		if err != nil {
			return err
		}
		first = h.first
		return errStop
	})
	if err != nil && !errors.Is(err, errStop) {
		return 0, fmt.Errorf("compact outbox: %w", err)
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if first == 0 {
		first = o.head + 1 // everything went; the next event starts the log
	}
	if first <= o.first {
		return 0, nil
	}
	gone := first - o.first
	o.first = first
	i := 0
	for i < len(o.marks) && o.marks[i].seq < first {
		i++
	}
	o.marks = append(o.marks[:0], o.marks[i:]...)
	if o.ringStart < first {
		o.ringStart = first
	}
	return gone, nil
}

func (o *outbox) close() error { return o.log.Close() }
