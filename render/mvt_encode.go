package render

import (
	"bytes"
	"compress/gzip"
	"math"
	"sync"

	"google.golang.org/protobuf/encoding/protowire"
)

// Field numbers of the vector tile protobuf (vector_tile.proto, MVT 2.1).
const (
	mvtTileLayers = 3

	mvtLayerName     = 1
	mvtLayerFeatures = 2
	mvtLayerKeys     = 3
	mvtLayerValues   = 4
	mvtLayerExtent   = 5
	mvtLayerVersion  = 15

	mvtFeatureID       = 1
	mvtFeatureTags     = 2
	mvtFeatureType     = 3
	mvtFeatureGeometry = 4

	mvtValueString = 1
	mvtValueDouble = 3
	mvtValueSint   = 6
	mvtValueBool   = 7
)

// Geometry types of a feature.
const (
	mvtPoint      = 1
	mvtLineString = 2
	mvtPolygon    = 3
)

// Geometry commands.
const (
	mvtMoveTo    = 1
	mvtLineTo    = 2
	mvtClosePath = 7
)

func mvtCommand(id, count uint32) uint32 { return id&7 | count<<3 }

func mvtZigzag(v int32) uint32 { return uint32(v<<1) ^ uint32(v>>31) }

// mvtValue is an attribute value: a string, a number or a bool.
type mvtValue struct {
	kind uint8 // the field of the Value message: string, double, sint or bool
	s    string
	n    uint64 // float bits, zigzagged int, or 0/1
}

func mvtString(s string) mvtValue { return mvtValue{kind: mvtValueString, s: s} }

// mvtNumber keeps whole numbers whole (sint), so that clients see 3, not 3.0.
func mvtNumber(f float64) mvtValue {
	if f == math.Trunc(f) && math.Abs(f) < 1<<53 {
		i := int64(f)
		return mvtValue{kind: mvtValueSint, n: uint64(i<<1) ^ uint64(i>>63)}
	}
	return mvtValue{kind: mvtValueDouble, n: math.Float64bits(f)}
}

func mvtBool(b bool) mvtValue {
	if b {
		return mvtValue{kind: mvtValueBool, n: 1}
	}
	return mvtValue{kind: mvtValueBool}
}

// mvtLayerWriter encodes one layer: features as they come, then the key and
// value tables they index.
type mvtLayerWriter struct {
	name     string
	extent   uint32
	features []byte
	n        int // features written

	keyList []string
	vals    map[mvtValue]uint32
	valList []mvtValue

	tags []uint32
	geom []uint32
	feat []byte
}

var mvtWriterPool = sync.Pool{New: func() any {
	return &mvtLayerWriter{vals: make(map[mvtValue]uint32)}
}}

func newMVTLayerWriter(name string, extent uint32) *mvtLayerWriter {
	w := mvtWriterPool.Get().(*mvtLayerWriter)
	w.name, w.extent = name, extent
	return w
}

// release returns w to the pool, unless it grew big.
func (w *mvtLayerWriter) release() {
	if cap(w.features) > 4<<20 {
		return
	}
	w.features, w.n = w.features[:0], 0
	clear(w.vals)
	w.keyList, w.valList = w.keyList[:0], w.valList[:0]
	mvtWriterPool.Put(w)
}

// tag adds one attribute to the feature being built.
func (w *mvtLayerWriter) tag(key string, v mvtValue) {
	i, ok := w.vals[v]
	if !ok {
		i = uint32(len(w.valList))
		w.vals[v] = i
		w.valList = append(w.valList, v)
	}
	w.tags = append(w.tags, w.key(key), i)
}

// tagUnique adds an attribute whose value no other feature shares (an id):
// it skips the search for an equal value.
func (w *mvtLayerWriter) tagUnique(key string, v mvtValue) {
	w.tags = append(w.tags, w.key(key), uint32(len(w.valList)))
	w.valList = append(w.valList, v)
}

// key is the index of a key; a layer has a handful, so a scan beats a map.
func (w *mvtLayerWriter) key(key string) uint32 {
	for i, k := range w.keyList {
		if k == key {
			return uint32(i)
		}
	}
	w.keyList = append(w.keyList, key)
	return uint32(len(w.keyList) - 1)
}

// feature writes a feature with the tags added since the last one and the
// geometry commands in w.geom; both are reset.
func (w *mvtLayerWriter) feature(id uint64, typ uint32) {
	f := w.feat[:0]
	f = protowire.AppendTag(f, mvtFeatureID, protowire.VarintType)
	f = protowire.AppendVarint(f, id)
	if len(w.tags) > 0 {
		f = mvtAppendPacked(f, mvtFeatureTags, w.tags)
	}
	f = protowire.AppendTag(f, mvtFeatureType, protowire.VarintType)
	f = protowire.AppendVarint(f, uint64(typ))
	f = mvtAppendPacked(f, mvtFeatureGeometry, w.geom)
	w.features = protowire.AppendTag(w.features, mvtLayerFeatures, protowire.BytesType)
	w.features = protowire.AppendBytes(w.features, f)
	w.feat, w.tags, w.geom = f, w.tags[:0], w.geom[:0]
	w.n++
}

// discard drops the tags of a feature that turned out to have no geometry.
func (w *mvtLayerWriter) discard() { w.tags, w.geom = w.tags[:0], w.geom[:0] }

func mvtAppendPacked(b []byte, mvtNum protowire.Number, vs []uint32) []byte {
	n := 0
	for _, v := range vs {
		n += protowire.SizeVarint(uint64(v))
	}
	b = protowire.AppendTag(b, mvtNum, protowire.BytesType)
	b = protowire.AppendVarint(b, uint64(n))
	for _, v := range vs {
		b = protowire.AppendVarint(b, uint64(v))
	}
	return b
}

// appendTo appends the layer, as a field of a Tile, to dst. A layer without
// features is not written: an empty tile is an empty message.
func (w *mvtLayerWriter) appendTo(dst []byte) []byte {
	if w.n == 0 {
		return dst
	}
	l := make([]byte, 0, len(w.features)+64+16*len(w.keyList)+16*len(w.valList))
	l = protowire.AppendTag(l, mvtLayerVersion, protowire.VarintType)
	l = protowire.AppendVarint(l, 2)
	l = protowire.AppendTag(l, mvtLayerName, protowire.BytesType)
	l = protowire.AppendString(l, w.name)
	l = append(l, w.features...)
	for _, k := range w.keyList {
		l = protowire.AppendTag(l, mvtLayerKeys, protowire.BytesType)
		l = protowire.AppendString(l, k)
	}
	var v []byte
	for _, val := range w.valList {
		v = v[:0]
		switch val.kind {
		case mvtValueString:
			v = protowire.AppendTag(v, mvtValueString, protowire.BytesType)
			v = protowire.AppendString(v, val.s)
		case mvtValueDouble:
			v = protowire.AppendTag(v, mvtValueDouble, protowire.Fixed64Type)
			v = protowire.AppendFixed64(v, val.n)
		default: // sint, bool: varints
			v = protowire.AppendTag(v, protowire.Number(val.kind), protowire.VarintType)
			v = protowire.AppendVarint(v, val.n)
		}
		l = protowire.AppendTag(l, mvtLayerValues, protowire.BytesType)
		l = protowire.AppendBytes(l, v)
	}
	l = protowire.AppendTag(l, mvtLayerExtent, protowire.VarintType)
	l = protowire.AppendVarint(l, uint64(w.extent))
	dst = protowire.AppendTag(dst, mvtTileLayers, protowire.BytesType)
	return protowire.AppendBytes(dst, l)
}

// MVTFeatureID is the MVT feature id of an entity: the 64-bit FNV-1a hash of its
// id, cut to 53 bits so that JavaScript clients (feature-state) hold it exactly.
// The entity id itself is the feature's "id" attribute.
func MVTFeatureID(id string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(id); i++ {
		h ^= uint64(id[i])
		h *= 1099511628211
	}
	return h & (1<<53 - 1)
}

func mvtGzip(b []byte) ([]byte, error) {
	var buf bytes.Buffer
	buf.Grow(len(b)/2 + 64)
	zw := mvtGzipPool.Get().(*gzip.Writer)
	defer mvtGzipPool.Put(zw)
	zw.Reset(&buf)
	if _, err := zw.Write(b); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

var mvtGzipPool = sync.Pool{New: func() any { return gzip.NewWriter(nil) }}
