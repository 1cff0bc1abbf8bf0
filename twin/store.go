package twin

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"citytwin/geo"
	"citytwin/twin/series"

	"github.com/paulmach/orb"
)

// Config sets up a Store.
type Config struct {
	// Retention is how long observations and position samples are kept in memory;
	// 0 keeps everything. Versions of entities are always kept.
	Retention time.Duration
	// GridMetres is the cell size of the index of moving entities.
	GridMetres float64
	// RefLat is the latitude the grid is tuned for (the city's).
	RefLat float64
	// FeedSize is how many ops the change feed keeps for subscribers that fall behind.
	FeedSize int
	// Now is the clock for ops without a time; nil means time.Now.
	Now func() time.Time
}

// DefaultConfig returns the defaults.
func DefaultConfig() Config {
	return Config{Retention: 24 * time.Hour, GridMetres: 250, RefLat: 50, FeedSize: 4096}
}

// Validate checks the config.
func (c Config) Validate() error {
	switch {
	case c.Retention < 0:
		return errors.New("twin: retention must be >= 0")
	case c.GridMetres <= 0:
		return errors.New("twin: grid cell size must be > 0 metres")
	case c.RefLat < -85 || c.RefLat > 85:
		return errors.New("twin: reference latitude must be within ±85")
	case c.FeedSize < 16:
		return errors.New("twin: feed size must be >= 16")
	}
	return nil
}

// h3Base is the resolution at which points are indexed; coarser cells are parents.
const h3Base = 15

// h3IndexRes is the resolution of the cell → entities map.
const h3IndexRes = 9

// Store is the twin. See the package doc for its concurrency rules.
type Store struct {
	cfg Config

	mu    sync.RWMutex
	seq   uint64 // ops applied
	sym   *symbols
	kinds *symbols
	ids   idTable
	cur   []*state            // current state per slot
	hist  map[uint32][]*state // older states of changed entities, oldest first
	// cells holds the base-resolution H3 cell of each slot's point or centroid,
	// 0 when it has none or, for moving entities, until a query needs it (computing
	// a cell costs about 1.4 µs, too much for the move path). Accessed atomically.
	cells  []uint64
	tracks []*track            // per slot, nil unless the entity moves
	moving []uint64            // a bit per slot: whether tracks[slot] is set
	rt     *geo.RTree[uint32]  // bounds of current static geometry
	past   *geo.RTree[uint32]  // bounds of superseded geometry, for as-of queries
	grid   *geo.PointGrid      // current positions of moving entities
	byCell map[uint64][]uint32 // static slots by their cell at h3IndexRes
	// metrics maps a metric symbol to the channels of that metric.
	metrics map[uint32]map[uint32]*series.Series
	// chans holds the same channels by slot: an entity's few channels side by
	// side, so that a batch of readings of many metrics of many sensors costs a
	// map lookup per sensor, not one per reading in a map per metric.
	chans   map[uint32][]slotChannel
	kindN   map[uint16]int // live entities per kind
	movingN map[uint16]int // live moving entities per kind
	// byMetric holds the channels of each metric again, in slot order, for
	// Latest (see metricIndex); made on first use.
	byMetric map[uint32]*metricIndex

	// refs holds the slots of the observations and positions of the batch being
	// applied (see checkRefs).
	refs []uint32

	feed *feed

	durable *durable // the log and snapshots; nil for a store made with New
	failed  error    // set when the log failed: the store takes no more ops
	closed  bool
}

// New makes an empty store.
func New(cfg Config) (*Store, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Store{
		cfg:     cfg,
		sym:     newSymbols(),
		kinds:   newSymbols(),
		ids:     newIDTable(),
		hist:    make(map[uint32][]*state),
		rt:      &geo.RTree[uint32]{},
		past:    &geo.RTree[uint32]{},
		grid:    geo.NewPointGrid(cfg.GridMetres, cfg.RefLat),
		byCell:  make(map[uint64][]uint32),
		metrics: make(map[uint32]map[uint32]*series.Series),
		chans:   make(map[uint32][]slotChannel),
		kindN:   make(map[uint16]int),
		movingN: make(map[uint16]int),
		feed:    newFeed(cfg.FeedSize),
	}, nil
}

// slotOf finds the slot of an id. Must hold s.mu.
func (s *Store) slotOf(id ID) (uint32, bool) { return s.ids.lookup(id) }

// Seq is the number of ops applied so far: the position of the change feed.
func (s *Store) Seq() uint64 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.seq
}

// Len is the number of live entities.
func (s *Store) Len() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	n := 0
	for _, c := range s.kindN {
		n += c
	}
	return n
}

// Counts returns the number of live entities of each kind.
func (s *Store) Counts() map[Kind]int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	m := make(map[Kind]int, len(s.kindN))
	for k, n := range s.kindN {
		if n > 0 {
			m[Kind(s.kinds.name(uint32(k)))] = n
		}
	}
	return m
}

// Kinds lists the kinds that have ever had entities, in order of first appearance.
func (s *Store) Kinds() []Kind {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]Kind, len(s.kinds.names))
	for i, n := range s.kinds.names {
		out[i] = Kind(n)
	}
	return out
}

// Get returns the current state of an entity.
func (s *Store) Get(id ID) (Entity, error) { return s.GetAt(id, 0) }

// GetAt returns an entity as it was at t (Unix nanoseconds); 0 means now.
func (s *Store) GetAt(id ID, t int64) (Entity, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	slot, ok := s.slotOf(id)
	if !ok {
		return Entity{}, fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	e, ok := s.entityAt(slot, t)
	if !ok {
		return Entity{}, fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	return e, nil
}

// History returns every version of an entity, oldest first (tombstones included,
// with Kind set and Geometry nil).
func (s *Store) History(id ID) ([]Entity, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	slot, ok := s.slotOf(id)
	if !ok || s.cur[slot] == nil {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	states := append(append([]*state(nil), s.hist[slot]...), s.cur[slot])
	out := make([]Entity, len(states))
	for i, st := range states {
		out[i] = st.entity(s, id)
	}
	return out, nil
}

// stateAt is the state of slot at t (0 = now), nil when the entity did not exist.
// Must hold s.mu.
func (s *Store) stateAt(slot uint32, t int64) *state {
	st := s.cur[slot]
	if st == nil {
		return nil
	}
	if t != 0 && st.from > t {
		st = nil
		h := s.hist[slot]
		for i := len(h) - 1; i >= 0; i-- {
			if h[i].from <= t {
				st = h[i]
				break
			}
		}
	}
	if st == nil || st.deleted() {
		return nil
	}
	return st
}

// moves reports whether slot has ever moved (has a track). It reads a bitset of
// 1 bit a slot, which stays in cache where the tracks column would cost a miss
// per entity in every query.
func (s *Store) moves(slot uint32) bool { return s.moving[slot>>6]&(1<<(slot&63)) != 0 }

// pointAt is slot's position at t when its geometry there is a point: where a
// moving entity was last reported, or a point state's own.
func (s *Store) pointAt(slot uint32, st *state, t int64) (orb.Point, bool) {
	if s.moves(slot) {
		if t == 0 {
			if p, ok := s.grid.Point(slot); ok {
				return p, true
			}
		} else if p, ok := s.tracks[slot].at(t); ok {
			return p, true
		}
	}
	return st.pt, st.flags&flagPoint != 0
}

// anchorAt is the point that stands for slot at t in the H3 index.
func (s *Store) anchorAt(slot uint32, st *state, t int64) (orb.Point, bool) {
	if p, ok := s.pointAt(slot, st, t); ok {
		return p, true
	}
	return anchor(st.geometry())
}

// geometryAt is slot's geometry at t, following its track when it moves.
func (s *Store) geometryAt(slot uint32, st *state, t int64) orb.Geometry {
	if p, ok := s.pointAt(slot, st, t); ok {
		return p
	}
	return st.geometry()
}

// entityAt materialises slot at t. Must hold s.mu.
func (s *Store) entityAt(slot uint32, t int64) (Entity, bool) {
	st := s.stateAt(slot, t)
	if st == nil {
		return Entity{}, false
	}
	return s.materialise(slot, st, t, make(Properties, len(st.props))), true
}

// entitiesAt materialises slots that exist at t. Must hold s.mu.
func (s *Store) entitiesAt(slots []uint32, t int64) []Entity {
	out := make([]Entity, len(slots))
	s.fillEntities(slots, t, func(i int) *Entity { return &out[i] })
	return out
}

// fillEntities materialises slots that exist at t into dst(i), their properties
// sharing one allocation: a page of ten thousand entities costs two
// allocations, not ten thousand. Must hold s.mu.
func (s *Store) fillEntities(slots []uint32, t int64, dst func(i int) *Entity) {
	n := 0
	for _, slot := range slots {
		n += len(s.stateAt(slot, t).props)
	}
	slab := make(Properties, n)
	for i, slot := range slots {
		st := s.stateAt(slot, t)
		k := len(st.props)
		*dst(i) = s.materialise(slot, st, t, slab[:k:k])
		slab = slab[k:]
	}
}

func (s *Store) materialise(slot uint32, st *state, t int64, props Properties) Entity {
	e := st.entityWith(s, s.ids.id(slot), props)
	if s.moves(slot) {
		e.Moving = true
		e.Geometry = s.geometryAt(slot, st, t)
	}
	return e
}

// cellOf returns the base-resolution H3 cell of slot now, computing and caching it
// for moving entities. Safe under the read lock: the cache is written atomically and
// any racing writer stores the same value.
func (s *Store) cellOf(slot uint32, p orb.Point) uint64 {
	if c := atomic.LoadUint64(&s.cells[slot]); c != 0 {
		return c
	}
	c := uint64(geo.Cell(p, h3Base))
	atomic.StoreUint64(&s.cells[slot], c)
	return c
}

// anchor is the point that stands for a geometry in the H3 index: the point itself,
// or the centre of its bound.
func anchor(g orb.Geometry) (orb.Point, bool) {
	if g == nil || EmptyGeometry(g) {
		return orb.Point{}, false
	}
	if p, ok := g.(orb.Point); ok {
		return p, true
	}
	return g.Bound().Center(), true
}

// EmptyGeometry reports whether g has no points: the twin keeps no place for
// an entity with such a geometry.
func EmptyGeometry(g orb.Geometry) bool {
	switch g := g.(type) {
	case orb.MultiPoint:
		return len(g) == 0
	case orb.LineString:
		return len(g) == 0
	case orb.MultiLineString:
		return len(g) == 0
	case orb.Ring:
		return len(g) == 0
	case orb.Polygon:
		return len(g) == 0 || len(g[0]) == 0
	case orb.MultiPolygon:
		return len(g) == 0
	case orb.Collection:
		return len(g) == 0
	}
	return false
}
