package series

import (
	"encoding/binary"
	"errors"
	"math"
	"math/bits"
	"slices"
	"sync"
)

// A sealed block is an immutable, compressed run of points in ascending,
// strictly increasing time order, with a summary for answering aggregates
// without decoding. Blocks are never changed in place: a rewrite builds a
// new block, so clones may share them.
//
// Encoding (all integers big-endian bit streams unless noted):
//
//	mode byte                 0 = XOR values, 1 = decimal values
//	count uvarint
//	t0 varint                 first timestamp
//	if count >= 2: unit uvarint, first delta uvarint (in units)
//	if count >= 3: timestamp intCode w1, w2 (two bytes)
//	XOR:     first value, 8 bytes little-endian IEEE 754 bits
//	decimal: scale digits byte, k0 varint, and if count >= 2 intCode w1, w2
//	time stream length uvarint, time stream, value stream
//
// Timestamps follow Gorilla's delta-of-delta scheme (Pelkonen et al.,
// "Gorilla: A Fast, Scalable, In-Memory Time Series Database", VLDB 2015,
// section 4.1.1) after dividing every delta by the block's greatest common
// delta ("unit"): a regular 10 s series in nanoseconds costs one bit a point.
//
// Values use one of two schemes. If every value is exactly k/10^d for
// integers k and a small d (readings printed with fixed decimals, counts),
// the integers k are delta-coded with an intCode; the idea of finding a
// decimal exponent that makes floats exact integers is from ALP (Afroozeh,
// Kuffó, Boncz, "ALP: Adaptive Lossless floating-Point Compression", SIGMOD
// 2023). Otherwise values use Gorilla's XOR scheme (section 4.1.2). Both are
// lossless to the bit: NaN payloads, -0 and ±Inf survive.
type block struct {
	first, last Point
	count       int
	valid       int // points whose value is not NaN; sum/min/max cover only these
	sum         float64
	min, max    float64
	data        []byte
}

// blockStructSize is the size of a block struct, which a Series holds by value.
const blockStructSize = 96

const (
	modeXOR     = 0
	modeDecimal = 1

	// maxBlockPoints bounds a block's point count, for the decoder's sake.
	maxBlockPoints = 1 << 16
	// maxDecimals is the most decimal digits the decimal scheme tries.
	maxDecimals = 12
	// maxDecimalInt keeps k exact in a float64.
	maxDecimalInt = 1 << 53
)

var pow10 = [maxDecimals + 1]float64{1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12}

// Errors of the block codec.
var (
	ErrCorruptBlock = errors.New("series: corrupt block")
	ErrBlockOrder   = errors.New("series: block points not in strictly ascending time order")
	ErrBlockSize    = errors.New("series: block point count out of range")
)

// encoder holds scratch buffers for sealing. Encoders are pooled, not kept
// per series, so that a city of idle channels does not carry them.
type encoder struct {
	tz, vz []uint64
	ks     []int64
	tw, vw bitWriter
	tbuf   []byte
	vbuf   []byte
}

var encoderPool = sync.Pool{New: func() any { return new(encoder) }}

// newBlock seals pts, which must be non-empty and strictly ascending in time.
func newBlock(pts []Point) (block, error) {
	e := encoderPool.Get().(*encoder)
	data, err := e.encode(nil, pts)
	encoderPool.Put(e)
	if err != nil {
		return block{}, err
	}
	b := block{first: pts[0], last: pts[len(pts)-1], count: len(pts), data: data}
	b.min, b.max = math.NaN(), math.NaN()
	for _, p := range pts {
		v := p.V
		if v != v {
			continue
		}
		if b.valid == 0 || v < b.min {
			b.min = v
		}
		if b.valid == 0 || v > b.max {
			b.max = v
		}
		b.sum += v
		b.valid++
	}
	return b, nil
}

// bytes is the memory the block's data holds.
func (b *block) bytes() int { return cap(b.data) }

// EncodeBlock appends the compressed form of pts to dst. The points must be
// strictly ascending in time and at most 65536.
func EncodeBlock(dst []byte, pts []Point) ([]byte, error) {
	e := encoderPool.Get().(*encoder)
	defer encoderPool.Put(e)
	return e.encode(dst, pts)
}

// DecodeBlock appends the points of an encoded block to dst.
func DecodeBlock(dst []Point, data []byte) ([]Point, error) {
	var it blockIter
	if err := it.init(data); err != nil {
		return dst, err
	}
	n := len(dst)
	dst = slices.Grow(dst, it.left)[:n+it.left]
	got := it.fill(dst[n:])
	return dst[:n+got], it.err()
}

func (e *encoder) encode(dst []byte, pts []Point) ([]byte, error) {
	n := len(pts)
	if n == 0 || n > maxBlockPoints {
		return dst, ErrBlockSize
	}
	for i := 1; i < n; i++ {
		if pts[i].T <= pts[i-1].T {
			return dst, ErrBlockOrder
		}
	}
	digits, decimal := decimalDigits(pts)
	if decimal {
		// Re-check every value at the block's digits, bit for bit.
		scale := pow10[digits]
		e.ks = e.ks[:0]
		for _, p := range pts {
			k := math.Round(p.V * scale)
			if math.Abs(k) >= maxDecimalInt || math.Float64bits(float64(int64(k))/scale) != math.Float64bits(p.V) {
				decimal = false
				break
			}
			e.ks = append(e.ks, int64(k))
		}
	}
	mode := byte(modeXOR)
	if decimal {
		mode = modeDecimal
	}
	dst = append(dst, mode)
	dst = binary.AppendUvarint(dst, uint64(n))
	dst = binary.AppendVarint(dst, pts[0].T)

	// Timestamps. Deltas are positive and fit uint64 exactly even across
	// the whole int64 range; delta-of-deltas wrap, and unwrap on decoding.
	e.tw.reset(e.tbuf)
	if n >= 2 {
		var unit uint64
		for i := 1; i < n; i++ {
			unit = gcd(uint64(pts[i].T)-uint64(pts[i-1].T), unit)
		}
		prev := (uint64(pts[1].T) - uint64(pts[0].T)) / unit
		dst = binary.AppendUvarint(dst, unit)
		dst = binary.AppendUvarint(dst, prev)
		if n >= 3 {
			e.tz = e.tz[:0]
			for i := 2; i < n; i++ {
				d := (uint64(pts[i].T) - uint64(pts[i-1].T)) / unit
				e.tz = append(e.tz, zigzag(int64(d-prev)))
				prev = d
			}
			c := chooseIntCode(e.tz)
			dst = append(dst, c.w1, c.w2)
			for _, z := range e.tz {
				c.put(&e.tw, z)
			}
		}
	}
	e.tbuf = e.tw.bytes()

	// Values.
	e.vw.reset(e.vbuf)
	if decimal {
		dst = append(dst, byte(digits))
		dst = binary.AppendVarint(dst, e.ks[0])
		if n >= 2 {
			e.vz = e.vz[:0]
			for i := 1; i < n; i++ {
				e.vz = append(e.vz, zigzag(e.ks[i]-e.ks[i-1]))
			}
			c := chooseIntCode(e.vz)
			dst = append(dst, c.w1, c.w2)
			for _, z := range e.vz {
				c.put(&e.vw, z)
			}
		}
	} else {
		prev := math.Float64bits(pts[0].V)
		dst = binary.LittleEndian.AppendUint64(dst, prev)
		lead, trail := uint(65), uint(0) // 65: no window yet
		for _, p := range pts[1:] {
			cur := math.Float64bits(p.V)
			x := cur ^ prev
			prev = cur
			if x == 0 {
				e.vw.writeBits(0, 1)
				continue
			}
			l := uint(bits.LeadingZeros64(x))
			t := uint(bits.TrailingZeros64(x))
			if l > 31 {
				l = 31 // five bits for the leading-zero count
			}
			if lead <= 64 && l >= lead && t >= trail {
				e.vw.writeBits(0b10, 2)
				e.vw.writeBits(x>>trail, 64-lead-trail)
				continue
			}
			lead, trail = l, t
			sig := 64 - l - t
			e.vw.writeBits(0b11, 2)
			e.vw.writeBits(uint64(l), 5)
			e.vw.writeBits(uint64(sig&63), 6) // 64 is written as 0
			e.vw.writeBits(x>>t, sig)
		}
	}
	e.vbuf = e.vw.bytes()

	dst = binary.AppendUvarint(dst, uint64(len(e.tbuf)))
	dst = append(dst, e.tbuf...)
	dst = append(dst, e.vbuf...)
	return dst, nil
}

func gcd(a, b uint64) uint64 {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// decimalDigits reports the fewest decimal digits d such that every value is
// exactly k/10^d, computed as float64(k)/10^d, for an integer |k| < 2^53.
// Because that division is correctly rounded, a value that is k/10^d at its
// own digits is also exact at any larger d (k scaled by a power of ten), so
// the block's d is the largest per-value d.
func decimalDigits(pts []Point) (int, bool) {
	d := 0
	for _, p := range pts {
		for !fitsDecimal(p.V, d) {
			d++
			if d > maxDecimals {
				return 0, false
			}
		}
	}
	return d, true
}

func fitsDecimal(v float64, d int) bool {
	if v == 0 {
		return !math.Signbit(v) // -0 would decode as +0
	}
	k := math.Round(v * pow10[d])
	return math.Abs(k) < maxDecimalInt && k/pow10[d] == v
}

// blockIter decodes a block one point at a time, without allocating.
type blockIter struct {
	tr, vr     bitReader
	left       int // points still to return
	i          int // points returned
	mode       byte
	t          int64
	unit       uint64
	delta      uint64
	tc, vc     intCode
	k          int64
	scale      float64
	vbits      uint64
	lead       uint
	trail      uint
	v0         float64
	corrupt    bool
	firstDelta uint64
}

func (it *blockIter) init(data []byte) error {
	*it = blockIter{}
	if len(data) < 1 {
		return ErrCorruptBlock
	}
	it.mode = data[0]
	if it.mode != modeXOR && it.mode != modeDecimal {
		return ErrCorruptBlock
	}
	p := 1
	count, m := binary.Uvarint(data[p:])
	if m <= 0 || count == 0 || count > maxBlockPoints {
		return ErrCorruptBlock
	}
	p += m
	// Every point after the second costs at least one bit per stream.
	if count > 8*uint64(len(data))+2 {
		return ErrCorruptBlock
	}
	t0, m := binary.Varint(data[p:])
	if m <= 0 {
		return ErrCorruptBlock
	}
	p += m
	it.t = t0
	if count >= 2 {
		unit, m := binary.Uvarint(data[p:])
		if m <= 0 || unit == 0 {
			return ErrCorruptBlock
		}
		p += m
		d, m := binary.Uvarint(data[p:])
		if m <= 0 || d == 0 {
			return ErrCorruptBlock
		}
		p += m
		it.unit, it.firstDelta = unit, d
	}
	if count >= 3 {
		if len(data) < p+2 {
			return ErrCorruptBlock
		}
		it.tc = intCode{data[p], data[p+1]}
		p += 2
		if !it.tc.valid() {
			return ErrCorruptBlock
		}
	}
	if it.mode == modeXOR {
		if len(data) < p+8 {
			return ErrCorruptBlock
		}
		it.vbits = binary.LittleEndian.Uint64(data[p:])
		it.v0 = math.Float64frombits(it.vbits)
		it.lead = 65
		p += 8
	} else {
		if len(data) < p+1 || data[p] > maxDecimals {
			return ErrCorruptBlock
		}
		it.scale = pow10[data[p]]
		p++
		k0, m := binary.Varint(data[p:])
		if m <= 0 || k0 >= maxDecimalInt || k0 <= -maxDecimalInt {
			return ErrCorruptBlock
		}
		p += m
		it.k = k0
		it.v0 = float64(k0) / it.scale
		if count >= 2 {
			if len(data) < p+2 {
				return ErrCorruptBlock
			}
			it.vc = intCode{data[p], data[p+1]}
			p += 2
			if !it.vc.valid() {
				return ErrCorruptBlock
			}
		}
	}
	tlen, m := binary.Uvarint(data[p:])
	if m <= 0 || tlen > uint64(len(data)-p-m) {
		return ErrCorruptBlock
	}
	p += m
	it.tr.reset(data[p : p+int(tlen)])
	it.vr.reset(data[p+int(tlen):])
	it.left = int(count)
	return nil
}

// next returns the next point; false at the end or on corrupt data (see err).
func (it *blockIter) next() (Point, bool) {
	if it.left == 0 || it.corrupt {
		return Point{}, false
	}
	it.left--
	it.i++
	if it.i == 1 {
		return Point{it.t, it.v0}, true
	}
	// Time.
	if it.i == 2 {
		it.delta = it.firstDelta
	} else {
		it.delta += uint64(unzigzag(it.tc.get(&it.tr)))
	}
	hi, step := bits.Mul64(it.delta, it.unit)
	t := int64(uint64(it.t) + step)
	if hi != 0 || it.delta == 0 || t <= it.t || it.tr.bad {
		it.corrupt = true
		return Point{}, false
	}
	it.t = t
	// Value.
	var v float64
	if it.mode == modeDecimal {
		k := it.k + unzigzag(it.vc.get(&it.vr))
		if k >= maxDecimalInt || k <= -maxDecimalInt {
			it.corrupt = true
			return Point{}, false
		}
		it.k = k
		v = float64(k) / it.scale
	} else {
		v = it.nextXOR()
	}
	if it.vr.bad || it.corrupt {
		it.corrupt = true
		return Point{}, false
	}
	return Point{t, v}, true
}

// fill decodes up to len(dst) next points into dst and returns how many;
// fewer means the end of the block or corrupt data (see err). It is next
// unrolled over a chunk, with the decoder state in locals.
func (it *blockIter) fill(dst []Point) int {
	j := 0
	for j < len(dst) && it.i < 2 {
		p, ok := it.next()
		if !ok {
			return j
		}
		dst[j] = p
		j++
	}
	if it.corrupt {
		return j
	}
	n := j + min(len(dst)-j, it.left)
	tr := it.tr
	t, delta, unit, tc := it.t, it.delta, it.unit, it.tc
	decimal, k, scale, vc := it.mode == modeDecimal, it.k, it.scale, it.vc
	start := j
	for ; j < n; j++ {
		delta += uint64(unzigzag(tc.get(&tr)))
		hi, step := bits.Mul64(delta, unit)
		nt := int64(uint64(t) + step)
		if hi != 0 || delta == 0 || nt <= t || tr.bad {
			it.corrupt = true
			break
		}
		t = nt
		var v float64
		if decimal {
			k += unzigzag(vc.get(&it.vr))
			if k >= maxDecimalInt || k <= -maxDecimalInt {
				it.corrupt = true
				break
			}
			v = float64(k) / scale
		} else {
			v = it.nextXOR()
		}
		if it.vr.bad || it.corrupt {
			it.corrupt = true
			break
		}
		dst[j] = Point{t, v}
	}
	it.tr = tr
	it.t, it.delta, it.k = t, delta, k
	it.left -= j - start
	it.i += j - start
	return j
}

func (it *blockIter) nextXOR() float64 {
	r := &it.vr
	if r.readBit() == 0 {
		return math.Float64frombits(it.vbits)
	}
	if r.readBit() == 0 {
		if it.lead > 64 {
			it.corrupt = true // reuse of a window never set
			return 0
		}
		sig := 64 - it.lead - it.trail
		it.vbits ^= r.readBits(sig) << it.trail
		return math.Float64frombits(it.vbits)
	}
	lead := uint(r.readBits(5))
	sig := uint(r.readBits(6))
	if sig == 0 {
		sig = 64
	}
	if lead+sig > 64 {
		it.corrupt = true
		return 0
	}
	it.lead, it.trail = lead, 64-lead-sig
	it.vbits ^= r.readBits(sig) << it.trail
	return math.Float64frombits(it.vbits)
}

// err reports whether decoding stopped early on corrupt data.
func (it *blockIter) err() error {
	if it.corrupt || it.left != 0 {
		return ErrCorruptBlock
	}
	return nil
}
