package render

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
	"unicode/utf8"

	"citytwin/twin"
	"citytwin/twin/series"

	"github.com/uber/h3-go/v4"
)

// An H3 layer is a metric summarised per H3 cell (GET /api/v1/h3) in a
// compact little-endian form that a browser wraps in typed arrays without
// parsing, for deck.gl's H3HexagonLayer: a 16-byte header, the metric's
// name padded to 8 bytes, then three columns. docs/api.md ("H3 layers in
// binary") has the same table.
//
//	offset   size  field
//	 0       4     magic "CTH3"
//	 4       1     version (H3LayerVersion, 1)
//	 5       1     resolution, 0..15
//	 6       1     agg: 0 count, 1 sum, 2 avg, 3 min, 4 max, 5 p50, 6 p95 (series.Agg)
//	 7       1     flags: bit 0 set when the values are over a time window (from/to),
//	               clear for the newest value of each entity; other bits 0
//	 8       4     count n of cells (uint32)
//	12       2     length m of the metric's name in bytes (uint16, UTF-8)
//	14       2     reserved, 0
//	16       m     the metric's name, then zeros up to the next multiple of 8: p = 16 + ceil8(m)
//	p        8n    cells: H3 indexes (uint64), ascending (BigUint64Array)
//	p+8n     4n    values (float32, rounded: NaN stays NaN, beyond ±3.4e38 is ±Inf)
//	p+12n    4n    counts: the entities that contributed (uint32)
//
// Total length p + 16n. The cells column starts on an 8-byte boundary and the
// others on 4-byte ones, so each is a typed array over the same buffer.
const (
	H3LayerMagic      = "CTH3"
	H3LayerVersion    = 1
	H3LayerHeaderSize = 16
	// H3LayerWindowed is the flag of values over a time window.
	H3LayerWindowed = 1
	// MaxH3LayerCells bounds the count a decoder accepts.
	MaxH3LayerCells = 1 << 26
)

// ErrH3Layer is wrapped by the errors of DecodeH3Layer and AppendH3Layer.
var ErrH3Layer = errors.New("render: bad h3 layer")

// H3Layer is a metric per H3 cell.
type H3Layer struct {
	Res      int
	Metric   string
	Agg      series.Agg
	Windowed bool
	Cells    []twin.CellValue
}

// AppendH3Layer appends l in the binary form to dst. Values are rounded to
// float32; counts beyond 2^32-1 are an error, as are a metric name over
// 65535 bytes, a resolution or aggregate out of range.
func AppendH3Layer(dst []byte, l *H3Layer) ([]byte, error) {
	switch {
	case l.Res < 0 || l.Res > 15:
		return dst, fmt.Errorf("%w: resolution %d", ErrH3Layer, l.Res)
	case l.Agg < series.Count || l.Agg > series.P95:
		return dst, fmt.Errorf("%w: aggregate %d", ErrH3Layer, l.Agg)
	case len(l.Metric) > math.MaxUint16:
		return dst, fmt.Errorf("%w: a metric name of %d bytes", ErrH3Layer, len(l.Metric))
	case len(l.Cells) > MaxH3LayerCells:
		return dst, fmt.Errorf("%w: %d cells", ErrH3Layer, len(l.Cells))
	}
	n := len(l.Cells)
	p := H3LayerHeaderSize + (len(l.Metric)+7)&^7
	dst = slices.Grow(dst, p+16*n)
	dst = append(dst, H3LayerMagic...)
	flags := byte(0)
	if l.Windowed {
		flags |= H3LayerWindowed
	}
	dst = append(dst, H3LayerVersion, byte(l.Res), byte(l.Agg), flags)
	dst = binary.LittleEndian.AppendUint32(dst, uint32(n))
	dst = binary.LittleEndian.AppendUint16(dst, uint16(len(l.Metric)))
	dst = append(dst, 0, 0)
	dst = append(dst, l.Metric...)
	for range p - H3LayerHeaderSize - len(l.Metric) {
		dst = append(dst, 0)
	}
	for _, c := range l.Cells {
		dst = binary.LittleEndian.AppendUint64(dst, uint64(c.Cell))
	}
	for _, c := range l.Cells {
		dst = binary.LittleEndian.AppendUint32(dst, math.Float32bits(float32(c.Value)))
	}
	for _, c := range l.Cells {
		if c.Count < 0 || uint64(c.Count) > math.MaxUint32 {
			return dst, fmt.Errorf("%w: count %d", ErrH3Layer, c.Count)
		}
		dst = binary.LittleEndian.AppendUint32(dst, uint32(c.Count))
	}
	return dst, nil
}

// DecodeH3Layer reads the binary form (for Go clients and the tests). Values
// come back as the float32 that was sent.
func DecodeH3Layer(b []byte) (H3Layer, error) {
	var l H3Layer
	le := binary.LittleEndian
	if len(b) < H3LayerHeaderSize {
		return l, fmt.Errorf("%w: %d bytes, shorter than the header", ErrH3Layer, len(b))
	}
	if string(b[:4]) != H3LayerMagic {
		return l, fmt.Errorf("%w: magic %q", ErrH3Layer, b[:4])
	}
	if b[4] != H3LayerVersion {
		return l, fmt.Errorf("%w: version %d", ErrH3Layer, b[4])
	}
	l.Res, l.Agg = int(b[5]), series.Agg(b[6])
	if l.Res > 15 || l.Agg > series.P95 {
		return l, fmt.Errorf("%w: resolution %d, aggregate %d", ErrH3Layer, l.Res, l.Agg)
	}
	if b[7]&^H3LayerWindowed != 0 || le.Uint16(b[14:]) != 0 {
		return l, fmt.Errorf("%w: reserved bits set", ErrH3Layer)
	}
	l.Windowed = b[7]&H3LayerWindowed != 0
	n, m := int(le.Uint32(b[8:])), int(le.Uint16(b[12:]))
	if n > MaxH3LayerCells {
		return l, fmt.Errorf("%w: %d cells", ErrH3Layer, n)
	}
	p := H3LayerHeaderSize + (m+7)&^7
	if len(b) != p+16*n {
		return l, fmt.Errorf("%w: %d bytes, want %d for %d cells", ErrH3Layer, len(b), p+16*n, n)
	}
	name := b[H3LayerHeaderSize : H3LayerHeaderSize+m]
	if !utf8.Valid(name) {
		return l, fmt.Errorf("%w: the metric is not UTF-8", ErrH3Layer)
	}
	l.Metric = string(name)
	l.Cells = make([]twin.CellValue, n)
	for i := range l.Cells {
		l.Cells[i] = twin.CellValue{
			Cell:  h3.Cell(le.Uint64(b[p+8*i:])),
			Value: float64(math.Float32frombits(le.Uint32(b[p+8*n+4*i:]))),
			Count: int(le.Uint32(b[p+12*n+4*i:])),
		}
	}
	return l, nil
}
