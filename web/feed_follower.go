package web

import (
	"context"
	"sync"
	"sync/atomic"

	"citytwin/twin"
)

// feedFollower keeps a cache up to date with the twin's change feed on demand:
// each lookup first applies the changes up to the store's current seq, so
// nothing is served from before a change that was applied. There is no
// goroutine; the caller that finds the cache behind drains the feed.
type feedFollower struct {
	store   *twin.Store
	drain   sync.Mutex         // held while reading the feed and applying it
	sub     *twin.Subscription // guarded by drain
	applied atomic.Uint64      // the feed is applied up to this seq
}

// follow starts following store from now on.
func (f *feedFollower) follow(store *twin.Store) {
	f.store = store
	seq := store.Seq()
	f.sub = store.Subscribe(seq)
	f.applied.Store(seq)
}

// sync applies the changes up to the twin's seq and returns the seq applied.
// apply gets each batch read (with the feed's position after it), or nil
// changes and missed > 0 when the feed dropped changes the cache cannot know;
// it runs under drain.
func (f *feedFollower) sync(ctx context.Context, apply func(changes []twin.Change, missed, pos uint64)) uint64 {
	seq := f.store.Seq()
	if f.applied.Load() >= seq {
		return seq
	}
	f.drain.Lock()
	defer f.drain.Unlock()
	for f.sub.Position() < seq {
		changes, missed, err := f.sub.Next(ctx, 4096)
		if err != nil { // the request was cancelled; its answer no longer matters
			return f.applied.Load()
		}
		if missed > 0 {
			changes = nil
		}
		apply(changes, missed, f.sub.Position())
	}
	f.applied.Store(f.sub.Position())
	return f.sub.Position()
}
