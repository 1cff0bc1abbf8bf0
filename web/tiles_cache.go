package web

import (
	"context"
	"math"
	"sync"
	"sync/atomic"

	"citytwin/render"
	"citytwin/twin"

	"github.com/paulmach/orb"
)

// DefaultTileCacheBytes bounds the vector tile cache unless WithTileCache says
// otherwise.
const DefaultTileCacheBytes = 256 << 20

// WithTileCache sets how many bytes of vector tiles the server keeps (0 keeps
// none).
func WithTileCache(maxBytes int64) Option {
	return func(s *Server) { s.tiles = newTileCache(s.store, maxBytes) }
}

// tileKey names a cached tile: the layer, the tile, the encoding and, for the
// h3 layer, what it aggregates.
type tileKey struct {
	layer  uint8 // index in render.TileLayerNames
	z      uint8
	gzip   bool
	x, y   uint32
	metric string // h3
	agg    uint8  // h3
	res    int8   // h3: the resolution used (never ResAuto)
}

type tileXY struct{ x, y uint32 }

// tileEntry is a cached tile, in the LRU list and the spatial index.
type tileEntry struct {
	key        tileKey
	body       []byte
	etag       string
	prev, next *tileEntry
}

func (e *tileEntry) size() int64 { return int64(len(e.body)+len(e.etag)+len(e.key.metric)) + 160 }

// tileCache keeps rendered tiles of the current twin, bounded by bytes and
// least recently used first out, and drops the ones a change touches.
//
// It follows the twin's change feed without a goroutine of its own: every
// lookup first applies the changes the twin has made since the last one
// (sync), so that a tile is never served from before a change that was applied
// when the request came. A tile rendered while a change to its layer was being
// applied is not kept (put compares the layer's dirty seq with the seq the
// render started from).
//
// Lock order: drain, then mu.
type tileCache struct {
	store *twin.Store
	max   int64
	nl    int // layers
	h3    int // index of the h3 layer

	feed    feedFollower
	places  map[twin.ID]place // moving entities' last known places; guarded by feed.drain
	metrics map[string]bool   // metrics seen observed; guarded by feed.drain

	mu      sync.Mutex
	entries map[tileKey]*tileEntry
	index   [][render.TileMaxZoom + 1]map[tileXY][]*tileEntry // [layer][z]
	h3Res   [render.TileMaxZoom + 1][16]int                   // h3 entries per zoom and resolution
	lru     tileEntry                                         // sentinel: lru.next is the newest
	bytes   int64
	dirty   []uint64 // per layer: the seq of the last change that touched it

	hits, misses, drops, evictions atomic.Uint64
}

type place struct {
	p    orb.Point
	kind twin.Kind
}

func newTileCache(store *twin.Store, maxBytes int64) *tileCache {
	names := render.TileLayerNames()
	c := &tileCache{store: store, max: maxBytes, nl: len(names),
		places: map[twin.ID]place{}, metrics: map[string]bool{},
		entries: map[tileKey]*tileEntry{}, dirty: make([]uint64, len(names)),
		index: make([][render.TileMaxZoom + 1]map[tileXY][]*tileEntry, len(names))}
	for i, n := range names {
		if n == render.LayerH3 {
			c.h3 = i
		}
	}
	c.lru.next, c.lru.prev = &c.lru, &c.lru
	c.feed.follow(store)
	return c
}

// get returns the cached tile of key, rendering and keeping it on a miss.
func (c *tileCache) get(ctx context.Context, key tileKey, renderTile func() ([]byte, error)) (*tileEntry, error) {
	seq := c.sync(ctx)
	c.mu.Lock()
	if e := c.entries[key]; e != nil {
		c.unlink(e)
		c.pushFront(e)
		c.mu.Unlock()
		c.hits.Add(1)
		return e, nil
	}
	c.mu.Unlock()
	c.misses.Add(1)
	body, err := renderTile()
	if err != nil {
		return nil, err
	}
	e := &tileEntry{key: key, body: body, etag: tileETag(body)}
	c.put(e, seq)
	return e, nil
}

// put keeps e, rendered from the twin at seq or later, unless a change to its
// layer has been applied since seq: the render may have missed it.
func (c *tileCache) put(e *tileEntry, seq uint64) {
	if e.size() > c.max/4 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.dirty[e.key.layer] > seq || c.entries[e.key] != nil {
		return
	}
	c.entries[e.key] = e
	c.pushFront(e)
	c.bytes += e.size()
	m := c.index[e.key.layer][e.key.z]
	if m == nil {
		m = map[tileXY][]*tileEntry{}
		c.index[e.key.layer][e.key.z] = m
	}
	xy := tileXY{e.key.x, e.key.y}
	m[xy] = append(m[xy], e)
	if int(e.key.layer) == c.h3 {
		c.h3Res[e.key.z][e.key.res]++
	}
	for c.bytes > c.max && c.lru.prev != &c.lru {
		c.remove(c.lru.prev)
		c.evictions.Add(1)
	}
}

func (c *tileCache) pushFront(e *tileEntry) {
	e.prev, e.next = &c.lru, c.lru.next
	c.lru.next.prev = e
	c.lru.next = e
}

func (c *tileCache) unlink(e *tileEntry) {
	e.prev.next, e.next.prev = e.next, e.prev
	e.prev, e.next = nil, nil
}

// remove drops e from the list, the map and the index. Must hold mu.
func (c *tileCache) remove(e *tileEntry) {
	c.unlink(e)
	delete(c.entries, e.key)
	c.bytes -= e.size()
	m := c.index[e.key.layer][e.key.z]
	xy := tileXY{e.key.x, e.key.y}
	es := m[xy]
	for i, o := range es {
		if o == e {
			es = append(es[:i], es[i+1:]...)
			break
		}
	}
	if len(es) == 0 {
		delete(m, xy)
	} else {
		m[xy] = es
	}
	if int(e.key.layer) == c.h3 {
		c.h3Res[e.key.z][e.key.res]--
	}
}

// sync applies the changes of the twin up to its current seq and returns it.
func (c *tileCache) sync(ctx context.Context) uint64 {
	return c.feed.sync(ctx, func(changes []twin.Change, missed, pos uint64) {
		c.mu.Lock()
		defer c.mu.Unlock()
		if missed > 0 {
			c.dropAll(pos)
			return
		}
		for i := range changes {
			c.apply(&changes[i])
		}
	})
}

// dropAll empties the cache and marks every layer dirty at seq. Must hold mu.
func (c *tileCache) dropAll(seq uint64) {
	for c.lru.prev != &c.lru {
		c.remove(c.lru.prev)
		c.drops.Add(1)
	}
	for i := range c.dirty {
		c.dirty[i] = seq
	}
	clear(c.places) // they may have moved unseen
}

// apply drops the tiles one change touches. Must hold drain and mu.
func (c *tileCache) apply(ch *twin.Change) {
	op := &ch.Op
	switch op.Type {
	case twin.OpUpsert, twin.OpPatch:
		e := op.Entity
		if e == nil {
			return
		}
		geoms := []*twin.Entity{e}
		if e.Version > 1 { // where it was, and what it was

			if hist, err := c.store.History(e.ID); err == nil && int(e.Version)-2 < len(hist) {
				geoms = append(geoms, &hist[e.Version-2])
			}
		}
		if old, ok := c.places[e.ID]; ok {
			geoms = append(geoms, &twin.Entity{Kind: old.kind, Geometry: old.p})
		}
		if p, ok := e.Geometry.(orb.Point); ok && e.Moving {
			c.places[e.ID] = place{p: p, kind: e.Kind}
		}
		c.dropEntities(ch.Seq, geoms, "")
	case twin.OpDelete:
		var geoms []*twin.Entity
		if hist, err := c.store.History(op.ID); err == nil {
			for i := range hist {
				geoms = append(geoms, &hist[i])
			}
		}
		if old, ok := c.places[op.ID]; ok {
			geoms = append(geoms, &twin.Entity{Kind: old.kind, Geometry: old.p})
			delete(c.places, op.ID)
		}
		c.dropEntities(ch.Seq, geoms, "")
	case twin.OpMove:
		for _, p := range op.Positions {
			old, known := c.places[p.ID]
			if !known {
				e, err := c.store.Get(p.ID)
				if err != nil {
					continue
				}
				old.kind = e.Kind
				// Where it was before is not known: drop its layers everywhere.
				for _, name := range render.TileLayersOfKind(e.Kind) {
					c.dropLayer(ch.Seq, c.layerIndex(name), func(*tileEntry) bool { return true })
				}
				c.dropLayer(ch.Seq, c.h3, func(*tileEntry) bool { return true })
			}
			c.places[p.ID] = place{p: p.Point, kind: old.kind}
			if known {
				c.dropEntities(ch.Seq, []*twin.Entity{{Kind: old.kind, Geometry: old.p}, {Kind: old.kind, Geometry: p.Point}}, "")
			}
		}
	case twin.OpObserve:
		c.observed(ch.Seq, op.Observations)
	}
}

// observed drops the h3 tiles of the observed metrics around the observed
// entities, and the roads tiles around roads with a new live speed.
func (c *tileCache) observed(seq uint64, obs []twin.Observation) {
	roads := c.layerIndex(render.LayerRoads)
	ids := map[string][]twin.ID{}
	for _, o := range obs {
		if !c.metrics[o.Metric] {
			// The first readings of a metric may turn an h3 layer of a property
			// into one of a channel: drop them all.
			c.metrics[o.Metric] = true
			m := o.Metric
			c.dropLayer(seq, c.h3, func(e *tileEntry) bool { return e.key.metric == m })
			if m == render.LiveRoadMetric {
				c.dropLayer(seq, roads, func(*tileEntry) bool { return true })
			}
			continue
		}
		ids[o.Metric] = append(ids[o.Metric], o.ID)
	}
	for m, list := range ids {
		c.dirty[c.h3] = seq
		live := m == render.LiveRoadMetric
		if live {
			c.dirty[roads] = seq
		}
		if !c.hasMetric(m) && !(live && c.count(roads) > 0) {
			continue
		}
		c.mu.Unlock() // the twin is read without holding mu: lookups go on
		res, err := c.store.Query(context.Background(), twin.Query{IDs: list})
		c.mu.Lock()
		if err != nil {
			c.dropLayer(seq, c.h3, func(e *tileEntry) bool { return e.key.metric == m })
			continue
		}
		for i := range res.Entities {
			e := &res.Entities[i]
			if p, ok := render.H3Anchor(e.Geometry); ok {
				c.dropH3(seq, p, m)
			}
			if live && e.Kind == twin.KindRoad && e.Geometry != nil {
				c.dropBound(seq, roads, e.Geometry.Bound())
			}
		}
	}
}

func (c *tileCache) layerIndex(name string) int {
	for i, n := range render.TileLayerNames() {
		if n == name {
			return i
		}
	}
	return -1
}

func (c *tileCache) count(layer int) int {
	n := 0
	for _, m := range c.index[layer] {
		n += len(m)
	}
	return n
}

func (c *tileCache) hasMetric(m string) bool {
	for _, zm := range c.index[c.h3] {
		for _, es := range zm {
			for _, e := range es {
				if e.key.metric == m {
					return true
				}
			}
		}
	}
	return false
}

// dropEntities drops, in the layers that draw each of es, the tiles that meet
// its geometry, and the h3 tiles (of metric, or all when "") that meet its cell.
func (c *tileCache) dropEntities(seq uint64, es []*twin.Entity, metric string) {
	for _, e := range es {
		for _, name := range render.TileLayersOfKind(e.Kind) {
			i := c.layerIndex(name)
			c.dirty[i] = seq
			if e.Geometry != nil {
				c.dropBound(seq, i, e.Geometry.Bound())
			}
		}
		c.dirty[c.h3] = seq
		if p, ok := render.H3Anchor(e.Geometry); ok {
			c.dropH3(seq, p, metric)
		}
	}
}

// dropBound drops the tiles of a layer whose buffered bound meets b, at every
// zoom: by walking the tiles b covers, or the cached ones when fewer.
func (c *tileCache) dropBound(seq uint64, layer int, b orb.Bound) {
	c.dirty[layer] = seq
	for z := range c.index[layer] {
		m := c.index[layer][z]
		if len(m) == 0 {
			continue
		}
		x0, y0, x1, y1, ok := render.TileRange(z, b, render.DefaultTileExtent, render.DefaultTileBuffer)
		if !ok {
			continue
		}
		c.dropRange(m, x0, y0, x1, y1, func(*tileEntry) bool { return true })
	}
}

func (c *tileCache) dropRange(m map[tileXY][]*tileEntry, x0, y0, x1, y1 int, match func(*tileEntry) bool) {
	drop := func(es []*tileEntry) {
		for _, e := range append([]*tileEntry(nil), es...) {
			if match(e) {
				c.remove(e)
				c.drops.Add(1)
			}
		}
	}
	if area := float64(x1-x0+1) * float64(y1-y0+1); area <= float64(len(m)) {
		for x := x0; x <= x1; x++ {
			for y := y0; y <= y1; y++ {
				if es := m[tileXY{uint32(x), uint32(y)}]; len(es) > 0 {
					drop(es)
				}
			}
		}
		return
	}
	for xy, es := range m {
		if int(xy.x) >= x0 && int(xy.x) <= x1 && int(xy.y) >= y0 && int(xy.y) <= y1 {
			drop(es)
		}
	}
}

// dropH3 drops the h3 tiles (of metric, or any when "") that show the cell an
// entity anchored at p counts in, at each resolution cached.
func (c *tileCache) dropH3(seq uint64, p orb.Point, metric string) {
	c.dirty[c.h3] = seq
	for z := range c.index[c.h3] {
		m := c.index[c.h3][z]
		if len(m) == 0 {
			continue
		}
		for res := range 16 {
			if c.h3Res[z][res] == 0 {
				continue
			}
			x0, y0, x1, y1, ok := render.TileRange(z, render.H3Reach(p, res), render.DefaultTileExtent, render.DefaultTileBuffer)
			if !ok {
				continue
			}
			r := int8(res)
			c.dropRange(m, x0, y0, x1, y1, func(e *tileEntry) bool { return e.key.res == r && (metric == "" || e.key.metric == metric) })
		}
	}
}

// dropLayer drops the tiles of a layer that match.
func (c *tileCache) dropLayer(seq uint64, layer int, match func(*tileEntry) bool) {
	c.dirty[layer] = seq
	for z := range c.index[layer] {
		c.dropRange(c.index[layer][z], 0, 0, math.MaxInt32, math.MaxInt32, match)
	}
}

// tileCacheStats are the cache's counters.
type tileCacheStats struct {
	Hits, Misses, Drops, Evictions uint64
	Tiles                          int
	Bytes                          int64
}

func (c *tileCache) stats() tileCacheStats {
	c.mu.Lock()
	defer c.mu.Unlock()
	return tileCacheStats{Hits: c.hits.Load(), Misses: c.misses.Load(), Drops: c.drops.Load(), Evictions: c.evictions.Load(),
		Tiles: len(c.entries), Bytes: c.bytes}
}
