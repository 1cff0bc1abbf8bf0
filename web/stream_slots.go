package web

// slotTable maps slots to small numbers (an index, or nothing for a set):
// open addressing with linear probing, at most half full. It stands in for
// map[uint32]… on the fan-out's hot path, where a lookup in a client's table
// should cost one cache miss and no hashing of note.
type slotTable struct {
	cells []slotCell
	shift uint8 // 32 - log2(len(cells))
	n     int
}

type slotCell struct {
	key uint32 // slot+1; 0: empty
	val int32
}

func (t *slotTable) Len() int { return t.n }

func (t *slotTable) home(slot uint32) int {
	return int(((slot + 1) * 0x9E3779B1) >> t.shift)
}

// get returns the value of slot.
func (t *slotTable) get(slot uint32) (int32, bool) {
	if t.n == 0 {
		return 0, false
	}
	mask := len(t.cells) - 1
	for i := t.home(slot); ; i = (i + 1) & mask {
		c := t.cells[i]
		if c.key == slot+1 {
			return c.val, true
		}
		if c.key == 0 {
			return 0, false
		}
	}
}

func (t *slotTable) has(slot uint32) bool {
	_, ok := t.get(slot)
	return ok
}

// put sets the value of slot.
func (t *slotTable) put(slot uint32, v int32) {
	if 2*(t.n+1) > len(t.cells) {
		t.resize(max(16, 2*len(t.cells)))
	}
	mask := len(t.cells) - 1
	for i := t.home(slot); ; i = (i + 1) & mask {
		c := &t.cells[i]
		if c.key == slot+1 {
			c.val = v
			return
		}
		if c.key == 0 {
			c.key, c.val = slot+1, v
			t.n++
			return
		}
	}
}

// del removes slot, shifting back the cells of its probe run so that no
// tombstones are needed.
func (t *slotTable) del(slot uint32) {
	if t.n == 0 {
		return
	}
	mask := len(t.cells) - 1
	i := t.home(slot)
	for {
		k := t.cells[i].key
		if k == 0 {
			return
		}
		if k == slot+1 {
			break
		}
		i = (i + 1) & mask
	}
	t.n--
	for j := (i + 1) & mask; ; j = (j + 1) & mask {
		c := t.cells[j]
		if c.key == 0 {
			break
		}
		// c may move to i when its home is not in (i, j].
		h := t.home(c.key - 1)
		if (j > i && (h <= i || h > j)) || (j < i && h <= i && h > j) {
			t.cells[i] = c
			i = j
		}
	}
	t.cells[i] = slotCell{}
}

// reset empties the table, letting a table that grew for a snapshot go.
func (t *slotTable) reset() {
	if len(t.cells) > 1024 && 8*t.n < len(t.cells) {
		*t = slotTable{}
		return
	}
	if t.n > 0 {
		clear(t.cells)
		t.n = 0
	}
}

func (t *slotTable) resize(size int) {
	old := t.cells
	t.cells = make([]slotCell, size)
	t.shift = uint8(32 - log2(size))
	t.n = 0
	for _, c := range old {
		if c.key != 0 {
			t.put(c.key-1, c.val)
		}
	}
}

// each calls fn with every slot and value.
func (t *slotTable) each(fn func(slot uint32, v int32)) {
	for _, c := range t.cells {
		if c.key != 0 {
			fn(c.key-1, c.val)
		}
	}
}

func log2(n int) int {
	k := 0
	for 1<<k < n {
		k++
	}
	return k
}
