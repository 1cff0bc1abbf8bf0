package render

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
)

// Binary frames carry bulk positions and values to stream clients as
// little-endian columns, so that a browser can wrap them in typed arrays
// without parsing: a 32-byte header, then Count uint32 slots, then the float32
// columns of the frame's type. Every column starts on a 4-byte boundary.
//
//	offset size field
//	 0     4    magic "CTWF"
//	 4     1    version (FrameVersion)
//	 5     1    type (FramePositions, FrameValues)
//	 6     2    metric: index into the subscription's metrics (values); 0xFFFF for positions
//	 8     8    seq: the twin's sequence number the frame is current at (uint64)
//	16     8    time: Unix milliseconds (int64), the instant the columns are for
//	            (a stream's playback: the played-back instant; live: when written)
//	24     4    count: entries (uint32)
//	28     4    reserved, 0
//	32     4n   slots (uint32): the entities, as numbered by the stream
//	then for FramePositions: 4n east, 4n north (float32 metres from the origin)
//	then for FrameValues:    4n values (float32)
const (
	FrameMagic      = "CTWF"
	FrameVersion    = 1
	FrameHeaderSize = 32
	// NoMetric is the metric field of a positions frame.
	NoMetric = 0xFFFF
	// MaxFrameEntries bounds Count, so that a decoder never allocates more
	// than a few hundred megabytes for one frame.
	MaxFrameEntries = 1 << 24
)

// FrameType says which columns follow the slots.
type FrameType uint8

// The frame types.
const (
	FramePositions FrameType = 1 // east, north
	FrameValues    FrameType = 2 // values of one metric
)

func (t FrameType) String() string {
	switch t {
	case FramePositions:
		return "positions"
	case FrameValues:
		return "values"
	}
	return fmt.Sprintf("FrameType(%d)", uint8(t))
}

// columns is the number of float32 columns after the slots.
func (t FrameType) columns() int {
	if t == FramePositions {
		return 2
	}
	return 1
}

// Frame is the decoded form of a binary frame: the header fields and the
// columns. For FramePositions East and North are set, for FrameValues Values.
type Frame struct {
	Type   FrameType
	Metric uint16 // NoMetric for positions
	Seq    uint64
	TimeMS int64 // Unix milliseconds: the instant the columns are for
	Slots  []uint32
	East   []float32
	North  []float32
	Values []float32
}

// Errors of the binary frames.
var (
	ErrBadFrame = errors.New("render: bad frame")
)

// FrameSize is the encoded size of a frame of type t with n entries.
func FrameSize(t FrameType, n int) int {
	return FrameHeaderSize + 4*n*(1+t.columns())
}

// AppendFrame appends the encoding of f to dst. The columns of f's type must
// have as many entries as Slots; the others must be empty.
func AppendFrame(dst []byte, f *Frame) ([]byte, error) {
	n := len(f.Slots)
	if n > MaxFrameEntries {
		return dst, fmt.Errorf("%w: %d entries, at most %d", ErrBadFrame, n, MaxFrameEntries)
	}
	switch f.Type {
	case FramePositions:
		if len(f.East) != n || len(f.North) != n || len(f.Values) != 0 {
			return dst, fmt.Errorf("%w: positions want %d east and north, no values; got %d, %d, %d", ErrBadFrame, n, len(f.East), len(f.North), len(f.Values))
		}
		if f.Metric != NoMetric {
			return dst, fmt.Errorf("%w: a positions frame has metric %#x, want NoMetric", ErrBadFrame, f.Metric)
		}
	case FrameValues:
		if len(f.Values) != n || len(f.East) != 0 || len(f.North) != 0 {
			return dst, fmt.Errorf("%w: values want %d values, no east or north; got %d, %d, %d", ErrBadFrame, n, len(f.Values), len(f.East), len(f.North))
		}
		if f.Metric == NoMetric {
			return dst, fmt.Errorf("%w: a values frame needs a metric index", ErrBadFrame)
		}
	default:
		return dst, fmt.Errorf("%w: type %d", ErrBadFrame, f.Type)
	}
	start := len(dst)
	dst = grow(dst, FrameSize(f.Type, n))
	b := dst[start:]
	copy(b, FrameMagic)
	b[4] = FrameVersion
	b[5] = byte(f.Type)
	binary.LittleEndian.PutUint16(b[6:], f.Metric)
	binary.LittleEndian.PutUint64(b[8:], f.Seq)
	binary.LittleEndian.PutUint64(b[16:], uint64(f.TimeMS))
	binary.LittleEndian.PutUint32(b[24:], uint32(n))
	binary.LittleEndian.PutUint32(b[28:], 0)
	off := FrameHeaderSize
	for _, s := range f.Slots {
		binary.LittleEndian.PutUint32(b[off:], s)
		off += 4
	}
	put := func(col []float32) {
		for _, v := range col {
			binary.LittleEndian.PutUint32(b[off:], math.Float32bits(v))
			off += 4
		}
	}
	if f.Type == FramePositions {
		put(f.East)
		put(f.North)
	} else {
		put(f.Values)
	}
	return dst, nil
}

// grow extends b by n bytes, reallocating at most once (with room to spare,
// so that a buffer of many frames grows amortized).
func grow(b []byte, n int) []byte {
	return slices.Grow(b, n)[:len(b)+n]
}

// DecodeFrame reads a frame that AppendFrame wrote. The columns are new
// slices; b is not kept.
func DecodeFrame(b []byte) (*Frame, error) {
	if len(b) < FrameHeaderSize {
		return nil, fmt.Errorf("%w: %d bytes, shorter than the %d-byte header", ErrBadFrame, len(b), FrameHeaderSize)
	}
	if string(b[:4]) != FrameMagic {
		return nil, fmt.Errorf("%w: magic %q, want %q", ErrBadFrame, b[:4], FrameMagic)
	}
	if b[4] != FrameVersion {
		return nil, fmt.Errorf("%w: version %d, want %d", ErrBadFrame, b[4], FrameVersion)
	}
	f := &Frame{Type: FrameType(b[5]), Metric: binary.LittleEndian.Uint16(b[6:]),
		Seq: binary.LittleEndian.Uint64(b[8:]), TimeMS: int64(binary.LittleEndian.Uint64(b[16:]))}
	if f.Type != FramePositions && f.Type != FrameValues {
		return nil, fmt.Errorf("%w: type %d", ErrBadFrame, b[5])
	}
	if (f.Type == FramePositions) != (f.Metric == NoMetric) {
		return nil, fmt.Errorf("%w: a %s frame with metric %#x (positions have 0xffff, values an index)", ErrBadFrame, f.Type, f.Metric)
	}
	if r := binary.LittleEndian.Uint32(b[28:]); r != 0 {
		return nil, fmt.Errorf("%w: reserved field %#x, want 0", ErrBadFrame, r)
	}
	n := binary.LittleEndian.Uint32(b[24:])
	if n > MaxFrameEntries {
		return nil, fmt.Errorf("%w: count %d, at most %d", ErrBadFrame, n, MaxFrameEntries)
	}
	if want := FrameSize(f.Type, int(n)); len(b) != want {
		return nil, fmt.Errorf("%w: %d bytes, want %d for %d %s entries", ErrBadFrame, len(b), want, n, f.Type)
	}
	off := FrameHeaderSize
	f.Slots = make([]uint32, n)
	for i := range f.Slots {
		f.Slots[i] = binary.LittleEndian.Uint32(b[off:])
		off += 4
	}
	col := func() []float32 {
		out := make([]float32, n)
		for i := range out {
			out[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[off:]))
			off += 4
		}
		return out
	}
	if f.Type == FramePositions {
		f.East, f.North = col(), col()
	} else {
		f.Values = col()
	}
	return f, nil
}
