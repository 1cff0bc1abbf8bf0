package fleet

import (
	"context"
	"runtime"
	"sync"
	"weak"

	"citytwin/twin"
)

// A store's trucks change rarely (an upsert or patch of a vehicle) while its
// channels change all the time. Materialising the trucks for every query
// (Store.Query builds each entity: its properties, its place from the track)
// costs more than the latest-row queries themselves, so each store's roster is
// kept and followed through the store's change feed: a query first reads the
// changes since the roster was made, and rebuilds it when one of them touches
// a vehicle, or when the feed dropped changes it had not read.

// rosterCache is one store's trucks, every fleet, in the twin's order.
type rosterCache struct {
	mu     sync.Mutex
	sub    *twin.Subscription
	seq    uint64 // the store's Seq when trucks was last known to be current
	roster *rosterOf
	cols   columnView // the trucks' channels (columns.go), its own lock
}

// rosterOf is the trucks of a store, every fleet, in the twin's order, and
// where each is in that order. It is shared: never modified once made.
type rosterOf struct {
	trucks []Truck
	index  map[twin.ID]int
}

var rosters = struct {
	mu sync.Mutex
	m  map[weak.Pointer[twin.Store]]*rosterCache
}{m: map[weak.Pointer[twin.Store]]*rosterCache{}}

// done is a context that is already over: Subscription.Next then returns the
// changes it has without waiting for more.
var done = func() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}()

func cacheOf(s *twin.Store) *rosterCache {
	key := weak.Make(s)
	rosters.mu.Lock()
	defer rosters.mu.Unlock()
	c := rosters.m[key]
	if c == nil {
		c = &rosterCache{}
		rosters.m[key] = c
		runtime.AddCleanup(s, func(k weak.Pointer[twin.Store]) {
			rosters.mu.Lock()
			delete(rosters.m, k)
			rosters.mu.Unlock()
		}, key)
	}
	return c
}

// allTrucks returns every truck of the store, current as of the call. It is
// shared: callers must not modify it.
func allTrucks(ctx context.Context, s *twin.Store) (*rosterOf, error) {
	c := cacheOf(s)
	c.mu.Lock()
	defer c.mu.Unlock()
	seq := s.Seq()
	if c.sub != nil && seq == c.seq {
		return c.roster, nil
	}
	if c.sub != nil && c.current() {
		c.seq = seq
		return c.roster, nil
	}
	// (Re)build: follow the feed from before the query, so that a change
	// during it is seen next time.
	seq = s.Seq()
	sub := s.Subscribe(seq)
	trucks, err := roster(ctx, s, rosterQuery(""))
	if err != nil {
		return nil, err
	}
	r := &rosterOf{trucks: trucks, index: make(map[twin.ID]int, len(trucks))}
	for i, t := range trucks {
		r.index[t.ID] = i
	}
	c.sub, c.seq, c.roster = sub, seq, r
	return r, nil
}

// current reads the changes since the roster was made: false when one may
// have changed a truck, or some were dropped unread.
func (c *rosterCache) current() bool {
	for {
		changes, missed, err := c.sub.Next(done, 4096)
		if err != nil {
			return true // no more changes
		}
		if missed > 0 {
			return false
		}
		for i := range changes {
			op := &changes[i].Op
			switch op.Type {
			case twin.OpUpsert, twin.OpPatch:
				if op.Entity != nil && op.Entity.Kind == twin.KindVehicle || c.has(op.ID) || op.Entity != nil && c.has(op.Entity.ID) {
					return false
				}
			case twin.OpDelete:
				if c.has(op.ID) {
					return false
				}
			}
		}
	}
}

func (c *rosterCache) has(id twin.ID) bool {
	_, ok := c.roster.index[id]
	return ok
}

// fleetTrucks returns the trucks of a fleet ("" = all) or with the given
// names, from the roster.
func fleetTrucks(ctx context.Context, s *twin.Store, fleet string, names []string) ([]Truck, error) {
	r, err := allTrucks(ctx, s)
	if err != nil {
		return nil, err
	}
	if fleet == "" && len(names) == 0 {
		return r.trucks, nil
	}
	var out []Truck
	for i := range r.trucks {
		if t := &r.trucks[i]; selected(t, fleet, names) {
			out = append(out, *t)
		}
	}
	return out, nil
}
