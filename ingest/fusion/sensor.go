package fusion

import (
	"context"
	"time"

	"citytwin/twin"

	"github.com/paulmach/orb"
)

// The relations LinkSensors sets.
const (
	RelIn   = "in"   // a sensor in a building
	RelNear = "near" // a sensor by a road
)

// LinkSensors links every sensor to the building it stands in or, failing
// that, to the nearest road within opts.RoadDistance metres, and returns the
// upserts of the sensors whose link changed. Run it after an import and as
// sensors move.
func LinkSensors(ctx context.Context, store *twin.Store, opts Options) ([]twin.Op, error) {
	var ops []twin.Op
	q := twin.Query{Kinds: []twin.Kind{twin.KindSensor}, Limit: 10_000}
	for {
		page, err := store.Query(ctx, q)
		if err != nil {
			return nil, err
		}
		for _, s := range page.Entities {
			p, ok := s.Geometry.(orb.Point)
			if !ok {
				continue
			}
			link, err := placeOf(ctx, store, p, opts)
			if err != nil {
				return nil, err
			}
			if op, ok := relinkOp(store, s, link); ok {
				ops = append(ops, op)
			}
		}
		if page.Next == "" {
			return ops, nil
		}
		q.After = page.Next
	}
}

// LinkSensorsByID is LinkSensors for the given entities only (those that are
// sensors with a point): what a change-feed follower calls for the sensors that
// moved.
func LinkSensorsByID(ctx context.Context, store *twin.Store, ids []twin.ID, opts Options) ([]twin.Op, error) {
	var ops []twin.Op
	for _, id := range ids {
		s, err := store.Get(id)
		if err != nil || s.Kind != twin.KindSensor {
			continue
		}
		p, ok := s.Geometry.(orb.Point)
		if !ok {
			continue
		}
		link, err := placeOf(ctx, store, p, opts)
		if err != nil {
			return nil, err
		}
		if op, ok := relinkOp(store, s, link); ok {
			ops = append(ops, op)
		}
	}
	return ops, nil
}

// isPlace says whether id is a building or a road: what this package links
// sensors to.
func isPlace(store *twin.Store, id twin.ID) bool {
	e, err := store.Get(id)
	return err == nil && (e.Kind == twin.KindBuilding || e.Kind == twin.KindRoad)
}

// relinkOp is the upsert that gives sensor s its new link, if it changed. A
// moving sensor's upsert has no geometry: its track keeps saying where it is,
// and a position read a moment ago must not be written back over a newer one.
func relinkOp(store *twin.Store, s twin.Entity, link *twin.Link) (twin.Op, bool) {
	next, changed := relink(store, s.Links, link)
	if !changed {
		return twin.Op{}, false
	}
	e := s
	e.Links = next
	if e.Moving {
		e.Geometry = nil
	}
	e.Version, e.Moving = 0, false
	return twin.Op{Type: twin.OpUpsert, Source: linkSource, Entity: &e}, true
}

// linkSource is the source of the relinking upserts, by which a follower of
// the change feed knows its own.
const linkSource = "fusion"

// FollowSensors keeps sensors' links current: it follows the change feed and,
// every interval, relinks the sensors that moved or were upserted since (all
// of them at the first tick, and when the feed dropped changes this follower
// had not read). It returns when ctx ends.
func FollowSensors(ctx context.Context, store *twin.Store, opts Options, every time.Duration) error {
	sub := store.Subscribe(store.Seq())
	dirty := map[twin.ID]bool{}
	all := true // a first pass over every sensor, then only what changed
	tick := time.NewTicker(every)
	defer tick.Stop()
	changes := make(chan []twin.Change, 1)
	missed := make(chan uint64, 1)
	errc := make(chan error, 1)
	// The reader goroutine ends with ctx, like the loop below; it never blocks
	// on a send the loop will not take.
	go func() {
		for {
			cs, n, err := sub.Next(ctx, 4096)
			if err != nil {
				errc <- err
				return
			}
			if n > 0 {
				select {
				case missed <- n:
				case <-ctx.Done():
					return
				}
			}
			select {
			case changes <- cs:
			case <-ctx.Done():
				return
			}
		}
	}()
	for {
		select {
		case <-ctx.Done():
			return nil
		case err := <-errc:
			if ctx.Err() != nil {
				return nil
			}
			return err
		case <-missed:
			all = true
		case cs := <-changes:
			for _, c := range cs {
				switch {
				case c.Op.Type == twin.OpMove:
					for _, p := range c.Op.Positions {
						dirty[p.ID] = true
					}
				case c.Op.Type == twin.OpUpsert && c.Op.Source != linkSource && c.Op.Entity != nil && c.Op.Entity.Kind == twin.KindSensor:
					dirty[c.Op.Entity.ID] = true
				}
			}
		case <-tick.C:
			var ops []twin.Op
			var err error
			if all {
				ops, err = LinkSensors(ctx, store, opts)
			} else if len(dirty) > 0 {
				ids := make([]twin.ID, 0, len(dirty))
				for id := range dirty {
					ids = append(ids, id)
				}
				ops, err = LinkSensorsByID(ctx, store, ids, opts)
			}
			if err != nil {
				return err
			}
			if len(ops) > 0 {
				if _, err := store.ApplyContext(ctx, ops...); err != nil {
					return err
				}
			}
			clear(dirty)
			all = false
		}
	}
}

// placeOf finds what a point is in or near.
func placeOf(ctx context.Context, store *twin.Store, p orb.Point, opts Options) (*twin.Link, error) {
	in, err := store.Query(ctx, twin.Query{Kinds: []twin.Kind{twin.KindBuilding}, Intersects: p, Limit: 1})
	if err != nil {
		return nil, err
	}
	if len(in.Entities) > 0 {
		return &twin.Link{Rel: RelIn, To: in.Entities[0].ID}, nil
	}
	near, err := store.Nearest(ctx, p, 1, twin.Query{Kinds: []twin.Kind{twin.KindRoad}})
	if err != nil {
		return nil, err
	}
	if len(near) > 0 && near[0].Distance <= opts.RoadDistance {
		return &twin.Link{Rel: RelNear, To: near[0].Entity.ID}, nil
	}
	return nil, nil
}

// relink replaces the in/near link of links to a building or road with link
// (none when nil). Links of other meanings stay: a sensor "in" its district
// zone, "on" a roof, a producer's own words.
func relink(store *twin.Store, links []twin.Link, link *twin.Link) ([]twin.Link, bool) {
	var out []twin.Link
	var had *twin.Link
	for i, l := range links {
		if (l.Rel == RelIn || l.Rel == RelNear) && isPlace(store, l.To) {
			had = &links[i]
			continue
		}
		out = append(out, l)
	}
	if link != nil {
		out = append(out, *link)
	}
	switch {
	case had == nil && link == nil:
		return links, false
	case had != nil && link != nil && *had == *link:
		return links, false
	}
	return out, true
}
