package mesh

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// A Store's directory holds immutable segment files, each written whole to a
// temporary name, fsynced and renamed into place, so that a reader never
// sees half of one and a crash leaves at worst a stray ".tmp-" file:
//
//	<unix nanos, 20 digits>-<8 hex digits>.seg
//
//	8 bytes   magic "CTMESH\x00\x01"
//	records   the encoded meshes (see encode.go), back to back
//	index     uvarint count, then per mesh, sorted by id:
//	          string id (uvarint length, bytes), uvarint offset, uvarint length,
//	          4 bytes CRC-32C of the record
//	footer    8 bytes offset of the index, 4 bytes its length, 4 bytes its
//	          CRC-32C, 4 bytes magic "CTMX" (all little endian)
//
// Opening a store reads only the footers and indexes; Get reads one record
// with one positioned read and checks its CRC. When two segments hold the same
// id, the one whose name sorts last (the newer) wins.

// Errors of the store.
var (
	ErrClosed     = errors.New("mesh: store closed")
	ErrBadSegment = errors.New("mesh: damaged segment file")
)

const (
	segMagic    = "CTMESH\x00\x01"
	footMagic   = "CTMX"
	footerSize  = 20
	segExt      = ".seg"
	tmpPrefix   = ".tmp-"
	maxIndexLen = 1 << 30
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Options tune a Store.
type Options struct {
	// FlushBytes writes a segment once this many bytes of meshes are buffered
	// (besides Flush and Close); 0 means 64 MiB.
	FlushBytes int
	// RefreshEvery is how often Get looks for segments that other Stores
	// wrote into the directory (a stat of the directory, and a scan when it
	// changed); 0 means every second, negative never (Refresh still works).
	RefreshEvery time.Duration
}

// Store keeps meshes by id in a directory. It is safe for concurrent use.
type Store struct {
	dir  string
	opts Options

	mu       sync.RWMutex // guards everything below
	closed   bool
	segs     map[string]*segment // by file name
	index    map[string]loc
	pending  map[string][]byte // encoded meshes not yet in a segment
	pendingN int               // their bytes
	dirMod   time.Time         // the directory's mtime at the last scan

	checked atomic.Int64 // unix nanos of the last refresh check
}

type segment struct {
	name string
	f    *os.File
}

type loc struct {
	seg *segment
	off int64
	n   uint32
	crc uint32
}

// Open opens the store in dir, creating the directory if needed, and reads
// the indexes of the segments in it.
func Open(dir string, opts Options) (*Store, error) {
	if opts.FlushBytes <= 0 {
		opts.FlushBytes = 64 << 20
	}
	if opts.RefreshEvery == 0 {
		opts.RefreshEvery = time.Second
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("mesh: %w", err)
	}
	s := &Store{dir: dir, opts: opts, segs: map[string]*segment{}, index: map[string]loc{}, pending: map[string][]byte{}}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.scan(); err != nil {
		s.closeFiles()
		return nil, err
	}
	return s, nil
}

// Dir is the store's directory.
func (s *Store) Dir() string { return s.dir }

// Len is the number of meshes the store holds, buffered ones included.
func (s *Store) Len() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	n := len(s.index)
	for id := range s.pending {
		if _, ok := s.index[id]; !ok {
			n++
		}
	}
	return n
}

// Put stores m under id, replacing what was there. It is buffered: Get sees
// it at once, other Stores and a restart after Flush or Close.
func (s *Store) Put(id string, m Mesh) error {
	if id == "" {
		return fmt.Errorf("%w: empty id", ErrBadMesh)
	}
	if err := m.Validate(); err != nil {
		return fmt.Errorf("put %s: %w", id, err)
	}
	body := AppendEncode(nil, &m)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	if old, ok := s.pending[id]; ok {
		s.pendingN -= len(old)
	}
	s.pending[id] = body
	s.pendingN += len(body)
	if s.pendingN >= s.opts.FlushBytes {
		return s.flush()
	}
	return nil
}

// Get returns the mesh of id; ok is false when there is none.
func (s *Store) Get(id string) (Mesh, bool, error) {
	if s.opts.RefreshEvery > 0 {
		now := time.Now().UnixNano()
		if last := s.checked.Load(); now-last > int64(s.opts.RefreshEvery) && s.checked.CompareAndSwap(last, now) {
			if err := s.Refresh(); err != nil {
				return Mesh{}, false, err
			}
		}
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return Mesh{}, false, ErrClosed
	}
	if body, ok := s.pending[id]; ok {
		m, err := Decode(body)
		return m, err == nil, err
	}
	l, ok := s.index[id]
	if !ok {
		return Mesh{}, false, nil
	}
	body := make([]byte, l.n)
	if _, err := l.seg.f.ReadAt(body, l.off); err != nil {
		return Mesh{}, false, fmt.Errorf("mesh: read %s from %s: %w", id, l.seg.name, err)
	}
	if crc32.Checksum(body, castagnoli) != l.crc {
		return Mesh{}, false, fmt.Errorf("%w: %s: the record of %s fails its checksum", ErrBadSegment, l.seg.name, id)
	}
	m, err := Decode(body)
	if err != nil {
		return Mesh{}, false, fmt.Errorf("mesh: %s in %s: %w", id, l.seg.name, err)
	}
	return m, true, nil
}

// Refresh picks up the segments that other Stores have written into the
// directory since the last look.
func (s *Store) Refresh() error {
	info, err := os.Stat(s.dir)
	if err != nil {
		return fmt.Errorf("mesh: %w", err)
	}
	s.mu.RLock()
	same := info.ModTime().Equal(s.dirMod)
	s.mu.RUnlock()
	if same {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	return s.scan()
}

// Flush writes the buffered meshes to a new segment.
func (s *Store) Flush() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	return s.flush()
}

// Close flushes and closes the store; it is safe to call twice.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	err := s.flush()
	s.closed = true
	if cerr := s.closeFiles(); err == nil {
		err = cerr
	}
	return err
}

func (s *Store) closeFiles() error {
	var err error
	for _, sg := range s.segs {
		if cerr := sg.f.Close(); err == nil {
			err = cerr
		}
	}
	return err
}

// scan opens the segments not yet known. Called with s.mu held for writing.
func (s *Store) scan() error {
	info, err := os.Stat(s.dir)
	if err != nil {
		return fmt.Errorf("mesh: %w", err)
	}
	ents, err := os.ReadDir(s.dir)
	if err != nil {
		return fmt.Errorf("mesh: %w", err)
	}
	for _, e := range ents { // ReadDir sorts by name: oldest first
		name := e.Name()
		if !strings.HasSuffix(name, segExt) || strings.HasPrefix(name, tmpPrefix) || s.segs[name] != nil {
			continue
		}
		if err := s.load(name); err != nil {
			return err
		}
	}
	s.dirMod = info.ModTime()
	return nil
}

// load reads the index of segment name into s.index, where its entries win
// over those of segments whose names sort before it.
func (s *Store) load(name string) error {
	f, err := os.Open(filepath.Join(s.dir, name))
	if err != nil {
		return fmt.Errorf("mesh: %w", err)
	}
	entries, err := readIndex(f)
	if err != nil {
		f.Close()
		return fmt.Errorf("%w: %s: %v", ErrBadSegment, name, err)
	}
	sg := &segment{name: name, f: f}
	s.segs[name] = sg
	for _, e := range entries {
		if old, ok := s.index[e.id]; ok && old.seg.name > name {
			continue
		}
		e.loc.seg = sg
		s.index[e.id] = e.loc
	}
	return nil
}

type entry struct {
	id  string
	loc loc
}

func readIndex(f *os.File) ([]entry, error) {
	info, err := f.Stat()
	if err != nil {
		return nil, err
	}
	size := info.Size()
	if size < int64(len(segMagic))+footerSize {
		return nil, errors.New("too short")
	}
	var head [len(segMagic)]byte
	if _, err := f.ReadAt(head[:], 0); err != nil {
		return nil, err
	}
	var foot [footerSize]byte
	if _, err := f.ReadAt(foot[:], size-footerSize); err != nil {
		return nil, err
	}
	if string(head[:]) != segMagic || string(foot[16:]) != footMagic {
		return nil, errors.New("bad magic")
	}
	off := int64(binary.LittleEndian.Uint64(foot[0:]))
	n := int64(binary.LittleEndian.Uint32(foot[8:]))
	if off < int64(len(segMagic)) || n > maxIndexLen || off+n != size-footerSize {
		return nil, errors.New("bad footer")
	}
	idx := make([]byte, n)
	if _, err := f.ReadAt(idx, off); err != nil && !(errors.Is(err, io.EOF) && n == 0) {
		return nil, err
	}
	if crc32.Checksum(idx, castagnoli) != binary.LittleEndian.Uint32(foot[12:]) {
		return nil, errors.New("index fails its checksum")
	}
	d := decoder{b: idx}
	count := d.count(4)
	entries := make([]entry, 0, count)
	for range count {
		id := d.string()
		o, l := d.uvarint(), d.uvarint()
		if len(d.b) < 4 {
			d.fail("truncated")
		}
		if d.err != nil {
			return nil, d.err
		}
		crc := binary.LittleEndian.Uint32(d.b)
		d.b = d.b[4:]
		if o < uint64(len(segMagic)) || l > uint64(off) || o > uint64(off)-l {
			return nil, fmt.Errorf("record of %s out of range", id)
		}
		entries = append(entries, entry{id: id, loc: loc{off: int64(o), n: uint32(l), crc: crc}})
	}
	if d.err != nil || len(d.b) != 0 {
		return nil, errors.New("bad index")
	}
	return entries, nil
}

// flush writes the pending meshes as one segment. Called with s.mu held for
// writing.
func (s *Store) flush() error {
	if len(s.pending) == 0 {
		return nil
	}
	ids := make([]string, 0, len(s.pending))
	for id := range s.pending {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	buf := bytes.NewBuffer(make([]byte, 0, s.pendingN+len(segMagic)+footerSize+len(ids)*48))
	buf.WriteString(segMagic)
	offs := make([]int, len(ids))
	for i, id := range ids {
		offs[i] = buf.Len()
		buf.Write(s.pending[id])
	}
	indexOff := buf.Len()
	idx := binary.AppendUvarint(nil, uint64(len(ids)))
	for i, id := range ids {
		body := s.pending[id]
		idx = appendString(idx, id)
		idx = binary.AppendUvarint(idx, uint64(offs[i]))
		idx = binary.AppendUvarint(idx, uint64(len(body)))
		idx = binary.LittleEndian.AppendUint32(idx, crc32.Checksum(body, castagnoli))
	}
	buf.Write(idx)
	var foot [footerSize]byte
	binary.LittleEndian.PutUint64(foot[0:], uint64(indexOff))
	binary.LittleEndian.PutUint32(foot[8:], uint32(len(idx)))
	binary.LittleEndian.PutUint32(foot[12:], crc32.Checksum(idx, castagnoli))
	copy(foot[16:], footMagic)
	buf.Write(foot[:])

	name := s.segmentName()
	if err := writeAtomic(s.dir, name, buf.Bytes()); err != nil {
		return fmt.Errorf("mesh: write segment: %w", err)
	}
	if err := s.load(name); err != nil {
		return err
	}
	s.pending = map[string][]byte{}
	s.pendingN = 0
	return nil
}

// segmentName is a new name that sorts after every segment of the directory,
// so that the meshes just put win over older ones.
func (s *Store) segmentName() string {
	t := time.Now().UnixNano()
	for name := range s.segs {
		var n int64
		if _, err := fmt.Sscanf(name, "%020d-", &n); err == nil && n >= t {
			t = n + 1
		}
	}
	return fmt.Sprintf("%020d-%08x%s", t, rand.Uint32(), segExt)
}

// writeAtomic writes data to dir/name through a temporary file, fsyncs it,
// renames it into place and fsyncs the directory.
func writeAtomic(dir, name string, data []byte) error {
	f, err := os.CreateTemp(dir, tmpPrefix+"*"+segExt)
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, filepath.Join(dir, name))
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}
