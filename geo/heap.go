package geo

// keyed is a queued value and the distance it is ordered by.
type keyed[V any] struct {
	d float64
	v V
}

// minHeap is a binary min-heap on d. The searches' hot paths use it rather than
// container/heap, which would box every item in an interface.
type minHeap[V any] []keyed[V]

func (h *minHeap[V]) push(it keyed[V]) {
	*h = append(*h, it)
	s := *h
	i := len(s) - 1
	for i > 0 {
		parent := (i - 1) / 2
		if !(s[i].d < s[parent].d) {
			break
		}
		s[parent], s[i] = s[i], s[parent]
		i = parent
	}
}

func (h *minHeap[V]) pop() keyed[V] {
	s := *h
	top := s[0]
	last := len(s) - 1
	s[0] = s[last]
	s = s[:last]
	*h = s
	i := 0
	for {
		l, small := 2*i+1, i
		if l < len(s) && s[l].d < s[small].d {
			small = l
		}
		if r := l + 1; r < len(s) && s[r].d < s[small].d {
			small = r
		}
		if small == i {
			return top
		}
		s[i], s[small] = s[small], s[i]
		i = small
	}
}
