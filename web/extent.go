package web

import (
	"context"
	"math"
	"slices"
	"sync"
	"time"

	"citytwin/twin"
)

// Identifiers of the reference systems the API speaks.
const (
	CRS84        = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
	TRSGregorian = "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian"
)

// Extent is the OGC extent of a collection.
type Extent struct {
	Spatial  *SpatialExtent  `json:"spatial,omitempty"`
	Temporal *TemporalExtent `json:"temporal,omitempty"`
}

// SpatialExtent holds one bbox [minLon, minLat, maxLon, maxLat]; minLon > maxLon
// when the collection straddles the antimeridian.
type SpatialExtent struct {
	BBox [][4]float64 `json:"bbox"`
	CRS  string       `json:"crs"`
}

// TemporalExtent holds one interval [start, end]; a nil end is open: the twin is live.
type TemporalExtent struct {
	Interval [][2]*string `json:"interval"`
	TRS      string       `json:"trs"`
}

// extentAcc gathers the extent of one kind.
type extentAcc struct {
	lons           [][2]float64 // longitude interval of each geometry
	minLat, maxLat float64
	first          time.Time // earliest valid-from of any version seen
}

func (a *extentAcc) extent() Extent {
	var ext Extent
	if len(a.lons) > 0 {
		w, e := lonSpan(a.lons)
		ext.Spatial = &SpatialExtent{BBox: [][4]float64{{w, a.minLat, e, a.maxLat}}, CRS: CRS84}
	}
	if !a.first.IsZero() {
		start := a.first.UTC().Format(time.RFC3339Nano)
		ext.Temporal = &TemporalExtent{Interval: [][2]*string{{&start, nil}}, TRS: TRSGregorian}
	}
	return ext
}

// lonSpan returns the narrowest longitude range [west, east] that covers every
// interval, reading the longitudes as a circle: when the widest gap between the
// intervals is not the one across the antimeridian, the range crosses it and
// west > east, as OGC bboxes do. Intervals must have lo <= hi within ±180.
func lonSpan(in [][2]float64) (west, east float64) {
	iv := slices.Clone(in)
	slices.SortFunc(iv, func(a, b [2]float64) int {
		switch {
		case a[0] < b[0]:
			return -1
		case a[0] > b[0]:
			return 1
		}
		return 0
	})
	merged := iv[:1]
	for _, x := range iv[1:] {
		last := &merged[len(merged)-1]
		if x[0] <= last[1] {
			last[1] = math.Max(last[1], x[1])
			continue
		}
		merged = append(merged, x)
	}
	// The gap across the antimeridian, then every gap between neighbours.
	best, west, east := merged[0][0]+360-merged[len(merged)-1][1], merged[0][0], merged[len(merged)-1][1]
	for i := 1; i < len(merged); i++ {
		if gap := merged[i][0] - merged[i-1][1]; gap > best {
			best, west, east = gap, merged[i][0], merged[i-1][1]
		}
	}
	return west, east
}

// extentCache holds the extents of all kinds, recomputed when the twin has
// changed and the cached ones are older than the TTL.
type extentCache struct {
	mu    sync.Mutex // held while computing, so that one request computes for all
	valid bool
	seq   uint64
	at    time.Time
	ext   map[twin.Kind]Extent
}

func (c *extentCache) get(ctx context.Context, store *twin.Store, ttl time.Duration, now time.Time) (map[twin.Kind]Extent, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	seq := store.Seq()
	if c.valid && (seq == c.seq || now.Sub(c.at) < ttl) {
		return c.ext, nil
	}
	ext, err := computeExtents(ctx, store)
	if err != nil {
		return nil, err
	}
	c.valid, c.seq, c.at, c.ext = true, seq, now, ext
	return ext, nil
}

// extentPage is how many entities computeExtents materialises at a time.
const extentPage = 10000

// computeExtents scans the live twin page by page. The temporal extent starts at
// the first version of any live entity (deleted entities are not seen).
func computeExtents(ctx context.Context, store *twin.Store) (map[twin.Kind]Extent, error) {
	accs := make(map[twin.Kind]*extentAcc)
	q := twin.Query{Limit: extentPage}
	for {
		res, err := store.Query(ctx, q)
		if err != nil {
			return nil, err
		}
		for i := range res.Entities {
			e := &res.Entities[i]
			a := accs[e.Kind]
			if a == nil {
				a = &extentAcc{minLat: math.Inf(1), maxLat: math.Inf(-1)}
				accs[e.Kind] = a
			}
			if e.Geometry != nil {
				b := e.Geometry.Bound()
				if b.Min[0] <= b.Max[0] && b.Min[1] <= b.Max[1] {
					a.lons = append(a.lons, [2]float64{b.Min[0], b.Max[0]})
					a.minLat, a.maxLat = math.Min(a.minLat, b.Min[1]), math.Max(a.maxLat, b.Max[1])
				}
			}
			from := e.ValidFrom
			if e.Version > 1 {
				if h, err := store.History(e.ID); err == nil && len(h) > 0 {
					from = h[0].ValidFrom
				}
			}
			if a.first.IsZero() || from.Before(a.first) {
				a.first = from
			}
		}
		if res.Next == "" {
			break
		}
		q.After = res.Next
	}
	out := make(map[twin.Kind]Extent, len(accs))
	for k, a := range accs {
		out[k] = a.extent()
	}
	return out, nil
}
