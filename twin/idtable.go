package twin

import (
	"hash/maphash"
	"unsafe"
)

// idTable holds the id of every slot and finds the slot of an id. A city has
// millions of ids, so it keeps them compactly: the bytes in append-only 64 KB
// chunks that never move (no per-id object for the collector to scan), 8 bytes a
// slot to find them, and an open-addressing hash table of slots (4 bytes an
// entry) instead of a map[ID]uint32 (about 40 bytes an entry). Slots are never
// removed, so the table has no tombstones.
type idTable struct {
	seed   maphash.Seed
	table  []uint32 // slot+1; 0 is empty
	refs   []uint64 // per slot: chunk<<32 | offset<<16 | length
	chunks [][]byte
}

const (
	idChunk = 1 << 16
	// MaxIDLen is the longest entity id, in bytes.
	MaxIDLen = 1024
)

func newIDTable() idTable {
	return idTable{seed: maphash.MakeSeed(), table: make([]uint32, 1024)}
}

// len is the number of slots.
func (t *idTable) len() int { return len(t.refs) }

// id returns the id of slot. The string points into a chunk, which is never
// written again.
func (t *idTable) id(slot uint32) ID {
	r := t.refs[slot]
	chunk, off, n := r>>32, (r>>16)&0xffff, r&0xffff
	return ID(unsafe.String(&t.chunks[chunk][off], int(n)))
}

// lookup finds the slot of id.
func (t *idTable) lookup(id ID) (uint32, bool) {
	mask := uint64(len(t.table) - 1)
	for i := maphash.String(t.seed, string(id)) & mask; ; i = (i + 1) & mask {
		v := t.table[i]
		if v == 0 {
			return 0, false
		}
		if t.id(v-1) == id {
			return v - 1, true
		}
	}
}

// add gives a new id (1..MaxIDLen bytes, not in the table) the next slot.
func (t *idTable) add(id ID) uint32 {
	n := len(id)
	last := len(t.chunks) - 1
	if last < 0 || len(t.chunks[last])+n > idChunk {
		t.chunks = append(t.chunks, make([]byte, 0, idChunk))
		last++
	}
	off := len(t.chunks[last])
	t.chunks[last] = append(t.chunks[last], id...)
	slot := uint32(len(t.refs))
	t.refs = append(t.refs, uint64(last)<<32|uint64(off)<<16|uint64(n))
	if (len(t.refs))*4 > len(t.table)*3 {
		t.grow()
	} else {
		t.insert(id, slot)
	}
	return slot
}

func (t *idTable) insert(id ID, slot uint32) {
	mask := uint64(len(t.table) - 1)
	i := maphash.String(t.seed, string(id)) & mask
	for t.table[i] != 0 {
		i = (i + 1) & mask
	}
	t.table[i] = slot + 1
}

// grow doubles the hash table and inserts every slot again.
func (t *idTable) grow() {
	t.table = make([]uint32, 2*len(t.table))
	for slot := range uint32(len(t.refs)) {
		t.insert(t.id(slot), slot)
	}
}

// reserve makes room for n ids in all, so that loading a snapshot does not
// rehash the table again and again.
func (t *idTable) reserve(n int) {
	if cap(t.refs) < n {
		t.refs = append(make([]uint64, 0, n), t.refs...)
	}
	size := len(t.table)
	for n*4 > size*3 {
		size *= 2
	}
	if size != len(t.table) {
		t.table = make([]uint32, size)
		for slot := range uint32(len(t.refs)) {
			t.insert(t.id(slot), slot)
		}
	}
}
