package render_test

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"testing"
)

// The parts of glTF 2.0 the validator reads.
type vDoc struct {
	Asset struct {
		Version string `json:"version"`
	} `json:"asset"`
	Scene  *int `json:"scene"`
	Scenes []struct {
		Nodes  []int           `json:"nodes"`
		Extras json.RawMessage `json:"extras"`
	} `json:"scenes"`
	Nodes []struct {
		Name     string          `json:"name"`
		Mesh     *int            `json:"mesh"`
		Children []int           `json:"children"`
		Extras   json.RawMessage `json:"extras"`
	} `json:"nodes"`
	Meshes []struct {
		Primitives []struct {
			Attributes map[string]int `json:"attributes"`
			Indices    *int           `json:"indices"`
			Material   *int           `json:"material"`
			Mode       *int           `json:"mode"`
		} `json:"primitives"`
	} `json:"meshes"`
	Materials []json.RawMessage `json:"materials"`
	Accessors []struct {
		BufferView    *int      `json:"bufferView"`
		ByteOffset    int       `json:"byteOffset"`
		ComponentType int       `json:"componentType"`
		Count         int       `json:"count"`
		Type          string    `json:"type"`
		Min           []float64 `json:"min"`
		Max           []float64 `json:"max"`
	} `json:"accessors"`
	BufferViews []struct {
		Buffer     int  `json:"buffer"`
		ByteOffset int  `json:"byteOffset"`
		ByteLength int  `json:"byteLength"`
		ByteStride *int `json:"byteStride"`
		Target     *int `json:"target"`
	} `json:"bufferViews"`
	Buffers []struct {
		ByteLength int     `json:"byteLength"`
		URI        *string `json:"uri"`
	} `json:"buffers"`
}

// glbFile is a GLB that passed validation.
type glbFile struct {
	doc vDoc
	bin []byte
}

var componentSize = map[int]int{5120: 1, 5121: 1, 5122: 2, 5123: 2, 5125: 4, 5126: 4}
var typeSize = map[string]int{"SCALAR": 1, "VEC2": 2, "VEC3": 3, "VEC4": 4, "MAT2": 4, "MAT3": 9, "MAT4": 16}

// validateGLB checks b against the rules of the glTF 2.0 specification that
// matter for a triangle mesh: the binary container, the references between
// the JSON's arrays, accessor bounds within their bufferViews, alignment,
// POSITION min/max equal to the data, indices within the vertices, and the
// node hierarchy a forest.
func validateGLB(t testing.TB, b []byte) *glbFile {
	t.Helper()
	g, err := checkGLB(b)
	if err != nil {
		t.Fatalf("invalid GLB: %v", err)
	}
	return g
}

func checkGLB(b []byte) (*glbFile, error) {
	le := binary.LittleEndian
	if len(b) < 12 {
		return nil, fmt.Errorf("%d bytes, shorter than the header", len(b))
	}
	if le.Uint32(b) != 0x46546C67 {
		return nil, fmt.Errorf("magic %x", b[:4])
	}
	if v := le.Uint32(b[4:]); v != 2 {
		return nil, fmt.Errorf("version %d", v)
	}
	if n := le.Uint32(b[8:]); int(n) != len(b) {
		return nil, fmt.Errorf("header length %d, file %d", n, len(b))
	}
	if len(b)%4 != 0 {
		return nil, fmt.Errorf("length %d not a multiple of 4", len(b))
	}
	var chunks [][]byte
	var types []uint32
	for off := 12; off < len(b); {
		if off+8 > len(b) {
			return nil, fmt.Errorf("chunk header at %d cut short", off)
		}
		n, typ := int(le.Uint32(b[off:])), le.Uint32(b[off+4:])
		if n%4 != 0 {
			return nil, fmt.Errorf("chunk %d length %d not a multiple of 4", len(chunks), n)
		}
		if off+8+n > len(b) {
			return nil, fmt.Errorf("chunk %d runs past the end", len(chunks))
		}
		chunks = append(chunks, b[off+8:off+8+n])
		types = append(types, typ)
		off += 8 + n
	}
	if len(chunks) == 0 || types[0] != 0x4E4F534A {
		return nil, fmt.Errorf("first chunk is not JSON")
	}
	if len(chunks) > 2 || len(chunks) == 2 && types[1] != 0x004E4942 {
		return nil, fmt.Errorf("chunks %x: want JSON and at most one BIN", types)
	}
	js := chunks[0]
	trimmed := bytes.TrimRight(js, " ")
	if len(js)-len(trimmed) > 3 {
		return nil, fmt.Errorf("JSON chunk padded with %d spaces", len(js)-len(trimmed))
	}
	var doc vDoc
	dec := json.NewDecoder(bytes.NewReader(js))
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("JSON chunk: %v", err)
	}
	var bin []byte
	if len(chunks) == 2 {
		bin = chunks[1]
	}
	if doc.Asset.Version != "2.0" {
		return nil, fmt.Errorf("asset.version %q", doc.Asset.Version)
	}
	// Buffers: the first, without uri, is the BIN chunk.
	if len(doc.Buffers) > 1 {
		return nil, fmt.Errorf("%d buffers", len(doc.Buffers))
	}
	if len(doc.Buffers) == 1 {
		bl := doc.Buffers[0].ByteLength
		if doc.Buffers[0].URI != nil || bin == nil || bl < 1 || bl > len(bin) || len(bin)-bl > 3 {
			return nil, fmt.Errorf("buffer 0 of %d bytes for a BIN chunk of %d", bl, len(bin))
		}
		for _, c := range bin[bl:] {
			if c != 0 {
				return nil, fmt.Errorf("BIN padding is not zeros")
			}
		}
	} else if bin != nil {
		return nil, fmt.Errorf("a BIN chunk and no buffer")
	}
	for i, v := range doc.BufferViews {
		if v.Buffer < 0 || v.Buffer >= len(doc.Buffers) {
			return nil, fmt.Errorf("bufferView %d: buffer %d", i, v.Buffer)
		}
		if v.ByteOffset < 0 || v.ByteLength < 1 || v.ByteOffset+v.ByteLength > doc.Buffers[v.Buffer].ByteLength {
			return nil, fmt.Errorf("bufferView %d: [%d, +%d) outside the buffer", i, v.ByteOffset, v.ByteLength)
		}
		if s := v.ByteStride; s != nil && (*s < 4 || *s > 252 || *s%4 != 0) {
			return nil, fmt.Errorf("bufferView %d: byteStride %d", i, *s)
		}
		if tg := v.Target; tg != nil && *tg != 34962 && *tg != 34963 {
			return nil, fmt.Errorf("bufferView %d: target %d", i, *tg)
		}
		if tg := v.Target; tg != nil && *tg == 34963 && v.ByteStride != nil {
			return nil, fmt.Errorf("bufferView %d: an index view with a byteStride", i)
		}
	}
	for i, a := range doc.Accessors {
		cs, ok := componentSize[a.ComponentType]
		ts, ok2 := typeSize[a.Type]
		if !ok || !ok2 {
			return nil, fmt.Errorf("accessor %d: componentType %d type %q", i, a.ComponentType, a.Type)
		}
		if a.Count < 1 {
			return nil, fmt.Errorf("accessor %d: count %d", i, a.Count)
		}
		if a.BufferView == nil || *a.BufferView < 0 || *a.BufferView >= len(doc.BufferViews) {
			return nil, fmt.Errorf("accessor %d: bufferView out of range", i)
		}
		v := doc.BufferViews[*a.BufferView]
		elem := cs * ts
		stride := elem
		if v.ByteStride != nil {
			stride = *v.ByteStride
			if stride < elem {
				return nil, fmt.Errorf("accessor %d: stride %d < element %d", i, stride, elem)
			}
		}
		if a.ByteOffset < 0 || a.ByteOffset%cs != 0 || (v.ByteOffset+a.ByteOffset)%cs != 0 {
			return nil, fmt.Errorf("accessor %d: byteOffset %d misaligned", i, a.ByteOffset)
		}
		if a.ByteOffset+stride*(a.Count-1)+elem > v.ByteLength {
			return nil, fmt.Errorf("accessor %d: %d elements from %d overrun bufferView %d of %d bytes", i, a.Count, a.ByteOffset, *a.BufferView, v.ByteLength)
		}
		if len(a.Min) > 0 && len(a.Min) != ts || len(a.Max) > 0 && len(a.Max) != ts {
			return nil, fmt.Errorf("accessor %d: min/max of the wrong length", i)
		}
	}
	// Meshes.
	g := &glbFile{doc: doc, bin: bin}
	for mi, m := range doc.Meshes {
		if len(m.Primitives) == 0 {
			return nil, fmt.Errorf("mesh %d has no primitives", mi)
		}
		for pi, p := range m.Primitives {
			where := fmt.Sprintf("mesh %d primitive %d", mi, pi)
			if p.Material != nil && (*p.Material < 0 || *p.Material >= len(doc.Materials)) {
				return nil, fmt.Errorf("%s: material %d", where, *p.Material)
			}
			if p.Mode != nil && *p.Mode != 4 {
				return nil, fmt.Errorf("%s: mode %d, want triangles", where, *p.Mode)
			}
			pos, ok := p.Attributes["POSITION"]
			if !ok {
				return nil, fmt.Errorf("%s: no POSITION", where)
			}
			count := -1
			for name, ai := range p.Attributes {
				if ai < 0 || ai >= len(doc.Accessors) {
					return nil, fmt.Errorf("%s: %s accessor %d", where, name, ai)
				}
				a := doc.Accessors[ai]
				if count >= 0 && a.Count != count {
					return nil, fmt.Errorf("%s: attributes of different counts", where)
				}
				count = a.Count
				v := doc.BufferViews[*a.BufferView]
				if v.Target != nil && *v.Target != 34962 {
					return nil, fmt.Errorf("%s: %s in a view for target %d", where, name, *v.Target)
				}
				if (v.ByteOffset+a.ByteOffset)%4 != 0 || v.ByteStride != nil && *v.ByteStride%4 != 0 {
					return nil, fmt.Errorf("%s: %s not 4-byte aligned", where, name)
				}
				if a.ComponentType == 5125 {
					return nil, fmt.Errorf("%s: %s is UNSIGNED_INT, allowed for indices only", where, name)
				}
				switch name {
				case "POSITION", "NORMAL":
					if a.Type != "VEC3" || a.ComponentType != 5126 {
						return nil, fmt.Errorf("%s: %s is %s/%d", where, name, a.Type, a.ComponentType)
					}
				}
			}
			// POSITION min and max are required and must be the data's.
			a := doc.Accessors[pos]
			if len(a.Min) != 3 || len(a.Max) != 3 {
				return nil, fmt.Errorf("%s: POSITION without min/max", where)
			}
			lo := []float64{math.Inf(1), math.Inf(1), math.Inf(1)}
			hi := []float64{math.Inf(-1), math.Inf(-1), math.Inf(-1)}
			for _, p := range g.floats(pos) {
				for c := range 3 {
					lo[c] = math.Min(lo[c], float64(p[c]))
					hi[c] = math.Max(hi[c], float64(p[c]))
				}
			}
			for c := range 3 {
				if float64(float32(a.Min[c])) != lo[c] || float64(float32(a.Max[c])) != hi[c] {
					return nil, fmt.Errorf("%s: POSITION min %v max %v, data %v %v", where, a.Min, a.Max, lo, hi)
				}
			}
			if ni, ok := p.Attributes["NORMAL"]; ok {
				for k, n := range g.floats(ni) {
					if l := math.Sqrt(float64(n[0]*n[0] + n[1]*n[1] + n[2]*n[2])); math.Abs(l-1) > 1e-3 {
						return nil, fmt.Errorf("%s: normal %d of length %v", where, k, l)
					}
				}
			}
			if p.Indices != nil {
				ii := *p.Indices
				if ii < 0 || ii >= len(doc.Accessors) {
					return nil, fmt.Errorf("%s: indices accessor %d", where, ii)
				}
				ia := doc.Accessors[ii]
				if ia.Type != "SCALAR" || ia.ComponentType != 5121 && ia.ComponentType != 5123 && ia.ComponentType != 5125 {
					return nil, fmt.Errorf("%s: indices %s/%d", where, ia.Type, ia.ComponentType)
				}
				if v := doc.BufferViews[*ia.BufferView]; v.Target != nil && *v.Target != 34963 {
					return nil, fmt.Errorf("%s: indices in a view for target %d", where, *v.Target)
				}
				if ia.Count%3 != 0 {
					return nil, fmt.Errorf("%s: %d indices, not triangles", where, ia.Count)
				}
				for _, i := range g.indices(ii) {
					if int(i) >= count {
						return nil, fmt.Errorf("%s: index %d of %d vertices", where, i, count)
					}
				}
			}
		}
	}
	// Nodes form a forest; the scenes name roots.
	parent := make([]int, len(doc.Nodes))
	for i := range parent {
		parent[i] = -1
	}
	for i, n := range doc.Nodes {
		if n.Mesh != nil && (*n.Mesh < 0 || *n.Mesh >= len(doc.Meshes)) {
			return nil, fmt.Errorf("node %d: mesh %d", i, *n.Mesh)
		}
		for _, c := range n.Children {
			if c < 0 || c >= len(doc.Nodes) || parent[c] >= 0 || c == i {
				return nil, fmt.Errorf("node %d: child %d out of range or with two parents", i, c)
			}
			parent[c] = i
		}
	}
	for i := range doc.Nodes {
		seen := 0
		for p := parent[i]; p >= 0; p = parent[p] {
			if seen++; seen > len(doc.Nodes) {
				return nil, fmt.Errorf("node %d is in a cycle", i)
			}
		}
	}
	if doc.Scene != nil && (*doc.Scene < 0 || *doc.Scene >= len(doc.Scenes)) {
		return nil, fmt.Errorf("scene %d", *doc.Scene)
	}
	for si, s := range doc.Scenes {
		for _, n := range s.Nodes {
			if n < 0 || n >= len(doc.Nodes) || parent[n] >= 0 {
				return nil, fmt.Errorf("scene %d: node %d is not a root", si, n)
			}
		}
	}
	return g, nil
}

// floats reads a float accessor as vectors.
func (g *glbFile) floats(ai int) [][]float32 {
	a := g.doc.Accessors[ai]
	v := g.doc.BufferViews[*a.BufferView]
	n := typeSize[a.Type]
	stride := 4 * n
	if v.ByteStride != nil {
		stride = *v.ByteStride
	}
	out := make([][]float32, a.Count)
	for i := range out {
		off := v.ByteOffset + a.ByteOffset + i*stride
		out[i] = make([]float32, n)
		for c := range n {
			out[i][c] = math.Float32frombits(binary.LittleEndian.Uint32(g.bin[off+4*c:]))
		}
	}
	return out
}

// indices reads an index accessor.
func (g *glbFile) indices(ai int) []uint32 {
	a := g.doc.Accessors[ai]
	v := g.doc.BufferViews[*a.BufferView]
	cs := componentSize[a.ComponentType]
	out := make([]uint32, a.Count)
	for i := range out {
		off := v.ByteOffset + a.ByteOffset + i*cs
		switch cs {
		case 1:
			out[i] = uint32(g.bin[off])
		case 2:
			out[i] = uint32(binary.LittleEndian.Uint16(g.bin[off:]))
		default:
			out[i] = binary.LittleEndian.Uint32(g.bin[off:])
		}
	}
	return out
}
