package render

import (
	"encoding/binary"
	"encoding/json"
	"math"
)

// The parts of the glTF 2.0 JSON that BuildingsGLB writes. Arrays are
// omitted when empty: glTF forbids empty arrays.
type gltfDoc struct {
	Asset       gltfAsset        `json:"asset"`
	Scene       int              `json:"scene"`
	Scenes      []gltfScene      `json:"scenes"`
	Nodes       []gltfNode       `json:"nodes,omitempty"`
	Meshes      []gltfMesh       `json:"meshes,omitempty"`
	Materials   []gltfMaterial   `json:"materials,omitempty"`
	Accessors   []gltfAccessor   `json:"accessors,omitempty"`
	BufferViews []gltfBufferView `json:"bufferViews,omitempty"`
	Buffers     []gltfBuffer     `json:"buffers,omitempty"`
}

type gltfAsset struct {
	Version   string `json:"version"`
	Generator string `json:"generator,omitempty"`
}

type gltfScene struct {
	Name   string `json:"name,omitempty"`
	Nodes  []int  `json:"nodes,omitempty"`
	Extras any    `json:"extras,omitempty"`
}

type gltfNode struct {
	Name     string `json:"name,omitempty"`
	Mesh     *int   `json:"mesh,omitempty"`
	Children []int  `json:"children,omitempty"`
	Extras   any    `json:"extras,omitempty"`
}

type gltfMesh struct {
	Name       string          `json:"name,omitempty"`
	Primitives []gltfPrimitive `json:"primitives"`
}

type gltfPrimitive struct {
	Attributes map[string]int `json:"attributes"`
	Indices    int            `json:"indices"`
	Material   int            `json:"material"`
	Mode       int            `json:"mode"`
}

type gltfMaterial struct {
	Name        string  `json:"name"`
	PBR         gltfPBR `json:"pbrMetallicRoughness"`
	DoubleSided bool    `json:"doubleSided"`
}

type gltfPBR struct {
	BaseColorFactor [4]float64 `json:"baseColorFactor"`
	MetallicFactor  float64    `json:"metallicFactor"`
	RoughnessFactor float64    `json:"roughnessFactor"`
}

type gltfAccessor struct {
	BufferView    int       `json:"bufferView"`
	ByteOffset    int       `json:"byteOffset"`
	ComponentType int       `json:"componentType"`
	Count         int       `json:"count"`
	Type          string    `json:"type"`
	Min           []float32 `json:"min,omitempty"`
	Max           []float32 `json:"max,omitempty"`
}

type gltfBufferView struct {
	Buffer     int `json:"buffer"`
	ByteOffset int `json:"byteOffset"`
	ByteLength int `json:"byteLength"`
	ByteStride int `json:"byteStride,omitempty"`
	Target     int `json:"target,omitempty"`
}

type gltfBuffer struct {
	ByteLength int `json:"byteLength"`
}

// glTF constants.
const (
	gltfFloat        = 5126
	gltfUnsignedInt  = 5125
	gltfArrayBuffer  = 34962
	gltfElementArray = 34963
	gltfTriangles    = 4

	glbMagic     = 0x46546C67 // "glTF"
	glbVersion   = 2
	glbChunkJSON = 0x4E4F534A // "JSON"
	glbChunkBIN  = 0x004E4942 // "BIN\0"
)

// appendGLB writes the binary container: the 12-byte header, the JSON chunk
// padded with spaces to 4 bytes, and the BIN chunk (when there is one) padded
// with zeros.
func appendGLB(dst []byte, doc *gltfDoc, bin []byte) ([]byte, error) {
	js, err := json.Marshal(doc)
	if err != nil {
		return nil, err
	}
	jsLen := (len(js) + 3) &^ 3
	binLen := (len(bin) + 3) &^ 3
	total := 12 + 8 + jsLen
	if len(bin) > 0 {
		total += 8 + binLen
	}
	if total > math.MaxUint32 {
		return nil, ErrGLBTooLarge
	}
	dst = binary.LittleEndian.AppendUint32(dst, glbMagic)
	dst = binary.LittleEndian.AppendUint32(dst, glbVersion)
	dst = binary.LittleEndian.AppendUint32(dst, uint32(total))
	dst = binary.LittleEndian.AppendUint32(dst, uint32(jsLen))
	dst = binary.LittleEndian.AppendUint32(dst, glbChunkJSON)
	dst = append(dst, js...)
	for range jsLen - len(js) {
		dst = append(dst, ' ')
	}
	if len(bin) > 0 {
		dst = binary.LittleEndian.AppendUint32(dst, uint32(binLen))
		dst = binary.LittleEndian.AppendUint32(dst, glbChunkBIN)
		dst = append(dst, bin...)
		for range binLen - len(bin) {
			dst = append(dst, 0)
		}
	}
	return dst, nil
}
