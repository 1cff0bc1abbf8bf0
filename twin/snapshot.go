package twin

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"os"
	"path/filepath"
	"sync/atomic"

	"citytwin/twin/series"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"
)

// A snapshot is the whole twin at one sequence number, written so that loading it
// is mostly copying: states with their interned symbol ids, the H3 cell of every
// slot (no cgo at start-up), tracks as raw samples and channels as their
// compressed blocks.
//
//	magic "CTSNAP\x00\x01", then sections until the end section:
//	  tag byte, payload length uint64, CRC-32C of the payload uint32, payload
//
// Sections: header (seq, slot and symbol counts), symbols, kinds, slots (ids,
// versions, cells; in chunks), past (superseded bounds), tracks (in chunks),
// channels (in chunks), end. Every section is checked before it is used; a
// snapshot that fails a check is not loaded at all.

var snapshotMagic = []byte("CTSNAP\x00\x01")

const (
	secHeader byte = iota + 1
	secSymbols
	secKinds
	secSlots
	secPast
	secTracks
	secChannels
	secEnd
)

// maxSection bounds a section's length, so a damaged length cannot make the
// loader allocate without limit.
const maxSection = 1 << 31

// chunkBytes is the size at which a chunked section is cut.
const chunkBytes = 4 << 20

// channelsPerLock is how many channels a snapshot reads under one hold of the
// read lock: writers wait for at most that many.
var channelsPerLock = 2048

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// ErrBadSnapshot is wrapped by every error about a damaged snapshot file.
var ErrBadSnapshot = errors.New("twin: bad snapshot")

// view is what a snapshot needs of the store, captured under the read lock so
// that it can be written while the store goes on. States are immutable and
// shared; what changes in place (tracks, the slices of slots) is copied. The
// channels are not: copying millions of heads would hold the writers for
// seconds. They are read in chunks while the file is written, each chunk under
// the read lock, so they may hold readings of ops after seq. That is safe
// because start-up replays every op after seq, and applying a reading again
// changes nothing (a reading at a time a channel has replaces it, and the last
// write wins as it did the first time). The snapshot is renamed into place only
// once the log has every op its channels may hold (maxSeq).
type view struct {
	seq     uint64
	syms    []string
	kinds   []string
	ids     []ID
	cur     []*state
	hist    map[uint32][]*state
	cells   []uint64
	tracks  map[uint32][]sample
	past    []pastEntry
	metrics []channelView

	s      *Store // for reading channels in chunks
	maxSeq uint64 // the store's seq when the last chunk of channels was read
}

type pastEntry struct {
	b    orb.Bound
	slot uint32
}

type channelView struct {
	metric, slot uint32
	ch           *series.Series
}

// capture takes a view of the store. Must hold s.mu (read).
func (s *Store) capture() *view {
	n := s.ids.len()
	v := &view{
		seq:    s.seq,
		syms:   s.sym.names[:len(s.sym.names):len(s.sym.names)],
		kinds:  s.kinds.names[:len(s.kinds.names):len(s.kinds.names)],
		ids:    make([]ID, n),
		cur:    append([]*state(nil), s.cur[:n]...),
		hist:   make(map[uint32][]*state, len(s.hist)),
		cells:  make([]uint64, n),
		tracks: make(map[uint32][]sample),
		s:      s,
		maxSeq: s.seq,
	}
	for slot := range n {
		v.ids[slot] = s.ids.id(uint32(slot))
		v.cells[slot] = atomic.LoadUint64(&s.cells[slot])
	}
	for slot, h := range s.hist {
		v.hist[slot] = h[:len(h):len(h)]
	}
	for slot, tr := range s.tracks {
		if tr != nil {
			v.tracks[uint32(slot)] = append([]sample(nil), tr.samples...)
		}
	}
	everywhere := orb.Bound{Min: orb.Point{math.Inf(-1), math.Inf(-1)}, Max: orb.Point{math.Inf(1), math.Inf(1)}}
	s.past.Search(everywhere, func(b orb.Bound, slot uint32) bool {
		v.past = append(v.past, pastEntry{b, slot})
		return true
	})
	for m, bySlot := range s.metrics {
		for slot, ch := range bySlot {
			if int(slot) < n {
				v.metrics = append(v.metrics, channelView{m, slot, ch})
			}
		}
	}
	return v
}

// snapshotWriter writes sections with their checksums.
type snapshotWriter struct {
	w   *bufio.Writer
	buf []byte
	err error
}

func (sw *snapshotWriter) section(tag byte, payload []byte) {
	if sw.err != nil {
		return
	}
	var h [13]byte
	h[0] = tag
	binary.LittleEndian.PutUint64(h[1:], uint64(len(payload)))
	binary.LittleEndian.PutUint32(h[9:], crc32.Checksum(payload, castagnoli))
	if _, err := sw.w.Write(h[:]); err != nil {
		sw.err = err
		return
	}
	_, sw.err = sw.w.Write(payload)
}

// flushChunk writes buf as a section once it has grown past chunkBytes (or
// always, when final), with count items in front.
func (sw *snapshotWriter) chunk(tag byte, items *int, final bool) {
	if *items == 0 || !final && len(sw.buf) < chunkBytes {
		return
	}
	payload := binary.AppendUvarint(make([]byte, 0, len(sw.buf)+10), uint64(*items))
	payload = append(payload, sw.buf...)
	sw.section(tag, payload)
	sw.buf, *items = sw.buf[:0], 0
}

// write writes the view to w.
func (v *view) write(w io.Writer) error {
	sw := &snapshotWriter{w: bufio.NewWriterSize(w, 1<<20)}
	if _, err := sw.w.Write(snapshotMagic); err != nil {
		return err
	}
	var b []byte
	b = binary.AppendUvarint(b, v.seq)
	b = binary.AppendUvarint(b, uint64(len(v.ids)))
	b = binary.AppendUvarint(b, uint64(len(v.syms)))
	b = binary.AppendUvarint(b, uint64(len(v.kinds)))
	sw.section(secHeader, b)
	sw.section(secSymbols, appendStrings(nil, v.syms))
	sw.section(secKinds, appendStrings(nil, v.kinds))

	items := 0
	for slot := range v.ids {
		var err error
		if sw.buf, err = v.appendSlot(sw.buf, uint32(slot)); err != nil {
			return err
		}
		items++
		sw.chunk(secSlots, &items, false)
	}
	sw.chunk(secSlots, &items, true)

	b = binary.AppendUvarint(b[:0], uint64(len(v.past)))
	for _, p := range v.past {
		b = binary.AppendUvarint(b, uint64(p.slot))
		for _, f := range [4]float64{p.b.Min[0], p.b.Min[1], p.b.Max[0], p.b.Max[1]} {
			b = binary.LittleEndian.AppendUint64(b, math.Float64bits(f))
		}
	}
	sw.section(secPast, b)

	for slot, samples := range v.tracks {
		sw.buf = binary.AppendUvarint(sw.buf, uint64(slot))
		sw.buf = binary.AppendUvarint(sw.buf, uint64(len(samples)))
		for _, x := range samples {
			sw.buf = binary.LittleEndian.AppendUint64(sw.buf, uint64(x.t))
			sw.buf = binary.LittleEndian.AppendUint32(sw.buf, uint32(x.lon))
			sw.buf = binary.LittleEndian.AppendUint32(sw.buf, uint32(x.lat))
		}
		items++
		sw.chunk(secTracks, &items, false)
	}
	sw.chunk(secTracks, &items, true)

	for i := 0; i < len(v.metrics); {
		v.s.mu.RLock()
		for end := min(i+channelsPerLock, len(v.metrics)); i < end; i++ {
			c := v.metrics[i]
			sw.buf = binary.AppendUvarint(sw.buf, uint64(c.metric))
			sw.buf = binary.AppendUvarint(sw.buf, uint64(c.slot))
			sw.buf = c.ch.AppendBinary(sw.buf)
			items++
		}
		v.maxSeq = v.s.seq
		v.s.mu.RUnlock()
		sw.chunk(secChannels, &items, false)
	}
	sw.chunk(secChannels, &items, true)
	sw.section(secEnd, nil)
	if sw.err != nil {
		return sw.err
	}
	return sw.w.Flush()
}

func appendStrings(b []byte, ss []string) []byte {
	b = binary.AppendUvarint(b, uint64(len(ss)))
	for _, s := range ss {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	return b
}

// appendSlot writes one slot: id, cell, then its versions oldest first.
func (v *view) appendSlot(b []byte, slot uint32) ([]byte, error) {
	id := v.ids[slot]
	b = binary.AppendUvarint(b, uint64(len(id)))
	b = append(b, id...)
	b = binary.LittleEndian.AppendUint64(b, v.cells[slot])
	h := v.hist[slot]
	n := len(h)
	if v.cur[slot] != nil {
		n++
	}
	b = binary.AppendUvarint(b, uint64(n))
	var prev *extra
	for i := range n {
		st := v.cur[slot]
		if i < len(h) {
			st = h[i]
		}
		var err error
		if b, err = appendState(b, st, st.extra == prev && prev != nil); err != nil {
			return b, fmt.Errorf("snapshot %s: %w", id, err)
		}
		prev = st.extra
	}
	return b, nil
}

const (
	extraNone   = 0
	extraNew    = 1
	extraShared = 2 // the same links and provenance as the version before
)

func appendState(b []byte, st *state, sharedExtra bool) ([]byte, error) {
	b = binary.AppendVarint(b, st.from)
	b = binary.AppendUvarint(b, uint64(st.version))
	b = binary.AppendUvarint(b, uint64(st.kind))
	b = binary.AppendVarint(b, int64(st.levels))
	b = append(b, st.flags)
	b = binary.LittleEndian.AppendUint32(b, math.Float32bits(st.height))
	b = binary.LittleEndian.AppendUint32(b, math.Float32bits(st.minH))
	switch {
	case st.flags&flagPoint != 0:
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(st.pt[0]))
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(st.pt[1]))
	case st.geom == nil:
		b = binary.AppendUvarint(b, 0)
	default:
		g, err := wkb.Marshal(st.geom, binary.LittleEndian)
		if err != nil {
			return b, err
		}
		b = binary.AppendUvarint(b, uint64(len(g)))
		b = append(b, g...)
	}
	b = binary.AppendUvarint(b, uint64(len(st.props)))
	for _, p := range st.props {
		b = binary.LittleEndian.AppendUint32(b, p.key)
		b = append(b, byte(p.typ))
		b = binary.LittleEndian.AppendUint64(b, p.bits)
	}
	switch {
	case st.extra == nil:
		b = append(b, extraNone)
	case sharedExtra:
		b = append(b, extraShared)
	default:
		b = append(b, extraNew)
		b = binary.AppendUvarint(b, uint64(len(st.extra.links)))
		for _, l := range st.extra.links {
			b = appendString(b, l.Rel)
			b = appendString(b, string(l.To))
		}
		b = binary.AppendUvarint(b, uint64(len(st.extra.provenance)))
		for _, p := range st.extra.provenance {
			b = appendString(b, p.Source)
			b = binary.AppendVarint(b, Nanos(p.Time))
			b = appendString(b, p.Note)
		}
	}
	return b, nil
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// writeFile writes the view to dir atomically: a temporary file, fsync, then
// (once ready says so) rename and fsync of the directory. It returns the file's
// path.
func (v *view) writeFile(dir string, ready func() error) (string, error) {
	name := filepath.Join(dir, snapshotName(v.seq))
	tmp, err := os.CreateTemp(dir, ".snapshot-*.tmp")
	if err != nil {
		return "", err
	}
	defer os.Remove(tmp.Name()) // a no-op once renamed
	if err := v.write(tmp); err != nil {
		tmp.Close()
		return "", fmt.Errorf("write snapshot: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return "", fmt.Errorf("sync snapshot: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return "", err
	}
	if err := ready(); err != nil {
		return "", err
	}
	if err := os.Rename(tmp.Name(), name); err != nil {
		return "", err
	}
	return name, syncDir(dir)
}

func snapshotName(seq uint64) string { return fmt.Sprintf("snapshot-%020d.ctsnap", seq) }

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
