package twin

import "hash/maphash"

// idIndex maps entity ids to slots. It is an open-addressing hash table of slots
// (4 bytes an entry, compared through the store's ids) instead of a
// map[ID]uint32, which costs about 40 bytes an entity at a million entities.
// Slots are never removed, so there are no tombstones.
type idIndex struct {
	seed  maphash.Seed
	table []uint32 // slot+1; 0 is empty
	n     int
}

func newIDIndex() idIndex { return idIndex{seed: maphash.MakeSeed(), table: make([]uint32, 1024)} }

// get finds id, using ids to compare.
func (x *idIndex) get(ids []ID, id ID) (uint32, bool) {
	mask := uint64(len(x.table) - 1)
	for i := maphash.String(x.seed, string(id)) & mask; ; i = (i + 1) & mask {
		v := x.table[i]
		if v == 0 {
			return 0, false
		}
		if ids[v-1] == id {
			return v - 1, true
		}
	}
}

// put adds an id that is not in the index; ids[slot] must already be id.
func (x *idIndex) put(ids []ID, slot uint32) {
	if (x.n+1)*4 > len(x.table)*3 {
		x.grow(ids)
	}
	x.insert(ids[slot], slot)
	x.n++
}

func (x *idIndex) insert(id ID, slot uint32) {
	mask := uint64(len(x.table) - 1)
	i := maphash.String(x.seed, string(id)) & mask
	for x.table[i] != 0 {
		i = (i + 1) & mask
	}
	x.table[i] = slot + 1
}

func (x *idIndex) grow(ids []ID) {
	old := x.table
	x.table = make([]uint32, 2*len(old))
	for _, v := range old {
		if v != 0 {
			x.insert(ids[v-1], v-1)
		}
	}
}

func (x *idIndex) clone() idIndex {
	return idIndex{seed: x.seed, table: append([]uint32(nil), x.table...), n: x.n}
}
