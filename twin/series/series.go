package series

import (
	"errors"
	"fmt"
	"slices"
)

// Point is one observation: T in Unix nanoseconds, V the value.
type Point struct {
	T int64
	V float64
}

// DefaultBlockPoints is how many points the raw head holds before it is
// sealed into a compressed block. 256 keeps the fixed cost of a block under
// half a byte a point while a late point rewrites at most a few hundred.
const DefaultBlockPoints = 256

// Options configure a Series.
type Options struct {
	// BlockPoints is the head's size: points per sealed block, 2 … 65536/2.
	BlockPoints int
}

// DefaultOptions returns the options New uses.
func DefaultOptions() Options { return Options{BlockPoints: DefaultBlockPoints} }

// ErrBadOptions is wrapped by Options.Validate.
var ErrBadOptions = errors.New("series: bad options")

// Validate checks the options.
func (o Options) Validate() error {
	if o.BlockPoints < 2 || o.BlockPoints > maxBlockPoints/2 {
		return fmt.Errorf("%w: BlockPoints %d not in [2, %d]", ErrBadOptions, o.BlockPoints, maxBlockPoints/2)
	}
	return nil
}

// Series is the in-memory time series of one channel (one entity × one
// metric): sealed compressed blocks, oldest first, then an open raw head.
// Blocks never overlap in time and every head point is later than every
// sealed point; within both, times are strictly increasing.
//
// The zero value is an empty series with default options.
type Series struct {
	blocks    []block
	head      []Point
	n         int // points in blocks and head
	dataBytes int // sum of blocks' bytes()
	blockCap  int
}

// New returns an empty series with default options.
func New() *Series { return &Series{blockCap: DefaultBlockPoints} }

// NewWithOptions returns an empty series with the given options.
func NewWithOptions(o Options) (*Series, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	return &Series{blockCap: o.BlockPoints}, nil
}

// Append records v at time t. In-order appends land in the raw head and cost
// a few nanoseconds; a full head is sealed into a compressed block. A point
// older than the head is inserted where it belongs, rewriting the one
// sealed block it falls in (or the gap before it). A point at a time already
// present replaces that point's value: the later write wins.
func (s *Series) Append(t int64, v float64) {
	h := len(s.head)
	if h > 0 && t > s.head[h-1].T && h+1 < s.blockCap {
		s.head = append(s.head, Point{t, v})
		s.n++
		return
	}
	s.appendSlow(t, v)
}

func (s *Series) appendSlow(t int64, v float64) {
	if s.blockCap <= 0 {
		s.blockCap = DefaultBlockPoints
	}
	h := len(s.head)
	nb := len(s.blocks)
	switch {
	case h > 0 && t > s.head[h-1].T, h == 0 && (nb == 0 || t > s.blocks[nb-1].last.T):
		s.head = append(s.head, Point{t, v})
		s.n++
	case h > 0 && (nb == 0 || t > s.blocks[nb-1].last.T):
		// Late, but still within the head's span.
		i := searchPoints(s.head, t)
		if s.head[i].T == t {
			s.head[i].V = v
			return
		}
		s.head = slices.Insert(s.head, i, Point{t, v})
		s.n++
	default:
		s.insertSealed(t, v)
		return
	}
	if len(s.head) >= s.blockCap {
		s.seal()
	}
}

// seal compresses the head into a new block.
func (s *Series) seal() {
	b, err := newBlock(s.head)
	if err != nil {
		return // unreachable: the head is always sorted and bounded
	}
	s.blocks = append(s.blocks, b)
	s.dataBytes += b.bytes()
	// Let the buffer go: a city has many quiet channels, and a kept 4 KB head
	// each would outweigh their data.
	s.head = nil
}

// insertSealed puts a point at or before the last sealed time into the block
// whose span or preceding gap holds t, building a replacement block.
func (s *Series) insertSealed(t int64, v float64) {
	i := s.blockAtOrAfter(t)
	if i == len(s.blocks) {
		return // unreachable: callers checked t <= last sealed time
	}
	old := &s.blocks[i]
	pts, err := DecodeBlock(make([]Point, 0, old.count+1), old.data)
	if err != nil {
		return // unreachable: our own blocks decode
	}
	j := searchPoints(pts, t)
	if j < len(pts) && pts[j].T == t {
		pts[j].V = v
	} else {
		pts = slices.Insert(pts, j, Point{t, v})
		s.n++
	}
	s.replaceBlock(i, pts)
}

// replaceBlock swaps block i for blocks built from pts (sorted, possibly
// empty), splitting in halves when late data has grown it too far.
func (s *Series) replaceBlock(i int, pts []Point) {
	s.dataBytes -= s.blocks[i].bytes()
	if len(pts) == 0 {
		s.blocks = slices.Delete(s.blocks, i, i+1)
		return
	}
	if len(pts) <= 2*s.capacity() {
		b, err := newBlock(pts)
		if err != nil {
			return
		}
		s.blocks[i] = b
		s.dataBytes += b.bytes()
		return
	}
	half := len(pts) / 2
	b1, err1 := newBlock(pts[:half])
	b2, err2 := newBlock(pts[half:])
	if err1 != nil || err2 != nil {
		return
	}
	s.blocks[i] = b1
	s.blocks = slices.Insert(s.blocks, i+1, b2)
	s.dataBytes += b1.bytes() + b2.bytes()
}

func (s *Series) capacity() int {
	if s.blockCap <= 0 {
		return DefaultBlockPoints
	}
	return s.blockCap
}

// blockAtOrAfter returns the first block whose last time is >= t.
func (s *Series) blockAtOrAfter(t int64) int {
	lo, hi := 0, len(s.blocks)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if s.blocks[m].last.T < t {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo
}

// blockAfter returns the first block whose first time is > t.
func (s *Series) blockAfter(t int64) int {
	lo, hi := 0, len(s.blocks)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if s.blocks[m].first.T <= t {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo
}

// searchPoints returns the first index whose time is >= t.
func searchPoints(pts []Point, t int64) int {
	lo, hi := 0, len(pts)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if pts[m].T < t {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo
}

// Len returns the number of points.
func (s *Series) Len() int { return s.n }

// Blocks returns the number of sealed blocks.
func (s *Series) Blocks() int { return len(s.blocks) }

// seriesOverhead is the Series struct's own size.
const seriesOverhead = 24 + 24 + 8 + 8 + 8

// Bytes returns the memory the series holds, approximately: sealed blocks,
// the raw head's buffer and the bookkeeping. Blocks shared with clones are
// counted in each.
func (s *Series) Bytes() int {
	return seriesOverhead + s.dataBytes + cap(s.blocks)*blockStructSize + cap(s.head)*16
}

// Clone returns a deep copy. Sealed blocks are immutable and shared.
func (s *Series) Clone() *Series {
	c := *s
	c.blocks = slices.Clone(s.blocks)
	c.head = slices.Clone(s.head)
	return &c
}
