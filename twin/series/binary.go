package series

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// The binary form of a whole series, for snapshots. Sealed blocks are written as
// they are held (their compressed bytes and summaries), so that saving and
// loading a channel costs a copy, not a decode and re-encode:
//
//	uvarint blockCap, uvarint block count
//	per block: first T varint, first V, last T varint, last V, sum, min, max
//	           (8 bytes each, little-endian), uvarint count, uvarint valid,
//	           uvarint data length, data
//	uvarint head length, per head point T varint, V (8 bytes)
//
// Loading checks counts, lengths and time order; the caller protects the bytes
// with a checksum.

// ErrCorruptSeries is wrapped by ReadBinary for bytes that are not a series.
var ErrCorruptSeries = errors.New("series: corrupt series")

// AppendBinary appends the binary form of s to dst.
func (s *Series) AppendBinary(dst []byte) []byte {
	dst = binary.AppendUvarint(dst, uint64(s.capacity()))
	dst = binary.AppendUvarint(dst, uint64(len(s.blocks)))
	for i := range s.blocks {
		b := &s.blocks[i]
		dst = binary.AppendVarint(dst, b.first.T)
		dst = appendF64(dst, b.first.V)
		dst = binary.AppendVarint(dst, b.last.T)
		dst = appendF64(dst, b.last.V)
		dst = appendF64(dst, b.sum)
		dst = appendF64(dst, b.min)
		dst = appendF64(dst, b.max)
		dst = binary.AppendUvarint(dst, uint64(b.count))
		dst = binary.AppendUvarint(dst, uint64(b.valid))
		dst = binary.AppendUvarint(dst, uint64(len(b.data)))
		dst = append(dst, b.data...)
	}
	dst = binary.AppendUvarint(dst, uint64(len(s.head)))
	for _, p := range s.head {
		dst = binary.AppendVarint(dst, p.T)
		dst = appendF64(dst, p.V)
	}
	return dst
}

func appendF64(dst []byte, f float64) []byte {
	return binary.LittleEndian.AppendUint64(dst, math.Float64bits(f))
}

// ReadBinary decodes a series that AppendBinary wrote at the start of data and
// returns it with the number of bytes it took. Block data is copied out of data
// in one allocation per series.
func ReadBinary(data []byte) (*Series, int, error) {
	r := binReader{buf: data}
	s, err := r.series()
	if err != nil {
		return nil, 0, fmt.Errorf("%w: at byte %d: %w", ErrCorruptSeries, r.off, err)
	}
	return s, r.off, nil
}

type binReader struct {
	buf []byte
	off int
	err error
}

func (r *binReader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.buf[r.off:])
	if n <= 0 {
		r.err = errors.New("bad or truncated varint")
		return 0
	}
	r.off += n
	return v
}

func (r *binReader) varint() int64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Varint(r.buf[r.off:])
	if n <= 0 {
		r.err = errors.New("bad or truncated varint")
		return 0
	}
	r.off += n
	return v
}

func (r *binReader) f64() float64 {
	if r.err != nil {
		return 0
	}
	if len(r.buf)-r.off < 8 {
		r.err = errors.New("truncated")
		return 0
	}
	v := math.Float64frombits(binary.LittleEndian.Uint64(r.buf[r.off:]))
	r.off += 8
	return v
}

func (r *binReader) series() (*Series, error) {
	capacity := r.uvarint()
	nblocks := r.uvarint()
	if r.err != nil {
		return nil, r.err
	}
	if capacity < 2 || capacity > maxBlockPoints/2 {
		return nil, fmt.Errorf("block capacity %d out of range", capacity)
	}
	// A block takes at least 60 bytes, which bounds what a damaged count allocates.
	if nblocks > uint64(len(r.buf)-r.off)/60 {
		return nil, fmt.Errorf("%d blocks cannot fit in %d bytes", nblocks, len(r.buf)-r.off)
	}
	s := &Series{blockCap: int(capacity), blocks: make([]block, nblocks)}
	total := 0
	for i := range s.blocks {
		b := &s.blocks[i]
		b.first.T, b.first.V = r.varint(), r.f64()
		b.last.T, b.last.V = r.varint(), r.f64()
		b.sum, b.min, b.max = r.f64(), r.f64(), r.f64()
		count, valid, n := r.uvarint(), r.uvarint(), r.uvarint()
		if r.err != nil {
			return nil, r.err
		}
		switch {
		case count == 0 || count > maxBlockPoints:
			return nil, fmt.Errorf("block %d: %d points", i, count)
		case valid > count:
			return nil, fmt.Errorf("block %d: %d valid of %d points", i, valid, count)
		case b.last.T < b.first.T || i > 0 && b.first.T <= s.blocks[i-1].last.T:
			return nil, fmt.Errorf("block %d: %w", i, ErrBlockOrder)
		case n > uint64(len(r.buf)-r.off):
			return nil, fmt.Errorf("block %d: %d data bytes, %d left", i, n, len(r.buf)-r.off)
		}
		b.count, b.valid = int(count), int(valid)
		b.data = r.buf[r.off : r.off+int(n)] // re-pointed into one copy below
		r.off += int(n)
		total += int(n)
		s.n += b.count
	}
	if total > 0 {
		// One allocation for all the blocks' bytes instead of one per block.
		own := make([]byte, 0, total)
		for i := range s.blocks {
			b := &s.blocks[i]
			at := len(own)
			own = append(own, b.data...)
			b.data = own[at:len(own):len(own)]
		}
		s.dataBytes = total
	}
	nhead := r.uvarint()
	if r.err != nil {
		return nil, r.err
	}
	if nhead > capacity || nhead > uint64(len(r.buf)-r.off)/9 {
		return nil, fmt.Errorf("head of %d points", nhead)
	}
	s.head = make([]Point, nhead)
	for i := range s.head {
		s.head[i] = Point{T: r.varint(), V: r.f64()}
		if r.err != nil {
			return nil, r.err
		}
		if i > 0 && s.head[i].T <= s.head[i-1].T || i == 0 && nblocks > 0 && s.head[0].T <= s.blocks[nblocks-1].last.T {
			return nil, fmt.Errorf("head point %d: %w", i, ErrBlockOrder)
		}
	}
	s.n += int(nhead)
	return s, nil
}
