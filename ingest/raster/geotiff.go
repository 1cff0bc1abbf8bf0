package raster

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"

	"citytwin/geo/raster"

	"golang.org/x/image/tiff/lzw"
)

// ErrUnsupported reports a valid TIFF this reader does not handle (BigTIFF,
// JPEG compression, complex samples, …).
var ErrUnsupported = errors.New("raster: unsupported tiff")

// TIFF and GeoTIFF tags read here.
const (
	tagWidth           = 256
	tagHeight          = 257
	tagBitsPerSample   = 258
	tagCompression     = 259
	tagStripOffsets    = 273
	tagSamplesPerPixel = 277
	tagRowsPerStrip    = 278
	tagStripByteCounts = 279
	tagPlanarConfig    = 284
	tagPredictor       = 317
	tagTileWidth       = 322
	tagTileLength      = 323
	tagTileOffsets     = 324
	tagTileByteCounts  = 325
	tagSampleFormat    = 339
	tagPixelScale      = 33550
	tagTiepoint        = 33922
	tagTransformation  = 34264
	tagGeoKeys         = 34735
	tagGDALNoData      = 42113

	keyRasterType    = 1025 // GTRasterTypeGeoKey: 1 PixelIsArea, 2 PixelIsPoint
	keyGeographicCRS = 2048
	keyProjectedCRS  = 3072
)

// ifd is one TIFF image file directory: each tag's values as numbers (or, for
// ASCII, as text).
type ifd struct {
	nums map[uint16][]float64
	text map[uint16]string
}

func (d ifd) first(tag uint16, def float64) float64 {
	if v := d.nums[tag]; len(v) > 0 {
		return v[0]
	}
	return def
}

// typeSize is the byte size of each TIFF field type; 0 for unknown types.
var typeSize = [...]int{1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8}

// parseIFD reads the first IFD of a classic (not Big) TIFF.
func parseIFD(data []byte) (ifd, binary.ByteOrder, error) {
	if len(data) < 8 {
		return ifd{}, nil, fmt.Errorf("%w: tiff of %d bytes", ErrFormat, len(data))
	}
	var bo binary.ByteOrder
	switch string(data[:2]) {
	case "II":
		bo = binary.LittleEndian
	case "MM":
		bo = binary.BigEndian
	default:
		return ifd{}, nil, fmt.Errorf("%w: not a tiff", ErrFormat)
	}
	switch bo.Uint16(data[2:]) {
	case 42:
	case 43:
		return ifd{}, nil, fmt.Errorf("%w: BigTIFF", ErrUnsupported)
	default:
		return ifd{}, nil, fmt.Errorf("%w: not a tiff", ErrFormat)
	}
	off := int64(bo.Uint32(data[4:]))
	if off+2 > int64(len(data)) {
		return ifd{}, nil, fmt.Errorf("%w: ifd offset %d past the end", ErrFormat, off)
	}
	n := int64(bo.Uint16(data[off:]))
	if off+2+12*n > int64(len(data)) {
		return ifd{}, nil, fmt.Errorf("%w: ifd of %d entries past the end", ErrFormat, n)
	}
	d := ifd{nums: map[uint16][]float64{}, text: map[uint16]string{}}
	for i := range n {
		e := data[off+2+12*i:]
		tag, typ, count := bo.Uint16(e), bo.Uint16(e[2:]), int64(bo.Uint32(e[4:]))
		if int(typ) >= len(typeSize) || typeSize[typ] == 0 {
			continue // unknown types are to be skipped
		}
		size := int64(typeSize[typ]) * count
		var val []byte
		if size <= 4 {
			val = e[8 : 8+size]
		} else {
			at := int64(bo.Uint32(e[8:]))
			if at+size > int64(len(data)) || size < 0 {
				return ifd{}, nil, fmt.Errorf("%w: tag %d: %d bytes at %d past the end", ErrFormat, tag, size, at)
			}
			val = data[at : at+size]
		}
		if typ == 2 {
			d.text[tag] = strings.TrimRight(string(val), "\x00 ")
			continue
		}
		nums := make([]float64, count)
		for j := range nums {
			switch typ {
			case 1, 7:
				nums[j] = float64(val[j])
			case 6:
				nums[j] = float64(int8(val[j]))
			case 3:
				nums[j] = float64(bo.Uint16(val[2*j:]))
			case 8:
				nums[j] = float64(int16(bo.Uint16(val[2*j:])))
			case 4:
				nums[j] = float64(bo.Uint32(val[4*j:]))
			case 9:
				nums[j] = float64(int32(bo.Uint32(val[4*j:])))
			case 5:
				nums[j] = float64(bo.Uint32(val[8*j:])) / float64(bo.Uint32(val[8*j+4:]))
			case 10:
				nums[j] = float64(int32(bo.Uint32(val[8*j:]))) / float64(int32(bo.Uint32(val[8*j+4:])))
			case 11:
				nums[j] = float64(math.Float32frombits(bo.Uint32(val[4*j:])))
			case 12:
				nums[j] = math.Float64frombits(bo.Uint64(val[8*j:]))
			}
		}
		d.nums[tag] = nums
	}
	return d, bo, nil
}

// ReadGeoTIFFFile reads a GeoTIFF file; see ReadGeoTIFF. When the GeoKeys name
// no EPSG CRS, a sibling .prj (as GDAL writes for ESRI tools) is used.
func ReadGeoTIFFFile(path string) (*raster.Grid, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	g, err := ReadGeoTIFF(data)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if g.CRS == "" {
		g.CRS = siblingCRS(path)
	}
	return g, nil
}

// ReadFile reads a raster by its extension: .asc (ESRI ASCII grid) or .tif,
// .tiff (GeoTIFF).
func ReadFile(path string) (*raster.Grid, error) {
	switch strings.ToLower(ext(path)) {
	case ".asc":
		return ReadASCFile(path)
	case ".tif", ".tiff":
		return ReadGeoTIFFFile(path)
	}
	return nil, fmt.Errorf("read %s: %w: unknown extension", path, ErrUnsupported)
}

// ReadGeoTIFF reads the first band of the first image of a classic TIFF with
// GeoTIFF tags: strips or tiles, uncompressed, Deflate or LZW, predictor none,
// horizontal or floating point, samples of 8, 16, 32 bit integers or 32, 64 bit
// floats. The georeference comes from ModelPixelScale + ModelTiepoint (or a
// ModelTransformation without rotation), the CRS from the GeoKeys
// (ProjectedCSTypeGeoKey, else GeographicTypeGeoKey) as "EPSG:<code>", NoData
// from GDAL_NODATA. A PixelIsPoint raster is shifted half a cell so that Origin
// is the outer corner.
func ReadGeoTIFF(data []byte) (*raster.Grid, error) {
	d, bo, err := parseIFD(data)
	if err != nil {
		return nil, err
	}
	g := &raster.Grid{Width: int(d.first(tagWidth, 0)), Height: int(d.first(tagHeight, 0)), CellX: 1, CellY: 1}
	if err := georeference(g, d); err != nil {
		return nil, err
	}
	if err := g.ValidateShape(); err != nil {
		return nil, err
	}
	if nd, ok := d.text[tagGDALNoData]; ok {
		f, err := strconv.ParseFloat(strings.TrimSpace(nd), 64)
		if err != nil {
			return nil, fmt.Errorf("%w: GDAL_NODATA %q", ErrFormat, nd)
		}
		g.NoData, g.HasNoData = float32(f), true
	}
	if err := readPixels(g, d, bo, data); err != nil {
		return nil, err
	}
	return g, nil
}

func georeference(g *raster.Grid, d ifd) error {
	scale, tie, tr := d.nums[tagPixelScale], d.nums[tagTiepoint], d.nums[tagTransformation]
	switch {
	case len(scale) >= 2 && len(tie) >= 6:
		g.CellX, g.CellY = scale[0], scale[1]
		g.OriginX = tie[3] - tie[0]*scale[0]
		g.OriginY = tie[4] + tie[1]*scale[1]
	case len(tr) >= 16:
		if tr[1] != 0 || tr[4] != 0 {
			return fmt.Errorf("%w: rotated ModelTransformation", ErrUnsupported)
		}
		g.CellX, g.CellY, g.OriginX, g.OriginY = tr[0], -tr[5], tr[3], tr[7]
	default:
		return fmt.Errorf("%w: no ModelPixelScale and ModelTiepoint (not a GeoTIFF)", ErrFormat)
	}
	keys := geoKeys(d.nums[tagGeoKeys])
	if keys[keyRasterType] == 2 {
		g.OriginX -= g.CellX / 2
		g.OriginY += g.CellY / 2
	}
	if c := keys[keyProjectedCRS]; c > 0 && c < 32767 {
		g.CRS = fmt.Sprintf("EPSG:%d", c)
	} else if c := keys[keyGeographicCRS]; c > 0 && c < 32767 {
		g.CRS = fmt.Sprintf("EPSG:%d", c)
	}
	return nil
}

// geoKeys reads the short-valued keys of a GeoKeyDirectory.
func geoKeys(dir []float64) map[int]int {
	keys := map[int]int{}
	if len(dir) < 4 {
		return keys
	}
	n := int(dir[3])
	for i := 0; i < n && 4+4*i+3 < len(dir); i++ {
		e := dir[4+4*i:]
		if e[1] == 0 { // the value is in the entry itself
			keys[int(e[0])] = int(e[3])
		}
	}
	return keys
}

// readPixels decodes band 1 into g.Values.
func readPixels(g *raster.Grid, d ifd, bo binary.ByteOrder, data []byte) error {
	bits := int(d.first(tagBitsPerSample, 1))
	format := int(d.first(tagSampleFormat, 1))
	spp := int(d.first(tagSamplesPerPixel, 1))
	planar := int(d.first(tagPlanarConfig, 1))
	comp := int(d.first(tagCompression, 1))
	pred := int(d.first(tagPredictor, 1))
	conv, err := sampleReader(format, bits, bo)
	if err != nil {
		return err
	}
	if spp < 1 || spp > 256 {
		return fmt.Errorf("%w: %d samples per pixel", ErrFormat, spp)
	}
	bps := bits / 8
	pixelBytes := bps * spp // bytes between two samples of band 1
	if planar == 2 {
		pixelBytes = bps
	}
	var cw, ch int
	var offs, counts []float64
	if _, tiled := d.nums[tagTileWidth]; tiled {
		cw, ch = int(d.first(tagTileWidth, 0)), int(d.first(tagTileLength, 0))
		offs, counts = d.nums[tagTileOffsets], d.nums[tagTileByteCounts]
	} else {
		cw, ch = g.Width, int(d.first(tagRowsPerStrip, float64(g.Height)))
		ch = min(ch, g.Height)
		offs, counts = d.nums[tagStripOffsets], d.nums[tagStripByteCounts]
	}
	if cw < 1 || ch < 1 {
		return fmt.Errorf("%w: chunk of %d × %d pixels", ErrFormat, cw, ch)
	}
	across, down := (g.Width+cw-1)/cw, (g.Height+ch-1)/ch
	if len(offs) < across*down || len(counts) < across*down {
		return fmt.Errorf("%w: %d chunk offsets and %d byte counts for %d chunks", ErrFormat, len(offs), len(counts), across*down)
	}
	rowBytes := cw * pixelBytes
	if int64(rowBytes)*int64(ch) > 1<<28 {
		return fmt.Errorf("%w: chunk of %d × %d pixels", ErrUnsupported, cw, ch)
	}
	// Before allocating, check that the chunks can hold the pixels they claim:
	// no codec here expands more than maxRatio times.
	maxRatio := int64(1100) // deflate cannot exceed 1032:1
	switch comp {
	case 1:
		maxRatio = 1
	case 5:
		maxRatio = 4096
	}
	var stored int64
	for i := range across * down {
		o, n := offs[i], counts[i]
		if o < 0 || n < 0 || o+n > float64(len(data)) {
			return fmt.Errorf("%w: chunk %d: %v bytes at %v past the end", ErrFormat, i, n, o)
		}
		stored += int64(n)
	}
	if need := int64(g.Width) * int64(g.Height) * int64(pixelBytes); stored*maxRatio < need {
		return fmt.Errorf("%w: %d stored bytes cannot hold %d × %d pixels", ErrFormat, stored, g.Width, g.Height)
	}
	if int64(rowBytes)*int64(ch) > stored*maxRatio {
		return fmt.Errorf("%w: %d stored bytes cannot hold a chunk of %d × %d pixels", ErrFormat, stored, cw, ch)
	}
	g.Values = make([]float32, g.Width*g.Height)
	buf := make([]byte, rowBytes*ch)
	for cy := range down {
		for cx := range across {
			i := cy*across + cx
			o, n := int64(offs[i]), int64(counts[i])
			rows := ch
			if cw == g.Width { // strips: the last may be short
				rows = min(ch, g.Height-cy*ch)
			}
			raw := buf[:rows*rowBytes]
			if err := decompress(comp, data[o:o+n], raw, bo); err != nil {
				return fmt.Errorf("chunk %d: %w", i, err)
			}
			if err := unpredict(pred, raw, rowBytes, pixelBytes, bps, bo); err != nil {
				return err
			}
			for r := range rows {
				y := cy*ch + r
				if y >= g.Height {
					break
				}
				row := raw[r*rowBytes:]
				for c := range cw {
					x := cx*cw + c
					if x >= g.Width {
						break
					}
					g.Values[y*g.Width+x] = conv(row[c*pixelBytes:])
				}
			}
		}
	}
	return nil
}

// sampleReader converts one sample to float32.
func sampleReader(format, bits int, bo binary.ByteOrder) (func([]byte) float32, error) {
	switch {
	case format == 3 && bits == 32:
		return func(b []byte) float32 { return math.Float32frombits(bo.Uint32(b)) }, nil
	case format == 3 && bits == 64:
		return func(b []byte) float32 { return float32(math.Float64frombits(bo.Uint64(b))) }, nil
	case format == 2 && bits == 16:
		return func(b []byte) float32 { return float32(int16(bo.Uint16(b))) }, nil
	case format == 1 && bits == 16:
		return func(b []byte) float32 { return float32(bo.Uint16(b)) }, nil
	case format == 2 && bits == 32:
		return func(b []byte) float32 { return float32(int32(bo.Uint32(b))) }, nil
	case format == 1 && bits == 32:
		return func(b []byte) float32 { return float32(bo.Uint32(b)) }, nil
	case format == 2 && bits == 8:
		return func(b []byte) float32 { return float32(int8(b[0])) }, nil
	case format == 1 && bits == 8:
		return func(b []byte) float32 { return float32(b[0]) }, nil
	}
	return nil, fmt.Errorf("%w: sample format %d of %d bits", ErrUnsupported, format, bits)
}

// decompress fills raw, exactly, from one chunk.
func decompress(comp int, src, raw []byte, bo binary.ByteOrder) error {
	var r io.Reader
	switch comp {
	case 1:
		if len(src) < len(raw) {
			return fmt.Errorf("%w: %d bytes, want %d", ErrFormat, len(src), len(raw))
		}
		copy(raw, src)
		return nil
	case 8, 32946:
		zr, err := zlib.NewReader(bytes.NewReader(src))
		if err != nil {
			return fmt.Errorf("%w: deflate: %v", ErrFormat, err)
		}
		defer zr.Close()
		r = zr
	case 5:
		order := lzw.MSB
		lr := lzw.NewReader(bytes.NewReader(src), order, 8)
		defer lr.Close()
		r = lr
	default:
		return fmt.Errorf("%w: compression %d", ErrUnsupported, comp)
	}
	if _, err := io.ReadFull(r, raw); err != nil {
		return fmt.Errorf("%w: decompress: %v", ErrFormat, err)
	}
	return nil
}

// unpredict undoes TIFF predictor 2 (horizontal differences of integers) or 3
// (floating point: bytes split into planes, then byte differences).
func unpredict(pred int, raw []byte, rowBytes, pixelBytes, bps int, bo binary.ByteOrder) error {
	switch pred {
	case 1:
		return nil
	case 2:
		for off := 0; off+rowBytes <= len(raw); off += rowBytes {
			row := raw[off : off+rowBytes]
			for i := pixelBytes; i+bps <= len(row); i += bps {
				p := i - pixelBytes
				switch bps {
				case 1:
					row[i] += row[p]
				case 2:
					bo.PutUint16(row[i:], bo.Uint16(row[i:])+bo.Uint16(row[p:]))
				case 4:
					bo.PutUint32(row[i:], bo.Uint32(row[i:])+bo.Uint32(row[p:]))
				case 8:
					bo.PutUint64(row[i:], bo.Uint64(row[i:])+bo.Uint64(row[p:]))
				}
			}
		}
		return nil
	case 3:
		stride := pixelBytes / bps // samples per pixel in this layout
		tmp := make([]byte, rowBytes)
		for off := 0; off+rowBytes <= len(raw); off += rowBytes {
			row := raw[off : off+rowBytes]
			for i := stride; i < len(row); i++ {
				row[i] += row[i-stride]
			}
			// Planes hold the most significant bytes first; reorder to the file's order.
			n := rowBytes / bps
			for i := range n {
				for b := range bps {
					v := row[b*n+i]
					if bo == binary.LittleEndian {
						tmp[i*bps+bps-1-b] = v
					} else {
						tmp[i*bps+b] = v
					}
				}
			}
			copy(row, tmp)
		}
		return nil
	}
	return fmt.Errorf("%w: predictor %d", ErrUnsupported, pred)
}
