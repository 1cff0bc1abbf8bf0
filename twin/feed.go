package twin

import (
	"context"
	"sync"
)

// Change is one applied op and its place in the sequence of all ops. For upserts
// and patches Op.Entity holds the entity as the store now holds it.
type Change struct {
	Seq uint64
	Op  Op
}

// feed keeps the newest ops in a ring for subscribers. Publishing never waits for
// a subscriber: one that falls behind the ring is told how many changes it missed.
type feed struct {
	mu   sync.Mutex
	ring []Change
	last uint64 // seq of the newest change, 0 before any
	// floor is the seq of the first change published: changes before it (the
	// ones a durable store replayed from its log at start) were never in the
	// ring, and a subscriber that asks for them is told it missed them.
	floor uint64
	wake  chan struct{} // closed on publish, then replaced
}

func newFeed(size int) *feed {
	return &feed{ring: make([]Change, size), wake: make(chan struct{})}
}

func (f *feed) publish(first uint64, ops []Op) {
	if len(ops) == 0 {
		return
	}
	f.mu.Lock()
	if f.floor == 0 {
		f.floor = first
	}
	n := uint64(len(f.ring))
	for i := range ops {
		seq := first + uint64(i)
		f.ring[seq%n] = Change{Seq: seq, Op: ops[i]}
	}
	f.last = first + uint64(len(ops)) - 1
	close(f.wake)
	f.wake = make(chan struct{})
	f.mu.Unlock()
}

// Subscription reads the change feed in order.
type Subscription struct {
	f    *feed
	next uint64 // seq of the next change to read
}

// Subscribe follows the changes after seq (use Seq() for "from now on", 0 for "from
// the oldest kept").
func (s *Store) Subscribe(after uint64) *Subscription {
	return &Subscription{f: s.feed, next: after + 1}
}

// Next waits for changes and returns up to max of them, in order. missed is the
// number of changes that were dropped from the ring before this subscriber read them
// (they are gone; a consumer that must not lose any reads the log instead).
func (sub *Subscription) Next(ctx context.Context, max int) (changes []Change, missed uint64, err error) {
	if max <= 0 {
		max = 1024
	}
	for {
		sub.f.mu.Lock()
		last, wake := sub.f.last, sub.f.wake
		if last >= sub.next {
			n := uint64(len(sub.f.ring))
			oldest := last - min(last, n-1)
			if oldest < sub.f.floor {
				oldest = sub.f.floor
			}
			if sub.next < oldest {
				missed = oldest - sub.next
				sub.next = oldest
			}
			if sub.next == 0 {
				sub.next = 1
			}
			for ; sub.next <= last && len(changes) < max; sub.next++ {
				changes = append(changes, sub.f.ring[sub.next%n])
			}
			sub.f.mu.Unlock()
			return changes, missed, nil
		}
		sub.f.mu.Unlock()
		select {
		case <-ctx.Done():
			return nil, 0, ctx.Err()
		case <-wake:
		}
	}
}

// Position is the seq of the next change this subscription will read, minus one.
func (sub *Subscription) Position() uint64 { return sub.next - 1 }
