package osm

import (
	"math"
	"sort"
	"strconv"

	"github.com/paulmach/orb"
)

// nodeStore maps node ids to coordinates compactly: parallel slices of ids and
// fixed-point lon/lat in units of 1e-7 degree (the precision OSM stores), 16
// bytes a node, looked up by binary search. Files sorted by id (as PBF and
// osmium output are) are appended in order; otherwise the slices are sorted once
// before the first lookup, keeping the last of duplicate ids.
type nodeStore struct {
	ids   []int64
	ll    []int32 // lon, lat pairs
	dirty bool    // appended out of order since the last sort
}

const fixed = 1e7

func (s *nodeStore) add(id int64, lon, lat float64) {
	if len(s.ids) > 0 && id <= s.ids[len(s.ids)-1] {
		s.dirty = true
	}
	s.ids = append(s.ids, id)
	s.ll = append(s.ll, int32(math.Round(lon*fixed)), int32(math.Round(lat*fixed)))
}

func (s *nodeStore) len() int { return len(s.ids) }

// prepare sorts the store if needed; call before lookups.
func (s *nodeStore) prepare() {
	if !s.dirty {
		return
	}
	sort.Stable(byID{s})
	// Keep the last of each run of equal ids.
	w := 0
	for i := range s.ids {
		if i+1 < len(s.ids) && s.ids[i+1] == s.ids[i] {
			continue
		}
		s.ids[w] = s.ids[i]
		s.ll[2*w], s.ll[2*w+1] = s.ll[2*i], s.ll[2*i+1]
		w++
	}
	s.ids, s.ll = s.ids[:w], s.ll[:2*w]
	s.dirty = false
}

// get returns the coordinates of node id.
func (s *nodeStore) get(id int64) (orb.Point, bool) {
	i := sort.Search(len(s.ids), func(i int) bool { return s.ids[i] >= id })
	if i == len(s.ids) || s.ids[i] != id {
		return orb.Point{}, false
	}
	return orb.Point{float64(s.ll[2*i]) / fixed, float64(s.ll[2*i+1]) / fixed}, true
}

type byID struct{ s *nodeStore }

func (b byID) Len() int           { return len(b.s.ids) }
func (b byID) Less(i, j int) bool { return b.s.ids[i] < b.s.ids[j] }
func (b byID) Swap(i, j int) {
	s := b.s
	s.ids[i], s.ids[j] = s.ids[j], s.ids[i]
	s.ll[2*i], s.ll[2*j] = s.ll[2*j], s.ll[2*i]
	s.ll[2*i+1], s.ll[2*j+1] = s.ll[2*j+1], s.ll[2*i+1]
}

// wayStore keeps the node ids of every way (multipolygon relations come after
// the ways they use): 8 bytes a node reference plus a map entry a way.
type wayStore struct {
	at   map[int64]int32 // way id → index into off
	off  []int32         // start of way k's nodes in refs; off[k+1] its end
	refs []int64
}

func newWayStore() *wayStore { return &wayStore{at: make(map[int64]int32), off: []int32{0}} }

func (w *wayStore) add(id int64, nodes []int64) {
	w.at[id] = int32(len(w.off) - 1)
	w.refs = append(w.refs, nodes...)
	w.off = append(w.off, int32(len(w.refs)))
}

func (w *wayStore) get(id int64) ([]int64, bool) {
	k, ok := w.at[id]
	if !ok {
		return nil, false
	}
	return w.refs[w.off[k]:w.off[k+1]], true
}

// fixedPoint rounds a coordinate to the 1e-7 degree grid of the store, so that
// XML (decimal text) and PBF (scaled integers) give identical points.
func fixedPoint(lon, lat float64) orb.Point {
	return orb.Point{math.Round(lon*fixed) / fixed, math.Round(lat*fixed) / fixed}
}

func itoa(v int64) string { return strconv.FormatInt(v, 10) }
