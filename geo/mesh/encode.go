package mesh

import (
	"encoding/binary"
	"fmt"
	"math"
)

// The encoding of one mesh (a segment record's body):
//
//	uvarint  format version (1)
//	string   LoD                       (uvarint length, bytes)
//	8 bytes  Ground, float64 bits, little endian
//	uvarint  number of semantic names, then each as a string
//	uvarint  number of surfaces, then per surface:
//	  uvarint  semantic name index
//	  uvarint  number of rings, then per ring:
//	    uvarint  number of points, then per point three zigzag varints:
//	             lon and lat in units of 1e-9 degree, z in units of 0.1 mm,
//	             each the difference from the previous point of the mesh.
//
// Points come back rounded to 1e-9° (0.1 mm on the ground) and 0.1 mm in
// height; a roof vertex costs 4 to 8 bytes instead of 24.
const (
	encVersion = 1
	degUnit    = 1e9 // steps per degree
	zUnit      = 1e4 // steps per metre
)

// AppendEncode appends the encoding of m to dst. m must be valid (Validate).
func AppendEncode(dst []byte, m *Mesh) []byte {
	dst = binary.AppendUvarint(dst, encVersion)
	dst = appendString(dst, m.LoD)
	dst = binary.LittleEndian.AppendUint64(dst, math.Float64bits(m.Ground))
	var names []string
	index := map[string]uint64{}
	for _, s := range m.Surfaces {
		if _, ok := index[s.Semantic]; !ok {
			index[s.Semantic] = uint64(len(names))
			names = append(names, s.Semantic)
		}
	}
	dst = binary.AppendUvarint(dst, uint64(len(names)))
	for _, n := range names {
		dst = appendString(dst, n)
	}
	dst = binary.AppendUvarint(dst, uint64(len(m.Surfaces)))
	var prev [3]int64
	for _, s := range m.Surfaces {
		dst = binary.AppendUvarint(dst, index[s.Semantic])
		dst = binary.AppendUvarint(dst, uint64(len(s.Rings)))
		for _, r := range s.Rings {
			dst = binary.AppendUvarint(dst, uint64(len(r)))
			for _, p := range r {
				q := [3]int64{int64(math.Round(p[0] * degUnit)), int64(math.Round(p[1] * degUnit)), int64(math.Round(p[2] * zUnit))}
				for i := range 3 {
					dst = binary.AppendVarint(dst, q[i]-prev[i])
				}
				prev = q
			}
		}
	}
	return dst
}

// Decode reads a mesh that AppendEncode wrote. Damaged input is an error
// wrapping ErrBadMesh, never a panic or an unbounded allocation.
func Decode(b []byte) (Mesh, error) {
	d := decoder{b: b}
	var m Mesh
	if v := d.uvarint(); v != encVersion {
		return Mesh{}, d.fail(fmt.Sprintf("format version %d", v))
	}
	m.LoD = d.string()
	m.Ground = math.Float64frombits(d.uint64())
	nNames := d.count(1)
	names := make([]string, 0, nNames)
	for range nNames {
		names = append(names, d.string())
	}
	nSurf := d.count(2)
	if nSurf > MaxSurfaces {
		return Mesh{}, d.fail("too many surfaces")
	}
	if d.err == nil && nSurf > 0 {
		m.Surfaces = make([]Surface, nSurf)
	}
	var prev [3]int64
	points := 0
	for i := 0; i < nSurf && d.err == nil; i++ {
		s := &m.Surfaces[i]
		sem := d.uvarint()
		if sem >= uint64(len(names)) {
			return Mesh{}, d.fail("semantic index out of range")
		}
		s.Semantic = names[sem]
		nRings := d.count(1)
		s.Rings = make([][]Point3, 0, nRings)
		for range nRings {
			n := d.count(3)
			if points += n; points > MaxPoints {
				return Mesh{}, d.fail("too many points")
			}
			r := make([]Point3, n)
			for k := range r {
				for c := range 3 {
					prev[c] += d.varint()
				}
				r[k] = Point3{float64(prev[0]) / degUnit, float64(prev[1]) / degUnit, float64(prev[2]) / zUnit}
			}
			s.Rings = append(s.Rings, r)
		}
	}
	if d.err == nil && len(d.b) != 0 {
		return Mesh{}, d.fail(fmt.Sprintf("%d bytes after the mesh", len(d.b)))
	}
	if d.err != nil {
		return Mesh{}, d.err
	}
	return m, nil
}

func appendString(dst []byte, s string) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(s)))
	return append(dst, s...)
}

// decoder reads varints from b; the first failure sticks and later reads
// return zeros.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) fail(why string) error {
	if d.err == nil {
		d.err = fmt.Errorf("%w: %s", ErrBadMesh, why)
	}
	return d.err
}

func (d *decoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail("truncated or overlong varint")
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) varint() int64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.fail("truncated or overlong varint")
		return 0
	}
	d.b = d.b[n:]
	return v
}

// count reads a number of items that take at least size bytes each, and
// fails if the rest of the input cannot hold them.
func (d *decoder) count(size int) int {
	v := d.uvarint()
	if v > uint64(len(d.b)/size) {
		d.fail("count beyond the end of the input")
		return 0
	}
	return int(v)
}

func (d *decoder) uint64() uint64 {
	if d.err != nil {
		return 0
	}
	if len(d.b) < 8 {
		d.fail("truncated")
		return 0
	}
	v := binary.LittleEndian.Uint64(d.b)
	d.b = d.b[8:]
	return v
}

func (d *decoder) string() string {
	n := d.count(1)
	if d.err != nil {
		return ""
	}
	s := string(d.b[:n])
	d.b = d.b[n:]
	return s
}
