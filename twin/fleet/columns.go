package fleet

import (
	"cmp"
	"context"
	"errors"
	"math"
	"slices"
	"sync"

	"citytwin/twin"
	"citytwin/twin/series"
)

// The whole-day queries read every point of one or two channels of every
// truck. Decoding them from the twin's compressed blocks costs 10–20 ns a
// point, most of such a query; so the package keeps, per store, the five
// channels those queries read (velocity, fuel_consumption, latitude,
// fuel_state, status) of every truck decoded, as sorted points, and scans
// them at a few nanoseconds a point. This is a copy of the store's data, not
// of any answer: each query computes its answer from the points.
//
// The copy follows the store:
//
//   - A channel is read from the store the first time a query needs it
//     (Store.ReadChannels), with the Seq it reflects.
//   - Observations after that Seq come from the change feed (Store.Subscribe)
//     and are inserted in time order: appended, or, when late, merged where
//     they belong once the changes read are applied (a few inserted in
//     place); a time already held takes the newest value, as the twin's
//     series do.
//   - A retention Trim drops points without an op on the feed. Before each
//     scan, the number of points of each channel the query reads is compared
//     with the store's, at a Seq to which the copy has applied the feed
//     (Store.ChannelLens): the copy then holds a superset of the store's
//     points, equal exactly when the counts are. A channel that differs is
//     read again. So is everything when the feed dropped changes unread.
//
// Memory: 16 bytes a point of the five channels (a day of TSBS's 100 trucks,
// 10 s apart: 3.8 M points, 61 MB), freed with the store. Beyond
// maxColumnPoints points the copy is let go and each query decodes what it
// reads, as without it, until the channels shrink below half that again.
//
// A query holds columnView.mu (and no other lock of the package) while it
// syncs and scans, so the scanning queries of one store run one at a time,
// each on every core (a few milliseconds for a whole-day query).

// The channels kept, by index.
const (
	colVelocity = iota
	colFuelConsumption
	colLatitude
	colFuelState
	colStatus
	nCols
)

var colMetrics = [nCols]string{MetricVelocity, MetricFuelConsumption, MetricLatitude, MetricFuelState, MetricStatus}

func colOf(metric string) int {
	switch metric {
	case MetricVelocity:
		return colVelocity
	case MetricFuelConsumption:
		return colFuelConsumption
	case MetricLatitude:
		return colLatitude
	case MetricFuelState:
		return colFuelState
	case MetricStatus:
		return colStatus
	}
	return -1
}

// colMask is a set of kept channels.
type colMask uint8

func maskOf(cols ...int) colMask {
	var m colMask
	for _, c := range cols {
		m |= 1 << c
	}
	return m
}

func (m colMask) has(c int) bool { return m&(1<<c) != 0 }

// maxColumnPoints bounds the points the view keeps (16 B each: 256 MB).
var maxColumnPoints = 1 << 24

// channels is the points of a truck's kept channels, oldest first; nil for
// a channel it has not, or that the query did not ask for.
type channels [nCols][]series.Point

// column is one channel of a truck: the store's points after the ops up to
// seq, then the feed's observations after seq.
type column struct {
	loaded bool
	seq    uint64
	pts    []series.Point
	late   []series.Point // observed before the last point, in arrival order, until merged
}

// observe appends a point later than every point held, or keeps it for
// merge; it reports whether the point was appended.
func (c *column) observe(t int64, v float64) bool {
	n := len(c.pts)
	if n == 0 || t > c.pts[n-1].T {
		c.pts = append(c.pts, series.Point{T: t, V: v})
		return true
	}
	c.late = append(c.late, series.Point{T: t, V: v})
	return false
}

// merge puts the late points where their times belong, a later one taking
// the place of an earlier at the same time, as the twin's series do; it
// returns how many points the column gained. A few are inserted in place,
// more merged in one pass.
func (c *column) merge() int {
	late := c.late
	c.late = nil
	before := len(c.pts)
	if len(late) <= 8 {
		for _, p := range late {
			c.insert(p.T, p.V)
		}
		return len(c.pts) - before
	}
	slices.SortStableFunc(late, func(a, b series.Point) int { return cmp.Compare(a.T, b.T) })
	pts := c.pts
	out := make([]series.Point, 0, len(pts)+len(late))
	i, j := 0, 0
	for i < len(pts) || j < len(late) {
		if j == len(late) || i < len(pts) && pts[i].T < late[j].T {
			out = append(out, pts[i])
			i++
			continue
		}
		for j+1 < len(late) && late[j+1].T == late[j].T {
			j++ // the last written wins
		}
		p := late[j]
		j++
		if i < len(pts) && pts[i].T == p.T {
			i++
		}
		out = append(out, p)
	}
	c.pts = out
	return len(out) - before
}

// insert puts a point where its time belongs, replacing the value at a time
// already held.
func (c *column) insert(t int64, v float64) {
	j, found := slices.BinarySearchFunc(c.pts, t, func(p series.Point, t int64) int { return cmp.Compare(p.T, t) })
	if found {
		c.pts[j].V = v
		return
	}
	c.pts = slices.Insert(c.pts, j, series.Point{T: t, V: v})
}

// columnView is a store's kept channels of its trucks, by roster index.
type columnView struct {
	mu      sync.Mutex
	sub     *twin.Subscription
	pending []twin.Change // read from the feed, after the Seq synced to
	late    []*column     // columns with late points to merge
	roster  *rosterOf     // trucks is aligned to it
	trucks  [][nCols]column
	points  int  // held in all columns
	tooBig  bool // let go: queries read the store
	rereads int  // channels read again when their counts differed (tests)
}

var errMissed = errors.New("fleet: the change feed dropped changes")

// reset drops every column and follows the feed afresh from now.
func (v *columnView) reset(s *twin.Store) {
	for i := range v.trucks {
		v.trucks[i] = [nCols]column{}
	}
	v.points, v.pending, v.late = 0, nil, nil
	v.sub = s.Subscribe(s.Seq())
}

// align makes trucks follow roster r, keeping the columns of trucks it still
// has.
func (v *columnView) align(r *rosterOf) {
	if v.roster == r {
		return
	}
	trucks := make([][nCols]column, len(r.trucks))
	if v.roster != nil {
		for i, t := range v.roster.trucks {
			if j, ok := r.index[t.ID]; ok {
				trucks[j] = v.trucks[i]
			} else {
				for k := range v.trucks[i] {
					v.points -= len(v.trucks[i][k].pts)
				}
			}
		}
	}
	v.roster, v.trucks = r, trucks
}

// drainTo applies the feed's changes up to seq upTo, keeping later ones
// read for the next call.
func (v *columnView) drainTo(upTo uint64) error {
	defer v.mergeLate()
	for {
		batch := v.pending
		v.pending = nil
		if len(batch) == 0 {
			changes, missed, err := v.sub.Next(done, 4096)
			if err != nil || len(changes) == 0 {
				return nil // no more changes
			}
			if missed > 0 {
				return errMissed
			}
			batch = changes
		}
		for k := range batch {
			if batch[k].Seq > upTo {
				v.pending = batch[k:]
				return nil
			}
			v.apply(&batch[k])
		}
	}
}

// apply inserts a change's observations of kept channels into the columns
// that are loaded and do not reflect it yet.
func (v *columnView) apply(c *twin.Change) {
	if c.Op.Type != twin.OpObserve {
		return // channels outlive upserts and deletes; a roster change realigns
	}
	var (
		lastID twin.ID
		i      = -1
	)
	for k := range c.Op.Observations {
		o := &c.Op.Observations[k]
		if o.ID != lastID || k == 0 {
			lastID = o.ID
			var ok bool
			if i, ok = v.roster.index[o.ID]; !ok {
				i = -1
			}
		}
		if i < 0 {
			continue
		}
		m := colOf(o.Metric)
		if m < 0 {
			continue
		}
		col := &v.trucks[i][m]
		if !col.loaded || c.Seq <= col.seq {
			continue
		}
		if col.observe(o.T, o.V) {
			v.points++
		} else if len(col.late) == 1 {
			v.late = append(v.late, col)
		}
	}
}

// mergeLate merges the late points of the columns that have some.
func (v *columnView) mergeLate() {
	for _, c := range v.late {
		v.points += c.merge()
	}
	v.late = v.late[:0]
}

// load reads from the store the channels of need that truck i lacks.
func (v *columnView) load(s *twin.Store, i int, need colMask, force colMask) {
	cols := &v.trucks[i]
	var metrics []string
	var which []int
	for k := range nCols {
		if need.has(k) && (!cols[k].loaded || force.has(k)) {
			metrics = append(metrics, colMetrics[k])
			which = append(which, k)
		}
	}
	if len(metrics) == 0 {
		return
	}
	pts, seq := s.ReadChannels(v.roster.trucks[i].ID, metrics)
	for j, k := range which {
		v.points += len(pts[j]) - len(cols[k].pts)
		cols[k] = column{loaded: true, seq: seq, pts: pts[j]}
	}
}

// sync brings the columns of need of the trucks at the roster indices idx
// up to date with the store.
func (v *columnView) sync(ctx context.Context, s *twin.Store, r *rosterOf, idx []int, need colMask) error {
	for attempt := 0; ; attempt++ {
		err := v.syncOnce(ctx, s, r, idx, need)
		if !errors.Is(err, errMissed) || attempt >= 3 {
			return err
		}
		v.reset(s)
	}
}

func (v *columnView) syncOnce(ctx context.Context, s *twin.Store, r *rosterOf, idx []int, need colMask) error {
	if v.sub == nil {
		v.reset(s) // before any read, so that every read is at or after the feed's start
	}
	v.align(r)
	if err := v.drainTo(math.MaxUint64); err != nil {
		return err
	}
	for n, i := range idx {
		if n%16 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		v.load(s, i, need, 0)
	}
	// Trims: compare counts at one Seq.
	ids := make([]twin.ID, len(idx))
	for n, i := range idx {
		ids[n] = r.trucks[i].ID
	}
	var lens []int
	for k := range nCols {
		if !need.has(k) {
			continue
		}
		var seq uint64
		lens, seq = s.ChannelLens(ids, colMetrics[k], lens[:0])
		if err := v.drainTo(seq); err != nil {
			return err
		}
		for n, i := range idx {
			if len(v.trucks[i][k].pts) != lens[n] {
				v.rereads++
				v.load(s, i, maskOf(k), maskOf(k))
			}
		}
	}
	return nil
}

// total is the points of the channels of need of the trucks at idx, as the
// store has them.
func total(s *twin.Store, r *rosterOf, idx []int, need colMask) int {
	ids := make([]twin.ID, len(idx))
	for n, i := range idx {
		ids[n] = r.trucks[i].ID
	}
	sum := 0
	var lens []int
	for k := range nCols {
		if need.has(k) {
			lens, _ = s.ChannelLens(ids, colMetrics[k], lens[:0])
			for _, n := range lens {
				sum += n
			}
		}
	}
	return sum
}

// scanTrucks calls fn for each truck of roster r that keep selects (nil:
// all), with the truck's channels of need, current as of the call: on up to
// GOMAXPROCS goroutines when parallel, each truck once; fn writes only what
// belongs to truck i and must not keep ch. It stops at the first error, or
// when ctx is done.
func scanTrucks(ctx context.Context, s *twin.Store, r *rosterOf, need colMask, keep func(t *Truck) bool, parallel bool, fn func(i int, ch *channels) error) error {
	idx := make([]int, 0, len(r.trucks))
	for i := range r.trucks {
		if keep == nil || keep(&r.trucks[i]) {
			idx = append(idx, i)
		}
	}
	v := &cacheOf(s).cols
	v.mu.Lock()
	defer v.mu.Unlock()

	if v.tooBig && total(s, r, idx, need) <= maxColumnPoints/2 {
		v.tooBig = false
	}
	var get func(i int, ch *channels)
	fresh := v.tooBig
	if !v.tooBig {
		err := v.sync(ctx, s, r, idx, need)
		switch {
		case errors.Is(err, errMissed):
			// The feed outruns the view: read the store this time, and
			// start afresh next time.
			fresh = true
			v.sub = nil
		case err != nil:
			return err
		case v.points > maxColumnPoints:
			fresh, v.tooBig = true, true
			v.sub, v.roster, v.trucks, v.points, v.pending = nil, nil, nil, 0, nil
		}
	}
	if fresh {
		get = func(i int, ch *channels) { readChannels(s, r.trucks[i].ID, need, ch) }
	} else {
		get = func(i int, ch *channels) {
			for k := range nCols {
				if need.has(k) {
					ch[k] = v.trucks[i][k].pts
				}
			}
		}
	}
	each := func(n int) error {
		var ch channels
		get(idx[n], &ch)
		return fn(idx[n], &ch)
	}
	if !parallel {
		for n := range idx {
			if err := each(n); err != nil {
				return err
			}
		}
		return nil
	}
	return eachTruck(ctx, len(idx), each)
}

// readChannels reads a truck's channels of need from the store.
func readChannels(s *twin.Store, id twin.ID, need colMask, ch *channels) {
	var metrics []string
	var which []int
	for k := range nCols {
		if need.has(k) {
			metrics = append(metrics, colMetrics[k])
			which = append(which, k)
		}
	}
	pts, _ := s.ReadChannels(id, metrics)
	for j, k := range which {
		ch[k] = pts[j]
	}
}
