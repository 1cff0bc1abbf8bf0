package fusion

import (
	"context"

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
			if next, changed := relink(s.Links, link); changed {
				e := s
				e.Links = next
				e.Version, e.Moving = 0, false
				ops = append(ops, twin.Op{Type: twin.OpUpsert, Source: "fusion", Entity: &e})
			}
		}
		if page.Next == "" {
			return ops, nil
		}
		q.After = page.Next
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

// relink replaces the in/near link of links with link (none when nil).
func relink(links []twin.Link, link *twin.Link) ([]twin.Link, bool) {
	var out []twin.Link
	var had *twin.Link
	for i, l := range links {
		if l.Rel == RelIn || l.Rel == RelNear {
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
