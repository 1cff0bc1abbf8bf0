package series

import (
	"encoding/binary"
	"math/bits"
)

// bitWriter appends bits most-significant first to a byte slice. Bits gather
// in a 64-bit accumulator and leave eight bytes at a time.
type bitWriter struct {
	buf []byte
	acc uint64 // pending bits, right-aligned
	n   uint   // number of pending bits in acc, < 64
}

func (w *bitWriter) reset(buf []byte) {
	w.buf, w.acc, w.n = buf[:0], 0, 0
}

// writeBits writes the low n bits of v, n <= 64.
func (w *bitWriter) writeBits(v uint64, n uint) {
	if n == 0 {
		return
	}
	if n < 64 {
		v &= 1<<n - 1
	}
	free := 64 - w.n
	if n < free {
		w.acc = w.acc<<n | v
		w.n += n
		return
	}
	// Fill the accumulator, flush it, and keep the rest.
	rest := n - free
	w.acc = w.acc<<free | v>>rest
	w.buf = binary.BigEndian.AppendUint64(w.buf, w.acc)
	if rest < 64 {
		w.acc = v & (1<<rest - 1)
	}
	w.n = rest
}

// bytes flushes the pending bits, zero-padded to a whole byte, and returns
// the written stream.
func (w *bitWriter) bytes() []byte {
	for w.n >= 8 {
		w.n -= 8
		w.buf = append(w.buf, byte(w.acc>>w.n))
	}
	if w.n > 0 {
		w.buf = append(w.buf, byte(w.acc<<(8-w.n)))
		w.n = 0
	}
	w.acc = 0
	return w.buf
}

// bitReader reads bits most-significant first. Reading past the end yields
// zero bits and sets bad, which callers check once at the end of a block
// instead of after every read.
type bitReader struct {
	data []byte
	pos  int    // next byte to load into acc
	acc  uint64 // loaded bits, left-aligned
	n    uint   // valid bits in acc
	bad  bool
}

func (r *bitReader) reset(data []byte) {
	*r = bitReader{data: data}
}

func (r *bitReader) refill() {
	if r.pos+8 <= len(r.data) {
		// Load eight bytes at once; the bits past the whole bytes taken are
		// the stream's own next bits, so OR-ing them again later is harmless.
		r.acc |= binary.BigEndian.Uint64(r.data[r.pos:]) >> r.n
		take := (64 - r.n) >> 3
		r.pos += int(take)
		r.n += take << 3
		return
	}
	for r.n <= 56 && r.pos < len(r.data) {
		r.acc |= uint64(r.data[r.pos]) << (56 - r.n)
		r.pos++
		r.n += 8
	}
}

// readBits reads n <= 64 bits.
func (r *bitReader) readBits(n uint) uint64 {
	if n > 56 {
		hi := r.readBits(n - 32)
		return hi<<32 | r.readBits(32)
	}
	if n == 0 {
		return 0
	}
	if r.n < n {
		r.refill()
		if r.n < n {
			r.bad = true
			r.n = 0
			r.acc = 0
			return 0
		}
	}
	v := r.acc >> (64 - n)
	r.acc <<= n
	r.n -= n
	return v
}

func (r *bitReader) readBit() uint64 {
	if r.n == 0 {
		r.refill()
		if r.n == 0 {
			r.bad = true
			return 0
		}
	}
	v := r.acc >> 63
	r.acc <<= 1
	r.n--
	return v
}

// zigzag maps signed integers to unsigned ones so that small magnitudes of
// either sign become small numbers: 0, -1, 1, -2, ... -> 0, 1, 2, 3, ...
func zigzag(x int64) uint64 { return uint64(x<<1) ^ uint64(x>>63) }

func unzigzag(u uint64) int64 { return int64(u>>1) ^ -int64(u&1) }

// intCode is a three-class prefix code for unsigned integers whose widths
// are chosen per block from the data: '0' is zero, '10' is followed by w1
// bits, '11' by w2 bits (w1 <= w2 <= 64). It is in the spirit of Gorilla's
// bucketed delta-of-delta code (Pelkonen et al., "Gorilla: A Fast, Scalable,
// In-Memory Time Series Database", VLDB 2015, section 4.1.1), with bucket
// widths fitted to the block instead of fixed, so that nanosecond timestamps
// and decimal sensor values get the same short codes Gorilla gets for seconds.
type intCode struct{ w1, w2 uint8 }

// chooseIntCode picks w1 and w2 that minimise the coded size of zs.
func chooseIntCode(zs []uint64) intCode {
	var hist [65]int
	for _, z := range zs {
		hist[bits.Len64(z)]++
	}
	w2 := 64
	for w2 > 0 && hist[w2] == 0 {
		w2--
	}
	if w2 == 0 {
		return intCode{}
	}
	// cost(w1) = zeros + (2+w1)*small + (2+w2)*large; scan every w1.
	best, bestCost := w2, -1
	small := 0
	for w1 := 1; w1 <= w2; w1++ {
		small += hist[w1]
		large := len(zs) - hist[0] - small
		cost := (2+w1)*small + (2+w2)*large
		if bestCost < 0 || cost < bestCost {
			best, bestCost = w1, cost
		}
	}
	return intCode{w1: uint8(best), w2: uint8(w2)}
}

func (c intCode) valid() bool { return c.w1 <= c.w2 && c.w2 <= 64 }

func (c intCode) put(w *bitWriter, z uint64) {
	switch {
	case z == 0:
		w.writeBits(0, 1)
	case bits.Len64(z) <= int(c.w1):
		if c.w1 <= 62 {
			w.writeBits(0b10<<c.w1|z, uint(c.w1)+2)
			return
		}
		w.writeBits(0b10, 2)
		w.writeBits(z, uint(c.w1))
	default:
		if c.w2 <= 62 {
			w.writeBits(0b11<<c.w2|z, uint(c.w2)+2)
			return
		}
		w.writeBits(0b11, 2)
		w.writeBits(z, uint(c.w2))
	}
}

func (c intCode) get(r *bitReader) uint64 {
	// Fast path: the whole code word is in the accumulator after at most one
	// refill, and is cut from it with shifts.
	if r.n < 2+uint(c.w2) {
		r.refill()
	}
	if w2 := uint(c.w2); w2 <= 54 && r.n >= 2+w2 {
		top := r.acc
		if top>>63 == 0 {
			r.acc <<= 1
			r.n--
			return 0
		}
		w := w2
		if top>>62 == 0b10 {
			w = uint(c.w1)
		}
		r.acc <<= 2 + w
		r.n -= 2 + w
		return top << 2 >> (64 - w) // w == 0 shifts out everything
	}
	if r.readBit() == 0 {
		return 0
	}
	if r.readBit() == 0 {
		return r.readBits(uint(c.w1))
	}
	return r.readBits(uint(c.w2))
}
