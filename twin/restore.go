package twin

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"math"
	"os"

	"citytwin/geo"
	"citytwin/twin/series"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"
	"github.com/uber/h3-go/v4"
)

// loadSnapshot builds a store from a snapshot file.
func loadSnapshot(path string, cfg Config) (*Store, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	s, err := New(cfg)
	if err != nil {
		return nil, err
	}
	if err := s.restore(data); err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrBadSnapshot, path, err)
	}
	return s, nil
}

// snapReader reads the fields of a section; the first error sticks.
type snapReader struct {
	buf []byte
	off int
	err error
}

func (r *snapReader) fail(format string, a ...any) {
	if r.err == nil {
		r.err = fmt.Errorf(format, a...)
	}
}

func (r *snapReader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.buf[r.off:])
	if n <= 0 {
		r.fail("bad or truncated varint at byte %d", r.off)
		return 0
	}
	r.off += n
	return v
}

func (r *snapReader) varint() int64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Varint(r.buf[r.off:])
	if n <= 0 {
		r.fail("bad or truncated varint at byte %d", r.off)
		return 0
	}
	r.off += n
	return v
}

func (r *snapReader) bytes(n uint64) []byte {
	if r.err != nil {
		return nil
	}
	if n > uint64(len(r.buf)-r.off) {
		r.fail("%d bytes wanted at byte %d, %d left", n, r.off, len(r.buf)-r.off)
		return nil
	}
	b := r.buf[r.off : r.off+int(n)]
	r.off += int(n)
	return b
}

func (r *snapReader) u64() uint64 {
	if b := r.bytes(8); b != nil {
		return binary.LittleEndian.Uint64(b)
	}
	return 0
}

func (r *snapReader) u32() uint32 {
	if b := r.bytes(4); b != nil {
		return binary.LittleEndian.Uint32(b)
	}
	return 0
}

func (r *snapReader) byte() byte {
	if b := r.bytes(1); b != nil {
		return b[0]
	}
	return 0
}

func (r *snapReader) f64() float64 { return math.Float64frombits(r.u64()) }

func (r *snapReader) str() string { return string(r.bytes(r.uvarint())) }

// count reads a count of items of at least min bytes each.
func (r *snapReader) count(min int) int {
	n := r.uvarint()
	if r.err == nil && n > uint64(len(r.buf)-r.off)/uint64(min) {
		r.fail("count %d larger than the section", n)
		return 0
	}
	return int(n)
}

// sections splits a snapshot into checked sections, in file order.
func sections(data []byte) ([]section, error) {
	if !bytes.HasPrefix(data, snapshotMagic) {
		return nil, errors.New("not a citytwin snapshot (bad magic)")
	}
	off := len(snapshotMagic)
	var out []section
	for {
		if len(data)-off < 13 {
			return nil, fmt.Errorf("truncated at byte %d: no end section", off)
		}
		tag := data[off]
		n := binary.LittleEndian.Uint64(data[off+1:])
		sum := binary.LittleEndian.Uint32(data[off+9:])
		off += 13
		if n > maxSection || n > uint64(len(data)-off) {
			return nil, fmt.Errorf("section at byte %d: length %d beyond the file", off-13, n)
		}
		payload := data[off : off+int(n)]
		if crc32.Checksum(payload, castagnoli) != sum {
			return nil, fmt.Errorf("section at byte %d: checksum mismatch", off-13)
		}
		off += int(n)
		if tag == secEnd {
			if off != len(data) {
				return nil, fmt.Errorf("%d bytes after the end section", len(data)-off)
			}
			return out, nil
		}
		out = append(out, section{tag, payload})
	}
}

type section struct {
	tag     byte
	payload []byte
}

// restore fills an empty store from snapshot bytes.
func (s *Store) restore(data []byte) error {
	secs, err := sections(data)
	if err != nil {
		return err
	}
	if len(secs) < 3 || secs[0].tag != secHeader || secs[1].tag != secSymbols || secs[2].tag != secKinds {
		return errors.New("sections out of order")
	}
	hr := &snapReader{buf: secs[0].payload}
	seq, nslots, nsyms, nkinds := hr.uvarint(), hr.uvarint(), hr.uvarint(), hr.uvarint()
	if hr.err != nil {
		return hr.err
	}
	for i, t := range []*symbols{s.sym, s.kinds} {
		r := &snapReader{buf: secs[1+i].payload}
		n := r.count(1)
		for range n {
			t.intern(r.str())
		}
		if r.err != nil {
			return fmt.Errorf("symbols: %w", r.err)
		}
	}
	if uint64(len(s.sym.names)) != nsyms || uint64(len(s.kinds.names)) != nkinds {
		return errors.New("symbol tables do not match the header")
	}
	if nslots > maxSection {
		return fmt.Errorf("%d slots", nslots)
	}
	s.cur = make([]*state, 0, nslots)
	s.cells = make([]uint64, 0, nslots)
	s.tracks = make([]*track, 0, nslots)
	s.moving = make([]uint64, (nslots+63)/64)
	s.ids.reserve(int(nslots))

	var trackOf = map[uint32][]sample{}
	for _, sec := range secs[3:] {
		r := &snapReader{buf: sec.payload}
		switch sec.tag {
		case secSlots:
			s.restoreSlots(r)
		case secPast:
			s.restorePast(r)
		case secTracks:
			restoreTracks(r, trackOf, uint32(nslots))
		case secChannels:
			s.restoreChannels(r, uint32(nslots))
		default:
			return fmt.Errorf("unknown section %d", sec.tag)
		}
		if r.err == nil && r.off != len(r.buf) {
			r.fail("%d bytes left over", len(r.buf)-r.off)
		}
		if r.err != nil {
			return fmt.Errorf("section %d: %w", sec.tag, r.err)
		}
	}
	if uint64(len(s.cur)) != nslots {
		return fmt.Errorf("%d slots, header says %d", len(s.cur), nslots)
	}
	// Moving entities go to the grid at their newest position; the rest to the
	// R-tree and the H3 map.
	for slot, samples := range trackOf {
		s.tracks[slot] = &track{samples: samples}
		s.moving[slot>>6] |= 1 << (slot & 63)
	}
	for slot, st := range s.cur {
		if st == nil || st.deleted() {
			continue
		}
		s.kindN[st.kind]++
		if tr := s.tracks[slot]; tr != nil {
			s.movingN[st.kind]++
			if _, p, ok := tr.last(); ok {
				s.grid.Set(uint32(slot), p)
			} else if p, ok := anchor(st.geometry()); ok {
				s.grid.Set(uint32(slot), p)
			}
			continue
		}
		s.indexRestored(uint32(slot), st)
	}
	s.sortChannels()
	s.seq = seq
	return nil
}

// indexRestored is index with the H3 cell the snapshot kept, so that start-up
// does not compute millions of cells again.
func (s *Store) indexRestored(slot uint32, st *state) {
	b, ok := st.bound()
	if !ok {
		return
	}
	s.rt.Insert(b, slot)
	c := s.cells[slot]
	if c == 0 {
		p, ok := anchor(st.geometry())
		if !ok {
			return
		}
		c = uint64(geo.Cell(p, h3Base))
		s.cells[slot] = c
	}
	k := uint64(geo.Parent(h3.Cell(c), h3IndexRes))
	s.byCell[k] = append(s.byCell[k], slot)
}

func (s *Store) restoreSlots(r *snapReader) {
	n := r.count(10)
	for range n {
		id := ID(r.bytes(r.uvarint()))
		cell := r.u64()
		nv := r.count(20)
		if r.err != nil {
			return
		}
		if len(id) == 0 || len(id) > MaxIDLen {
			r.fail("slot %d: id of %d bytes", len(s.cur), len(id))
			return
		}
		if _, dup := s.ids.lookup(id); dup {
			r.fail("slot %d: id %s twice", len(s.cur), id)
			return
		}
		slot := s.ids.add(id)
		s.cur = append(s.cur, nil)
		s.cells = append(s.cells, cell)
		s.tracks = append(s.tracks, nil)
		var (
			prev *state
			hist []*state
		)
		for v := range nv {
			st := s.readState(r, prev)
			if r.err != nil {
				r.err = fmt.Errorf("%s version %d: %w", id, v+1, r.err)
				return
			}
			if prev != nil {
				hist = append(hist, prev)
			}
			prev = st
		}
		s.cur[slot] = prev
		if len(hist) > 0 {
			s.hist[slot] = hist
		}
	}
}

func (s *Store) readState(r *snapReader, prev *state) *state {
	from := r.varint()
	version := r.uvarint()
	kind := r.uvarint()
	levels := r.varint()
	flags := r.byte()
	height := math.Float32frombits(r.u32())
	minH := math.Float32frombits(r.u32())
	var (
		pt   orb.Point
		geom orb.Geometry
	)
	if flags&flagPoint != 0 {
		pt = orb.Point{r.f64(), r.f64()}
	} else if n := r.uvarint(); n > 0 {
		g, err := wkb.Unmarshal(r.bytes(n))
		if err != nil && r.err == nil {
			r.fail("geometry: %v", err)
		}
		geom = g
	}
	np := r.count(13)
	if r.err != nil {
		return nil
	}
	if kind >= uint64(len(s.kinds.names)) || version > math.MaxUint32 || levels < math.MinInt16 || levels > math.MaxInt16 {
		r.fail("kind %d, version %d or levels %d out of range", kind, version, levels)
		return nil
	}
	st := allocState(np)
	props := st.props
	for i := range props {
		p := &props[i]
		p.key = r.u32()
		p.typ = ValueType(r.byte())
		p.bits = r.u64()
		if r.err == nil && (p.key >= uint32(len(s.sym.names)) || p.typ > String ||
			p.typ == String && p.bits >= uint64(len(s.sym.names)) || i > 0 && props[i-1].key >= p.key) {
			r.fail("property %d damaged", i)
		}
	}
	*st = state{from: from, pt: pt, geom: geom, props: props, version: uint32(version),
		kind: uint16(kind), levels: int16(levels), flags: flags, height: height, minH: minH}
	switch r.byte() {
	case extraNone:
	case extraShared:
		if prev == nil || prev.extra == nil {
			r.fail("shared links without a version before")
			return nil
		}
		st.extra = prev.extra
	case extraNew:
		x := &extra{}
		nl := r.count(2)
		for range nl {
			rel := r.str()
			to := r.str()
			x.links = append(x.links, Link{Rel: rel, To: ID(to)})
		}
		np := r.count(3)
		for range np {
			src := r.str()
			t := r.varint()
			note := r.str()
			x.provenance = append(x.provenance, Provenance{Source: src, Time: Time(t), Note: note})
		}
		st.extra = x
	default:
		r.fail("bad links marker")
	}
	return st
}

func (s *Store) restorePast(r *snapReader) {
	n := r.count(33)
	for range n {
		slot := r.uvarint()
		b := orb.Bound{Min: orb.Point{r.f64(), r.f64()}, Max: orb.Point{r.f64(), r.f64()}}
		if r.err != nil {
			return
		}
		if slot >= uint64(len(s.cur)) {
			r.fail("past entry for slot %d of %d", slot, len(s.cur))
			return
		}
		s.past.Insert(b, uint32(slot))
	}
}

func restoreTracks(r *snapReader, into map[uint32][]sample, nslots uint32) {
	n := r.count(2)
	for range n {
		slot := r.uvarint()
		ns := r.count(16)
		if r.err != nil {
			return
		}
		if slot >= uint64(nslots) {
			r.fail("track of slot %d of %d", slot, nslots)
			return
		}
		samples := make([]sample, ns)
		for i := range samples {
			samples[i] = sample{t: int64(r.u64()), lon: int32(r.u32()), lat: int32(r.u32())}
			if r.err == nil && i > 0 && samples[i].t <= samples[i-1].t {
				r.fail("track of slot %d out of order", slot)
			}
		}
		into[uint32(slot)] = samples
	}
}

func (s *Store) restoreChannels(r *snapReader, nslots uint32) {
	n := r.count(4)
	for range n {
		m := r.uvarint()
		slot := r.uvarint()
		if r.err != nil {
			return
		}
		if m >= uint64(len(s.sym.names)) || slot >= uint64(nslots) {
			r.fail("channel of metric %d, slot %d out of range", m, slot)
			return
		}
		ch, used, err := series.ReadBinary(r.buf[r.off:])
		if err != nil {
			r.fail("channel %s of slot %d: %v", s.sym.name(uint32(m)), slot, err)
			return
		}
		r.off += used
		if s.metrics[uint32(m)][uint32(slot)] != nil {
			r.fail("channel %s of slot %d twice", s.sym.name(uint32(m)), slot)
			return
		}
		s.putChannel(uint32(slot), uint32(m), ch)
	}
}
