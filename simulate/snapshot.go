package simulate

import (
	"context"
	"time"

	"citytwin/twin"

	"github.com/paulmach/orb"
)

// Snapshot is the twin pinned at one moment: the seq of the newest change it
// had applied and the instant. Forking copies nothing: the twin keeps a
// version history of every entity and a track of every moving one, so reading
// it as of the instant sees the state at the pin whatever changes later
// (copy-on-write at the granularity of entity versions). A scenario reads its
// inputs through the snapshot once, when it is created, and keeps them, so its
// runs do not depend on how long the twin retains history.
type Snapshot struct {
	store *twin.Store
	Seq   uint64
	At    time.Time
}

// Fork pins the twin as it is now.
func Fork(store *twin.Store, now time.Time) Snapshot {
	return Snapshot{store: store, Seq: store.Seq(), At: now}
}

// Query answers q as of the snapshot (q.At is replaced).
func (s Snapshot) Query(ctx context.Context, q twin.Query) ([]twin.Entity, error) {
	q.At = s.At.UnixNano()
	q.Until = 0
	res, err := s.store.Query(ctx, q)
	if err != nil {
		return nil, err
	}
	return res.Entities, nil
}

// Get is one entity as of the snapshot.
func (s Snapshot) Get(id twin.ID) (twin.Entity, error) { return s.store.GetAt(id, s.At.UnixNano()) }

// kinds queries the entities of some kinds, within b when set.
func (s Snapshot) kinds(ctx context.Context, b orb.Bound, hasArea bool, kinds ...twin.Kind) ([]twin.Entity, error) {
	q := twin.Query{Kinds: kinds}
	if hasArea {
		q.BBox = []orb.Bound{b}
	}
	return s.Query(ctx, q)
}
