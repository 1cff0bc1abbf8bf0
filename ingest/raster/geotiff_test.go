package raster

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"errors"
	"math"
	"testing"
)

// tiffSpec describes a small single-band GeoTIFF that writeTIFF encodes, so the
// reader can be checked on layouts the real file does not use.
type tiffSpec struct {
	bo           binary.ByteOrder
	format, bits int // SampleFormat, BitsPerSample
	comp, pred   int
	w, h, rps    int
	tw, th       int // tile size; 0 for strips
	values       []float64
	geoKeys      []uint16
	pixelIsPoint bool
}

func putSample(bo binary.ByteOrder, format, bits int, v float64) []byte {
	b := make([]byte, bits/8)
	switch {
	case format == 3 && bits == 32:
		bo.PutUint32(b, math.Float32bits(float32(v)))
	case format == 3 && bits == 64:
		bo.PutUint64(b, math.Float64bits(v))
	case bits == 16:
		bo.PutUint16(b, uint16(int16(v)))
	case bits == 32:
		bo.PutUint32(b, uint32(int32(v)))
	case bits == 8:
		b[0] = byte(int8(v))
	}
	return b
}

func writeTIFF(s tiffSpec) []byte {
	bps := s.bits / 8
	type chunk struct{ x0, y0, w, h int }
	var chunks []chunk
	if s.tw > 0 {
		for y0 := 0; y0 < s.h; y0 += s.th {
			for x0 := 0; x0 < s.w; x0 += s.tw {
				chunks = append(chunks, chunk{x0, y0, s.tw, s.th})
			}
		}
	} else {
		for y0 := 0; y0 < s.h; y0 += s.rps {
			chunks = append(chunks, chunk{0, y0, s.w, min(s.rps, s.h-y0)})
		}
	}
	var strips [][]byte
	for _, ck := range chunks {
		var raw []byte
		for y := ck.y0; y < ck.y0+ck.h; y++ {
			var row []byte
			for x := ck.x0; x < ck.x0+ck.w; x++ {
				v := 0.0 // tiles are padded past the image
				if x < s.w && y < s.h {
					v = s.values[y*s.w+x]
				}
				row = append(row, putSample(s.bo, s.format, s.bits, v)...)
			}
			switch s.pred {
			case 2: // differences of whole samples, right to left
				for i := len(row) - bps; i >= bps; i -= bps {
					switch bps {
					case 1:
						row[i] -= row[i-1]
					case 2:
						s.bo.PutUint16(row[i:], s.bo.Uint16(row[i:])-s.bo.Uint16(row[i-2:]))
					case 4:
						s.bo.PutUint32(row[i:], s.bo.Uint32(row[i:])-s.bo.Uint32(row[i-4:]))
					}
				}
			case 3: // byte planes, most significant first, then byte differences
				n := ck.w
				planes := make([]byte, len(row))
				for i := range n {
					for b := range bps {
						src := row[i*bps+b]
						if s.bo == binary.LittleEndian {
							planes[(bps-1-b)*n+i] = src
						} else {
							planes[b*n+i] = src
						}
					}
				}
				for i := len(planes) - 1; i >= 1; i-- {
					planes[i] -= planes[i-1]
				}
				row = planes
			}
			raw = append(raw, row...)
		}
		if s.comp == 8 {
			var zb bytes.Buffer
			zw := zlib.NewWriter(&zb)
			zw.Write(raw)
			zw.Close()
			raw = zb.Bytes()
		}
		strips = append(strips, raw)
	}
	type entry struct {
		tag, typ uint16
		vals     []float64
		text     string
	}
	var offs, counts []float64
	var buf bytes.Buffer
	buf.Write(make([]byte, 8))
	for _, st := range strips {
		offs = append(offs, float64(buf.Len()))
		counts = append(counts, float64(len(st)))
		buf.Write(st)
	}
	keys := []float64{1, 1, 0, 0}
	gk := append([]uint16{}, s.geoKeys...)
	if s.pixelIsPoint {
		gk = append(gk, keyRasterType, 0, 1, 2)
	}
	for _, k := range gk {
		keys = append(keys, float64(k))
	}
	keys[3] = float64(len(gk) / 4)
	entries := []entry{
		{tagWidth, 3, []float64{float64(s.w)}, ""},
		{tagHeight, 3, []float64{float64(s.h)}, ""},
		{tagBitsPerSample, 3, []float64{float64(s.bits)}, ""},
		{tagCompression, 3, []float64{float64(s.comp)}, ""},
	}
	if s.tw > 0 {
		entries = append(entries,
			entry{tagTileWidth, 3, []float64{float64(s.tw)}, ""},
			entry{tagTileLength, 3, []float64{float64(s.th)}, ""},
			entry{tagTileOffsets, 4, offs, ""},
			entry{tagTileByteCounts, 4, counts, ""})
	} else {
		entries = append(entries,
			entry{tagStripOffsets, 4, offs, ""},
			entry{tagRowsPerStrip, 3, []float64{float64(s.rps)}, ""},
			entry{tagStripByteCounts, 4, counts, ""})
	}
	entries = append(entries, []entry{
		{tagPredictor, 3, []float64{float64(s.pred)}, ""},
		{tagSampleFormat, 3, []float64{float64(s.format)}, ""},
		{tagPixelScale, 12, []float64{2, 3, 0}, ""},
		{tagTiepoint, 12, []float64{0, 0, 0, 1000, 5000, 0}, ""},
		{tagGeoKeys, 3, keys, ""},
		{tagGDALNoData, 2, nil, "-32768\x00"},
	}...)
	// Values that do not fit in an entry go after the pixels.
	var ext bytes.Buffer
	base := buf.Len() + 2 + 12*len(entries) + 4
	var ifdBuf bytes.Buffer
	binary.Write(&ifdBuf, s.bo, uint16(len(entries)))
	for _, e := range entries {
		var val bytes.Buffer
		count := len(e.vals)
		if e.typ == 2 {
			val.WriteString(e.text)
			count = len(e.text)
		}
		for _, v := range e.vals {
			switch e.typ {
			case 3:
				binary.Write(&val, s.bo, uint16(v))
			case 4:
				binary.Write(&val, s.bo, uint32(v))
			case 12:
				binary.Write(&val, s.bo, v)
			}
		}
		binary.Write(&ifdBuf, s.bo, e.tag)
		binary.Write(&ifdBuf, s.bo, e.typ)
		binary.Write(&ifdBuf, s.bo, uint32(count))
		if val.Len() <= 4 {
			v := make([]byte, 4)
			copy(v, val.Bytes())
			ifdBuf.Write(v)
		} else {
			binary.Write(&ifdBuf, s.bo, uint32(base+ext.Len()))
			ext.Write(val.Bytes())
		}
	}
	ifdBuf.Write(make([]byte, 4))
	out := buf.Bytes()
	if s.bo == binary.LittleEndian {
		copy(out, "II")
	} else {
		copy(out, "MM")
	}
	s.bo.PutUint16(out[2:], 42)
	s.bo.PutUint32(out[4:], uint32(len(out)))
	out = append(out, ifdBuf.Bytes()...)
	return append(out, ext.Bytes()...)
}

func TestReadGeoTIFFLayouts(t *testing.T) {
	values := []float64{-32768, 1, 2, 3, -5, 100, 7, 8, 9, 10, 11, 12, 13, 14, 15}
	for _, tc := range []struct {
		name string
		spec tiffSpec
	}{
		{"int16 big-endian raw", tiffSpec{bo: binary.BigEndian, format: 2, bits: 16, comp: 1, pred: 1, rps: 2}},
		{"int16 little-endian deflate horizontal", tiffSpec{bo: binary.LittleEndian, format: 2, bits: 16, comp: 8, pred: 2, rps: 1}},
		{"int32 big-endian deflate horizontal", tiffSpec{bo: binary.BigEndian, format: 2, bits: 32, comp: 8, pred: 2, rps: 3}},
		{"float32 little-endian deflate floating point", tiffSpec{bo: binary.LittleEndian, format: 3, bits: 32, comp: 8, pred: 3, rps: 2}},
		{"float32 big-endian floating point", tiffSpec{bo: binary.BigEndian, format: 3, bits: 32, comp: 1, pred: 3, rps: 3}},
		{"float64 little-endian", tiffSpec{bo: binary.LittleEndian, format: 3, bits: 64, comp: 8, pred: 1, rps: 3}},
		{"int8", tiffSpec{bo: binary.LittleEndian, format: 2, bits: 8, comp: 1, pred: 1, rps: 3}},
		{"float32 tiles 2×2 deflate floating point", tiffSpec{bo: binary.LittleEndian, format: 3, bits: 32, comp: 8, pred: 3, tw: 2, th: 2}},
		{"int16 tiles 4×1 raw", tiffSpec{bo: binary.BigEndian, format: 2, bits: 16, comp: 1, pred: 2, tw: 4, th: 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := tc.spec
			s.w, s.h, s.values = 5, 3, values
			if s.bits == 8 {
				s.values = []float64{-128, 1, 2, 3, -5, 100, 7, 8, 9, 10, 11, 12, 13, 14, 15}
			}
			s.geoKeys = []uint16{keyProjectedCRS, 0, 1, 28356}
			g, err := ReadGeoTIFF(writeTIFF(s))
			if err != nil {
				t.Fatal(err)
			}
			if g.Width != 5 || g.Height != 3 || g.CellX != 2 || g.CellY != 3 || g.OriginX != 1000 || g.OriginY != 5000 {
				t.Errorf("grid %d × %d cell %v × %v origin %v, %v", g.Width, g.Height, g.CellX, g.CellY, g.OriginX, g.OriginY)
			}
			if g.CRS != "EPSG:28356" || !g.HasNoData || g.NoData != -32768 {
				t.Errorf("CRS %q NoData %v %v", g.CRS, g.NoData, g.HasNoData)
			}
			for i, want := range s.values {
				if float64(g.Values[i]) != want {
					t.Fatalf("values %v, want %v", g.Values, s.values)
				}
			}
		})
	}
}

func TestReadGeoTIFFPixelIsPointAndGeographic(t *testing.T) {
	s := tiffSpec{bo: binary.LittleEndian, format: 1, bits: 16, comp: 1, pred: 1, w: 2, h: 2, rps: 2,
		values: []float64{1, 2, 3, 4}, geoKeys: []uint16{keyGeographicCRS, 0, 1, 4326}, pixelIsPoint: true}
	g, err := ReadGeoTIFF(writeTIFF(s))
	if err != nil {
		t.Fatal(err)
	}
	if g.OriginX != 999 || g.OriginY != 5001.5 || g.CRS != "EPSG:4326" {
		t.Errorf("origin %v, %v CRS %q; want 999, 5001.5 EPSG:4326", g.OriginX, g.OriginY, g.CRS)
	}
}

func TestReadGeoTIFFErrors(t *testing.T) {
	good := writeTIFF(tiffSpec{bo: binary.LittleEndian, format: 3, bits: 32, comp: 8, pred: 1, w: 2, h: 2, rps: 2, values: []float64{1, 2, 3, 4}})
	bigTIFF := append([]byte{}, good...)
	bigTIFF[2] = 43
	for _, tc := range []struct {
		name string
		data []byte
		want error
	}{
		{"empty", nil, ErrFormat},
		{"not tiff", []byte("GIF89a.........."), ErrFormat},
		{"bigtiff", bigTIFF, ErrUnsupported},
		{"truncated", good[:40], ErrFormat},
		{"complex samples", writeTIFF(tiffSpec{bo: binary.LittleEndian, format: 6, bits: 32, comp: 1, pred: 1, w: 1, h: 1, rps: 1, values: []float64{1}}), ErrUnsupported},
		{"jpeg", writeTIFF(tiffSpec{bo: binary.LittleEndian, format: 1, bits: 8, comp: 7, pred: 1, w: 1, h: 1, rps: 1, values: []float64{1}}), ErrUnsupported},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := ReadGeoTIFF(tc.data); !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
		})
	}
}
